// Command kubectl-cases gives the cols compatibility tests kubectl's own test material, read
// from the Go module cache when the tests run (nothing of it is kept in the repository):
//
//	kubectl-cases extract OUT.jsonl
//	    Copies client-go's util/jsonpath and kubectl's custom-columns printer and sorter, with
//	    their upstream test files, into a scratch module; records, in the code under test, every
//	    template, spec, sort field and input object the upstream tests hand it; runs the
//	    upstream tests; writes one JSON line per recorded case.
//	kubectl-cases eval < CASES.jsonl
//	    Evaluates JSONPath cases with client-go itself, as kubectl's jsonpath printer sets it
//	    up, for inputs that cannot be Kubernetes objects (lists, scalars).
//	kubectl-cases get-extract OUT.jsonl
//	    Runs kubectl's get command tests with a recorder: per command, the arguments, the
//	    flags set, what the fake server served and what kubectl printed (see getcmd.go).
//	kubectl-cases gotemplate-extract | gotemplate-eval | gotemplate-facts
//	    Go's text/template suites and kubectl's go-template printer (see gotemplate.go).
package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"go/ast"
	"go/format"
	"go/parser"
	"go/token"
	"os"
	"os/exec"
	"path/filepath"
	"strings"

	utiljson "k8s.io/apimachinery/pkg/util/json"
	"k8s.io/client-go/util/jsonpath"
)

func main() {
	if len(os.Args) < 2 {
		fail("usage: kubectl-cases extract OUT.jsonl | eval")
	}
	var err error
	switch os.Args[1] {
	case "extract":
		if len(os.Args) != 3 {
			fail("usage: kubectl-cases extract OUT.jsonl")
		}
		err = extract(os.Args[2])
	case "eval":
		err = eval()
	case "gotemplate-extract":
		if len(os.Args) != 3 {
			fail("usage: kubectl-cases gotemplate-extract OUT.jsonl")
		}
		err = gotemplateExtract(os.Args[2])
	case "get-extract":
		if len(os.Args) != 3 {
			fail("usage: kubectl-cases get-extract OUT.jsonl")
		}
		err = getExtract(os.Args[2])
	case "gotemplate-eval":
		err = gotemplateEval()
	case "gotemplate-facts":
		err = gotemplateFacts()
	default:
		fail("unknown command " + os.Args[1])
	}
	if err != nil {
		fail(err.Error())
	}
}

func fail(msg string) {
	fmt.Fprintln(os.Stderr, "kubectl-cases:", msg)
	os.Exit(1)
}

// moduleDir is where the go command keeps a module this one requires.
func moduleDir(path string) (string, error) {
	out, err := exec.Command("go", "list", "-m", "-f", "{{.Dir}}", path).Output()
	if err != nil {
		return "", fmt.Errorf("go list -m %s: %v", path, err)
	}
	return strings.TrimSpace(string(out)), nil
}

// newScratchModule makes a temporary module with this module's go.mod and go.sum, so that
// the upstream code copied into it builds from the module cache; the caller removes it.
func newScratchModule(prefix string) (string, error) {
	here, err := os.Getwd()
	if err != nil {
		return "", err
	}
	work, err := os.MkdirTemp("", prefix)
	if err != nil {
		return "", err
	}
	for _, f := range []string{"go.mod", "go.sum"} {
		data, err := os.ReadFile(filepath.Join(here, f))
		if err == nil {
			err = os.WriteFile(filepath.Join(work, f), data, 0o644)
		}
		if err != nil {
			os.RemoveAll(work)
			return "", err
		}
	}
	return work, nil
}

// runRecorded runs `go test ARGS` in the scratch module with the recorders writing to out;
// `what` names the upstream tests when they fail.
func runRecorded(work, out, what string, args ...string) error {
	cmd := exec.Command("go", append([]string{"test", "-count=1"}, args...)...)
	cmd.Dir = work
	cmd.Env = append(os.Environ(), "KUBECTL_CASES_OUT="+out, "GOFLAGS=-mod=mod")
	var log bytes.Buffer
	cmd.Stdout, cmd.Stderr = &log, &log
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("%s failed under recording: %v\n%s", what, err, log.String())
	}
	return nil
}

// A package to copy: its files, and the statements to put first in some of its functions.
type pkg struct {
	dir   string
	name  string
	files []string
	// "Receiver.Func" or "Func" → statement
	hooks map[string]string
	// The recorder's name in recorders, when not the package's; its file is then a test file
	// (it holds a TestMain).
	recorder string
}

func extract(out string) error {
	clientGo, err := moduleDir("k8s.io/client-go")
	if err != nil {
		return err
	}
	kubectl, err := moduleDir("k8s.io/kubectl")
	if err != nil {
		return err
	}
	work, err := newScratchModule("kubectl-cases-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(work)
	pkgs := []pkg{
		{
			dir:   filepath.Join(clientGo, "util/jsonpath"),
			name:  "jsonpath",
			files: []string{"doc.go", "jsonpath.go", "node.go", "parser.go", "jsonpath_test.go", "parser_test.go"},
			hooks: map[string]string{
				"JSONPath.Execute": "recordExecute(j, data)",
				"Parse":            "recordParse(name, text)",
			},
		},
		{
			dir:   filepath.Join(kubectl, "pkg/cmd/get"),
			name:  "get",
			files: []string{"customcolumn.go", "sorter.go", "customcolumn_test.go", "sorter_test.go"},
			hooks: map[string]string{
				"NewCustomColumnsPrinterFromSpec":     "recordSpec(spec, noHeaders)",
				"NewCustomColumnsPrinterFromTemplate": "templateReader = recordTemplate(templateReader)",
				"CustomColumnsPrinter.PrintObj":       "recordPrint(s, obj)",
				"SortingPrinter.sortObj":              "recordSortList(s.SortField, obj)",
				"NewTableSorter":                      "recordSortTable(field, table)",
				"NewRuntimeSort":                      "recordSortObjects(field, objs)",
			},
		},
	}
	for _, p := range pkgs {
		if err := copyPackage(p, filepath.Join(work, p.name)); err != nil {
			return err
		}
	}
	abs, err := filepath.Abs(out)
	if err != nil {
		return err
	}
	if err := os.WriteFile(abs, nil, 0o644); err != nil {
		return err
	}
	return runRecorded(work, abs, "the upstream tests", "./jsonpath", "./get")
}

// copyPackage copies the package's files, puts the hooks first in their functions, and adds
// the recorder.
func copyPackage(p pkg, to string) error {
	if err := os.MkdirAll(to, 0o755); err != nil {
		return err
	}
	found := map[string]bool{}
	for _, name := range p.files {
		src, err := os.ReadFile(filepath.Join(p.dir, name))
		if err != nil {
			return err
		}
		fset := token.NewFileSet()
		file, err := parser.ParseFile(fset, name, src, parser.ParseComments)
		if err != nil {
			return err
		}
		for _, decl := range file.Decls {
			fn, ok := decl.(*ast.FuncDecl)
			if !ok || fn.Body == nil {
				continue
			}
			key := fn.Name.Name
			if fn.Recv != nil && len(fn.Recv.List) == 1 {
				t := fn.Recv.List[0].Type
				if star, ok := t.(*ast.StarExpr); ok {
					t = star.X
				}
				if id, ok := t.(*ast.Ident); ok {
					key = id.Name + "." + key
				}
			}
			if hook, ok := p.hooks[key]; ok {
				stmt, err := statement(hook)
				if err != nil {
					return err
				}
				fn.Body.List = append([]ast.Stmt{stmt}, fn.Body.List...)
				found[key] = true
			}
		}
		var buf bytes.Buffer
		if err := format.Node(&buf, fset, file); err != nil {
			return err
		}
		if err := os.WriteFile(filepath.Join(to, name), buf.Bytes(), 0o644); err != nil {
			return err
		}
	}
	for key := range p.hooks {
		if !found[key] {
			return fmt.Errorf("%s: no function %s to record in (has the upstream code changed?)", p.dir, key)
		}
	}
	file, recorder := "record_cases.go", recorders[p.name]
	if p.recorder != "" {
		file, recorder = "record_cases_test.go", recorders[p.recorder]
	}
	return os.WriteFile(filepath.Join(to, file), []byte("package "+p.name+"\n"+recorder+recordCommon), 0o644)
}

func statement(src string) (ast.Stmt, error) {
	f, err := parser.ParseFile(token.NewFileSet(), "", "package p\nfunc f() {\n"+src+"\n}\n", 0)
	if err != nil {
		return nil, err
	}
	return f.Decls[0].(*ast.FuncDecl).Body.List[0], nil
}

// The recorder every copied package gets: one JSON line per case.
const recordCommon = `
func record(fields map[string]interface{}) {
	out := os.Getenv("KUBECTL_CASES_OUT")
	if out == "" {
		return
	}
	line, err := json.Marshal(fields)
	if err != nil {
		return
	}
	f, err := os.OpenFile(out, os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		return
	}
	defer f.Close()
	f.Write(append(line, '\n'))
}

// asJSON is the input as the JSON a Kubernetes object would carry, or nil when it has none.
func asJSON(v interface{}) json.RawMessage {
	data, err := json.Marshal(v)
	if err != nil {
		return nil
	}
	return data
}
`

var recorders = map[string]string{
	"getcmd": getRecorder,
	"jsonpath": `
import (
	"encoding/json"
	"fmt"
	"os"
)

func recordExecute(j *JSONPath, data interface{}) {
	if j.parser == nil {
		return
	}
	record(map[string]interface{}{
		"suite": "jsonpath", "kind": "execute", "name": j.name, "template": j.parser.input,
		"allowMissingKeys": j.allowMissingKeys, "outputJSON": j.outputJSON,
		"input": asJSON(data), "inputType": fmt.Sprintf("%T", data),
	})
}

func recordParse(name, text string) {
	switch name {
	case "union", "arraydict", "text", "left", "right":
		return // the parser parsing parts of a template again
	}
	record(map[string]interface{}{"suite": "jsonpath", "kind": "parse", "template": text})
}
`,
	"get": `
import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"os"

	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
)

func recordSpec(spec string, noHeaders bool) {
	record(map[string]interface{}{"suite": "customcolumns", "kind": "spec", "spec": spec, "noHeaders": noHeaders})
}

func recordTemplate(r io.Reader) io.Reader {
	data, _ := io.ReadAll(r)
	record(map[string]interface{}{"suite": "customcolumns", "kind": "template", "template": string(data)})
	return bytes.NewReader(data)
}

func recordPrint(s *CustomColumnsPrinter, obj runtime.Object) {
	record(map[string]interface{}{
		"suite": "customcolumns", "kind": "print", "columns": s.Columns, "noHeaders": s.NoHeaders,
		"input": asJSON(obj), "inputType": fmt.Sprintf("%T", obj),
	})
}

func objectsJSON(objs []runtime.Object) []json.RawMessage {
	out := []json.RawMessage{}
	for _, o := range objs {
		if u, ok := o.(*runtime.Unknown); ok {
			out = append(out, json.RawMessage(u.Raw))
			continue
		}
		out = append(out, asJSON(o))
	}
	return out
}

func recordSortList(field string, obj runtime.Object) {
	objs, err := meta.ExtractList(obj)
	if err != nil {
		return
	}
	record(map[string]interface{}{"suite": "sort", "kind": "sort", "field": field, "objects": objectsJSON(objs)})
}

func recordSortTable(field string, table *metav1.Table) {
	objs := []runtime.Object{}
	for _, row := range table.Rows {
		objs = append(objs, row.Object.Object)
	}
	record(map[string]interface{}{"suite": "sort", "kind": "sort", "field": field, "objects": objectsJSON(objs)})
}

func recordSortObjects(field string, objs []runtime.Object) {
	record(map[string]interface{}{"suite": "sort", "kind": "sort", "field": field, "objects": objectsJSON(objs)})
}
`,
}

// A case for eval.
type evalCase struct {
	Template         string          `json:"template"`
	Input            json.RawMessage `json:"input"`
	AllowMissingKeys bool            `json:"allowMissingKeys"`
	OutputJSON       bool            `json:"outputJSON"`
}

// eval runs each case through client-go's jsonpath as kubectl's jsonpath printer does: the
// input decoded as Kubernetes decodes JSON (int64 or float64 numbers), then Execute.
func eval() error {
	in := bufio.NewScanner(os.Stdin)
	in.Buffer(make([]byte, 1<<20), 64<<20)
	enc := json.NewEncoder(os.Stdout)
	for in.Scan() {
		var c evalCase
		if err := json.Unmarshal(in.Bytes(), &c); err != nil {
			return err
		}
		result := map[string]interface{}{}
		var data interface{}
		if len(c.Input) > 0 {
			if err := utiljson.Unmarshal(c.Input, &data); err != nil {
				return err
			}
		}
		j := jsonpath.New("out")
		if err := j.Parse(c.Template); err != nil {
			result["parseError"] = err.Error()
		} else {
			j.AllowMissingKeys(c.AllowMissingKeys)
			j.EnableJSONOutput(c.OutputJSON)
			var buf bytes.Buffer
			err := safeExecute(j, &buf, data)
			result["output"] = buf.String()
			if err != nil {
				result["error"] = err.Error()
			}
		}
		if err := enc.Encode(result); err != nil {
			return err
		}
	}
	return in.Err()
}

// safeExecute turns a panic inside client-go into an error (kubectl would crash).
func safeExecute(j *jsonpath.JSONPath, buf *bytes.Buffer, data interface{}) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("panic: %v", r)
		}
	}()
	return j.Execute(buf, data)
}
