package main

import (
	"bytes"
	"context"
	"flag"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata/")

// cli runs the command as main would, minus the process: it returns what
// went to stdout and stderr and the exit status.
func cli(t *testing.T, ctx context.Context, stdin io.Reader, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	if stdin == nil {
		stdin = strings.NewReader("")
	}
	var out, errOut bytes.Buffer
	err := run(ctx, args, stdin, &out, &errOut)
	code = exitCode(err, &errOut)
	return out.String(), errOut.String(), code
}

// golden compares got with testdata/name, or rewrites it with -update.
func golden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		require.NoError(t, os.WriteFile(path, []byte(got), 0o644))
		return
	}
	want, err := os.ReadFile(path)
	require.NoError(t, err, "missing golden file: run go test ./cmd/ssh-pruner -update")
	require.Equal(t, string(want), got, "output differs from %s (go test -update rewrites it)", path)
}

// clearEnv unsets every SSH_PRUNER_ variable for the test, so that the
// developer's environment cannot change what a test sees.
func clearEnv(t *testing.T) {
	t.Helper()
	for _, kv := range os.Environ() {
		if k, _, _ := strings.Cut(kv, "="); strings.HasPrefix(k, envPrefix) {
			t.Setenv(k, "")
		}
	}
}

// TestHelpEverywhere: every command answers --help with its usage and an
// example, on stderr, with exit status 0.
func TestHelpEverywhere(t *testing.T) {
	clearEnv(t)
	for _, cmd := range []string{"run", "schedule", "demo", "inspect", "version"} {
		t.Run(cmd, func(t *testing.T) {
			out, errOut, code := cli(t, context.Background(), nil, cmd, "--help")
			require.Equal(t, 0, code)
			require.Empty(t, out)
			require.Contains(t, errOut, "Usage: ssh-pruner "+cmd)
			require.Contains(t, errOut, "Example")
		})
	}
	out, _, code := cli(t, context.Background(), nil, "help")
	require.Equal(t, 0, code)
	require.Contains(t, out, "Exit status:")
}
