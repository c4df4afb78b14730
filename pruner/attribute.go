package pruner

import (
	"context"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/ssh-pruner/ssh-pruner/keyparse"
	"github.com/ssh-pruner/ssh-pruner/pruner/attribution"
	"github.com/ssh-pruner/ssh-pruner/pruner/plan"
	"github.com/ssh-pruner/ssh-pruner/pruner/report"
	"github.com/ssh-pruner/ssh-pruner/pruner/state"
)

// attributionCounts are the run's tallies of keys attributed.
type attributionCounts struct {
	appeared, attributed, onlyWriter, ambiguous, unknown, pending, claims atomic.Int64
}

// startAttribution readies a run that attributes keys: the state notes
// each new key's window, and the logs are read when a key first needs
// them.
func (r *Reconciler) startAttribution() {
	r.audit, r.attrCounts, r.auditFailed = nil, &attributionCounts{}, &sync.Once{}
	if r.Attribution == nil || r.State == nil {
		return
	}
	r.audit = &auditLog{cfg: *r.Attribution}
	r.State.TrackWindows(r.audit.wall)
}

// attribute settles who added the keys of a target that no run has
// attributed yet, logs each key settled (key-appeared, and
// claim-mismatch when its name claims someone else), and fills in who
// added each key of ds as far as the run knows.
func (r *Reconciler) attribute(ctx context.Context, log *slog.Logger, job targetJob, ds []plan.Decision) {
	if r.audit == nil || job.mem == nil {
		return
	}
	name := job.t.String()
	byFP := map[string]*plan.Decision{}
	for i := range ds {
		if fp := ds[i].Fingerprint; fp != "" {
			byFP[fp] = &ds[i]
		}
	}
	unsettled := job.mem.Unsettled(name)
	var own func(string) bool
	if len(unsettled) > 0 {
		own = job.mem.IsOwn(name)
	}
	for _, u := range unsettled {
		res, settle := r.attributeKey(ctx, name, u, own)
		if settle {
			job.mem.Settle(name, u.Fingerprint, res)
		}
		if d := byFP[u.Fingerprint]; d != nil {
			d.Added = added(res)
			if settle && res.Settled() {
				r.keyAppeared(ctx, log, *d, res)
			} else {
				r.attrCounts.pending.Add(1)
			}
		}
	}
	for fp, d := range byFP {
		if d.Attribution == "" {
			if res := job.mem.Attribution(name, fp); res != nil {
				d.Added = added(*res)
			}
		}
	}
}

// attributeKey attributes one key; settle is false when the logs could
// not be read, so that a later run tries again.
func (r *Reconciler) attributeKey(ctx context.Context, target string, u state.Unsettled, own func(string) bool) (attribution.Result, bool) {
	cfg := r.Attribution
	from, backfill := u.After, false
	if from.IsZero() {
		if cfg.Lookback <= 0 {
			return attribution.Result{Attribution: attribution.Unknown, Why: "no earlier read of the target to start the window from (first run, or a new target); --attribution-lookback attributes such keys"}, true
		}
		from, backfill = u.Until.Add(-cfg.Lookback), true
	}
	log, err := r.audit.covering(ctx, from, u.Until)
	if err != nil {
		r.auditFailed.Do(func() { r.logAuditFailure(ctx, err) })
		return attribution.Result{Attribution: attribution.Unknown, Why: "audit logs not read: " + err.Error()}, false
	}
	if backfill {
		return log.Backfill(target, from, u.Until, own), true
	}
	return log.Window(target, u.After, u.Until, own), true
}

// keyAppeared logs a key whose attribution this run settled, once, and
// counts it.
func (r *Reconciler) keyAppeared(ctx context.Context, log *slog.Logger, d plan.Decision, res attribution.Result) {
	c := r.attrCounts
	c.appeared.Add(1)
	switch res.Attribution {
	case attribution.Window:
		c.attributed.Add(1)
	case attribution.OnlyWriter:
		c.onlyWriter.Add(1)
	case attribution.Ambiguous:
		c.ambiguous.Add(1)
	default:
		c.unknown.Add(1)
	}
	attrs := append(keyAttrs(d), slog.String(LogEvent, EventKeyAppeared), slog.String(LogFirstSeen, d.FirstSeen))
	log.LogAttrs(ctx, slog.LevelInfo, "key appeared", attrs...)
	if claimed, other := attribution.ClaimsOther(d.Username, d.GoogleUserName, res.AddedBy); other {
		c.claims.Add(1)
		attrs[len(attrs)-2] = slog.String(LogEvent, EventClaim)
		log.LogAttrs(ctx, slog.LevelWarn, "key claims another identity: "+keyparse.Printable(claimed)+" added by "+keyparse.Printable(res.AddedBy), attrs...)
	}
}

// keyAttrs are the attributes that say which key, and who added it.
func keyAttrs(d plan.Decision) []slog.Attr {
	return []slog.Attr{
		slog.String(LogMetadataKey, d.MetadataKey),
		slog.String(LogUsername, d.Username),
		slog.String(LogGoogleUserName, d.GoogleUserName),
		slog.String(LogKeyType, d.KeyType),
		slog.String(LogFingerprint, d.Fingerprint),
		slog.String(LogAttribution, d.Attribution),
		slog.String(LogAddedBy, d.AddedBy),
		slog.String(LogAddedAt, d.AddedAt),
		slog.String(LogAddedVia, d.AddedVia),
		slog.String(LogCandidates, d.Candidates),
		slog.String(LogWhy, d.AttributionWhy),
	}
}

// added is a result as decisions carry it; every string of the logs is
// escaped, as any string from outside.
func added(res attribution.Result) plan.Added {
	a := plan.Added{Attribution: res.Attribution, AddedBy: keyparse.Printable(res.AddedBy), AddedVia: keyparse.Printable(res.AddedVia),
		AttributionWhy: keyparse.Printable(res.Why)}
	if !res.AddedAt.IsZero() {
		a.AddedAt = keyparse.FormatTime(res.AddedAt)
	}
	cands := make([]string, len(res.Candidates))
	for i, c := range res.Candidates {
		cands[i] = keyparse.Printable(c)
	}
	a.Candidates = strings.Join(cands, " ")
	return a
}

// attributionReport is what the report says of attribution; nil when
// the run does not attribute.
func (r *Reconciler) attributionReport() *report.AttributionReport {
	if r.audit == nil {
		return nil
	}
	q, writes, err := r.audit.stats()
	c := r.attrCounts
	ar := &report.AttributionReport{AuditLogs: r.Attribution.Resource, Queries: q, Writes: writes,
		Appeared: int(c.appeared.Load()), Attributed: int(c.attributed.Load()), OnlyWriter: int(c.onlyWriter.Load()),
		Ambiguous: int(c.ambiguous.Load()), Unknown: int(c.unknown.Load()), Pending: int(c.pending.Load()),
		ClaimMismatches: int(c.claims.Load())}
	if err != nil {
		ar.Error = err.Error()
	}
	return ar
}

// wallNow is the clock of own writes' times.
func (r *Reconciler) wallNow() time.Time {
	if r.audit != nil {
		return r.audit.wall()
	}
	return time.Now().UTC()
}
