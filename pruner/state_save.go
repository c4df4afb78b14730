package pruner

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/ssh-pruner/ssh-pruner/pruner/report"
	"github.com/ssh-pruner/ssh-pruner/pruner/state"
)

// openedState logs, for a first run, that every key's clock starts now:
// no key without expiry is removed in this run.
func (r *Reconciler) openedState(ctx context.Context, now time.Time) {
	if r.State == nil || !r.State.FirstRun {
		return
	}
	attrs := []slog.Attr{slog.String(LogEvent, EventState), slog.String(LogState, r.State.Location())}
	if r.Policy.Grace > 0 {
		attrs = append(attrs, slog.String(LogGraceEnds, now.Add(r.Policy.Grace).UTC().Format(time.RFC3339)))
	}
	r.log().LogAttrs(ctx, slog.LevelWarn, "no state yet: first run, every key's clock starts now, and no key without expiry is removed before its grace ends", attrs...)
}

// saveState writes the run's memory at its end, an interrupted end too,
// and puts the outcome in the report before the run's summary is logged:
// a run whose only failure is an unsaved state must not log success.
func (r *Reconciler) saveState(ctx context.Context, rep *report.Report) {
	if r.State == nil {
		return
	}
	sr := &report.StateReport{Location: r.State.Location(), FirstRun: r.State.FirstRun}
	if r.Policy.Grace > 0 {
		sr.Grace = r.Policy.Grace.String()
	}
	keys, err := r.State.Save(ctx, rep.Now)
	sr.Keys = keys
	rep.State = sr
	attrs := []slog.Attr{slog.String(LogEvent, EventState), slog.String(LogState, sr.Location), slog.Int(LogKeys, keys)}
	switch {
	case errors.Is(err, state.ErrConflict):
		sr.Error = fmt.Sprintf("another run saved it after this run read it (%v): the first-seen times of this run are not saved, and its metadata writes stand", err)
	case err != nil:
		sr.Error = fmt.Sprintf("save: %v", err)
	default:
		sr.Saved = true
		r.log().LogAttrs(ctx, slog.LevelInfo, "state saved", attrs...)
		return
	}
	r.log().LogAttrs(ctx, slog.LevelError, "state not saved", append(attrs, slog.String(LogError, sr.Error))...)
}
