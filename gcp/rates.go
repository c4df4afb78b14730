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
}

// DefaultRates are the rates used where Options.Rates leaves one zero.
func DefaultRates() Rates { return Rates{ResourceManager: 8, ComputePerProject: 20} }

func (r Rates) withDefaults() Rates {
	d := DefaultRates()
	if r.ResourceManager <= 0 {
		r.ResourceManager = d.ResourceManager
	}
	if r.ComputePerProject <= 0 {
		r.ComputePerProject = d.ComputePerProject
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

	mu      sync.Mutex
	compute map[string]*adaptive

	retries, throttled atomic.Int64
}

func newLimits(qps float64, r Rates) *limits {
	r = r.withDefaults()
	l := &limits{rates: r, crm: newAdaptive(r.ResourceManager), compute: map[string]*adaptive{}}
	if qps > 0 {
		l.overall = rate.NewLimiter(rate.Limit(qps), max(1, int(qps)))
	}
	return l
}

// of is the limiter of a method, named by its id ("compute.projects.get"),
// for a project.
func (l *limits) of(method, project string) *adaptive {
	if strings.HasPrefix(method, "cloudresourcemanager.") {
		return l.crm
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	a := l.compute[project]
	if a == nil {
		a = newAdaptive(l.rates.ComputePerProject)
		l.compute[project] = a
	}
	return a
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
	base float64
	lim  *rate.Limiter

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

// rate is the limiter's current rate, for tests.
func (a *adaptive) rate() float64 { return float64(a.lim.Limit()) }
