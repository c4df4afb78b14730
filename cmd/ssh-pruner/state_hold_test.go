package main

import (
	"context"
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/ssh-pruner/ssh-pruner/pruner/plan"
	"github.com/ssh-pruner/ssh-pruner/pruner/report"
)

// TestRunLimitHoldsAcrossRuns: four CronJob-like runs with a run limit of
// 8 and a state. The first removes 8 keys and holds the rest; the next
// three write nothing, exit 1 and say why; a person releases the hold
// after reading the report, and the next run goes on.
func TestRunLimitHoldsAcrossRuns(t *testing.T) {
	clearEnv(t)
	f, url := demoFake(t)
	state := filepath.Join(t.TempDir(), "state") + "/"
	hourly := func(hour int, extra ...string) []string {
		now := mustTime(t, demoNow).Add(time.Duration(hour) * time.Hour).Format(time.RFC3339)
		return append(runArgs(url, "--now", now, "--apply", "--state", state, "--max-removals-per-run", "8", "--output", "json"), extra...)
	}
	writes := func() int { return f.Calls(setMetadata) + f.Calls(setInstanceMetadata) }

	out, errOut, code := cli(t, context.Background(), nil, hourly(0)...)
	require.Equal(t, 1, code, "a run that held targets fails the Job: %s", errOut)
	var rep report.Report
	require.NoError(t, json.Unmarshal([]byte(out), &rep))
	require.Equal(t, 8, rep.Totals.KeysRemoved)
	require.Positive(t, rep.Totals.Held+rep.Totals.Instances.Held)
	require.Contains(t, rep.State.Hold, "stopped at its limit of 8 removals")
	require.Contains(t, rep.State.Hold, "ssh-pruner state release")
	after := writes()

	for hour := 1; hour <= 3; hour++ {
		out, errOut, code = cli(t, context.Background(), nil, hourly(hour)...)
		require.Equal(t, 1, code, "hour %d: %s", hour, errOut)
		rep = report.Report{}
		require.NoError(t, json.Unmarshal([]byte(out), &rep))
		require.True(t, rep.DryRun, "hour %d: held runs are dry runs", hour)
		require.Equal(t, after, writes(), "hour %d: nothing written", hour)
		require.Contains(t, rep.State.Hold, "stopped at its limit of 8 removals")
		require.Contains(t, errOut, "dry run: the state holds the runs", "the log says why")
		require.False(t, rep.OK())
	}
	text, _, _ := cli(t, context.Background(), nil, runArgs(url, "--now", demoNow, "--state", state)...)
	require.Contains(t, text, "Held: run test-run stopped at its limit of 8 removals")

	shown, errOut, code := cli(t, context.Background(), nil, "state", "show", "--state", state, "--api-endpoint", url)
	require.Equal(t, 0, code, errOut)
	require.Contains(t, shown, "held: run test-run stopped at its limit of 8 removals")
	released, errOut, code := cli(t, context.Background(), nil, "state", "release", "--state", state, "--api-endpoint", url)
	require.Equal(t, 0, code, errOut)
	require.Contains(t, released, "released: run test-run")
	again, _, code := cli(t, context.Background(), nil, "state", "release", "--state", state, "--api-endpoint", url)
	require.Equal(t, 0, code)
	require.Contains(t, again, "holds no run: nothing to release")

	out, errOut, code = cli(t, context.Background(), nil, hourly(4)...)
	require.Equal(t, 1, code, "it holds again at its limit: %s", errOut)
	rep = report.Report{}
	require.NoError(t, json.Unmarshal([]byte(out), &rep))
	require.False(t, rep.DryRun)
	require.Equal(t, 8, rep.Totals.KeysRemoved, "after the release, the next run goes on")
	require.Greater(t, writes(), after)
}

// TestRunLimitWithoutStateIsPerRun: without a state the limit holds one
// run only, as the README says: the next run removes the next keys.
func TestRunLimitWithoutStateIsPerRun(t *testing.T) {
	clearEnv(t)
	_, url := demoFake(t)
	for range 2 {
		out, errOut, code := cli(t, context.Background(), nil, runArgs(url, "--apply", "--max-removals-per-run", "8", "--output", "json")...)
		require.Equal(t, 1, code, errOut)
		var rep report.Report
		require.NoError(t, json.Unmarshal([]byte(out), &rep))
		require.Equal(t, 8, rep.Totals.KeysRemoved)
		require.Nil(t, rep.State)
	}
}

// TestClockAheadHeals: a run whose clock was two days ahead, then runs
// with the right clock: every run succeeds, the times ahead are taken as
// now with a warning, and no key without expiry is removed before its
// grace, counted from the right clock.
func TestClockAheadHeals(t *testing.T) {
	clearEnv(t)
	_, url := demoFake(t)
	state := filepath.Join(t.TempDir(), "state") + "/"
	at := func(d time.Duration) string { return mustTime(t, demoNow).Add(d).Format(time.RFC3339) }
	run := func(now string, extra ...string) (report.Report, string) {
		out, errOut, code := cli(t, context.Background(), nil, append(runArgs(url, "--now", now, "--grace", "24h", "--state", state, "--output", "json"), extra...)...)
		require.Contains(t, []int{0, 3}, code, "%s: %s", now, errOut)
		var rep report.Report
		require.NoError(t, json.Unmarshal([]byte(out), &rep))
		require.True(t, rep.State.Saved, rep.State.Error)
		return rep, errOut
	}

	run(at(48 * time.Hour)) // the clock ahead: every key first seen then
	rep, errOut := run(demoNow, "--apply")
	require.NotEmpty(t, rep.State.Warnings)
	require.Contains(t, rep.State.Warnings[0], "48h0m0s ahead of this run's clock taken as now")
	require.Contains(t, errOut, "48h0m0s ahead")
	require.Empty(t, decisionsByReason(rep, plan.ReasonNoExpiry), "first seen now, not two days ago or ahead: every key in its grace")
	require.NotEmpty(t, decisionsByReason(rep, plan.ReasonGrace))

	// An hour before the grace ends, by the right clock: still kept.
	rep, _ = run(at(23*time.Hour), "--apply")
	require.Empty(t, decisionsByReason(rep, plan.ReasonNoExpiry))
	require.Empty(t, rep.State.Warnings, "healed: no time ahead any more")

	// Past it: they go.
	rep, _ = run(at(24*time.Hour+time.Second), "--apply")
	require.NotEmpty(t, decisionsByReason(rep, plan.ReasonNoExpiry))
	require.True(t, strings.HasPrefix(rep.State.Location, state))
}
