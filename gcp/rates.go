package gcp

import (
	"context"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/time/rate"
)

// Rates are the request rates, per second, that the client keeps to, shaped
// like Google's quotas: Resource Manager counts a caller's requests against
// its quota project, Compute counts them per project (a run across many
// projects is bounded by its concurrency, not by one number). Each rate
// drops when Google pushes back (429, or 403 rateLimitExceeded) and climbs
// back when it stops.
type Rates struct {
	// ResourceManager: 600 list and get requests a minute per quota
	// project, documented; default 8 a second, below it.
	ResourceManager float64
	// ComputePerProject: Compute's read and write rate quotas are per
	// project and per minute, in the thousands; default 20 a second per
	// project, below the smallest of them.
	ComputePerProject float64
	// Logging: entries.list is limited to 60 calls a minute per resource
	// read; default 0.8 a second.
	Logging float64
}

// DefaultRates are the rates used where Options.Rates leaves one zero.
func DefaultRates() Rates { return Rates{ResourceManager: 8, ComputePerProject: 20, Logging: 0.8} }

func (r Rates) withDefaults() Rates {
	d := DefaultRates()
	if r.ResourceManager <= 0 {
		r.ResourceManager = d.ResourceManager
	}
	if r.ComputePerProject <= 0 {
		r.ComputePerProject = d.ComputePerProject
	}
	if r.Logging <= 0 {
		r.Logging = d.Logging
	}
	return r
}

// Stats counts what the client met on the way.
type Stats struct {
	// Retries counts the attempts made again after a transient error.
	Retries int64 `json:"retries"`
	// Throttled counts the answers that said to slow down.
	Throttled int64 `json:"throttled"`
}

// limits holds the client's limiters: an overall cap (--qps) and one
// adaptive limiter per API, or per API and project for Compute.
type limits struct {
	overall *rate.Limiter // nil: no overall cap
	rates   Rates
	crm     *adaptive
	logging *adaptive

	mu      sync.Mutex
	compute map[string]*adaptive
	sweepAt int // the size of compute at which idle limiters are let go

	retries, throttled atomic.Int64
}

// minSweep is the least size of the map of Compute's limiters at which
// the idle ones are let go.
const minSweep = 1024

func newLimits(qps float64, r Rates) *limits {
	r = r.withDefaults()
	l := &limits{rates: r, crm: newAdaptive(r.ResourceManager), logging: newAdaptive(r.Logging), compute: map[string]*adaptive{}, sweepAt: minSweep}
	if qps > 0 {
		l.overall = rate.NewLimiter(rate.Limit(qps), max(1, int(qps)))
	}
	return l
}

// of is the limiter of a method, named by its id ("compute.projects.get"),
// for a project, held by the call until it gives it back (release).
func (l *limits) of(method, project string) *adaptive {
	switch {
	case strings.HasPrefix(method, "cloudresourcemanager."):
		return l.crm
	case strings.HasPrefix(method, "logging."):
		return l.logging
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	a := l.compute[project]
	if a == nil {
		if len(l.compute) >= l.sweepAt {
			l.sweepLocked(time.Now())
		}
		a = newAdaptive(l.rates.ComputePerProject)
		l.compute[project] = a
	}
	a.users++
	return a
}

// release says a call is done with the limiter of gave it.
func (l *limits) release(a *adaptive) {
	if a == l.crm || a == l.logging {
		return
	}
	l.mu.Lock()
	a.users--
	l.mu.Unlock()
}

// sweepLocked lets go of the Compute limiters that no call holds and that
// are as a new one would be: at their base rate, their burst whole again.
// A run over 100,000 projects then keeps the limiters of the projects
// under way, and of those told to slow down, not one for every project it
// met. It runs when the map has doubled since the last sweep, so that its
// cost is spread over the limiters made. l.mu is held.
func (l *limits) sweepLocked(now time.Time) {
	for p, a := range l.compute {
		if a.users == 0 && a.idle(now) {
			delete(l.compute, p)
		}
	}
	l.sweepAt = max(minSweep, 2*len(l.compute))
}

func (l *limits) wait(ctx context.Context, a *adaptive) error {
	if l.overall != nil {
		if err := l.overall.Wait(ctx); err != nil {
			return err
		}
	}
	return a.lim.Wait(ctx)
}

// adaptive is a rate limiter shaped like a per-minute quota: a sustained
// rate with a burst of a minute's worth, since a quota of N a minute lets
// N calls through at once. Told to slow down, it halves its rate, down to
// a sixteenth of its base, and keeps a burst of one second's worth; it
// climbs back by a tenth of the base for every second without pushback,
// and has its minute's burst again once back at the base.
type adaptive struct {
	base  float64
	lim   *rate.Limiter
	users int // calls holding it (limits.of); guarded by limits.mu

	mu   sync.Mutex
	last time.Time // the last pushback, or the last climb
}

func newAdaptive(r float64) *adaptive {
	return &adaptive{base: r, lim: rate.NewLimiter(rate.Limit(r), minuteBurst(r))}
}

func minuteBurst(r float64) int { return max(1, int(min(r*60, 1<<30))) }

func (a *adaptive) slowDown(now time.Time) {
	a.mu.Lock()
	defer a.mu.Unlock()
	r := max(a.base/16, float64(a.lim.Limit())/2)
	a.lim.SetLimitAt(now, rate.Limit(r))
	a.lim.SetBurstAt(now, max(1, int(r)))
	a.last = now
}

func (a *adaptive) recover(now time.Time) {
	a.mu.Lock()
	defer a.mu.Unlock()
	cur := float64(a.lim.Limit())
	if cur >= a.base || now.Sub(a.last) < time.Second {
		return
	}
	r := min(a.base, cur+a.base/10)
	a.lim.SetLimitAt(now, rate.Limit(r))
	if r >= a.base {
		a.lim.SetBurstAt(now, minuteBurst(r))
	} else {
		a.lim.SetBurstAt(now, max(1, int(r)))
	}
	a.last = now
}

// idle tells whether the limiter is as a new one: at its base rate, with
// its whole burst.
func (a *adaptive) idle(now time.Time) bool {
	a.mu.Lock()
	defer a.mu.Unlock()
	return float64(a.lim.Limit()) >= a.base && a.lim.TokensAt(now) >= float64(a.lim.Burst())
}

// rate is the limiter's current rate, for tests.
func (a *adaptive) rate() float64 { return float64(a.lim.Limit()) }
