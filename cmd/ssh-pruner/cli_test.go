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

// The tests of this package set what the binary never takes by flag: a
// fixed clock, fake Cloud Storage and Cloud Logging endpoints.
func init() { testFlags = registerTestFlags }

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
// example, on stdout, with exit status 0.
func TestHelpEverywhere(t *testing.T) {
	clearEnv(t)
	for _, cmd := range []string{"run", "schedule", "demo", "inspect", "version"} {
		t.Run(cmd, func(t *testing.T) {
			out, errOut, code := cli(t, context.Background(), nil, cmd, "--help")
			require.Equal(t, 0, code)
			require.Empty(t, errOut, "help asked for is output, on stdout")
			require.Contains(t, out, "Usage: ssh-pruner "+cmd)
			require.Contains(t, out, "Example")
		})
	}
	out, _, code := cli(t, context.Background(), nil, "help")
	require.Equal(t, 0, code)
	require.Contains(t, out, "Exit status:")
}

// TestUsageErrorsAreOneLine: a bad flag or environment value is one line on
// stderr, naming what is wrong, and exit status 2.
func TestUsageErrorsAreOneLine(t *testing.T) {
	clearEnv(t)
	cases := []struct {
		name string
		env  [2]string
		args []string
		want string
	}{
		{"unknown flag", [2]string{}, []string{"run", "--bogus"}, "flag provided but not defined: -bogus"},
		{"bad level", [2]string{}, []string{"run", "--project", "p", "--log-level", "verbose"}, `unknown level "verbose"`},
		{"bad duration", [2]string{}, []string{"run", "--project", "p", "--max-key-lifetime", "30d"}, `invalid value "30d" for flag -max-key-lifetime`},
		{"bad bool in env", [2]string{"SSH_PRUNER_APPLY", "yes"}, []string{"run", "--project", "p"}, `SSH_PRUNER_APPLY="yes" (--apply): want true or false`},
		{"bad int in env", [2]string{"SSH_PRUNER_CONCURRENCY", "abc"}, []string{"run", "--project", "p"}, `SSH_PRUNER_CONCURRENCY="abc" (--concurrency)`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if tc.env[0] != "" {
				t.Setenv(tc.env[0], tc.env[1])
			}
			out, errOut, code := cli(t, context.Background(), nil, tc.args...)
			require.Equal(t, 2, code)
			require.Empty(t, out)
			require.Equal(t, 1, strings.Count(errOut, "\n"), "one line: %q", errOut)
			require.Contains(t, errOut, tc.want)
		})
	}
}
