package pruner_test

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/ssh-pruner/ssh-pruner/pruner"
	"github.com/ssh-pruner/ssh-pruner/pruner/inmemory"
	"github.com/ssh-pruner/ssh-pruner/pruner/plan"
	"github.com/ssh-pruner/ssh-pruner/pruner/report"
	"github.com/ssh-pruner/ssh-pruner/pruner/state"
)

func TestApplyReviewed(t *testing.T) {
	s := org()
	dry, err := reconciler(s, false).Run(context.Background(), pruner.Scope{Organization: "1"})
	require.NoError(t, err)
	reviewed := pruner.ReviewedTargets(dry)
	require.Len(t, reviewed, 3, "the project and two of its VMs would change")

	// Planning again with another policy gives other decisions: stale.
	r := reconciler(s, true)
	r.Policy.Protected = []plan.Protection{{Name: "erin", Username: regexp.MustCompile(`^erin$`)}}
	rep := r.ApplyReviewed(context.Background(), reviewed, now)
	require.Zero(t, s.Writes())
	require.Equal(t, 1, rep.Totals.Stale, "the project: erin is protected now")

	// The same policy writes exactly the plan, once.
	rep = reconciler(s, true).ApplyReviewed(context.Background(), reviewed, now)
	require.True(t, rep.OK(), rep.Summary())
	require.Equal(t, 1, rep.Totals.Changed)
	require.Equal(t, 2, rep.Totals.Instances.Changed)
	require.Equal(t, 3, s.Writes())
	rep = reconciler(s, true).ApplyReviewed(context.Background(), reviewed, now)
	require.Equal(t, 3, s.Writes(), "applied once, the plan is stale")
	require.Equal(t, 1, rep.Totals.Stale)
	require.Equal(t, 2, rep.Totals.Instances.Stale)
}

// reviewedPlan is the reviewed plan of a dry run over org().
func reviewedPlan(t *testing.T) []pruner.ReviewedTarget {
	t.Helper()
	dry, err := reconciler(org(), false).Run(context.Background(), pruner.Scope{Organization: "1"})
	require.NoError(t, err)
	return pruner.ReviewedTargets(dry)
}

// TestApplyReviewedAsARunDoes: a reviewed plan goes through the target
// loop of a run: what a run skips is skipped, a target that changed is
// stale with no key counted, and VMs come from one listing per project.
func TestApplyReviewedAsARunDoes(t *testing.T) {
	for _, tc := range []struct {
		name    string
		change  func(s *inmemory.Store) // what happened between the plan and its apply
		project report.Outcome
		reason  string
		vms     map[string]report.Outcome
		writes  int
	}{
		{"as planned", func(*inmemory.Store) {}, report.OutcomeChanged, "",
			map[string]report.Outcome{"dirty": report.OutcomeChanged, "legacy": report.OutcomeChanged}, 3},
		{"project changed", func(s *inmemory.Store) { s.Set(proj(projectID), inmemory.Items("ssh-keys", erinPerm)) },
			report.OutcomeStale, pruner.StaleChanged,
			map[string]report.Outcome{"dirty": report.OutcomeChanged, "legacy": report.OutcomeChanged}, 2},
		{"a VM changed", func(s *inmemory.Store) { s.Set(vm("dirty"), inmemory.Items("ssh-keys", erinPerm)) },
			report.OutcomeChanged, "",
			map[string]report.Outcome{"dirty": report.OutcomeStale, "legacy": report.OutcomeChanged}, 2},
		{"project no longer readable", func(s *inmemory.Store) { s.FailRead(proj(projectID), pruner.ErrForbidden) },
			report.OutcomeSkipped, report.SkipForbidden,
			map[string]report.Outcome{"dirty": report.OutcomeChanged, "legacy": report.OutcomeChanged}, 2},
		{"Compute disabled", func(s *inmemory.Store) {
			s.FailRead(proj(projectID), pruner.ErrComputeDisabled)
			s.FailList(projectID, pruner.ErrComputeDisabled)
		}, report.OutcomeSkipped, report.SkipComputeDisabled, nil, 0},
		{"a VM written meanwhile", func(s *inmemory.Store) {
			s.BeforeNextWrite(vm("legacy"), func(s *inmemory.Store) { s.Set(vm("legacy"), inmemory.Items("sshKeys", erinPerm+"\n")) })
		}, report.OutcomeChanged, "",
			map[string]report.Outcome{"dirty": report.OutcomeChanged, "legacy": report.OutcomeStale}, 2},
	} {
		t.Run(tc.name, func(t *testing.T) {
			reviewed := reviewedPlan(t)
			s := org()
			tc.change(s)
			r := reconciler(s, true)
			rep := r.ApplyReviewed(context.Background(), reviewed, now)
			p := project(t, rep, projectID)
			require.Equal(t, tc.project, p.Outcome, p.Error)
			require.Equal(t, tc.reason, p.Reason)
			got := map[string]report.Outcome{}
			for _, in := range p.Instances {
				got[in.Instance] = in.Outcome
				if in.Outcome == report.OutcomeStale {
					require.Zero(t, in.Removed+in.Kept+in.Moved, "a stale VM counts no key")
					require.Empty(t, in.Decisions)
				}
			}
			if tc.vms == nil {
				require.Empty(t, got)
				require.NotEmpty(t, p.InstancesError, "the VMs that were not listed are said")
			} else {
				require.Equal(t, tc.vms, got)
			}
			require.Equal(t, tc.writes, s.Writes())
			lists, reads := s.Lists()
			require.Equal(t, 1, lists, "one listing for the project's VMs")
			require.Zero(t, reads, "no VM read one by one")
			if p.Outcome == report.OutcomeStale {
				require.Zero(t, p.Removed, "a stale project counts no removal")
				require.NotContains(t, textOf(t, rep), "nothing to do", "a stale target says it is stale")
			}
			require.Equal(t, rep.Totals.KeysRemoved, removedIn(rep), "the totals count only what was written")
		})
	}
}

func removedIn(rep report.Report) int {
	n := 0
	for _, p := range rep.Projects {
		for _, tr := range append([]report.TargetReport{p.TargetReport}, p.Instances...) {
			if tr.Outcome == report.OutcomeChanged {
				n += tr.Removed
			}
		}
	}
	return n
}

func textOf(t *testing.T, rep report.Report) string {
	t.Helper()
	var b strings.Builder
	require.NoError(t, rep.WriteText(&b))
	return b.String()
}

// TestApplyReviewedGoneVM: a VM of the plan that is gone is skipped, as a
// run skips it, and the rest of the plan is applied.
func TestApplyReviewedGoneVM(t *testing.T) {
	reviewed := reviewedPlan(t)
	s := inmemory.New()
	s.AddProject(projectID, inmemory.Items("startup-script", startup, "ssh-keys", aliceOK+"\n"+bobOld+"\n"+erinPerm+"\n"))
	s.AddInstance(pruner.Instance{Project: projectID, Zone: zoneB, Name: "legacy"}, inmemory.Items("sshKeys", erinPerm))
	rep := reconciler(s, true).ApplyReviewed(context.Background(), reviewed, now)
	p := project(t, rep, projectID)
	require.Equal(t, report.OutcomeChanged, p.Outcome)
	require.Equal(t, report.OutcomeSkipped, instance(t, p, "dirty").Outcome)
	require.Equal(t, pruner.SkipGone, instance(t, p, "dirty").Reason)
	require.Equal(t, report.OutcomeChanged, instance(t, p, "legacy").Outcome)
	require.True(t, rep.OK(), rep.Summary())
}

// TestApplyReviewedLogsAndRemembers: stale targets are logged at warning;
// with a state, the keys apply reads are remembered as a run remembers
// them, at the real clock.
func TestApplyReviewedLogsAndRemembers(t *testing.T) {
	reviewed := reviewedPlan(t)
	s := org()
	s.Set(proj(projectID), inmemory.Items("ssh-keys", erinPerm))
	var buf bytes.Buffer
	r := reconciler(s, true)
	r.Logger = slog.New(slog.NewJSONHandler(&buf, nil))
	r.RunID = "test-apply"
	st, err := state.Open(context.Background(), &state.Dir{Path: t.TempDir()}, now)
	require.NoError(t, err)
	r.State = st
	later := now.Add(3 * time.Hour)
	r.Now = func() time.Time { return later }
	rep := r.ApplyReviewed(context.Background(), reviewed, now)
	require.NotNil(t, rep.State)
	require.True(t, rep.State.Saved, rep.State.Error)

	var stale, summary map[string]any
	for _, line := range strings.Split(strings.TrimSpace(buf.String()), "\n") {
		var e map[string]any
		require.NoError(t, json.Unmarshal([]byte(line), &e))
		switch {
		case e[pruner.LogOutcome] == string(report.OutcomeStale):
			stale = e
		case e[pruner.LogEvent] == pruner.EventSummary:
			summary = e
		}
		require.Equal(t, "test-apply", e[pruner.LogRunID], "every entry carries the run id: %s", line)
	}
	require.NotNil(t, stale)
	require.Equal(t, "WARN", stale["level"])
	require.Equal(t, "ERROR", summary["level"], "a stale target fails the apply")
	sh, _, _, err := state.ReadProject(context.Background(), &state.Dir{Path: st.Location()}, projectID, later)
	require.NoError(t, err)
	keys := sh.Targets[proj(projectID).String()].Keys
	require.Len(t, keys, 1, "erin, as apply read the project")
	for _, seen := range keys {
		require.Equal(t, later, seen.First, "first seen at the real clock, not the plan's")
	}
}

// TestCheckReviewedRefusesATargetNamedTwice: a plan names each target
// once; a second entry for the same project or VM, however it differs, is
// refused before anything is read, and the error names both entries.
func TestCheckReviewedRefusesATargetNamedTwice(t *testing.T) {
	clock := time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)
	project := pruner.ReviewedTarget{Target: plan.Target{Project: "p"}}
	vm := pruner.ReviewedTarget{Target: plan.Target{Project: "p", Zone: "z", Instance: "vm-1"}}
	otherVM := pruner.ReviewedTarget{Target: plan.Target{Project: "p", Zone: "z2", Instance: "vm-1"}}
	require.NoError(t, pruner.CheckReviewed([]pruner.ReviewedTarget{project, vm, otherVM}, clock), "same name in another zone is another VM")

	again := project
	again.PlannedFrom = "other"
	err := pruner.CheckReviewed([]pruner.ReviewedTarget{project, vm, again}, clock)
	require.EqualError(t, err, "targets[2]: projects/p is named again (first at targets[0])")
	err = pruner.CheckReviewed([]pruner.ReviewedTarget{vm, project, vm}, clock)
	require.EqualError(t, err, "targets[2]: projects/p/zones/z/instances/vm-1 is named again (first at targets[0])")
	err = pruner.CheckReviewed([]pruner.ReviewedTarget{project, {}}, clock)
	require.EqualError(t, err, "targets[1]: want a project, and a zone with an instance")
}
