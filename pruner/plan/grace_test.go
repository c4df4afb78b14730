package plan

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/ssh-pruner/ssh-pruner/keyparse"
)

var stateNow = time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)

// TestFirstSeenClockAhead: a first-seen time ahead of the clock (another
// machine's) is taken as now: no clock holds a key past its grace.
func TestFirstSeenClockAhead(t *testing.T) {
	const fpA = "SHA256:xJg7Cd8xUiZLoj+2GCdenEMV4HakoEK/7zSmwVQ8AMY"
	ahead := stateNow.Add(30 * time.Minute)
	l := keyparse.Line{Fingerprint: fpA}
	require.Equal(t, stateNow, firstSeen(map[string]time.Time{fpA: ahead}, l, stateNow), "never younger than seen now")
	before := stateNow.Add(-time.Hour)
	require.Equal(t, before, firstSeen(map[string]time.Time{fpA: before}, l, stateNow))
	require.Equal(t, stateNow, firstSeen(nil, l, stateNow), "unknown: first seen now")
}

func TestGraceBoundaries(t *testing.T) {
	first := stateNow.Add(-24 * time.Hour)
	p := Policy{Grace: 24 * time.Hour}
	for _, tc := range []struct {
		name   string
		policy Policy
		action Action
		reason string
		now    time.Time
		want   string
	}{
		{"exactly at its end: kept", p, ActionRemove, ReasonNoExpiry, stateNow, ReasonGrace},
		{"a nanosecond later: removed", p, ActionRemove, ReasonNoExpiry, stateNow.Add(time.Nanosecond), ReasonNoExpiry},
		{"no grace", Policy{}, ActionRemove, ReasonNoExpiry, stateNow, ReasonNoExpiry},
		{"expired keys do not wait", p, ActionRemove, ReasonExpired, stateNow, ReasonExpired},
		{"misplaced keys do not wait", p, ActionRemove, ReasonUserKeyInSSHKeys, stateNow, ReasonUserKeyInSSHKeys},
		{"lines that are no key do not wait", p, ActionRemove, "invalid:bad-key", stateNow, "invalid:bad-key"},
		{"too far an expiry does not wait", p, ActionRemove, ReasonExpiryTooFar, stateNow, ReasonExpiryTooFar},
		{"kept keys stay kept", p, ActionKeep, ReasonUnexpired, stateNow, ReasonUnexpired},
	} {
		t.Run(tc.name, func(t *testing.T) {
			a, reason, ends := tc.policy.grace(tc.action, tc.reason, first, tc.now)
			require.Equal(t, tc.want, reason)
			if reason == ReasonGrace {
				require.Equal(t, ActionKeep, a)
				require.Equal(t, stateNow, ends)
			} else {
				require.Equal(t, tc.action, a)
				require.True(t, ends.IsZero())
			}
		})
	}
}
