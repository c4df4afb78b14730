package deploy

import (
	"go/ast"
	"go/parser"
	"go/token"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// The tests read the Go sources of the other packages instead of importing
// them: what deploy/ must agree with is written there (flag names, log
// attribute keys, the API calls of package gcp), and a package under
// construction elsewhere must not stop these tests from building.

// parseDir parses the non-test Go files of dir, relative to the repository root.
func parseDir(t *testing.T, dir string) []*ast.File {
	t.Helper()
	paths, err := filepath.Glob(filepath.Join("..", dir, "*.go"))
	require.NoError(t, err)
	fset := token.NewFileSet()
	var files []*ast.File
	for _, p := range paths {
		if strings.HasSuffix(p, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, p, nil, parser.SkipObjectResolution)
		require.NoError(t, err)
		files = append(files, f)
	}
	require.NotEmpty(t, files, "no Go files in %s", dir)
	return files
}

// stringLit is the value of a string literal, or "" with false.
func stringLit(e ast.Expr) (string, bool) {
	lit, ok := e.(*ast.BasicLit)
	if !ok || lit.Kind != token.STRING {
		return "", false
	}
	s, err := strconv.Unquote(lit.Value)
	return s, err == nil
}

// stringConsts maps the names of the string constants declared in dir to
// their values.
func stringConsts(t *testing.T, dir string) map[string]string {
	t.Helper()
	out := make(map[string]string)
	for _, f := range parseDir(t, dir) {
		for _, d := range f.Decls {
			gd, ok := d.(*ast.GenDecl)
			if !ok || gd.Tok != token.CONST {
				continue
			}
			for _, spec := range gd.Specs {
				vs := spec.(*ast.ValueSpec)
				for i, name := range vs.Names {
					if i < len(vs.Values) {
						if s, ok := stringLit(vs.Values[i]); ok {
							out[name.Name] = s
						}
					}
				}
			}
		}
	}
	return out
}

// logFields is the set of attribute keys of pruner's log entries: the
// values of the Log* constants of pruner/logfields.go.
func logFields(t *testing.T) map[string]bool {
	t.Helper()
	fields := make(map[string]bool)
	for name, v := range stringConsts(t, "pruner") {
		if strings.HasPrefix(name, "Log") {
			fields[v] = true
		}
	}
	require.Contains(t, fields, "project", "pruner's log keys were not found")
	return fields
}

// logValues is the set of every string constant of package pruner: the
// values a filter may compare a field with (events, actions, reasons, outcomes).
func logValues(t *testing.T) map[string]bool {
	t.Helper()
	values := make(map[string]bool)
	for _, dir := range []string{"pruner", "pruner/plan", "pruner/access", "pruner/report"} {
		for _, v := range stringConsts(t, dir) {
			values[v] = true
		}
	}
	return values
}

// flagDefiners are the flag.FlagSet methods that define a flag, with the
// index of the argument that names it.
var flagDefiners = map[string]int{
	"Var": 1, "StringVar": 1, "BoolVar": 1, "IntVar": 1, "Int64Var": 1, "UintVar": 1,
	"Float64Var": 1, "DurationVar": 1, "TextVar": 1, "Func": 0, "BoolFunc": 0,
	"String": 0, "Bool": 0, "Int": 0, "Int64": 0, "Float64": 0, "Duration": 0,
}

// cliFlags is the set of flag names that cmd/ssh-pruner defines.
func cliFlags(t *testing.T) map[string]bool {
	t.Helper()
	flags := make(map[string]bool)
	for _, f := range parseDir(t, "cmd/ssh-pruner") {
		ast.Inspect(f, func(n ast.Node) bool {
			call, ok := n.(*ast.CallExpr)
			if !ok {
				return true
			}
			sel, ok := call.Fun.(*ast.SelectorExpr)
			if !ok {
				return true
			}
			i, ok := flagDefiners[sel.Sel.Name]
			if !ok || len(call.Args) <= i+1 {
				return true
			}
			if name, ok := stringLit(call.Args[i]); ok && name != "" {
				flags[name] = true
			}
			return true
		})
	}
	require.Contains(t, flags, "organization", "cmd/ssh-pruner's flags were not found")
	return flags
}

// gcpSource is what package gcp's sources say about the API calls.
type gcpSource struct {
	// callers maps each method id passed to c.call(ctx, "<id>", ...) to the
	// functions that pass it.
	callers map[string][]string
	// calls maps each function or method of the package to those it calls.
	calls map[string][]string
	// interfaces names the pruner interfaces that gcp asserts it implements
	// (var _ pruner.X = (*Client)(nil)).
	interfaces []string
}

func parseGCP(t *testing.T) gcpSource {
	t.Helper()
	src := gcpSource{callers: map[string][]string{}, calls: map[string][]string{}}
	for _, f := range parseDir(t, "gcp") {
		for _, d := range f.Decls {
			switch d := d.(type) {
			case *ast.GenDecl:
				for _, spec := range d.Specs {
					vs, ok := spec.(*ast.ValueSpec)
					if !ok || vs.Type == nil {
						continue
					}
					if sel, ok := vs.Type.(*ast.SelectorExpr); ok {
						if pkg, ok := sel.X.(*ast.Ident); ok && pkg.Name == "pruner" {
							src.interfaces = append(src.interfaces, sel.Sel.Name)
						}
					}
				}
			case *ast.FuncDecl:
				if d.Body == nil {
					continue
				}
				fn := d.Name.Name
				ast.Inspect(d.Body, func(n ast.Node) bool {
					call, ok := n.(*ast.CallExpr)
					if !ok {
						return true
					}
					switch fun := call.Fun.(type) {
					case *ast.Ident:
						src.calls[fn] = append(src.calls[fn], fun.Name)
					case *ast.SelectorExpr:
						src.calls[fn] = append(src.calls[fn], fun.Sel.Name)
						if fun.Sel.Name == "call" && len(call.Args) >= 2 {
							if id, ok := stringLit(call.Args[1]); ok {
								src.callers[id] = append(src.callers[id], fn)
							}
						}
					}
					return true
				})
			}
		}
	}
	require.NotEmpty(t, src.callers, "no c.call(ctx, \"<method id>\", ...) found in gcp/*.go")
	require.NotEmpty(t, src.interfaces, "no pruner interface assertion found in gcp/*.go")
	return src
}

// reachable is the set of method ids that calling the given functions of
// package gcp can reach, following calls between its functions by name.
func (s gcpSource) reachable(roots []string) map[string]bool {
	seen := make(map[string]bool)
	var visit func(string)
	visit = func(fn string) {
		if seen[fn] {
			return
		}
		seen[fn] = true
		for _, c := range s.calls[fn] {
			visit(c)
		}
	}
	for _, r := range roots {
		visit(r)
	}
	ids := make(map[string]bool)
	for id, fns := range s.callers {
		for _, fn := range fns {
			if seen[fn] {
				ids[id] = true
			}
		}
	}
	return ids
}

// interfaceMethods lists the methods of the named interface types declared
// in package pruner.
func interfaceMethods(t *testing.T, names []string) map[string][]string {
	t.Helper()
	want := make(map[string]bool)
	for _, n := range names {
		want[n] = true
	}
	out := make(map[string][]string)
	for _, f := range parseDir(t, "pruner") {
		ast.Inspect(f, func(n ast.Node) bool {
			ts, ok := n.(*ast.TypeSpec)
			if !ok || !want[ts.Name.Name] {
				return true
			}
			it, ok := ts.Type.(*ast.InterfaceType)
			if !ok {
				return true
			}
			for _, m := range it.Methods.List {
				for _, name := range m.Names {
					out[ts.Name.Name] = append(out[ts.Name.Name], name.Name)
				}
			}
			return false
		})
	}
	for _, n := range names {
		require.NotEmpty(t, out[n], "interface pruner.%s not found", n)
	}
	return out
}
