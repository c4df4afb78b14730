package gcp

import (
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func TestAdaptiveRate(t *testing.T) {
	a := newAdaptive(16)
	now := time.Unix(0, 0)
	a.slowDown(now)
	require.Equal(t, 8.0, a.rate())
	for range 10 {
		a.slowDown(now)
	}
	require.Equal(t, 1.0, a.rate(), "never below a sixteenth of the base")
	a.recover(now.Add(500 * time.Millisecond))
	require.Equal(t, 1.0, a.rate(), "no climb within a second of the pushback")
	a.recover(now.Add(1100 * time.Millisecond))
	require.InDelta(t, 2.6, a.rate(), 1e-9, "a tenth of the base per second without pushback")
	for i := range 20 {
		a.recover(now.Add(time.Duration(2+i) * time.Second))
	}
	require.Equal(t, 16.0, a.rate(), "back to the base, never above")
	require.Equal(t, 16*60, a.lim.Burst(), "and a minute's burst again")
}

func TestAdaptiveBurstIsAMinutesWorth(t *testing.T) {
	a := newAdaptive(20)
	require.Equal(t, 1200, a.lim.Burst(), "a per-minute quota lets a minute's calls through at once")
	a.slowDown(time.Unix(0, 0))
	require.Equal(t, 10, a.lim.Burst(), "pushed back: one second's worth")
}

func TestLimitsPerAPIAndProject(t *testing.T) {
	l := newLimits(0, Rates{})
	require.Same(t, l.of("cloudresourcemanager.projects.list", ""), l.of("cloudresourcemanager.folders.list", ""))
	require.Same(t, l.of("compute.projects.get", "a"), l.of("compute.instances.setMetadata", "a"))
	require.NotSame(t, l.of("compute.projects.get", "a"), l.of("compute.projects.get", "b"), "Compute's quotas are per project")
	require.Equal(t, DefaultRates().ComputePerProject, l.of("compute.projects.get", "a").rate())
	require.Nil(t, l.overall, "no overall cap unless asked")
}

// TestLimitsLetIdleProjectsGo: a run over many projects keeps the
// limiters of the projects under way, not one for every project it met;
// a limiter a call holds, one told to slow down, and one whose burst is
// not whole again are kept, since a new one would let more through.
func TestLimitsLetIdleProjectsGo(t *testing.T) {
	l := newLimits(0, Rates{})
	held := l.of("compute.projects.get", "held")
	slowed := l.of("compute.projects.get", "slowed")
	slowed.slowDown(time.Now())
	l.release(slowed)
	busy := l.of("compute.projects.get", "busy")
	for range 100 {
		require.True(t, busy.lim.Allow())
	}
	l.release(busy)
	// Projects whose calls are done, their tokens back (as 20 a second
	// brings a project's few calls back within a fraction of a second).
	for i := range 10 * minSweep {
		l.release(l.of("compute.projects.get", fmt.Sprint("p-", i)))
	}
	l.mu.Lock()
	n := len(l.compute)
	l.mu.Unlock()
	require.Less(t, n, 2*minSweep, "idle limiters are let go")
	require.Same(t, held, l.of("compute.projects.get", "held"), "held by a call")
	require.Same(t, slowed, l.of("compute.projects.get", "slowed"), "told to slow down")
	require.Same(t, busy, l.of("compute.projects.get", "busy"), "its burst not whole again")
	crm := l.of("cloudresourcemanager.projects.list", "")
	l.release(crm)
	require.Same(t, crm, l.of("cloudresourcemanager.projects.list", ""))
}
