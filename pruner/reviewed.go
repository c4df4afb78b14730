package pruner

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/ssh-pruner/ssh-pruner/pruner/plan"
	"github.com/ssh-pruner/ssh-pruner/pruner/report"
)

// ReviewedTarget is one target of a reviewed plan: what a dry run planned
// for it, from which metadata. It carries no metadata value and no key
// blob: the decisions name keys by fingerprint.
type ReviewedTarget struct {
	plan.Target
	Windows     bool            `json:"windows,omitempty"`
	PlannedFrom string          `json:"plannedFrom"`
	Decisions   []plan.Decision `json:"decisions"`
	Guard       *plan.Guard     `json:"guard,omitempty"`
}

// ReviewedTargets are the targets of a dry run's report that would change,
// as a reviewed plan holds them.
func ReviewedTargets(r report.Report) []ReviewedTarget {
	var out []ReviewedTarget
	add := func(tr report.TargetReport) {
		if tr.Outcome == report.OutcomeWouldChange {
			out = append(out, ReviewedTarget{Target: tr.Target, Windows: tr.Windows, PlannedFrom: tr.PlannedFrom, Decisions: tr.Decisions, Guard: tr.Guard})
		}
	}
	for _, p := range r.Projects {
		add(p.TargetReport)
		for _, in := range p.Instances {
			add(in)
		}
	}
	return out
}

// ApplyReviewed writes exactly a reviewed plan: for each target it reads
// the metadata again, and writes only if the fingerprint is the one the
// plan was made from and planning again (with the plan's policy, at the
// plan's clock) gives the same decisions. A target that changed meanwhile
// is stale and left alone, never planned anew; a write that meets a
// concurrent change is stale too.
func (r *Reconciler) ApplyReviewed(ctx context.Context, targets []ReviewedTarget, clock time.Time) report.Report {
	rep := report.Report{RunID: r.RunID, Now: clock.UTC()}
	byProject := map[string]*report.ProjectReport{}
	var order []string
	for _, rt := range targets {
		tr := r.applyReviewed(ctx, rt, clock)
		r.finished(tr)
		pr := byProject[rt.Project]
		if pr == nil {
			pr = &report.ProjectReport{TargetReport: report.TargetReport{Target: plan.Target{Project: rt.Project}, Outcome: report.OutcomeUnchanged}}
			byProject[rt.Project] = pr
			order = append(order, rt.Project)
		}
		if rt.Level() == plan.LevelInstance {
			pr.Instances = append(pr.Instances, tr)
		} else {
			pr.TargetReport = tr
		}
	}
	for _, id := range order {
		rep.Projects = append(rep.Projects, *byProject[id])
	}
	rep.Interrupted = ctx.Err() != nil
	rep.Finish()
	r.logSummary(rep)
	return rep
}

func (r *Reconciler) applyReviewed(ctx context.Context, rt ReviewedTarget, clock time.Time) report.TargetReport {
	tr := report.TargetReport{Target: rt.Target, Windows: rt.Windows, PlannedFrom: rt.PlannedFrom, Decisions: rt.Decisions, Guard: rt.Guard, Attempts: 1}
	if err := ctx.Err(); err != nil {
		tr.Outcome, tr.Attempts = report.OutcomeNotStarted, 0
		return tr
	}
	md, err := r.read(ctx, rt.Target)
	if err != nil {
		return failed(tr, fmt.Errorf("read metadata: %w", err))
	}
	level := rt.Level()
	in := plan.Input{Level: level, Windows: rt.Windows, Metadata: md, FirstSeen: plannedFirstSeen(rt.Decisions)}
	pl := plan.Make(in, r.Policy, clock)
	decisions := plan.Listed(nil, pl.Decisions)
	tr.Kept, tr.Removed, tr.Moved = pl.Count(plan.ActionKeep), pl.Count(plan.ActionRemove), pl.Count(plan.ActionMove)
	switch {
	case md.Fingerprint != rt.PlannedFrom:
		tr.Outcome, tr.Reason = report.OutcomeStale, "metadata changed since the plan"
		return tr
	case !slices.Equal(decisions, rt.Decisions) || !sameGuard(pl.Guard, rt.Guard) || !pl.Changed:
		tr.Outcome, tr.Reason = report.OutcomeStale, "planning again gives other decisions"
		return tr
	}
	wctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), r.writeTimeout())
	err = r.write(wctx, rt.Target, plan.Metadata{Fingerprint: md.Fingerprint, Items: pl.Items})
	cancel()
	switch {
	case err == nil:
		tr.Outcome = report.OutcomeChanged
		r.logDecisions(r.logger().With(targetAttrs(rt.Target)...), pl)
	case errors.Is(err, ErrConflict):
		tr.Outcome, tr.Reason = report.OutcomeStale, "metadata changed while writing"
	default:
		tr = writeFailed(tr, fmt.Errorf("write metadata: %w", err))
	}
	return tr
}

// plannedFirstSeen gives back the first-seen times a plan was made with:
// its listed decisions carry them, and only a listed key's decision
// depends on its age. nil when the plan was made without a state.
func plannedFirstSeen(ds []plan.Decision) map[string]time.Time {
	var out map[string]time.Time
	for _, d := range ds {
		if d.FirstSeen == "" || d.Fingerprint == "" {
			continue
		}
		t, err := time.Parse(time.RFC3339Nano, d.FirstSeen)
		if err != nil {
			continue // not as written: planning again differs, and the target is stale
		}
		if out == nil {
			out = map[string]time.Time{}
		}
		out[d.Fingerprint] = t
	}
	return out
}

func sameGuard(a, b *plan.Guard) bool {
	if a == nil || b == nil {
		return a == b
	}
	return *a == *b
}
