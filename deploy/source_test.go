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
// them: what deploy/ must agree with is written there (flag names), and a
// package under construction elsewhere must not stop these tests from
// building.

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
