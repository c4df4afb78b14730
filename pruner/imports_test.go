package pruner_test

import (
	"os/exec"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestImportsGoDown checks the arrows of the README's Development section:
// each package of the module imports only the packages of the module it
// may, so that no package imports one above it and the core stays pure.
func TestImportsGoDown(t *testing.T) {
	const mod = "github.com/ssh-pruner/ssh-pruner/"
	allowed := map[string][]string{
		"keyparse":                {},
		"pruner/inputfile":        {},
		"pruner/atomicfile":       {},
		"pruner/internal/textfmt": {},
		"pruner/attribution":      {},
		"pruner/plan":             {"keyparse"},
		"pruner/policy":           {"keyparse", "pruner/plan", "pruner/inputfile"},
		"pruner/access":           {"keyparse", "pruner/plan", "pruner/internal/textfmt"},
		"pruner/report":           {"keyparse", "pruner/plan", "pruner/access", "pruner/attribution", "pruner/internal/textfmt"},
		"pruner/state":            {"keyparse", "pruner/atomicfile", "pruner/attribution"},
		"pruner":                  {"keyparse", "pruner/plan", "pruner/policy", "pruner/access", "pruner/report", "pruner/state", "pruner/attribution", "pruner/internal/textfmt"},
		"pruner/inmemory":         {"pruner", "pruner/plan"},
		"gcp/cloudlog":            {},
		"gcp/gcpfake":             {},
		"gcp":                     {"keyparse", "pruner", "pruner/plan", "pruner/access", "pruner/state", "pruner/attribution"},
		"deploy":                  {},
		"":                        {},
		"cmd/gcp-fake":            {"", "gcp/gcpfake"},
		"cmd/internal/testbuild":  {},
		"cmd/ssh-pruner":          {"", "keyparse", "pruner/inputfile", "pruner/atomicfile", "gcp", "gcp/cloudlog", "gcp/gcpfake", "pruner", "pruner/plan", "pruner/policy", "pruner/access", "pruner/report", "pruner/state", "pruner/attribution"},
	}
	out, err := exec.Command("go", "list", "-f", "{{.ImportPath}} {{join .Imports \" \"}}", "../...").CombinedOutput()
	require.NoError(t, err, "%s", out)
	seen := map[string]bool{}
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		fields := strings.Fields(line)
		pkg := strings.TrimPrefix(strings.TrimPrefix(fields[0], strings.TrimSuffix(mod, "/")), "/")
		may, known := allowed[pkg]
		require.True(t, known, "package %q is not in the table: say what it may import", pkg)
		seen[pkg] = true
		for _, imp := range fields[1:] {
			if imp != strings.TrimSuffix(mod, "/") && !strings.HasPrefix(imp, mod) {
				continue
			}
			ours := strings.TrimPrefix(strings.TrimPrefix(imp, strings.TrimSuffix(mod, "/")), "/")
			require.True(t, slices.Contains(may, ours), "%s imports %s, which it may not", pkg, ours)
		}
	}
	for pkg := range allowed {
		require.True(t, seen[pkg], "package %q of the table was not listed", pkg)
	}
}
