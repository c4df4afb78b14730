package pruner

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/ssh-pruner/ssh-pruner/pruner/plan"
	"github.com/ssh-pruner/ssh-pruner/pruner/report"
)

// SkipGone is the reason of an instance deleted between its listing and
// its write: there is nothing left to prune.
const SkipGone = "not-found"

// target handles one metadata target: plan from the metadata it was listed
// with (listed, for instances) or from a read, and with Apply write, again
// from a fresh read whenever the write meets a concurrent change. A stale
// plan is never written: each write carries the fingerprint of the read it
// was planned from. It returns the report, the metadata first seen, the
// metadata as the run leaves it (what was written, else what was last read;
// empty for a VM that is gone), and whether it was seen at all.
func (r *Reconciler) target(ctx context.Context, t plan.Target, listed *plan.Metadata, in plan.Input, now time.Time) (tr report.TargetReport, first, final plan.Metadata, read bool) {
	tr = report.TargetReport{Target: t, Windows: in.Windows}
	log := r.logger().With(targetAttrs(t)...)
	attempts := max(1, r.MaxAttempts)
	reserved := 0 // removals of this target counted against the run
	for tr.Attempts = 1; ; tr.Attempts++ {
		if err := ctx.Err(); err != nil {
			if tr.Attempts == 1 {
				tr.Outcome, tr.Attempts = report.OutcomeNotStarted, 0
				return tr, first, final, false
			}
			return interrupted(tr, err), first, final, true
		}
		var md plan.Metadata
		var err error
		if listed != nil && tr.Attempts == 1 {
			md = *listed
		} else {
			md, err = r.read(ctx, t)
		}
		switch {
		case errors.Is(err, ErrComputeDisabled):
			tr.Outcome, tr.Reason = report.OutcomeSkipped, report.SkipComputeDisabled
			return tr, first, final, false
		case errors.Is(err, ErrForbidden):
			tr.Outcome, tr.Reason = report.OutcomeSkipped, report.SkipForbidden
			return tr, first, final, false
		case errors.Is(err, ErrNotFound) && t.Level() == plan.LevelInstance:
			tr.Outcome, tr.Reason = report.OutcomeSkipped, SkipGone
			return tr, first, plan.Metadata{}, tr.Attempts > 1
		case ctx.Err() != nil:
			return interrupted(tr, ctx.Err()), first, final, tr.Attempts > 1
		case err != nil:
			return failed(tr, fmt.Errorf("read metadata: %w", err)), first, final, tr.Attempts > 1
		}
		if tr.Attempts == 1 {
			first = md
		}
		final = md

		in.Metadata = md
		tr.PlannedFrom = md.Fingerprint
		if r.State != nil {
			in.FirstSeen = r.State.Seen.FirstSeen(t.String())
		}
		pl := plan.Make(in, r.Policy, now)
		if r.State != nil {
			r.State.Seen.Record(t.String(), fingerprints(pl.Decisions), now)
		}
		tr.Kept, tr.Removed, tr.Moved = pl.Count(plan.ActionKeep), pl.Count(plan.ActionRemove), pl.Count(plan.ActionMove)
		tr.Guard = pl.Guard
		tr.Decisions = plan.Listed(tr.Decisions[:0], pl.Decisions)
		if reserved > 0 {
			r.spent.release(reserved) // planned again: its removals are counted anew
			reserved = 0
		}
		if pl.Changed {
			if reason, limit := r.spent.hold(r.Limits, tr.Removed, tr.Kept+tr.Removed+tr.Moved); reason != "" {
				tr.Outcome, tr.Reason, tr.Hold = report.OutcomeHeld, reason, holdMessage(reason, tr.Removed, limit)
				r.logHeld(log, tr)
				return tr, first, final, true
			}
			reserved = tr.Removed
		}
		if !pl.Changed {
			tr.Outcome = report.OutcomeUnchanged
			r.logDecisions(log, pl)
			return tr, first, final, true
		}
		if !r.Apply {
			tr.Outcome = report.OutcomeWouldChange
			r.logDecisions(log, pl)
			return tr, first, final, true
		}

		// A write under way is let finish even when the run is interrupted:
		// abandoning it would leave us not knowing what was written.
		wctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), r.writeTimeout())
		err = r.write(wctx, t, plan.Metadata{Fingerprint: md.Fingerprint, Items: pl.Items})
		cancel()
		switch {
		case err == nil:
			final = plan.Metadata{Items: pl.Items}
			tr.Outcome = report.OutcomeChanged
			if r.State != nil {
				r.State.Seen.Record(t.String(), fingerprints(plan.Stayed(pl.Decisions)), now)
			}
			r.logDecisions(log, pl)
			return tr, first, final, true
		case errors.Is(err, ErrConflict) && tr.Attempts < attempts:
			log.LogAttrs(ctx, slog.LevelInfo, "metadata changed since read, planning again",
				slog.Int(LogAttempt, tr.Attempts), slog.String(LogRunID, r.RunID))
			continue
		case errors.Is(err, ErrNotFound) && t.Level() == plan.LevelInstance:
			tr.Outcome, tr.Reason, tr.Decisions = report.OutcomeSkipped, SkipGone, nil
			tr.Kept, tr.Removed, tr.Moved, tr.Guard = 0, 0, 0, nil
			return tr, first, plan.Metadata{}, true
		default:
			// The report keeps what the write tried: it may have landed
			// (a timeout, a lost answer), and a person must be able to
			// check. The per-key log stays silent: nothing is confirmed.
			return writeFailed(tr, fmt.Errorf("write metadata (attempt %d of %d): %w", tr.Attempts, attempts, err)), first, final, true
		}
	}
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

// fingerprints are the keys of the decisions, as the state remembers them.
func fingerprints(ds []plan.Decision) []string {
	out := make([]string, len(ds))
	for i, d := range ds {
		out[i] = d.Fingerprint
	}
	return out
}
