package main

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/ssh-pruner/ssh-pruner/cmd/internal/testbuild"

	"github.com/ssh-pruner/ssh-pruner/pruner/report"
)

// lockHolderEnv makes the test binary a process that takes a state
// directory's lock as a save does, says so on stdout, and waits to be
// killed: a run killed while it saves.
const lockHolderEnv = "STATE_KILL_TEST_LOCK"

func holdLock(path string) int {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return 1
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX); err != nil {
		return 1
	}
	_, _ = f.WriteAt(fmt.Appendf(nil, "pid %d on a test host since 2026-11-23T12:00:00Z\n", os.Getpid()), 0)
	fmt.Println("locked")
	select {}
}

// TestKilledWhileSaving: a process holding the state's lock, as a save
// does, is killed with SIGKILL: the next run waits for no one, saves, and
// says once whose lock it broke.
func TestKilledWhileSaving(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a process")
	}
	_, url := demoFake(t)
	state := filepath.Join(t.TempDir(), "state") + "/"
	_, errOut, code := cli(t, context.Background(), nil, runArgs(url, "--grace", "24h", "--state", state)...)
	require.Contains(t, []int{0, 3}, code, errOut)

	holder := exec.Command(os.Args[0], "-test.run=^$")
	holder.Env = []string{lockHolderEnv + "=" + filepath.Join(state, ".lock")}
	stdout, err := holder.StdoutPipe()
	require.NoError(t, err)
	require.NoError(t, holder.Start())
	line, err := bufio.NewReader(stdout).ReadString('\n')
	require.NoError(t, err)
	require.Equal(t, "locked\n", line)
	require.NoError(t, holder.Process.Signal(syscall.SIGKILL))
	_ = holder.Wait()

	later := mustTime(t, demoNow).Add(25 * time.Hour).Format(time.RFC3339)
	out, errOut, code := cli(t, context.Background(), nil, runArgs(url, "--now", later, "--grace", "24h", "--state", state, "--output", "json")...)
	require.Contains(t, []int{0, 3}, code, errOut)
	var rep report.Report
	require.NoError(t, json.Unmarshal([]byte(out), &rep))
	require.True(t, rep.State.Saved, rep.State.Error)
	require.Positive(t, rep.State.ProjectsWritten)
	require.Len(t, rep.State.Warnings, 1)
	require.Contains(t, rep.State.Warnings[0], fmt.Sprintf("a lock left by a run that stopped while saving was broken (pid %d on a test host", holder.Process.Pid))
}

// TestKilledRunsLeaveAStateThatHeals: 50 runs, each an ssh-pruner process
// killed with SIGKILL at a random point of its run (reading, writing
// metadata, saving the state), each followed by a run that must save the
// state, with at most one warning (the lock the killed run left), and
// read no state as bad. The clock moves an hour a run, so that projects'
// objects are written on every run.
func TestKilledRunsLeaveAStateThatHeals(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary and kills it 50 times")
	}
	bin := testbuild.Build(t, ".", "ssh_pruner_testflags")
	_, url := demoFake(t)
	state := filepath.Join(t.TempDir(), "state") + "/"
	seed := time.Now().UnixNano()
	t.Logf("seed %d", seed)
	r := rand.New(rand.NewPCG(uint64(seed), 1))

	// How long a whole run takes: the kills land anywhere within it.
	start := time.Now()
	whole := exec.Command(bin, runArgs(url, "--grace", "24h", "--state", state, "--output", "json")...)
	whole.Env = []string{}
	_ = whole.Run()
	span := time.Since(start)

	killedAfter := make([]time.Duration, 0, 50)
	brokenLocks := 0
	for i := range 50 {
		now := mustTime(t, demoNow).Add(time.Duration(2*i+1) * 24 * time.Hour).Format(time.RFC3339)
		args := runArgs(url, "--now", now, "--apply", "--max-removals-per-run", "0", "--grace", "24h", "--state", state, "--output", "json")
		cmd := exec.Command(bin, args...)
		cmd.Env = []string{} // no SSH_PRUNER_* of the test's environment
		require.NoError(t, cmd.Start())
		wait := time.Duration(r.Int64N(int64(span) + 1))
		time.Sleep(wait)
		_ = cmd.Process.Signal(syscall.SIGKILL) // it may have ended on its own: then this kills nothing
		_ = cmd.Wait()
		killedAfter = append(killedAfter, wait)

		next := mustTime(t, demoNow).Add(time.Duration(2*i+2) * 24 * time.Hour).Format(time.RFC3339)
		o, errOut, code := cli(t, context.Background(), nil, runArgs(url, "--now", next, "--apply", "--max-removals-per-run", "0", "--grace", "24h", "--state", state, "--output", "json")...)
		require.NotEqual(t, 2, code, "run %d, killed after %s: the state is not bad: %s", i, wait, errOut)
		var rep report.Report
		require.NoError(t, json.Unmarshal([]byte(o), &rep), "run %d: %s", i, errOut)
		require.True(t, rep.State.Saved, "run %d, killed after %s: %s", i, wait, rep.State.Error)
		require.LessOrEqual(t, len(rep.State.Warnings), 1, "run %d: %v", i, rep.State.Warnings)
		for _, w := range rep.State.Warnings {
			require.Contains(t, w, "a lock left by a run that stopped while saving was broken")
			brokenLocks++
		}
	}
	t.Logf("a whole run took %s; killed after %v; %d kills landed while the state was saved", span, killedAfter, brokenLocks)
	left, err := filepath.Glob(filepath.Join(state, ".lock"))
	require.NoError(t, err)
	require.Len(t, left, 1, "one lock file, reused, never a second")
	data, err := os.ReadFile(left[0])
	require.NoError(t, err)
	require.Empty(t, data, "the last save let go of it")
}
