package pruner

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/ssh-pruner/ssh-pruner/pruner/attribution"
)

// readings records the spans a run asks the audit logs for.
type readings struct{ spans [][2]time.Time }

func (r *readings) MetadataWrites(_ context.Context, _ string, since, until time.Time) ([]attribution.Write, error) {
	r.spans = append(r.spans, [2]time.Time{since, until})
	return nil, nil
}

// TestAuditLogReadings: the first reading goes a day back at least; a
// window that starts earlier reads the older span alone; one that ends
// past what is whole reads again from where the log is whole (the last
// Delay of a reading may have been missing), at once the first
// quickRefreshes times, then not before refreshAfter.
func TestAuditLogReadings(t *testing.T) {
	ctx := context.Background()
	now := time.Date(2026, 12, 6, 12, 0, 0, 0, time.UTC)
	r := &readings{}
	a := &auditLog{cfg: Attribution{Reader: r, Resource: "projects/p", Delay: 2 * time.Minute, Wall: func() time.Time { return now }}}

	log, err := a.covering(ctx, now.Add(-time.Hour), now.Add(-time.Minute))
	require.NoError(t, err)
	require.Equal(t, [][2]time.Time{{now.Add(-25 * time.Hour), now}}, r.spans)
	require.Equal(t, now.Add(-2*time.Minute), log.To, "the last Delay is not whole yet")

	_, err = a.covering(ctx, now.Add(-48*time.Hour), now.Add(-3*time.Minute))
	require.NoError(t, err)
	require.Equal(t, [2]time.Time{now.Add(-48 * time.Hour), now.Add(-25 * time.Hour)}, r.spans[1], "the older span alone")

	for i := range quickRefreshes {
		now = now.Add(time.Second)
		was := a.log.To
		_, err = a.covering(ctx, now.Add(-time.Hour), now)
		require.NoError(t, err)
		require.Equal(t, [2]time.Time{was, now}, r.spans[2+i], "from where the log is whole")
	}
	n := len(r.spans)
	now = now.Add(time.Second)
	_, err = a.covering(ctx, now.Add(-time.Hour), now)
	require.NoError(t, err)
	require.Len(t, r.spans, n, "no reading before refreshAfter")
	now = now.Add(refreshAfter)
	_, err = a.covering(ctx, now.Add(-time.Hour), now)
	require.NoError(t, err)
	require.Len(t, r.spans, n+1)
	queries, _, _ := a.stats()
	require.Equal(t, n+1, queries)
}
