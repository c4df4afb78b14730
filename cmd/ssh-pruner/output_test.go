package main

import (
	"context"
	"encoding/json"
	"io"
	"io/fs"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/creack/pty"
	"github.com/stretchr/testify/require"

	"github.com/ssh-pruner/ssh-pruner/gcp/gcpfake"
	"github.com/ssh-pruner/ssh-pruner/pruner/report"
)

// These tests write only under t.TempDir(). Devices are only looked at
// (outputTarget stats them), never written: a write there as root is
// what the rules exist to prevent.

// TestOutputTarget: how each kind of path is written, decided without
// writing anything.
func TestOutputTarget(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "report.json")
	require.NoError(t, os.WriteFile(file, []byte("old\n"), 0o600))
	fifo := filepath.Join(dir, "fifo")
	require.NoError(t, syscall.Mkfifo(fifo, 0o600))
	link := func(name, to string) string {
		p := filepath.Join(dir, name)
		require.NoError(t, os.Symlink(to, p))
		return p
	}
	sock := filepath.Join(dir, "sock")
	ln, err := net.Listen("unix", sock)
	require.NoError(t, err)
	defer ln.Close()
	ptmx, tty, err := pty.Open()
	require.NoError(t, err)
	defer ptmx.Close()
	defer tty.Close()

	for _, tc := range []struct {
		name, path, target string
		kind               outputKind
		refused            string
	}{
		{name: "a new file", path: filepath.Join(dir, "new.json"), target: filepath.Join(dir, "new.json"), kind: outputAtomic},
		{name: "a regular file", path: file, target: file, kind: outputAtomic},
		{name: "a symlink to a file", path: link("l1", file), target: file, kind: outputAtomic},
		{name: "a relative symlink to a symlink", path: link("l2", "l1"), target: file, kind: outputAtomic},
		{name: "a symlink to nothing yet", path: link("l3", "sub/../later.json"), target: filepath.Join(dir, "later.json"), kind: outputAtomic},
		{name: "a FIFO", path: fifo, target: fifo, kind: outputStream},
		{name: "a symlink to a FIFO", path: link("l4", fifo), target: fifo, kind: outputStream},
		{name: "a terminal", path: tty.Name(), target: tty.Name(), kind: outputStream},
		{name: "the null device", path: os.DevNull, target: os.DevNull, kind: outputStream},
		{name: "a symlink to the null device", path: link("l5", os.DevNull), target: os.DevNull, kind: outputStream},
		{name: "/dev/stdout", path: "/dev/stdout", target: "/dev/stdout", kind: outputStream},
		{name: "/dev/stderr", path: "/dev/stderr", target: "/dev/stderr", kind: outputStream},
		{name: "/dev/fd/1", path: "/dev/fd/1", target: "/dev/fd/1", kind: outputStream},
		{name: "/proc/self/fd/2", path: "/proc/self/fd/2", target: "/proc/self/fd/2", kind: outputStream},
		{name: "a symlink to /dev/stdout", path: link("l6", "/dev/stdout"), target: "/dev/stdout", kind: outputStream},
		{name: "a directory", path: dir, refused: "a directory"},
		{name: "a socket", path: sock, refused: "a socket"},
		{name: "a symlink loop", path: link("loop", "loop"), refused: "more than 40 symlinks"},
		{name: "/dev/full", path: "/dev/full", refused: "a device that is neither a terminal nor /dev/null"},
		{name: "a symlink to /dev/full", path: link("l7", "/dev/full"), refused: "a device that is neither a terminal nor /dev/null"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if strings.HasPrefix(tc.path, "/dev/full") || tc.target == "/dev/full" {
				if _, err := os.Stat("/dev/full"); err != nil {
					t.Skip("no /dev/full")
				}
			}
			target, kind, err := outputTarget(tc.path)
			if tc.refused != "" {
				require.ErrorContains(t, err, tc.refused)
				return
			}
			require.NoError(t, err)
			require.Equal(t, tc.target, target)
			require.Equal(t, tc.kind, kind)
		})
	}
}

// fakeInfo is a FileInfo of a given mode, for the kinds no test can make
// unprivileged (a block device).
type fakeInfo struct{ mode fs.FileMode }

func (f fakeInfo) Name() string       { return "x" }
func (f fakeInfo) Size() int64        { return 0 }
func (f fakeInfo) Mode() fs.FileMode  { return f.mode }
func (f fakeInfo) ModTime() time.Time { return time.Time{} }
func (f fakeInfo) IsDir() bool        { return f.mode.IsDir() }
func (f fakeInfo) Sys() any           { return nil }

func TestOutputKindOfABlockDevice(t *testing.T) {
	_, err := outputKindOf("/dev/sda", fakeInfo{mode: fs.ModeDevice | 0o660})
	require.EqualError(t, err, "a block device: refused, give a file, a pipe or a terminal")
	_, err = outputKindOf("/dev/x", fakeInfo{mode: fs.ModeDevice | fs.ModeCharDevice | 0o660})
	require.ErrorContains(t, err, "neither a terminal nor")
}

// TestWriteOutputToADescriptor: /proc/self/fd/N (what /dev/stdout is) is
// written straight and appended: behind it, here, is a file that already
// holds the text report, which a rename would not reach and a truncation
// would lose.
func TestWriteOutputToADescriptor(t *testing.T) {
	path := filepath.Join(t.TempDir(), "out")
	f, err := os.Create(path)
	require.NoError(t, err)
	defer f.Close()
	_, err = f.WriteString("the text report\n")
	require.NoError(t, err)
	fdPath := "/proc/self/fd/" + strconv.Itoa(int(f.Fd()))
	if _, err := os.Stat(fdPath); err != nil {
		t.Skip("no /proc/self/fd")
	}
	require.NoError(t, writeOutput(fdPath, func(w io.Writer) error { _, err := io.WriteString(w, "{}\n"); return err }))
	data, err := os.ReadFile(path)
	require.NoError(t, err)
	require.Equal(t, "the text report\n{}\n", string(data))
}

// TestReportThroughASymlink: the link stays a link; the file it names is
// replaced whole, keeping its permissions.
func TestReportThroughASymlink(t *testing.T) {
	clearEnv(t)
	_, url := demoFake(t)
	dir := t.TempDir()
	real := filepath.Join(dir, "reports", "latest.json")
	require.NoError(t, os.Mkdir(filepath.Dir(real), 0o755))
	require.NoError(t, os.WriteFile(real, []byte("stale\n"), 0o600))
	link := filepath.Join(dir, "report.json")
	require.NoError(t, os.Symlink("reports/latest.json", link))

	_, errOut, code := cli(t, context.Background(), nil, runArgs(url, "--project", "web-prod-eu", "--report", link)...)
	require.Contains(t, []int{0, 3}, code, errOut)
	fi, err := os.Lstat(link)
	require.NoError(t, err)
	require.Equal(t, fs.ModeSymlink, fi.Mode().Type(), "still a symlink")
	fi, err = os.Stat(real)
	require.NoError(t, err)
	require.Equal(t, fs.FileMode(0o600), fi.Mode().Perm(), "the report keeps its permissions")
	var rep report.Report
	data, err := os.ReadFile(real)
	require.NoError(t, err)
	require.NoError(t, json.Unmarshal(data, &rep))
	require.Equal(t, "test-run", rep.RunID)
	entries, err := os.ReadDir(filepath.Dir(real))
	require.NoError(t, err)
	require.Len(t, entries, 1, "no temporary file left: %v", entries)
}

// TestReportToAFIFO: a FIFO is written, not replaced by a file; with no
// reader the write fails at once, one line, rather than hang.
func TestReportToAFIFO(t *testing.T) {
	clearEnv(t)
	_, url := demoFake(t)
	fifo := filepath.Join(t.TempDir(), "report")
	require.NoError(t, syscall.Mkfifo(fifo, 0o600))
	got := make(chan []byte, 1)
	go func() {
		r, err := os.Open(fifo) // blocks until the run opens it for writing
		if err != nil {
			got <- nil
			return
		}
		defer r.Close()
		data, _ := io.ReadAll(r)
		got <- data
	}()
	_, errOut, code := cli(t, context.Background(), nil, runArgs(url, "--project", "web-prod-eu", "--report", fifo)...)
	require.Contains(t, []int{0, 3}, code, errOut)
	var rep report.Report
	require.NoError(t, json.Unmarshal(<-got, &rep))
	require.Equal(t, "test-run", rep.RunID)
	fi, err := os.Lstat(fifo)
	require.NoError(t, err)
	require.NotZero(t, fi.Mode()&fs.ModeNamedPipe, "still a FIFO")

	start := time.Now()
	_, errOut, code = cli(t, context.Background(), nil, runArgs(url, "--project", "web-prod-eu", "--report", fifo)...)
	require.Equal(t, 1, code, errOut)
	lines := strings.Split(strings.TrimSuffix(errOut, "\n"), "\n")
	require.Equal(t, "ssh-pruner: write report "+fifo+": a FIFO that no one reads from", lines[len(lines)-1], "one line after the log")
	require.Less(t, time.Since(start), 10*time.Second)
}

// TestOutputsRefusedBeforeTheRun: a device that is no terminal, a
// directory: exit 2, one line, nothing asked of Google.
func TestOutputsRefusedBeforeTheRun(t *testing.T) {
	clearEnv(t)
	f, url := demoFake(t)
	paths := []string{t.TempDir()}
	if _, err := os.Stat("/dev/full"); err == nil {
		paths = append(paths, "/dev/full") // only looked at: refused before any write
	}
	for _, p := range paths {
		for _, flag := range []string{"--report", "--plan-out"} {
			out, errOut, code := cli(t, context.Background(), nil, runArgs(url, flag, p)...)
			require.Equal(t, 2, code, errOut)
			require.Contains(t, errOut, flag+" "+p+": ")
			requireCleanLine(t, errOut)
			require.Empty(t, out)
		}
	}
	require.Zero(t, f.Calls("cloudresourcemanager.projects.list")+f.Calls("cloudresourcemanager.projects.search"), "nothing ran")

	_, errOut, code := cli(t, context.Background(), nil, "schedule", "--cron", "@hourly", "--project", "p", "--api-endpoint", url,
		"--plan-out", filepath.Join(t.TempDir(), "plan.json"))
	require.Equal(t, 2, code, errOut)
	require.Contains(t, errOut, "schedule: --plan-out is for run")
}

// TestNoStaleOutputs: a report file is this run's whole report; when the
// run fails before it has one (the scope cannot be listed at all), the
// file says the run failed rather than keep an earlier run's report, and
// a plan file says so too, which apply refuses.
func TestNoStaleOutputs(t *testing.T) {
	clearEnv(t)
	f, url := demoFake(t)
	dir := t.TempDir()
	reportPath := filepath.Join(dir, "report.json")
	planPath := filepath.Join(dir, "plan.json")
	require.NoError(t, os.WriteFile(reportPath, []byte(`{"stale": "a much longer report of an older run than this one will be"}`+"\n"), 0o644))
	_, errOut, code := cli(t, context.Background(), nil, runArgs(url, "--project", "web-prod-eu", "--report", reportPath, "--plan-out", planPath)...)
	require.Contains(t, []int{0, 3}, code, errOut)
	var rep report.Report
	data, err := os.ReadFile(reportPath)
	require.NoError(t, err)
	require.NoError(t, json.Unmarshal(data, &rep), "the whole file, replacing the stale one")
	require.Equal(t, "test-run", rep.RunID)
	require.NotEmpty(t, rep.Projects)

	f.SetFaults("cloudresourcemanager.projects.list", "", gcpfake.Fault{ErrorRates: map[int]float64{500: 1}})
	out, errOut, code := cli(t, context.Background(), nil, runArgs(url, "--report", reportPath, "--plan-out", planPath)...)
	require.Equal(t, 1, code, errOut)
	require.Empty(t, out)
	requireCleanLine(t, errOut)
	require.Contains(t, errOut, "enumerate scope")
	data, err = os.ReadFile(reportPath)
	require.NoError(t, err)
	rep = report.Report{}
	require.NoError(t, json.Unmarshal(data, &rep))
	require.Equal(t, "test-run", rep.RunID)
	require.Contains(t, rep.Error, "enumerate scope", "the report says the run failed")
	require.Empty(t, rep.Projects)
	require.False(t, rep.OK())

	_, errOut, code = cli(t, context.Background(), nil, "apply", "--api-endpoint", url, planPath)
	require.Equal(t, 2, code, errOut)
	require.Contains(t, errOut, "the run that wrote it failed before it had a plan (enumerate scope")
	requireCleanLine(t, errOut)

	entries, err := os.ReadDir(dir)
	require.NoError(t, err)
	require.Len(t, entries, 2, "no temporary file left behind: %v", entries)
}

// TestApplyFailedReport: apply that fails before it has a report (here a
// --state that is not a state) leaves a report saying so, as no dry run;
// the state is left as it was.
func TestApplyFailedReport(t *testing.T) {
	clearEnv(t)
	_, url := demoFake(t)
	dir := t.TempDir()
	planPath := filepath.Join(dir, "plan.json")
	_, errOut, code := cli(t, context.Background(), nil, runArgs(url, "--project", "web-prod-eu", "--plan-out", planPath)...)
	require.Contains(t, []int{0, 3}, code, errOut)
	state := filepath.Join(dir, "state") + "/"
	require.NoError(t, os.MkdirAll(state, 0o700))
	require.NoError(t, os.WriteFile(state+"run.json", []byte("not json\n"), 0o600))
	reportPath := filepath.Join(dir, "report.json")
	require.NoError(t, os.WriteFile(reportPath, []byte(`{"runId":"an older run"}`+"\n"), 0o644))

	_, errOut, code = cli(t, context.Background(), nil, "apply", "--api-endpoint", url, "--state", state, "--report", reportPath, planPath)
	require.Equal(t, 2, code, errOut)
	lines := strings.Split(strings.TrimSuffix(errOut, "\n"), "\n")
	require.Contains(t, lines[len(lines)-1], "not a state")
	var rep report.Report
	data, err := os.ReadFile(reportPath)
	require.NoError(t, err)
	require.NoError(t, json.Unmarshal(data, &rep))
	require.Equal(t, "test-run-apply", rep.RunID)
	require.False(t, rep.DryRun, "apply writes: its report is no dry run")
	require.Contains(t, rep.Error, "not a state")
}
