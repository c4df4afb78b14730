package pruner

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"time"

	"github.com/ssh-pruner/ssh-pruner/pruner/plan"
	"github.com/ssh-pruner/ssh-pruner/pruner/report"
	"github.com/ssh-pruner/ssh-pruner/pruner/state"
)

// projectMemory reads the state's memory of a project before it is
// handled; nil without a state. A memory that cannot be read fails the
// project, which is then left alone: planned without its keys' ages, a
// key without expiry could go before its grace.
func (r *Reconciler) projectMemory(ctx context.Context, id string, now time.Time, pr *report.ProjectReport) (*state.Project, bool) {
	if r.State == nil {
		return nil, true
	}
	mem, err := r.State.Project(ctx, id, now)
	if err != nil {
		pr.TargetReport = failed(report.TargetReport{Target: plan.Target{Project: id}}, err)
		r.finished(ctx, pr.TargetReport)
		return nil, false
	}
	return mem, true
}

// whenDone counts one more piece of a project under way and gives the
// function that says it is done: once the project's own target and every
// one of its VMs are, its memory is written. Without a state it does
// nothing.
func (r *Reconciler) whenDone(ctx context.Context, mem *state.Project, now time.Time) func() {
	if mem == nil {
		return func() {}
	}
	mem.Begin()
	var once sync.Once
	return func() {
		once.Do(func() {
			if mem.End() {
				if err := r.State.Save(ctx, mem, now); err != nil {
					r.log().LogAttrs(ctx, slog.LevelError, "state of project not saved",
						slog.String(LogEvent, EventState), slog.String(LogError, err.Error()))
				}
			}
		})
	}
}

// openedState logs, for a first run, that every key's clock starts now,
// for a migration what it took, and for a hold that the run is a dry run.
func (r *Reconciler) openedState(ctx context.Context, now time.Time) {
	if r.State == nil {
		return
	}
	attrs := []slog.Attr{slog.String(LogEvent, EventState), slog.String(LogState, r.State.Location())}
	switch {
	case r.State.FirstRun && r.Policy.Grace > 0:
		attrs := append(attrs, slog.String(LogGraceEnds, now.Add(r.Policy.Grace).UTC().Format(time.RFC3339)))
		r.log().LogAttrs(ctx, slog.LevelWarn, "no state yet: first run, every key's clock starts now, and no key without expiry is removed before its grace ends", attrs...)
	case r.State.FirstRun:
		// Without a grace the state only remembers: nothing waits on it.
		r.log().LogAttrs(ctx, slog.LevelInfo, "no state yet: first run, every key's clock starts now", attrs...)
	}
	if n := r.State.Migrated; n > 0 {
		r.log().LogAttrs(ctx, slog.LevelInfo, fmt.Sprintf("state of version 1 migrated: %d projects' objects made", n), attrs...)
	}
	if h := r.State.Hold(); h != nil {
		r.log().LogAttrs(ctx, slog.LevelWarn, "dry run: the state holds the runs: "+h.String(), attrs...)
	}
}

// held tells whether the state holds the runs: then a run writes nothing.
func (r *Reconciler) held() bool { return r.State != nil && r.State.Hold() != nil }

// saveState ends a run's use of the state: it records a hold when the run
// stopped at its removal limit, and puts the state's outcome in the
// report before the run's summary is logged: a run whose only failure is
// a state not saved must not log success.
func (r *Reconciler) saveState(ctx context.Context, rep *report.Report, heldAtLimit int, now time.Time) {
	if r.State == nil {
		return
	}
	o := r.State.Outcome()
	sr := &report.StateReport{Location: r.State.Location(), FirstRun: r.State.FirstRun, Migrated: r.State.Migrated,
		Keys: o.Keys, ProjectsWritten: o.Saved, NotSaved: o.NotSaved}
	if r.Policy.Grace > 0 {
		sr.Grace = r.Policy.Grace.String()
	}
	var errs []string
	if len(o.NotSaved) > 0 {
		errs = append(errs, fmt.Sprintf("another run saved %d projects' state after this run read it (%s): their first-seen times of this run are not saved, and its metadata writes stand", len(o.NotSaved), strings.Join(o.NotSaved, ", ")))
	}
	if len(o.Failed) > 0 {
		errs = append(errs, fmt.Sprintf("the state of %d projects could not be written (%s)", len(o.Failed), strings.Join(o.Failed, ", ")))
	}
	if h := r.State.Hold(); h != nil {
		sr.Hold = h.String()
	} else if n := heldAtLimit; n > 0 && r.Apply {
		h := state.Hold{Since: now.UTC(), RunID: r.RunID, Limit: r.Limits.PerRun, Held: n}
		if err := r.State.SetHold(ctx, h); err != nil {
			errs = append(errs, fmt.Sprintf("the hold could not be saved (%v): the next run is not held", err))
		}
		sr.Hold = h.String()
	}
	sr.Warnings = r.State.Warnings()
	sr.Error = strings.Join(errs, "; ")
	sr.Saved = sr.Error == ""
	rep.State = sr
	r.logState(ctx, sr)
}

// heldAtRunLimit counts the targets of a project that the run held at
// its removal limit: the walk adds them up as projects finish.
func heldAtRunLimit(p report.ProjectReport) int {
	held := func(tr report.TargetReport) int {
		if tr.Outcome == report.OutcomeHeld && tr.Reason == HoldRunLimit {
			return 1
		}
		return 0
	}
	n := held(p.TargetReport)
	for _, in := range p.Instances {
		n += held(in)
	}
	return n
}

func (r *Reconciler) logState(ctx context.Context, sr *report.StateReport) {
	attrs := []slog.Attr{slog.String(LogEvent, EventState), slog.String(LogState, sr.Location), slog.Int(LogKeys, sr.Keys)}
	for _, w := range sr.Warnings {
		r.log().LogAttrs(ctx, slog.LevelWarn, "state: "+w, attrs...)
	}
	if sr.Error != "" {
		r.log().LogAttrs(ctx, slog.LevelError, "state not saved", append(attrs, slog.String(LogError, sr.Error))...)
		return
	}
	r.log().LogAttrs(ctx, slog.LevelInfo, "state saved", attrs...)
}
