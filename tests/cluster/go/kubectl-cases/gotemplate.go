package main

// The go-template side of kubectl-cases: Go's own text/template suites, recorded from the Go
// toolchain's source when the tests run, and kubectl's GoTemplatePrinter evaluating any
// template on any JSON input.
//
//	kubectl-cases gotemplate-extract OUT.jsonl
//	    Copies text/template, text/template/parse and internal/fmtsort from GOROOT, with their
//	    test files, into a scratch module; records, in the code under test, every template
//	    text lexed, every number literal parsed and every execution (its template text, its
//	    data as JSON, its missingkey option) the upstream tests make; runs the upstream tests.
//	kubectl-cases gotemplate-eval < CASES.jsonl
//	    Evaluates each {template, input, allowMissingKeys} as `kubectl get -o go-template` does:
//	    cli-runtime's NewGoTemplatePrinter (template "output", kubectl's functions exists and
//	    base64decode), AllowMissingKeys, the input decoded as PrintObj decodes it; and, for an
//	    object, PrintObj itself.
//	kubectl-cases gotemplate-facts
//	    The facts of the Go runtime the engine models: unicode.IsLetter, unicode.IsDigit,
//	    unicode.IsPrint and strconv.IsPrint as rune ranges, and the capacity of a JSON array of
//	    each length as kubectl's decoder builds it.

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"go/ast"
	"go/format"
	"go/parser"
	"go/token"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"text/template"
	"unicode"
	"unsafe"

	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	utiljson "k8s.io/apimachinery/pkg/util/json"
	"k8s.io/cli-runtime/pkg/printers"
)

// The scratch module's path; the copied packages live under it.
const scratchModule = "gotemplatecases"

func goEnv(name string) (string, error) {
	out, err := exec.Command("go", "env", name).Output()
	if err != nil {
		return "", fmt.Errorf("go env %s: %v", name, err)
	}
	return strings.TrimSpace(string(out)), nil
}

// A stdlib package to copy: where from, where to, which files to leave behind, and the
// statements to put first in some of its functions.
type stdPkg struct {
	from, to string
	skip     map[string]bool
	hooks    map[string]string
	recorder string
}

func gotemplateExtract(out string) error {
	goroot, err := goEnv("GOROOT")
	if err != nil {
		return err
	}
	src := filepath.Join(goroot, "src")
	work, err := os.MkdirTemp("", "gotemplate-cases-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(work)
	if err := os.WriteFile(filepath.Join(work, "go.mod"), []byte("module "+scratchModule+"\n\ngo 1.26\n"), 0o644); err != nil {
		return err
	}
	pkgs := []stdPkg{
		{
			from: "text/template", to: "template",
			// link_test builds a binary with internal/testenv.
			skip: map[string]bool{"link_test.go": true},
			hooks: map[string]string{
				"Template.execute": "recordExecute(t, data)",
				"Template.Parse":   "recordParse(t, text)",
			},
			recorder: templateRecorder,
		},
		{
			from: "text/template/parse", to: "template/parse",
			hooks: map[string]string{
				"lex":            "recordLex(input, left, right)",
				"Tree.newNumber": "recordNumber(text)",
			},
			recorder: parseRecorder,
		},
		{from: "internal/fmtsort", to: "fmtsort", skip: map[string]bool{"sort_test.go": true}},
	}
	for _, p := range pkgs {
		if err := copyStdPackage(filepath.Join(src, p.from), filepath.Join(work, p.to), p); err != nil {
			return err
		}
	}
	if err := copyTree(filepath.Join(src, "text/template/testdata"), filepath.Join(work, "template/testdata")); err != nil {
		return err
	}
	abs, err := filepath.Abs(out)
	if err != nil {
		return err
	}
	if err := os.WriteFile(abs, nil, 0o644); err != nil {
		return err
	}
	cmd := exec.Command("go", "test", "-count=1", "./template/...")
	cmd.Dir = work
	cmd.Env = append(os.Environ(), "GOTEMPLATE_CASES_OUT="+abs, "GOFLAGS=-mod=mod", "GOTOOLCHAIN=local")
	var log bytes.Buffer
	cmd.Stdout, cmd.Stderr = &log, &log
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("the upstream tests failed under recording: %v\n%s", err, log.String())
	}
	return extractPrinterCases(abs)
}

// extractPrinterCases records the templates and objects cli-runtime's template_test.go hands
// its GoTemplatePrinter, appending to out.
func extractPrinterCases(out string) error {
	cliRuntime, err := moduleDir("k8s.io/cli-runtime")
	if err != nil {
		return err
	}
	work, err := newScratchModule("gotemplate-printer-cases-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(work)
	dir := filepath.Join(cliRuntime, "pkg/printers")
	entries, err := os.ReadDir(dir)
	if err != nil {
		return err
	}
	files := []string{"template_test.go"}
	for _, e := range entries {
		if name := e.Name(); strings.HasSuffix(name, ".go") && !strings.HasSuffix(name, "_test.go") {
			files = append(files, name)
		}
	}
	p := pkg{
		dir:   dir,
		name:  "printers",
		files: files,
		hooks: map[string]string{
			"GoTemplatePrinter.PrintObj":         "recordGoTemplatePrint(p, obj)",
			"GoTemplatePrinter.AllowMissingKeys": "recordAllowMissingKeys(p, allow)",
		},
	}
	if err := copyPackage(p, filepath.Join(work, p.name)); err != nil {
		return err
	}
	return runRecorded(work, out, "cli-runtime's template tests", "-run", "^TestTemplate", "./printers")
}

func init() {
	recorders["printers"] = `
import (
	"encoding/json"
	"fmt"
	"os"
	goruntime "runtime"
	"strings"
	"sync"

	"k8s.io/apimachinery/pkg/runtime"
)

var allowMu sync.Mutex
var allowMissing = map[*GoTemplatePrinter]bool{}

func recordAllowMissingKeys(p *GoTemplatePrinter, allow bool) {
	allowMu.Lock()
	defer allowMu.Unlock()
	allowMissing[p] = allow
}

// recordGoTemplatePrint records one PrintObj: the template and the object's JSON.
func recordGoTemplatePrint(p *GoTemplatePrinter, obj runtime.Object) {
	allowMu.Lock()
	allow, set := allowMissing[p]
	allowMu.Unlock()
	if !set {
		allow = true // text/template's default, missingkey=default
	}
	test := ""
	pcs := make([]uintptr, 32)
	frames := goruntime.CallersFrames(pcs[:goruntime.Callers(2, pcs)])
	for {
		f, more := frames.Next()
		if i := strings.Index(f.Function, ".Test"); i >= 0 && test == "" {
			test = strings.SplitN(f.Function[i+1:], ".", 2)[0]
		}
		if !more {
			break
		}
	}
	record(map[string]interface{}{
		"suite": "cli-runtime", "kind": "execute", "template": p.rawTemplate, "allowMissingKeys": allow,
		"input": asJSON(obj), "dataType": fmt.Sprintf("%T", obj), "test": test,
	})
}
`
}

// The import paths the copies use instead of the standard library's.
var importRewrites = map[string]string{
	"text/template":       scratchModule + "/template",
	"text/template/parse": scratchModule + "/template/parse",
	"internal/fmtsort":    scratchModule + "/fmtsort",
}

func copyStdPackage(from, to string, p stdPkg) error {
	if err := os.MkdirAll(to, 0o755); err != nil {
		return err
	}
	entries, err := os.ReadDir(from)
	if err != nil {
		return err
	}
	found := map[string]bool{}
	pkgName := ""
	for _, e := range entries {
		name := e.Name()
		if e.IsDir() || !strings.HasSuffix(name, ".go") || p.skip[name] {
			continue
		}
		data, err := os.ReadFile(filepath.Join(from, name))
		if err != nil {
			return err
		}
		fset := token.NewFileSet()
		file, err := parser.ParseFile(fset, name, data, parser.ParseComments)
		if err != nil {
			return err
		}
		for _, imp := range file.Imports {
			path, _ := strconv.Unquote(imp.Path.Value)
			if to, ok := importRewrites[path]; ok {
				imp.Path.Value = strconv.Quote(to)
			} else if strings.HasPrefix(path, "internal/") {
				return fmt.Errorf("%s imports %s, which a copy cannot", name, path)
			}
		}
		if !strings.HasSuffix(name, "_test.go") {
			pkgName = file.Name.Name
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
			return fmt.Errorf("%s: no function %s to record in (has the upstream code changed?)", from, key)
		}
	}
	if p.recorder == "" {
		return nil
	}
	return os.WriteFile(filepath.Join(to, "record_cases.go"), []byte("package "+pkgName+"\n"+p.recorder+gotemplateRecordCommon), 0o644)
}

func copyTree(from, to string) error {
	return filepath.Walk(from, func(path string, info os.FileInfo, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(from, path)
		if err != nil {
			return err
		}
		target := filepath.Join(to, rel)
		if info.IsDir() {
			return os.MkdirAll(target, 0o755)
		}
		data, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		return os.WriteFile(target, data, 0o644)
	})
}

// What every recording package gets: one JSON line per case, and the name of the upstream test
// that made it.
const gotemplateRecordCommon = `
func record(fields map[string]interface{}) {
	out := os.Getenv("GOTEMPLATE_CASES_OUT")
	if out == "" {
		return
	}
	fields["test"] = upstreamTest()
	fields["suite"] = "text/template"
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

// upstreamTest names the Test or Example function on the stack.
func upstreamTest() string {
	pcs := make([]uintptr, 64)
	n := runtime.Callers(2, pcs)
	frames := runtime.CallersFrames(pcs[:n])
	for {
		f, more := frames.Next()
		name := f.Function
		if i := strings.LastIndex(name, "."); i >= 0 {
			short := name[i+1:]
			if strings.HasPrefix(short, "Test") || strings.HasPrefix(short, "Example") {
				return short
			}
			if strings.HasPrefix(short, "func") {
				// A closure inside a test: name the test.
				if j := strings.Index(name, ".Test"); j >= 0 {
					rest := name[j+1:]
					if k := strings.Index(rest, "."); k >= 0 {
						rest = rest[:k]
					}
					return rest
				}
			}
		}
		if !more {
			return ""
		}
	}
}
`

const parseRecorder = `
import (
	"encoding/json"
	"os"
	"runtime"
	"strings"
	"sync"
)

var seenMu sync.Mutex
var seen = map[string]bool{}

func once(key string) bool {
	seenMu.Lock()
	defer seenMu.Unlock()
	if seen[key] {
		return false
	}
	seen[key] = true
	return true
}

// recordLex records every text the lexer is given, with its delimiters.
func recordLex(input, left, right string) {
	if once("lex\x00" + left + "\x00" + right + "\x00" + input) {
		record(map[string]interface{}{"kind": "lex", "template": input, "leftDelim": left, "rightDelim": right})
	}
}

// recordNumber records every number literal the parser is given.
func recordNumber(text string) {
	if once("number\x00" + text) {
		record(map[string]interface{}{"kind": "number", "text": text})
	}
}

// SourceText is the text a tree was parsed from.
func SourceText(t *Tree) string {
	if t == nil {
		return ""
	}
	return t.text
}
`

const templateRecorder = `
import (
	"encoding/json"
	"fmt"
	"os"
	"reflect"
	"runtime"
	"sort"
	"strings"
	"sync"

	"` + scratchModule + `/template/parse"
)

// The Parse calls made on each set of templates.
type parseCall struct {
	name, text, left, right string
}

var historyMu sync.Mutex
var history = map[*common][]parseCall{}

func recordParse(t *Template, text string) {
	t.init()
	historyMu.Lock()
	defer historyMu.Unlock()
	history[t.common] = append(history[t.common], parseCall{t.name, text, t.leftDelim, t.rightDelim})
}

// recordExecute records one execution: the text, the data as the JSON kubectl would hand over,
// and why kubectl could not run it the same way, if it could not.
func recordExecute(t *Template, data any) {
	if v, ok := data.(reflect.Value); ok {
		data = nil
		if v.IsValid() && v.CanInterface() {
			data = v.Interface()
		}
	}
	fields := map[string]interface{}{"kind": "execute", "name": t.name, "dataType": fmt.Sprintf("%T", data)}
	var dropped []string
	js, ok := lenientJSON(reflect.ValueOf(data), "data", &dropped, 0)
	if !ok {
		fields["leftOut"] = "the data has no JSON form (" + strings.Join(dropped, ", ") + ")"
		record(fields)
		return
	}
	fields["input"] = js
	if len(dropped) > 0 {
		sort.Strings(dropped)
		fields["dropped"] = dropped
	}
	if t.common == nil || t.Tree == nil {
		fields["leftOut"] = "executes a template that was never parsed"
		record(fields)
		return
	}
	historyMu.Lock()
	calls := history[t.common]
	historyMu.Unlock()
	fields["template"] = parse.SourceText(t.Tree)
	switch t.option.missingKey {
	case mapInvalid:
		fields["allowMissingKeys"] = true
	case mapError:
		fields["allowMissingKeys"] = false
	default:
		fields["leftOut"] = "missingkey=zero, which kubectl never sets"
	}
	// Tests run templates on several goroutines while others add functions and templates:
	// read the sets under text/template's own locks.
	var funcs []string
	t.muFuncs.RLock()
	for name := range t.execFuncs {
		funcs = append(funcs, name)
	}
	t.muFuncs.RUnlock()
	sort.Strings(funcs)
	fields["funcs"] = funcs
	switch {
	case len(calls) != 1:
		fields["leftOut"] = fmt.Sprintf("a set of templates made by %d Parse calls, Clone or AddParseTree (kubectl parses one text)", len(calls))
	case !(calls[0].left == "" || calls[0].left == "{{") || !(calls[0].right == "" || calls[0].right == "}}"):
		fields["leftOut"] = "custom delimiters (kubectl has none)"
	case calls[0].name != t.name:
		fields["leftOut"] = "executes a template other than the one parsed (kubectl executes the text it parsed)"
	default:
		t.muTmpl.RLock()
		for name, other := range t.common.tmpl {
			if other.Tree != nil && parse.SourceText(other.Tree) != calls[0].text {
				fields["leftOut"] = fmt.Sprintf("template %q of the set comes from another text", name)
			}
		}
		t.muTmpl.RUnlock()
	}
	record(fields)
}

// lenientJSON is the value as JSON, leaving out what has no JSON form (functions, channels,
// complex numbers, unsafe pointers, maps keyed by something else than strings or numbers),
// each named in dropped. Methods have no JSON form either: a template calling one finds no such
// field, as it would in the object kubectl hands over.
func lenientJSON(v reflect.Value, path string, dropped *[]string, depth int) (any, bool) {
	if depth > 100 {
		*dropped = append(*dropped, path+" (too deep)")
		return nil, false
	}
	if !v.IsValid() {
		return nil, true
	}
	switch v.Kind() {
	case reflect.Func, reflect.Chan, reflect.UnsafePointer, reflect.Complex64, reflect.Complex128:
		*dropped = append(*dropped, path+" ("+v.Type().String()+")")
		return nil, false
	}
	if v.CanInterface() {
		if b, err := json.Marshal(v.Interface()); err == nil {
			return json.RawMessage(b), true
		}
	}
	switch v.Kind() {
	case reflect.Pointer, reflect.Interface:
		if v.IsNil() {
			return nil, true
		}
		return lenientJSON(v.Elem(), path, dropped, depth+1)
	case reflect.Struct:
		m := map[string]any{}
		t := v.Type()
		for i := 0; i < t.NumField(); i++ {
			f := t.Field(i)
			if !f.IsExported() {
				continue
			}
			name := f.Name
			if tag := f.Tag.Get("json"); tag != "" {
				if tag == "-" {
					continue
				}
				if n, _, _ := strings.Cut(tag, ","); n != "" {
					name = n
				}
			}
			if x, ok := lenientJSON(v.Field(i), path+"."+f.Name, dropped, depth+1); ok {
				m[name] = x
			}
		}
		return m, true
	case reflect.Map:
		if v.IsNil() {
			return nil, true
		}
		m := map[string]any{}
		for _, k := range v.MapKeys() {
			kk := k
			for kk.Kind() == reflect.Interface && !kk.IsNil() {
				kk = kk.Elem()
			}
			switch kk.Kind() {
			case reflect.String, reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
				reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
			default:
				*dropped = append(*dropped, path+" ("+v.Type().String()+")")
				return nil, false
			}
			key := fmt.Sprint(kk.Interface())
			if x, ok := lenientJSON(v.MapIndex(k), path+"["+key+"]", dropped, depth+1); ok {
				m[key] = x
			}
		}
		return m, true
	case reflect.Slice, reflect.Array:
		if v.Kind() == reflect.Slice && v.IsNil() {
			return nil, true
		}
		s := []any{}
		for i := 0; i < v.Len(); i++ {
			x, ok := lenientJSON(v.Index(i), fmt.Sprintf("%s[%d]", path, i), dropped, depth+1)
			if !ok {
				return nil, false
			}
			s = append(s, x)
		}
		return s, true
	}
	*dropped = append(*dropped, path+" ("+v.Type().String()+")")
	return nil, false
}
`

// A case for gotemplate-eval.
type goTemplateCase struct {
	Template         string          `json:"template"`
	Input            json.RawMessage `json:"input"`
	AllowMissingKeys bool            `json:"allowMissingKeys"`
}

// rawObject hands PrintObj an object whose JSON is exactly the case's input.
type rawObject struct{ raw []byte }

func (r *rawObject) GetObjectKind() schema.ObjectKind { return schema.EmptyObjectKind }
func (r *rawObject) DeepCopyObject() runtime.Object   { return r }
func (r *rawObject) MarshalJSON() ([]byte, error)     { return r.raw, nil }

// printerTemplate is the template the printer parsed, with kubectl's functions and options.
func printerTemplate(p *printers.GoTemplatePrinter) *template.Template {
	f := reflect.ValueOf(p).Elem().FieldByName("template")
	return *(**template.Template)(unsafe.Pointer(f.UnsafeAddr()))
}

func gotemplateEval() error {
	in := bufio.NewScanner(os.Stdin)
	in.Buffer(make([]byte, 1<<20), 256<<20)
	enc := json.NewEncoder(os.Stdout)
	for in.Scan() {
		var c goTemplateCase
		if err := json.Unmarshal(in.Bytes(), &c); err != nil {
			return err
		}
		if err := enc.Encode(evalGoTemplate(c)); err != nil {
			return err
		}
	}
	return in.Err()
}

func evalGoTemplate(c goTemplateCase) map[string]interface{} {
	result := map[string]interface{}{}
	p, err := printers.NewGoTemplatePrinter([]byte(c.Template))
	if err != nil {
		result["parseError"] = err.Error()
		return result
	}
	p.AllowMissingKeys(c.AllowMissingKeys)
	input := c.Input
	if len(input) == 0 {
		input = json.RawMessage("null")
	}
	// kubectl decodes the server's JSON (integers as int64, other numbers as float64), and
	// PrintObj encodes that and decodes it again: a float with an integral value, such as 2.0,
	// reaches the template as the int64 2.
	var decoded interface{}
	if err := utiljson.Unmarshal(input, &decoded); err != nil {
		result["inputError"] = err.Error()
		return result
	}
	input, err = json.Marshal(decoded)
	if err != nil {
		result["inputError"] = err.Error()
		return result
	}
	var data interface{}
	if err := utiljson.Unmarshal(input, &data); err != nil {
		result["inputError"] = err.Error()
		return result
	}
	var buf bytes.Buffer
	if err := safeTemplateExecute(printerTemplate(p), &buf, data); err != nil {
		result["error"] = err.Error()
	}
	// Bytes (base64 in JSON): a template can write any bytes.
	result["output"] = buf.Bytes()
	if _, isObject := data.(map[string]interface{}); isObject {
		var printed bytes.Buffer
		err := p.PrintObj(&rawObject{raw: input}, &printed)
		result["printerOutput"] = append([]byte{}, printed.Bytes()...)
		if err != nil {
			result["printerError"] = err.Error()
		}
	}
	return result
}

// safeTemplateExecute is the printer's safeExecute: a panic becomes an error.
func safeTemplateExecute(t *template.Template, w io.Writer, data interface{}) (err error) {
	defer func() {
		if x := recover(); x != nil {
			err = fmt.Errorf("caught panic: %+v", x)
		}
	}()
	return t.Execute(w, data)
}

// runeRanges lists the ranges of runes a predicate holds for.
func runeRanges(pred func(rune) bool) [][2]rune {
	var out [][2]rune
	start := rune(-1)
	for r := rune(0); r <= unicode.MaxRune+1; r++ {
		in := r <= unicode.MaxRune && pred(r)
		switch {
		case in && start < 0:
			start = r
		case !in && start >= 0:
			out = append(out, [2]rune{start, r - 1})
			start = -1
		}
	}
	return out
}

func gotemplateFacts() error {
	caps := []int{}
	for n := 0; n <= 5000; n++ {
		var doc bytes.Buffer
		doc.WriteString(`{"a":[`)
		for i := 0; i < n; i++ {
			if i > 0 {
				doc.WriteByte(',')
			}
			doc.WriteByte('0')
		}
		doc.WriteString(`]}`)
		out := map[string]interface{}{}
		if err := utiljson.Unmarshal(doc.Bytes(), &out); err != nil {
			return err
		}
		caps = append(caps, cap(out["a"].([]interface{})))
	}
	facts := map[string]interface{}{
		"letter":        runeRanges(unicode.IsLetter),
		"digit":         runeRanges(unicode.IsDigit),
		"print":         runeRanges(unicode.IsPrint),
		"strconvPrint":  runeRanges(strconv.IsPrint),
		"jsonArrayCaps": caps,
	}
	return json.NewEncoder(os.Stdout).Encode(facts)
}
