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
// attribute keys), and a package under construction elsewhere must not
// stop these tests from building.

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
	for _, v := range stringConsts(t, "pruner") {
		values[v] = true
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
