package pruner_test

import (
	"context"
	"regexp"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/ssh-pruner/ssh-pruner/pruner"
	"github.com/ssh-pruner/ssh-pruner/pruner/plan"
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
