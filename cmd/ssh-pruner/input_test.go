package main

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/creack/pty"
	"github.com/stretchr/testify/require"
)

// inputFIFO makes a FIFO in the test's own directory, that no one writes to.
func inputFIFO(t *testing.T, name string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), name)
	require.NoError(t, syscall.Mkfifo(path, 0o600))
	return path
}

// TestInputsGiveWayToAnInterrupt: every file the command reads (--policy,
// the plan of apply, inspect's FILE) can be a FIFO that no one writes to,
// where open(2) alone blocks for ever. An interrupt (the context, as
// SIGINT cancels it in main) ends the read at once, with one line and
// exit status 2: nothing ran.
func TestInputsGiveWayToAnInterrupt(t *testing.T) {
	clearEnv(t)
	for _, tc := range []struct {
		name string
		args func(fifo string) []string
		want string
	}{
		{"policy check", func(p string) []string { return []string{"policy", "check", p} }, "policy: "},
		{"run --policy", func(p string) []string {
			return []string{"run", "--project", "p", "--api-endpoint", "http://127.0.0.1:1", "--policy", p}
		}, "--policy "},
		{"apply", func(p string) []string { return []string{"apply", "--api-endpoint", "http://127.0.0.1:1", p} }, "apply: "},
		{"inspect", func(p string) []string { return []string{"inspect", p} }, "inspect: read "},
	} {
		t.Run(tc.name, func(t *testing.T) {
			fifo := inputFIFO(t, "input")
			ctx, cancel := context.WithCancel(context.Background())
			time.AfterFunc(150*time.Millisecond, cancel)
			start := time.Now()
			out, errOut, code := cli(t, ctx, nil, tc.args(fifo)...)
			require.Less(t, time.Since(start), time.Second, "the interrupt ends the read at once")
			require.Equal(t, 2, code, errOut)
			require.Contains(t, errOut, tc.want)
			require.Contains(t, errOut, "context canceled")
			requireCleanLine(t, errOut)
			require.Empty(t, out)
		})
	}
}

// TestInputsAreBounded: /dev/zero (only read) as every input is refused
// within a second, one line, exit 2: a bound on what is read, and the
// plan decoded as it is read.
func TestInputsAreBounded(t *testing.T) {
	clearEnv(t)
	if _, err := os.Stat("/dev/zero"); err != nil {
		t.Skip("no /dev/zero")
	}
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"policy", "check", "/dev/zero"}, "/dev/zero: more than 1048576 bytes: not a policy file"},
		{[]string{"run", "--project", "p", "--api-endpoint", "http://127.0.0.1:1", "--policy", "/dev/zero"}, "--policy /dev/zero: more than 1048576 bytes"},
		{[]string{"apply", "--api-endpoint", "http://127.0.0.1:1", "/dev/zero"}, "/dev/zero: not a plan of ssh-pruner run --plan-out (invalid character"},
		{[]string{"inspect", "/dev/zero"}, "/dev/zero: larger than 16 MiB"},
	} {
		t.Run(strings.Join(tc.args, " "), func(t *testing.T) {
			start := time.Now()
			out, errOut, code := cli(t, context.Background(), nil, tc.args...)
			require.Less(t, time.Since(start), time.Second)
			require.Equal(t, 2, code, errOut)
			require.Contains(t, errOut, tc.want)
			requireCleanLine(t, errOut)
			require.Empty(t, out)
		})
	}
}

// TestInspectOnATerminalSaysItReadsStdin: run with no FILE at a terminal,
// inspect says on stderr, in one line, that it reads standard input, then
// reads what is typed up to Ctrl-D.
func TestInspectOnATerminalSaysItReadsStdin(t *testing.T) {
	clearEnv(t)
	ptmx, tty, err := pty.Open()
	require.NoError(t, err)
	defer ptmx.Close()
	defer tty.Close()
	type result struct {
		out, errOut string
		code        int
	}
	done := make(chan result, 1)
	go func() {
		out, errOut, code := cli(t, context.Background(), tty, "inspect", "--now", demoNow)
		done <- result{out, errOut, code}
	}()
	// What a person types: a key, Enter, then Ctrl-D on a line of its own.
	_, err = ptmx.Write([]byte("alice:ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAII/daCfIs7zq+Irwgs4Rxe1jF1Bw1oVuotWJJJg2HTv+ alice@laptop\n\x04"))
	require.NoError(t, err)
	go func() { _, _ = ptmx.Read(make([]byte, 4096)) }() // the echo, so that the terminal never fills
	select {
	case r := <-done:
		require.Equal(t, 0, r.code, r.errOut)
		require.Equal(t, stdinNotice, r.errOut, "one line, on stderr")
		require.Equal(t, 1, strings.Count(r.errOut, "\n"))
		require.Contains(t, r.out, "alice")
		require.Contains(t, r.out, "permanent")
	case <-time.After(10 * time.Second):
		t.Fatal("inspect did not end at Ctrl-D")
	}

	// Not a terminal: no notice.
	_, errOut, code := cli(t, context.Background(), strings.NewReader("alice:ssh-ed25519 AAAA\n"), "inspect")
	require.Equal(t, 0, code, errOut)
	require.Empty(t, errOut)
}
