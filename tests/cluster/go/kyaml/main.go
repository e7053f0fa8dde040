// Command kyaml gives the kyaml tests kubectl's own KYAML encoder, from the Go module cache,
// when the tests run (nothing of the encoder or its tests is kept in the repository):
//
//	kyaml print < CASES.jsonl
//	    Prints each line, a JSON object, the way `kubectl get -o kyaml` prints an object it
//	    received: decoded into an unstructured object (int64 or float64 numbers) and handed
//	    to cli-runtime's KYAML printer. Writes one JSON line per case: {"output", "error"}.
//	kyaml extract OUT.jsonl
//	    Copies sigs.k8s.io/yaml's kyaml package with its upstream test files into a scratch
//	    module; records, in the code under test, every object, YAML input and string the
//	    upstream tests hand it; runs the upstream tests; writes one JSON line per recorded
//	    value: {"kind": "json"|"string", "value": …}.
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

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/cli-runtime/pkg/printers"
)

func main() {
	if len(os.Args) < 2 {
		fail("usage: kyaml print | extract OUT.jsonl")
	}
	var err error
	switch os.Args[1] {
	case "print":
		err = print()
	case "extract":
		if len(os.Args) != 3 {
			fail("usage: kyaml extract OUT.jsonl")
		}
		err = extract(os.Args[2])
	default:
		fail("unknown command " + os.Args[1])
	}
	if err != nil {
		fail(err.Error())
	}
}

func fail(msg string) {
	fmt.Fprintln(os.Stderr, "kyaml:", msg)
	os.Exit(1)
}

// print runs each case through kubectl's path: the unstructured JSON decoder, then the printer.
func print() error {
	in := bufio.NewScanner(os.Stdin)
	in.Buffer(make([]byte, 1<<20), 256<<20)
	enc := json.NewEncoder(os.Stdout)
	p := &printers.KYAMLPrinter{}
	for in.Scan() {
		result := map[string]string{}
		u := &unstructured.Unstructured{}
		var buf bytes.Buffer
		if err := u.UnmarshalJSON(in.Bytes()); err != nil {
			result["error"] = "decode: " + err.Error()
		} else if err := p.PrintObj(u, &buf); err != nil {
			result["error"] = err.Error()
		}
		result["output"] = buf.String()
		if err := enc.Encode(result); err != nil {
			return err
		}
	}
	return in.Err()
}

// moduleDir is where the go command keeps a module this one requires.
func moduleDir(path string) (string, error) {
	out, err := exec.Command("go", "list", "-m", "-f", "{{.Dir}}", path).Output()
	if err != nil {
		return "", fmt.Errorf("go list -m %s: %v", path, err)
	}
	return strings.TrimSpace(string(out)), nil
}

// The statements put first in the encoder's functions: "Receiver.Func" or "Func" → statement.
var hooks = map[string]string{
	"Encoder.FromYAML":     "in = recordYAML(in)",
	"Encoder.FromObject":   "recordObject(obj)",
	"Encoder.Marshal":      "recordObject(obj)",
	"Encoder.renderString": "recordString(val)",
	"isTypeAmbiguous":      "recordString(s)",
}

var files = []string{"kyaml.go", "kyaml_test.go", "kyaml_omitzero_test.go"}

func extract(out string) error {
	here, err := os.Getwd()
	if err != nil {
		return err
	}
	yamlDir, err := moduleDir("sigs.k8s.io/yaml")
	if err != nil {
		return err
	}
	work, err := os.MkdirTemp("", "kyaml-cases-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(work)
	for _, f := range []string{"go.mod", "go.sum"} {
		data, err := os.ReadFile(filepath.Join(here, f))
		if err != nil {
			return err
		}
		if err := os.WriteFile(filepath.Join(work, f), data, 0o644); err != nil {
			return err
		}
	}
	to := filepath.Join(work, "kyaml")
	if err := os.MkdirAll(to, 0o755); err != nil {
		return err
	}
	found := map[string]bool{}
	for _, name := range files {
		src, err := os.ReadFile(filepath.Join(yamlDir, "kyaml", name))
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
			if hook, ok := hooks[key]; ok {
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
	for key := range hooks {
		if !found[key] {
			return fmt.Errorf("%s/kyaml: no function %s to record in (has the upstream code changed?)", yamlDir, key)
		}
	}
	if err := os.WriteFile(filepath.Join(to, "record_cases.go"), []byte(recorder), 0o644); err != nil {
		return err
	}
	abs, err := filepath.Abs(out)
	if err != nil {
		return err
	}
	if err := os.WriteFile(abs, nil, 0o644); err != nil {
		return err
	}
	cmd := exec.Command("go", "test", "-count=1", "./kyaml")
	cmd.Dir = work
	cmd.Env = append(os.Environ(), "KYAML_CASES_OUT="+abs, "GOFLAGS=-mod=mod")
	var log bytes.Buffer
	cmd.Stdout, cmd.Stderr = &log, &log
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("the upstream tests failed under recording: %v\n%s", err, log.String())
	}
	return nil
}

func statement(src string) (ast.Stmt, error) {
	f, err := parser.ParseFile(token.NewFileSet(), "", "package p\nfunc f() {\n"+src+"\n}\n", 0)
	if err != nil {
		return nil, err
	}
	return f.Decls[0].(*ast.FuncDecl).Body.List[0], nil
}

// The recorder the copied package gets: one JSON line per value, appended under a lock
// (the upstream tests run in parallel).
const recorder = `package kyaml

import (
	"bytes"
	"encoding/json"
	"io"
	"os"
	"runtime"
	"strings"
	"sync"

	sigsyaml "sigs.k8s.io/yaml"
)

var (
	recordLock sync.Mutex
	recorded   = map[string]bool{}
)

func record(kind string, value any) {
	out := os.Getenv("KYAML_CASES_OUT")
	if out == "" {
		return
	}
	line, err := json.Marshal(map[string]any{"kind": kind, "value": value})
	if err != nil {
		return
	}
	recordLock.Lock()
	defer recordLock.Unlock()
	if recorded[string(line)] {
		return
	}
	recorded[string(line)] = true
	f, err := os.OpenFile(out, os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		return
	}
	defer f.Close()
	f.Write(append(line, '\n'))
}

func recordObject(obj any) {
	data, err := json.Marshal(obj)
	if err != nil {
		return
	}
	record("json", json.RawMessage(data))
}

// recordYAML records the JSON of a YAML input's first document, when it has one.
func recordYAML(in io.Reader) io.Reader {
	data, _ := io.ReadAll(in)
	if j, err := sigsyaml.YAMLToJSON(data); err == nil && len(bytes.TrimSpace(j)) > 0 {
		record("json", json.RawMessage(j))
	}
	return bytes.NewReader(data)
}

// recordString records a string a test hands to an internal function itself (the encoder calls
// them too, for every key of every object: those objects are recorded whole).
func recordString(s string) {
	pc, _, _, ok := runtime.Caller(2)
	if !ok {
		return
	}
	if fn := runtime.FuncForPC(pc); fn != nil && strings.Contains(fn.Name(), ".Test") {
		record("string", s)
	}
}
`
