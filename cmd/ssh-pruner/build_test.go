package main

import (
	"os/exec"
	"path/filepath"
	"runtime/debug"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// testBuildFlags are the flags this test binary was built with that decide
// how every package compiles (-race above all), for the go commands that
// tests run. With them such a command finds every dependency already
// compiled by 'go test' in the build cache, and compiles only the main
// package and links; without them a cold 'go test -race ./...' compiles
// the whole dependency tree (Google's API clients, gRPC, OpenTelemetry) a
// second time, which took minutes on two cores.
func testBuildFlags(t testing.TB) []string {
	t.Helper()
	info, ok := debug.ReadBuildInfo()
	require.True(t, ok, "the test binary has build info")
	var flags []string
	for _, s := range info.Settings {
		switch s.Key {
		case "-race", "-msan", "-asan", "-trimpath":
			if s.Value == "true" {
				flags = append(flags, s.Key)
			}
		case "-tags", "-gcflags", "-asmflags":
			flags = append(flags, s.Key+"="+s.Value)
		}
	}
	return flags
}

// buildCommand builds the main package in dir (relative to this one, e.g.
// "." or "../gcp-fake") with the test binary's flags, into a temporary
// directory of t, and returns the binary's path. A binary built so under
// 'go test -race' also runs with the race detector, which only adds to
// what the test checks.
func buildCommand(t *testing.T, dir string, tags ...string) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), filepath.Base(mustAbs(t, dir)))
	args := append([]string{"build"}, testBuildFlags(t)...)
	if len(tags) > 0 {
		// The test binary has no tags of its own (testBuildFlags would
		// carry them): these are the only ones.
		args = append(args, "-tags="+strings.Join(tags, ","))
	}
	out, err := exec.Command("go", append(args, "-o", bin, dir)...).CombinedOutput()
	require.NoError(t, err, "go build %s: %s", dir, out)
	return bin
}

func mustAbs(t *testing.T, path string) string {
	t.Helper()
	abs, err := filepath.Abs(path)
	require.NoError(t, err)
	return abs
}
