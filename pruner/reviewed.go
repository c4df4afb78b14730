package pruner

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"
)

// ReviewedTarget is one target of a reviewed plan: what a dry run planned
// for it, from which metadata. It carries no metadata value and no key
// blob: the decisions name keys by fingerprint.
type ReviewedTarget struct {
	Target
	Windows     bool       `json:"windows,omitempty"`
	PlannedFrom string     `json:"plannedFrom"`
	Decisions   []Decision `json:"decisions"`
	Guard       *Guard     `json:"guard,omitempty"`
}

// ReviewedTargets are the targets of a dry run's report that would change,
// as a reviewed plan holds them.
func (r Report) ReviewedTargets() []ReviewedTarget {
	var out []ReviewedTarget
	add := func(tr TargetReport) {
		if tr.Outcome == OutcomeWouldChange {
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
func (r *Reconciler) ApplyReviewed(ctx context.Context, targets []ReviewedTarget, clock time.Time) Report {
	rep := Report{RunID: r.RunID, Now: clock.UTC()}
	byProject := map[string]*ProjectReport{}
	var order []string
	for _, rt := range targets {
		tr := r.applyReviewed(ctx, rt, clock)
		r.finished(tr)
		pr := byProject[rt.Project]
		if pr == nil {
			pr = &ProjectReport{TargetReport: TargetReport{Target: Target{Project: rt.Project}, Outcome: OutcomeUnchanged}}
			byProject[rt.Project] = pr
			order = append(order, rt.Project)
		}
		if rt.Level() == LevelInstance {
			pr.Instances = append(pr.Instances, tr)
		} else {
			pr.TargetReport = tr
		}
	}
	for _, id := range order {
		rep.Projects = append(rep.Projects, *byProject[id])
	}
	rep.Interrupted = ctx.Err() != nil
	rep.total()
	r.logSummary(rep)
	return rep
}

func (r *Reconciler) applyReviewed(ctx context.Context, rt ReviewedTarget, clock time.Time) TargetReport {
	tr := TargetReport{Target: rt.Target, Windows: rt.Windows, PlannedFrom: rt.PlannedFrom, Decisions: rt.Decisions, Guard: rt.Guard, Attempts: 1}
	if err := ctx.Err(); err != nil {
		tr.Outcome, tr.Attempts = OutcomeNotStarted, 0
		return tr
	}
	md, err := r.read(ctx, rt.Target)
	if err != nil {
		return failed(tr, fmt.Errorf("read metadata: %w", err))
	}
	level := rt.Level()
	in := PlanInput{Level: level, Windows: rt.Windows, Metadata: md, FirstSeen: plannedFirstSeen(rt.Decisions)}
	plan := PlanTarget(in, r.Policy, clock)
	decisions := listedDecisions(nil, plan.Decisions)
	tr.Kept, tr.Removed, tr.Moved = plan.Count(ActionKeep), plan.Count(ActionRemove), plan.Count(ActionMove)
	switch {
	case md.Fingerprint != rt.PlannedFrom:
		tr.Outcome, tr.Reason = OutcomeStale, "metadata changed since the plan"
		return tr
	case !slices.Equal(decisions, rt.Decisions) || !sameGuard(plan.Guard, rt.Guard) || !plan.Changed:
		tr.Outcome, tr.Reason = OutcomeStale, "planning again gives other decisions"
		return tr
	}
	wctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), r.writeTimeout())
	err = r.write(wctx, rt.Target, Metadata{Fingerprint: md.Fingerprint, Items: plan.Items})
	cancel()
	switch {
	case err == nil:
		tr.Outcome = OutcomeChanged
		r.logDecisions(r.logger().With(targetAttrs(rt.Target)...), plan)
	case errors.Is(err, ErrConflict):
		tr.Outcome, tr.Reason = OutcomeStale, "metadata changed while writing"
	default:
		tr = writeFailed(tr, fmt.Errorf("write metadata: %w", err))
	}
	return tr
}

// plannedFirstSeen gives back the first-seen times a plan was made with:
// its listed decisions carry them, and only a listed key's decision
// depends on its age. nil when the plan was made without a state.
func plannedFirstSeen(ds []Decision) map[string]time.Time {
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

func sameGuard(a, b *Guard) bool {
	if a == nil || b == nil {
		return a == b
	}
	return *a == *b
}
