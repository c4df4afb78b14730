package pruner

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"time"

	"github.com/ssh-pruner/ssh-pruner/pruner/plan"
	"github.com/ssh-pruner/ssh-pruner/pruner/report"
	"github.com/ssh-pruner/ssh-pruner/pruner/state"
)

// SkipGone is the reason of an instance deleted between its listing and
// its write: there is nothing left to prune.
const SkipGone = "not-found"

// Why a reviewed target is stale.
const (
	StaleChanged   = "metadata changed since the plan"
	StaleReplanned = "planning again gives other decisions"
	StaleConflict  = "metadata changed while writing"
)

// targetJob is one target for the target loop.
type targetJob struct {
	t plan.Target
	// listed is the metadata the instance listing gave, planned from
	// without a read of its own; nil to read it.
	listed *plan.Metadata
	in     plan.Input
	// now is the clock planning uses; seenAt is when the keys read are
	// seen, for the state: a reviewed plan plans at its own clock, but a
	// key first seen now must not pass for older.
	now, seenAt time.Time
	// reviewed, when set, is what a reviewed plan says of the target: it
	// is written only if it still plans the same from the same metadata.
	reviewed *ReviewedTarget
	// mem is the state's memory of the target's project; nil without one.
	mem *state.Project
	// listedAt is when the listing that gave listed started, by the wall
	// clock.
	listedAt time.Time
}

// target handles one metadata target: plan from the metadata it was listed
// with or from a read, and with Apply write, again from a fresh read
// whenever the write meets a concurrent change. A stale plan is never
// written: each write carries the fingerprint of the read it was planned
// from. A reviewed target is never planned anew: what no longer fits the
// plan is stale. It returns the report, the metadata first seen, the
// metadata as the run leaves it (what was written, else what was last
// read; empty for a VM that is gone), and whether it was seen at all.
func (r *Reconciler) target(ctx context.Context, job targetJob) (tr report.TargetReport, first, final plan.Metadata, read bool) {
	a := &targetRun{r: r, job: job, tr: report.TargetReport{Target: job.t, Windows: job.in.Windows}, log: r.log().With(targetAttrs(job.t)...)}
	for a.tr.Attempts = 1; !a.round(ctx); a.tr.Attempts++ {
	}
	return a.tr, a.first, a.final, a.read
}

// targetRun is one target in the target loop, across its rounds.
type targetRun struct {
	r   *Reconciler
	job targetJob
	log *slog.Logger

	tr           report.TargetReport
	first, final plan.Metadata
	read         bool
	reserved     int       // removals of this target counted against the run
	readAt       time.Time // when the read planned from started, by the wall clock
}

// round is one read-plan-write round; it tells whether the target is
// done, false when it must be planned again from a fresh read.
func (a *targetRun) round(ctx context.Context) bool {
	md, ok := a.readMetadata(ctx)
	if !ok {
		return true
	}
	pl, done := a.plan(ctx, md)
	if done {
		return true
	}
	return a.write(ctx, md, pl)
}

// readMetadata reads what to plan from; false when the target ends here.
func (a *targetRun) readMetadata(ctx context.Context) (plan.Metadata, bool) {
	if err := ctx.Err(); err != nil {
		if a.tr.Attempts == 1 {
			a.tr.Outcome, a.tr.Attempts = report.OutcomeNotStarted, 0
			return plan.Metadata{}, false
		}
		a.tr, a.read = interrupted(a.tr, err), true
		return plan.Metadata{}, false
	}
	a.readAt = a.r.wallNow()
	if a.job.listed != nil && a.tr.Attempts == 1 {
		a.readAt = a.job.listedAt
	}
	md, err := a.r.readFor(ctx, a.job, a.tr.Attempts)
	if err != nil {
		a.tr, a.read = readFailed(ctx, a.tr, err)
		if a.tr.Reason == SkipGone {
			a.final = plan.Metadata{}
		}
		return md, false
	}
	if a.tr.Attempts == 1 {
		a.first = md
	}
	a.final, a.read = md, true
	return md, true
}

// plan plans from md and ends the target where nothing is to be written:
// stale, held, unchanged, or a dry run.
func (a *targetRun) plan(ctx context.Context, md plan.Metadata) (plan.Plan, bool) {
	r, tr := a.r, &a.tr
	in := a.job.in
	in.Metadata = md
	in.FirstSeen = r.firstSeen(a.job)
	tr.PlannedFrom = md.Fingerprint
	pl := plan.Make(in, r.Policy, a.job.now)
	a.job.record(pl.Decisions, a.job.seenAt, a.readAt)
	r.attribute(ctx, a.log, a.job, pl.Decisions)
	tr.Kept, tr.Removed, tr.Moved = pl.Count(plan.ActionKeep), pl.Count(plan.ActionRemove), pl.Count(plan.ActionMove)
	tr.Guard = pl.Guard
	tr.Decisions = plan.Listed(tr.Decisions[:0], pl.Decisions)
	if why := stale(a.job.reviewed, md, *tr, pl); why != "" {
		*tr = staleTarget(*tr, why)
		return pl, true
	}
	r.spent.release(a.reserved) // planned again: its removals are counted anew
	a.reserved = 0
	if pl.Changed {
		if reason, limit := r.spent.hold(r.Limits, tr.Removed, tr.Kept+tr.Removed+tr.Moved); reason != "" {
			tr.Outcome, tr.Reason, tr.Hold = report.OutcomeHeld, reason, holdMessage(reason, tr.Removed, limit)
			r.logHeld(ctx, a.log, *tr)
			return pl, true
		}
		a.reserved = tr.Removed
	}
	switch {
	case !pl.Changed:
		tr.Outcome = report.OutcomeUnchanged
	case !r.Apply:
		tr.Outcome = report.OutcomeWouldChange
	default:
		return pl, false
	}
	r.logDecisions(ctx, a.log, pl)
	return pl, true
}

// write writes the plan over the metadata it was made from; false when a
// concurrent change asks for another round.
func (a *targetRun) write(ctx context.Context, md plan.Metadata, pl plan.Plan) bool {
	r, t := a.r, a.job.t
	attempts := max(1, r.MaxAttempts)
	// A write under way is let finish even when the run is interrupted:
	// abandoning it would leave us not knowing what was written.
	wctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), r.writeTimeout())
	wctx, ops := WithOperations(wctx)
	// The metadata as the write leaves it is known from before the write:
	// any other write comes after it, on its new fingerprint.
	writeAt := r.wallNow()
	err := r.write(wctx, t, plan.Metadata{Fingerprint: md.Fingerprint, Items: pl.Items})
	cancel()
	switch {
	case err == nil:
		a.final = plan.Metadata{Items: pl.Items}
		a.tr.Outcome = report.OutcomeChanged
		a.job.record(plan.Stayed(pl.Decisions), a.job.seenAt, writeAt)
		if a.job.mem != nil {
			for _, op := range ops() {
				a.job.mem.NoteOwnWrite(t.String(), op, r.wallNow())
			}
		}
		r.logDecisions(ctx, a.log, pl)
	case errors.Is(err, ErrConflict) && a.job.reviewed != nil:
		a.tr = staleTarget(a.tr, StaleConflict)
	case errors.Is(err, ErrConflict) && a.tr.Attempts < attempts:
		a.log.LogAttrs(ctx, slog.LevelInfo, "metadata changed since read, planning again", slog.Int(LogAttempt, a.tr.Attempts))
		return false
	case errors.Is(err, ErrNotFound) && t.Level() == plan.LevelInstance:
		a.tr.Outcome, a.tr.Reason, a.tr.Decisions = report.OutcomeSkipped, SkipGone, nil
		a.tr.Kept, a.tr.Removed, a.tr.Moved, a.tr.Guard = 0, 0, 0, nil
		a.final = plan.Metadata{}
	default:
		// The report keeps what the write tried: it may have landed (a
		// timeout, a lost answer), and a person must be able to check.
		// The per-key log stays silent: nothing is confirmed.
		a.tr = writeFailed(a.tr, fmt.Errorf("write metadata (attempt %d of %d): %w", a.tr.Attempts, attempts, err))
	}
	return true
}

// readFor is the metadata to plan from on an attempt: the listed metadata
// first, a fresh read after a conflict.
func (r *Reconciler) readFor(ctx context.Context, job targetJob, attempt int) (plan.Metadata, error) {
	if job.listed != nil && attempt == 1 {
		return *job.listed, nil
	}
	return r.read(ctx, job.t)
}

// readFailed ends a target whose metadata could not be read: skipped
// where a run skips (no Compute, not allowed, a VM gone), interrupted, or
// failed. seen tells whether an earlier attempt read it.
func readFailed(ctx context.Context, tr report.TargetReport, err error) (report.TargetReport, bool) {
	again := tr.Attempts > 1
	switch {
	case errors.Is(err, ErrComputeDisabled):
		tr.Outcome, tr.Reason = report.OutcomeSkipped, report.SkipComputeDisabled
		return tr, false
	case errors.Is(err, ErrForbidden):
		tr.Outcome, tr.Reason = report.OutcomeSkipped, report.SkipForbidden
		return tr, false
	case errors.Is(err, ErrNotFound) && tr.Level() == plan.LevelInstance:
		tr.Outcome, tr.Reason = report.OutcomeSkipped, SkipGone
		return tr, again
	case ctx.Err() != nil:
		return interrupted(tr, ctx.Err()), again
	}
	return failed(tr, fmt.Errorf("read metadata: %w", err)), again
}

// firstSeen is what planning knows of the ages of a target's keys: a
// reviewed plan's own times, which it was made with, else the state's.
func (r *Reconciler) firstSeen(job targetJob) map[string]time.Time {
	if job.reviewed != nil {
		return plannedFirstSeen(job.reviewed.Decisions)
	}
	if job.mem == nil {
		return nil
	}
	return job.mem.FirstSeen(job.t.String())
}

// record notes in the state the keys of ds as on the job's target, read
// at at (the run's clock) by a read that started at readAt (the wall's).
func (job targetJob) record(ds []plan.Decision, at, readAt time.Time) {
	if job.mem == nil {
		return
	}
	fps := make([]string, len(ds))
	for i, d := range ds {
		fps[i] = d.Fingerprint
	}
	job.mem.RecordRead(job.t.String(), fps, at, readAt)
}

// stale says why a reviewed target no longer fits its plan, or "".
func stale(rt *ReviewedTarget, md plan.Metadata, tr report.TargetReport, pl plan.Plan) string {
	switch {
	case rt == nil:
		return ""
	case md.Fingerprint != rt.PlannedFrom:
		return StaleChanged
	case !sameDecisions(tr.Decisions, rt.Decisions) || !sameGuard(pl.Guard, rt.Guard) || !pl.Changed:
		return StaleReplanned
	}
	return ""
}

// sameDecisions compares what planning decides: who added a key may be
// settled between a plan's review and its apply, and changes no decision.
func sameDecisions(a, b []plan.Decision) bool {
	return slices.EqualFunc(a, b, func(x, y plan.Decision) bool { return x.Unattributed() == y.Unattributed() })
}

// staleTarget reports a reviewed target left alone. Its keys are not
// counted: nothing was removed or kept by this run.
func staleTarget(tr report.TargetReport, why string) report.TargetReport {
	tr.Outcome, tr.Reason = report.OutcomeStale, why
	tr.Decisions, tr.Kept, tr.Removed, tr.Moved, tr.Guard = nil, 0, 0, 0, nil
	return tr
}

func (r *Reconciler) read(ctx context.Context, t plan.Target) (plan.Metadata, error) {
	if t.Level() == plan.LevelInstance {
		return r.Instances.InstanceMetadata(ctx, t.Project, t.Zone, t.Instance)
	}
	return r.Store.ProjectMetadata(ctx, t.Project)
}

func (r *Reconciler) write(ctx context.Context, t plan.Target, md plan.Metadata) error {
	if t.Level() == plan.LevelInstance {
		return r.Instances.SetInstanceMetadata(ctx, t.Project, t.Zone, t.Instance, md)
	}
	return r.Store.SetProjectMetadata(ctx, t.Project, md)
}

func failed(tr report.TargetReport, err error) report.TargetReport {
	tr.Outcome, tr.Error = report.OutcomeFailed, err.Error()
	tr.Decisions, tr.Kept, tr.Removed, tr.Moved, tr.Guard = nil, 0, 0, 0, nil
	return tr
}

func writeFailed(tr report.TargetReport, err error) report.TargetReport {
	tr.Outcome, tr.Error = report.OutcomeFailed, err.Error()
	return tr
}

func interrupted(tr report.TargetReport, err error) report.TargetReport {
	tr = failed(tr, err)
	tr.Outcome = report.OutcomeInterrupted
	return tr
}

func (r *Reconciler) writeTimeout() time.Duration {
	if r.WriteTimeout > 0 {
		return r.WriteTimeout
	}
	return DefaultWriteTimeout
}
