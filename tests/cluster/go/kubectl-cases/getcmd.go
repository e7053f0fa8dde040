package main

// get-extract: kubectl's `get` command tests (k8s.io/kubectl/pkg/cmd/get/get_test.go), run
// from the module cache with a recorder in GetOptions.Complete: for each command a test runs,
// the test, its arguments, the flags it set, what the fake server served and what kubectl
// printed.

import (
	"os"
	"path/filepath"
	"strings"
)

func getExtract(out string) error {
	kubectl, err := moduleDir("k8s.io/kubectl")
	if err != nil {
		return err
	}
	work, err := newScratchModule("kubectl-get-cases-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(work)
	dir := filepath.Join(kubectl, "pkg/cmd/get")
	entries, err := os.ReadDir(dir)
	if err != nil {
		return err
	}
	p := pkg{dir: dir, name: "get", recorder: "getcmd", hooks: map[string]string{
		"GetOptions.Complete": "recordComplete(o, f, cmd, args)",
	}}
	for _, e := range entries {
		if strings.HasSuffix(e.Name(), ".go") {
			p.files = append(p.files, e.Name())
		}
	}
	// As deep in the scratch module as in kubectl's, beside kubectl's testdata, which the
	// tests read by relative paths (../../../testdata/controller.yaml).
	if err := copyPackage(p, filepath.Join(work, "pkg/cmd/get")); err != nil {
		return err
	}
	if err := os.Symlink(filepath.Join(kubectl, "testdata"), filepath.Join(work, "testdata")); err != nil {
		return err
	}
	abs, err := filepath.Abs(out)
	if err != nil {
		return err
	}
	if err := os.WriteFile(abs, nil, 0o644); err != nil {
		return err
	}
	return runRecorded(work, abs, "kubectl's get tests", "./pkg/cmd/get")
}

// The recorder of the get command's tests. The records are written when the tests end, when
// the output buffers hold what kubectl printed.
const getRecorder = `
import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"runtime"
	"strings"
	"testing"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
	"k8s.io/client-go/rest/fake"
	cmdtesting "k8s.io/kubectl/pkg/cmd/testing"
	cmdutil "k8s.io/kubectl/pkg/cmd/util"
)

type served struct {
	Path   string ` + "`json:\"path\"`" + `
	Status int    ` + "`json:\"status\"`" + `
	Body   string ` + "`json:\"body\"`" + `
}

type getRun struct {
	test   string
	args   []string
	flags  map[string]string
	out    io.Writer
	errOut io.Writer
	served *[]served
}

var getRuns []getRun

// testName is the Test function on the stack.
func testName() string {
	pcs := make([]uintptr, 64)
	n := runtime.Callers(2, pcs)
	frames := runtime.CallersFrames(pcs[:n])
	for {
		f, more := frames.Next()
		if i := strings.LastIndex(f.Function, "/"); i >= 0 {
			parts := strings.Split(f.Function[i+1:], ".")
			if len(parts) >= 2 && strings.HasPrefix(parts[1], "Test") {
				return parts[1]
			}
		}
		if !more {
			return ""
		}
	}
}

func keep(body io.ReadCloser, path string, status int, into *[]served) io.ReadCloser {
	if body == nil {
		return nil
	}
	data, _ := io.ReadAll(body)
	*into = append(*into, served{Path: path, Status: status, Body: string(data)})
	return io.NopCloser(bytes.NewReader(data))
}

func recordComplete(o *GetOptions, f cmdutil.Factory, cmd *cobra.Command, args []string) {
	// Tests reuse and reset their buffers between commands: each command's output is teed.
	out, errOut := &bytes.Buffer{}, &bytes.Buffer{}
	o.Out, o.ErrOut = io.MultiWriter(o.Out, out), io.MultiWriter(o.ErrOut, errOut)
	run := getRun{test: testName(), args: append([]string{}, args...), flags: map[string]string{}, out: out, errOut: errOut, served: &[]served{}}
	cmd.Flags().Visit(func(fl *pflag.Flag) {
		if sv, ok := fl.Value.(pflag.SliceValue); ok {
			run.flags[fl.Name] = strings.Join(sv.GetSlice(), ",")
			return
		}
		run.flags[fl.Name] = fl.Value.String()
	})
	if c := fakeClient(f); c != nil {
		into := run.served
		if c.Client != nil {
			inner := c.Client
			c.Client = fake.CreateHTTPClient(func(req *http.Request) (*http.Response, error) {
				resp, err := inner.Do(req)
				if resp != nil {
					resp.Body = keep(resp.Body, req.URL.Path, resp.StatusCode, into)
				}
				return resp, err
			})
		} else if c.Resp != nil {
			c.Resp.Body = keep(c.Resp.Body, "", c.Resp.StatusCode, into)
		}
	}
	getRuns = append(getRuns, run)
}

// fakeClient is the fake REST client the test gave its factory, if it gave one.
func fakeClient(f cmdutil.Factory) *fake.RESTClient {
	tf, ok := f.(*cmdtesting.TestFactory)
	if !ok {
		return nil
	}
	c, _ := tf.UnstructuredClient.(*fake.RESTClient)
	return c
}

func TestMain(m *testing.M) {
	code := m.Run()
	for _, r := range getRuns {
		text := func(w io.Writer) string {
			if b, ok := w.(*bytes.Buffer); ok {
				return b.String()
			}
			return ""
		}
		record(map[string]interface{}{
			"suite": "get", "test": r.test, "args": r.args, "flags": r.flags,
			"served": *r.served, "out": text(r.out), "errOut": text(r.errOut),
		})
	}
	os.Exit(code)
}
`
