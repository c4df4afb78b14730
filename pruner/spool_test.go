package pruner_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/ssh-pruner/ssh-pruner/pruner"
	"github.com/ssh-pruner/ssh-pruner/pruner/inmemory"
	"github.com/ssh-pruner/ssh-pruner/pruner/plan"
	"github.com/ssh-pruner/ssh-pruner/pruner/policy"
	"github.com/ssh-pruner/ssh-pruner/pruner/report"
)

// spoolOrg is org() with more projects: clean and dirty ones, one
// excluded, one being deleted, one named that does not exist, a folder
// not listed, and a name that is no safe text.
func spoolOrg() *inmemory.Store {
	s := org()
	for i := range 12 {
		id := fmt.Sprintf("p%02d", i)
		keys := aliceOK
		if i%3 == 0 {
			keys += "\n" + erinPerm
		}
		s.AddProject(id, inmemory.Items("ssh-keys", keys))
		s.AddInstance(pruner.Instance{Project: id, Zone: zoneB, Name: "vm-\x1b[31m"}, inmemory.Items("ssh-keys", erinPerm))
	}
	s.AddProject("gone", inmemory.Items("ssh-keys", erinPerm))
	s.SetState("gone", "DELETE_REQUESTED")
	s.AddSkipped("folders/42", fmt.Errorf("list: %w", pruner.ErrForbidden))
	s.AddSkipped("projects/typo", errors.New("get project typo: HTTP 403"))
	return s
}

// TestSpooledRunReportsTheSame checks that a run whose projects' reports
// go to a spool as they finish writes the report, text and JSON, byte for
// byte as the run that keeps them, with the same totals and outcome: in a
// dry run, an apply held at its run limit, and a run interrupted.
func TestSpooledRunReportsTheSame(t *testing.T) {
	for _, tc := range []struct {
		name      string
		apply     bool
		limits    policy.Limits
		interrupt bool
	}{
		{name: "dry run"},
		{name: "apply held at the run limit", apply: true, limits: policy.Limits{PerRun: 3}},
		{name: "interrupted", apply: true, interrupt: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			run := func(spool bool) (report.Report, string, string) {
				s := spoolOrg()
				r := reconciler(s, tc.apply)
				r.Concurrency = 1 // the same targets meet the limit, or the interruption, each time
				r.Limits = tc.limits
				r.Exclude = []string{"p05"}
				r.SpoolReports, r.SpoolDir = spool, t.TempDir()
				ctx, cancel := context.WithCancel(context.Background())
				defer cancel()
				if tc.interrupt {
					s.OnWrite = func(plan.Target) { cancel() }
				}
				rep, err := r.Run(ctx, pruner.Scope{Organization: "1", Projects: []string{"typo"}})
				require.NoError(t, err)
				var text, js bytes.Buffer
				require.NoError(t, rep.WriteText(&text))
				require.NoError(t, rep.WriteJSON(&js))
				if spool {
					require.NotNil(t, rep.Spool)
					require.Empty(t, rep.Projects, "the projects are the spool's")
					require.NoError(t, rep.Spool.Close())
				}
				return rep, text.String(), js.String()
			}
			want, wantText, wantJSON := run(false)
			got, gotText, gotJSON := run(true)
			require.Equal(t, want.Totals, got.Totals)
			require.Equal(t, want.OK(), got.OK())
			require.Equal(t, want.Interrupted, got.Interrupted)
			require.Equal(t, wantText, gotText)
			require.Equal(t, wantJSON, gotJSON)
			require.Equal(t, 15, want.Totals.Projects, "web-prod, p00 to p11, gone, typo")
			if tc.limits.PerRun > 0 {
				require.NotZero(t, want.Totals.Held+want.Totals.Instances.Held, "the limit held targets")
			}
			if tc.interrupt {
				require.NotZero(t, want.Totals.NotStarted)
			}
		})
	}
}
