// Package testbuild builds the module's commands for the tests that run
// them as processes, with the flags of the test binary itself.
package testbuild

import (
	"os/exec"
	"path/filepath"
	"runtime/debug"
	"strings"
	"testing"
)

// Build builds the main package in dir (relative to the test's package,
// e.g. "." or "../gcp-fake") with the test binary's flags and tags, into
// a temporary directory of t, and returns the binary's path. A binary
// built so under 'go test -race' also runs with the race detector, which
// only adds to what the test checks.
func Build(t testing.TB, dir string, tags ...string) string {
	t.Helper()
	abs, err := filepath.Abs(dir)
	if err != nil {
		t.Fatal(err)
	}
	bin := filepath.Join(t.TempDir(), filepath.Base(abs))
	args := append([]string{"build"}, Flags(t)...)
	if len(tags) > 0 {
		// The test binary has no tags of its own (Flags would carry
		// them): these are the only ones.
		args = append(args, "-tags="+strings.Join(tags, ","))
	}
	out, err := exec.Command("go", append(args, "-o", bin, dir)...).CombinedOutput()
	if err != nil {
		t.Fatalf("go build %s: %v\n%s", dir, err, out)
	}
	return bin
}

// Flags are the flags the running binary was built with that decide how
// every package compiles (-race above all), for the go commands that
// tests run. With them such a command finds every dependency already
// compiled by 'go test' in the build cache, and compiles only the main
// package and links; without them a cold 'go test -race ./...' compiles
// the whole dependency tree (Google's API clients, gRPC, OpenTelemetry) a
// second time, which took minutes on two cores.
func Flags(t testing.TB) []string {
	t.Helper()
	info, ok := debug.ReadBuildInfo()
	if !ok {
		t.Fatal("the test binary has no build information")
	}
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
