package gcp

import (
	"slices"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestCallTableIsWhole: every method constant has its entry, each entry says
// what it is for and what it needs, and no method is listed twice (a role
// derived from a duplicate would hide which call needs what).
func TestCallTableIsWhole(t *testing.T) {
	seen := map[string]bool{}
	for m := range numMethods {
		c := calls[m]
		require.NotEmpty(t, c.Method, "method %d has no entry in calls", m)
		require.False(t, seen[c.Method], "%s listed twice", c.Method)
		seen[c.Method] = true
		require.Contains(t, []Purpose{DryRun, Apply, State, Audit}, c.Purpose, c.Method)
		require.NotEmpty(t, c.Permissions, c.Method)
		require.Equal(t, c.Method, m.String())
	}
}

func TestPermissions(t *testing.T) {
	dry, apply, state := Permissions(DryRun), Permissions(Apply), Permissions(State)
	for _, ps := range [][]string{dry, apply, state} {
		require.True(t, slices.IsSorted(ps))
		require.Equal(t, slices.Compact(slices.Clone(ps)), ps, "no duplicates")
	}
	for _, p := range dry {
		require.Contains(t, apply, p, "a run that writes reads first")
	}
	require.Contains(t, dry, "resourcemanager.projects.get", "search and get share one permission, listed once")
	require.NotContains(t, dry, "compute.instances.get", "only a lost race re-reads a VM, and a dry run never writes")
	require.NotContains(t, apply, "storage.objects.get", "the state's permissions are granted on its bucket only")

	// Calls gives copies: a caller cannot change the table.
	cs := Calls()
	cs[0].Permissions[0] = "changed"
	require.NotEqual(t, "changed", calls[0].Permissions[0])
}
