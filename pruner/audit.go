package pruner

import (
	"context"
	"log/slog"
	"sync"
	"time"

	"github.com/ssh-pruner/ssh-pruner/pruner/attribution"
)

// AuditReader reads the metadata writes of the audit logs.
type AuditReader interface {
	// MetadataWrites gives the writes of the key items of projects' and
	// VMs' metadata logged in resource in (since, until], oldest first.
	MetadataWrites(ctx context.Context, resource string, since, until time.Time) ([]attribution.Write, error)
}

// Attribution configures who-added-it for a run with a state.
type Attribution struct {
	Reader AuditReader
	// Resource is the log view, project, folder or organization read.
	Resource string
	// Lookback, on a first read of a target, attributes the keys it holds
	// to the only writer of its key items in that time (only-writer).
	Lookback time.Duration
	// Delay is how long an entry may take to reach the logs: the logs read
	// at t are taken to hold every write up to t-Delay.
	Delay time.Duration
	// Wall is the clock of the logs; time.Now when nil.
	Wall func() time.Time
}

// DefaultAuditDelay is how long a run takes an entry to need, after its
// write, to reach the logs. Google gives no bound; a key whose window
// ends within it of the logs' reading is attributed by a later run
// (pending), not guessed.
const DefaultAuditDelay = 2 * time.Minute

// A window that ends after the logs read (a target read after the query)
// makes the run read the newer entries: at once the first
// quickRefreshes times, which covers the VMs of the first projects with
// new keys, then at most every refreshAfter, so that a run costs a few
// calls, not one a key. A key that finds no newer reading is pending,
// and a later run attributes it.
const (
	quickRefreshes = 4
	refreshAfter   = 30 * time.Second
)

// Retention is how far back Admin Activity audit logs go: 400 days.
const auditRetention = 400 * 24 * time.Hour

// auditLog is a run's reading of the audit logs: none until a key needs
// it, then one paged query from the oldest window it needs, widened
// backwards when a later key's window starts earlier and forwards, at
// most every refreshAfter, when one ends later. A query that fails is not
// repeated: the keys it was for stay pending, and the run says why.
type auditLog struct {
	cfg Attribution

	mu        sync.Mutex
	log       *attribution.Log
	lastAt    time.Time // when the logs were last read
	err       error
	queries   int
	refreshes int
}

func (a *auditLog) wall() time.Time {
	if a.cfg.Wall != nil {
		return a.cfg.Wall().UTC()
	}
	return time.Now().UTC()
}

// covering gives the log read so far once it holds (from, until], as far
// as it can, or the error that stopped the reading.
func (a *auditLog) covering(ctx context.Context, from, until time.Time) (*attribution.Log, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.err != nil {
		return nil, a.err
	}
	now := a.wall()
	oldest := now.Add(-auditRetention)
	if from.Before(oldest) {
		from = oldest // older entries are gone: Window says so
	}
	if a.log == nil {
		// A day back at least, so that the keys of targets read an hour
		// or a day ago, handled later in the run, need no query of their
		// own.
		from = minTime(from, now.Add(-25*time.Hour))
		if err := a.read(ctx, from, now, true); err != nil {
			return nil, err
		}
		return a.log, nil
	}
	if from.Before(a.log.From) {
		if err := a.read(ctx, from, a.log.From, false); err != nil {
			return nil, err
		}
	}
	if until.After(a.log.To) && (a.refreshes < quickRefreshes || now.Sub(a.lastAt) >= refreshAfter) {
		a.refreshes++
		// From where the log is whole, not from the last reading: an
		// entry of the last Delay may have arrived since.
		if err := a.read(ctx, a.log.To, now, true); err != nil {
			return nil, err
		}
	}
	return a.log, nil
}

// read queries (from, to] and merges it; forward tells that to is now,
// so that the writes of the last Delay may be missing yet.
func (a *auditLog) read(ctx context.Context, from, to time.Time, forward bool) error {
	a.queries++
	writes, err := a.cfg.Reader.MetadataWrites(ctx, a.cfg.Resource, from, to)
	if err != nil {
		a.err = err // the reader's error names the resource
		return a.err
	}
	covered := to
	if forward {
		a.lastAt = to
		covered = to.Add(-a.cfg.Delay)
	}
	if a.log == nil {
		a.log = attribution.NewLog(writes, from, covered)
	} else {
		a.log.Add(writes, from, covered)
	}
	return nil
}

func minTime(a, b time.Time) time.Time {
	if a.Before(b) {
		return a
	}
	return b
}

// stats says what the reading cost and where it stands.
func (a *auditLog) stats() (queries, writes int, err error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.log != nil {
		writes = a.log.Writes()
	}
	return a.queries, writes, a.err
}

// logFailure logs once that the logs could not be read.
func (r *Reconciler) logAuditFailure(ctx context.Context, err error) {
	r.log().LogAttrs(ctx, slog.LevelError, "audit logs not read: keys first seen stay unattributed, and a later run attributes them",
		slog.String(LogEvent, EventAuditLogs), slog.String(LogAuditLogs, r.Attribution.Resource), slog.String(LogError, err.Error()))
}
