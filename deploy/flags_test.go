package deploy

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"
)

// The CronJob's arguments and environment must be flags of ssh-pruner.
// Package main cannot be imported, so the test builds the command and asks
// it: `ssh-pruner <command> --help` lists each flag a user may set, and the
// environment variable that sets it. Hidden flags, for tests only, are not
// listed and are not read from the environment: a manifest must not use
// them.

var (
	// helpFlag is a flag's line in the --help output: "  --name".
	helpFlag = regexp.MustCompile(`(?m)^  --([a-z0-9][a-z0-9-]*)$`)
	// helpEnv is the environment variable listed after a flag's usage.
	helpEnv = regexp.MustCompile(`\[(SSH_PRUNER_[A-Z0-9_]+)\]`)
)

// binDir holds the ssh-pruner that buildCommand builds; TestMain makes it
// and removes it after the tests.
var binDir string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "deploy-test-")
	if err != nil {
		panic(err)
	}
	binDir = dir
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// buildCommand builds cmd/ssh-pruner, once for all the tests that ask.
var buildCommand = sync.OnceValues(func() (string, error) {
	goTool, err := exec.LookPath("go")
	if err != nil {
		return "", err
	}
	bin := filepath.Join(binDir, "ssh-pruner")
	cmd := exec.Command(goTool, "build", "-o", bin, "./cmd/ssh-pruner")
	cmd.Dir = ".."
	if out, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("go build ./cmd/ssh-pruner: %w\n%s", err, out)
	}
	return bin, nil
})

// commandHelp is what `ssh-pruner <command> --help` prints.
func commandHelp(command string) (string, error) {
	bin, err := buildCommand()
	if err != nil {
		return "", err
	}
	out, err := exec.Command(bin, command, "--help").Output()
	if err != nil {
		return "", fmt.Errorf("ssh-pruner %s --help: %w", command, err)
	}
	return string(out), nil
}

// commandFlags is the set of flags of an ssh-pruner command and the set of
// the environment variables that set them, as its --help lists them.
func commandFlags(t *testing.T, command string) (flags, env map[string]bool) {
	t.Helper()
	help, err := commandHelp(command)
	require.NoError(t, err)
	flags, env = map[string]bool{}, map[string]bool{}
	for _, m := range helpFlag.FindAllStringSubmatch(help, -1) {
		flags[m[1]] = true
	}
	for _, m := range helpEnv.FindAllStringSubmatch(help, -1) {
		env[m[1]] = true
	}
	require.Contains(t, flags, "organization", "ssh-pruner %s --help lists no flags:\n%s", command, help)
	require.Len(t, env, len(flags), "ssh-pruner %s --help: one environment variable per flag:\n%s", command, help)
	return flags, env
}
