package main

import (
	"bufio"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/ssh-pruner/ssh-pruner/cmd/internal/testbuild"
)

// TestScheduleProcessAgainstGcpFake is the acceptance run, as
// processes: the real cmd/gcp-fake server, the real ssh-pruner binary with
// schedule --cron '@every 1s', two passes at least, then a real SIGTERM,
// which must end the worker with exit status 0.
func TestScheduleProcessAgainstGcpFake(t *testing.T) {
	if testing.Short() {
		t.Skip("builds two binaries")
	}
	dir := t.TempDir()
	sshPruner, gcpFake := testbuild.Build(t, "."), testbuild.Build(t, "../gcp-fake")

	fake := exec.Command(gcpFake, "--listen", "127.0.0.1:0")
	fakeOut, err := fake.StdoutPipe()
	require.NoError(t, err)
	fake.Stderr = io.Discard
	require.NoError(t, fake.Start())
	t.Cleanup(func() { _ = fake.Process.Kill(); _ = fake.Wait() })
	first, err := bufio.NewReader(fakeOut).ReadString('\n')
	require.NoError(t, err)
	url := strings.TrimSpace(first)
	require.True(t, strings.HasPrefix(url, "http://127.0.0.1:"), "gcp-fake's first line is its URL: %q", first)
	go func() { _, _ = io.Copy(io.Discard, fakeOut) }()

	logPath := filepath.Join(dir, "log.jsonl")
	logFile, err := os.Create(logPath)
	require.NoError(t, err)
	defer logFile.Close()
	worker := exec.Command(sshPruner, "schedule", "--cron", "@every 1s",
		"--organization", demoOrg, "--api-endpoint", url, "--apply", "--qps", "0")
	worker.Env = []string{}
	worker.Stdout, worker.Stderr = io.Discard, logFile
	require.NoError(t, worker.Start())
	done := make(chan error, 1)
	go func() { done <- worker.Wait() }()

	finished := func() int {
		data, _ := os.ReadFile(logPath)
		return strings.Count(string(data), `"message":"run finished"`)
	}
	require.Eventually(t, func() bool { return finished() >= 2 }, time.Minute, 100*time.Millisecond, "two passes")
	started := func() int {
		data, _ := os.ReadFile(logPath)
		return strings.Count(string(data), `"message":"run started"`)
	}
	require.LessOrEqual(t, started()-finished(), 1, "at most one run under way at a time")

	require.NoError(t, worker.Process.Signal(syscall.SIGTERM))
	select {
	case err := <-done:
		require.NoError(t, err, "exit status 0 after SIGTERM")
		require.Equal(t, 0, worker.ProcessState.ExitCode())
	case <-time.After(time.Minute):
		_ = worker.Process.Kill()
		t.Fatal("the worker did not stop on SIGTERM")
	}
}
