package main

import (
	"bytes"
	"context"
	"io"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/creack/pty"
	"github.com/stretchr/testify/require"

	"github.com/ssh-pruner/ssh-pruner/cmd/internal/testbuild"

	"github.com/ssh-pruner/ssh-pruner/gcp/gcpfake"
	"github.com/ssh-pruner/ssh-pruner/pruner/report"
)

func TestProgressLine(t *testing.T) {
	var out bytes.Buffer
	clock := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	p := newProgress(&out, func() time.Time { return clock })
	p.Found(10)
	require.Equal(t, clearLine+"ssh-pruner: 0/10 targets done, 0 changed, 0 failed", out.String())

	clock = clock.Add(2 * time.Second)
	p.Finished(report.OutcomeChanged)
	p.Finished(report.OutcomeFailed)
	require.True(t, strings.HasSuffix(out.String(), clearLine+"ssh-pruner: 1/10 targets done, 1 changed, 0 failed, 0.5/s, about 18s left"), out.String())
	out.Reset()
	p.Finished(report.OutcomeUnchanged) // within redrawEvery: not drawn
	require.Empty(t, out.String())

	// A log line clears the progress line, goes out whole, and the line
	// comes back under it.
	_, err := io.WriteString(p, "level=INFO msg=hello\n")
	require.NoError(t, err)
	require.Equal(t, clearLine+"level=INFO msg=hello\n"+clearLine+"ssh-pruner: 3/10 targets done, 1 changed, 1 failed, 1.5/s, about 5s left", out.String())

	// A dry run's line says what would change, never that it changed.
	out.Reset()
	dry := newProgress(&out, func() time.Time { return clock })
	dry.Found(2)
	clock = clock.Add(time.Second)
	dry.Finished(report.OutcomeWouldChange)
	last := out.String()[strings.LastIndex(out.String(), clearLine):]
	require.Contains(t, last, "1/2 targets done, 1 would change, 0 failed")
	require.NotContains(t, last, "changed")

	out.Reset()
	p.Close()
	require.Equal(t, clearLine, out.String(), "the line leaves before the report")
}

// TestTerminalRun runs the binary with stderr on a pseudo-terminal: the
// log comes as text lines (not JSON) under a progress line, and nothing
// from hostile metadata reaches the terminal raw. With stderr
// not a terminal (every other test), the log stays JSON.
func TestTerminalRun(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary")
	}
	bin := testbuild.Build(t, ".", "ssh_pruner_testflags")

	ptmx, tty, err := pty.Open()
	require.NoError(t, err)
	defer ptmx.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	// Whoever can edit a project's metadata chooses these bytes.
	f, url := demoFake(t)
	hostile := "\x1b]0;owned\x07root\x1b[2J:ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAII/daCfIs7zq+Irwgs4Rxe1jF1Bw1oVuotWJJJg2HTv+ \u202eevil\n" +
		"ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAII/daCfIs7zq+Irwgs4Rxe1jF1Bw1oVuotWJJJg2HTv+ root@host:2222\n"
	f.SetProjectMetadata("web-prod-eu", []gcpfake.Item{{Key: "ssh-keys", Value: &hostile}})
	cmd := exec.CommandContext(ctx, bin, "run", "--organization", demoOrg, "--api-endpoint", url, "--now", demoNow, "--log-level", "info")
	var stdout bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, tty
	cmd.Env = append(os.Environ(), "TERM=xterm")
	require.NoError(t, cmd.Start())
	tty.Close()
	var screen bytes.Buffer
	copied := make(chan struct{})
	go func() { io.Copy(&screen, ptmx); close(copied) }() // ends with EIO when the child is gone
	require.NoError(t, cmd.Wait())
	<-copied
	require.NotContains(t, stdout.String(), "\x1b", "nor to the report")

	s := screen.String()
	require.Contains(t, s, "targets done", "a progress line")
	require.Contains(t, s, "level=INFO", "text log lines")
	require.NotContains(t, s, `"severity"`, "no JSON on a terminal")
	for _, l := range strings.Split(strings.ReplaceAll(s, clearLine, "\n"), "\n") {
		require.NotContains(t, l, "\x1b", "only the progress line's own escape reaches the terminal: %q", l)
	}
	require.Contains(t, stdout.String(), "12 projects:", "the report still goes to stdout")
	require.NotContains(t, s, "\u202e", "no bidi override as is")
	require.NotContains(t, s, "AAAAC3NzaC1lZDI1NTE5AAAAII", "no key material in the log, even as the username of a rejected line")
}

// TestProgressFitsNarrowTerminals: on a terminal of 30 columns the line
// is cut to fit, so that it never wraps and leaves rows behind.
func TestProgressFitsNarrowTerminals(t *testing.T) {
	ptmx, tty, err := pty.Open()
	require.NoError(t, err)
	defer ptmx.Close()
	defer tty.Close()
	require.NoError(t, pty.Setsize(ptmx, &pty.Winsize{Rows: 10, Cols: 30}))
	clock := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	p := newProgress(tty, func() time.Time { return clock })
	require.Equal(t, 30, p.width())
	p.Found(10000)
	clock = clock.Add(time.Second)
	p.Finished(report.OutcomeWouldChange)
	line := fit(p.line(clock), p.width())
	require.Less(t, utf8.RuneCountInString(line), 30)
	require.True(t, strings.HasSuffix(line, "…"))
	require.Equal(t, "short", fit("short", 30))
	require.Equal(t, "no terminal", fit("no terminal", 0))
}
