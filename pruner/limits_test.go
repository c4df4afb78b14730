package pruner_test

import (
	"context"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/ssh-pruner/ssh-pruner/pruner"
	"github.com/ssh-pruner/ssh-pruner/pruner/inmemory"
	"github.com/ssh-pruner/ssh-pruner/pruner/policy"
	"github.com/ssh-pruner/ssh-pruner/pruner/report"
)

func TestLimitsHoldTargets(t *testing.T) {
	// org(): web-prod removes 2 of its 3 project keys; instance "dirty"
	// removes 1 of 2, "legacy" 1 of 1.
	tests := []struct {
		name   string
		limits policy.Limits
		held   map[string]string // target -> hold reason
	}{
		{"no limits", policy.Limits{}, map[string]string{}},
		{"per target", policy.Limits{PerTarget: 1}, map[string]string{"web-prod": pruner.HoldTargetLimit}},
		{"per target, percent", policy.Limits{PerTargetPercent: 60}, map[string]string{"web-prod": pruner.HoldTargetLimit, "legacy": pruner.HoldTargetLimit}},
		{"per run", policy.Limits{PerRun: 2}, map[string]string{"dirty": pruner.HoldRunLimit, "legacy": pruner.HoldRunLimit}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := org()
			writes := s.Writes()
			r := reconciler(s, true)
			r.Concurrency = 1 // the project, then its VMs in order: the run limit meets the same ones each time
			r.Limits = tc.limits
			rep, err := r.Run(context.Background(), pruner.Scope{Organization: "1"})
			require.NoError(t, err)
			held := map[string]string{}
			written := 0
			check := func(name string, tr report.TargetReport) {
				switch tr.Outcome {
				case report.OutcomeHeld:
					held[name] = tr.Reason
					require.NotEmpty(t, tr.Hold)
					require.NotEmpty(t, tr.Decisions, "a held target shows what it would have removed")
				case report.OutcomeChanged:
					written++
				}
			}
			p := rep.Projects[0]
			check(p.Project, p.TargetReport)
			for _, in := range p.Instances {
				check(in.Instance, in)
			}
			require.Equal(t, tc.held, held)
			require.Equal(t, written, s.Writes()-writes, "a held target is not written")
			require.Equal(t, len(tc.held) == 0, rep.OK(), "a held target fails the run")
			removed := 0
			for _, in := range append([]report.TargetReport{p.TargetReport}, p.Instances...) {
				if in.Outcome == report.OutcomeChanged {
					removed += in.Removed
				}
			}
			require.Equal(t, removed, rep.Totals.KeysRemoved, "held removals are not counted as done")
			if tc.limits.PerRun > 0 {
				require.LessOrEqual(t, rep.Totals.KeysRemoved, tc.limits.PerRun)
			}
		})
	}
}

// TestRunLimitCountsAReplannedTargetOnce: a conflict makes a target plan
// again; its removals are counted against the run once, not per attempt.
func TestRunLimitCountsAReplannedTargetOnce(t *testing.T) {
	s := org()
	s.BeforeNextWrite(proj(projectID), func(s *inmemory.Store) {
		s.Set(proj(projectID), inmemory.Items("startup-script", startup, "ssh-keys", aliceOK+"\n"+bobOld+"\n"+erinPerm+"\n"+gkeKey+"\n"))
	})
	r := reconciler(s, true)
	r.Instances = nil
	r.Limits = policy.Limits{PerRun: 2}
	rep, err := r.Run(context.Background(), pruner.Scope{Organization: "1"})
	require.NoError(t, err)
	require.Equal(t, report.OutcomeChanged, rep.Projects[0].Outcome, rep.Projects[0].Hold)
	require.Equal(t, 2, rep.Projects[0].Attempts)
}
