package pruner

import (
	"context"
	"time"

	"github.com/ssh-pruner/ssh-pruner/pruner/plan"
	"github.com/ssh-pruner/ssh-pruner/pruner/report"
	"github.com/ssh-pruner/ssh-pruner/pruner/state"
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

// ApplyReviewed writes exactly a reviewed plan, through the walk and
// the target loop of a run: projects and their VMs concurrently, each
// project's VMs listed once. A target is written only if its metadata
// has the fingerprint the plan was made from and planning again (with
// the plan's policy, at the plan's clock) gives the same decisions. A
// target that changed meanwhile is stale and left alone, never planned
// anew; a write that meets a concurrent change is stale too. What a run
// skips (no Compute, not allowed, a VM gone) is skipped.
func (r *Reconciler) ApplyReviewed(ctx context.Context, targets []ReviewedTarget, clock time.Time) report.Report {
	rv := newReviewedPlan(targets)
	if r.held() {
		r.Apply = false // a hold makes every run a dry run until a person lifts it
	}
	r.begin()
	seenAt := clock
	if r.Now != nil {
		seenAt = r.Now()
	}
	r.openedState(ctx, seenAt)
	w, _ := r.walk(ctx, rv, Scope{Projects: rv.order}, r.spool(clock), func(ctx context.Context, p Project, _ bool, pr *report.ProjectReport, q *projectJobs) {
		mem, ok := r.projectMemory(ctx, p.ID, seenAt, pr)
		if !ok {
			return
		}
		done := r.whenDone(ctx, mem, seenAt)
		defer done()
		r.reviewedProject(ctx, rv.projects[p.ID], clock, seenAt, mem, pr, q)
	})
	return r.finish(ctx, w, clock, seenAt)
}

// reviewedPlan is a reviewed plan by project, in the plan's order. It
// lists the plan's projects as the scope of the walk: nothing else is
// touched, and Resource Manager is not asked.
type reviewedPlan struct {
	order    []string
	projects map[string]*reviewedProject
}

type reviewedProject struct {
	id        string
	project   *ReviewedTarget
	instances []*ReviewedTarget
}

func newReviewedPlan(targets []ReviewedTarget) *reviewedPlan {
	rv := &reviewedPlan{projects: map[string]*reviewedProject{}}
	for i := range targets {
		rt := &targets[i]
		p := rv.projects[rt.Project]
		if p == nil {
			p = &reviewedProject{id: rt.Project}
			rv.projects[rt.Project] = p
			rv.order = append(rv.order, rt.Project)
		}
		if rt.Level() == plan.LevelInstance {
			p.instances = append(p.instances, rt)
		} else {
			p.project = rt
		}
	}
	return rv
}

// ListProjects gives the plan's projects.
func (rv *reviewedPlan) ListProjects(context.Context, Scope) (Inventory, error) {
	inv := Inventory{Projects: make([]Project, len(rv.order))}
	for i, id := range rv.order {
		inv.Projects[i] = Project{ID: id}
	}
	return inv, nil
}

// reviewedProject applies the plan's targets of one project: its own
// metadata, then its VMs from one listing.
func (r *Reconciler) reviewedProject(ctx context.Context, rp *reviewedProject, clock, seenAt time.Time, mem *state.Project, pr *report.ProjectReport, q *projectJobs) {
	pr.TargetReport = report.TargetReport{Target: plan.Target{Project: rp.id}, Outcome: report.OutcomeUnchanged}
	if rt := rp.project; rt != nil {
		pr.TargetReport, _, _, _ = r.target(ctx, targetJob{t: rt.Target, in: plan.Input{Level: plan.LevelProject}, now: clock, seenAt: seenAt, reviewed: rt, mem: mem})
		r.finished(ctx, pr.TargetReport)
	}
	if len(rp.instances) == 0 {
		return
	}
	listing, ok := r.listInstances(ctx, rp.id, pr)
	if !ok {
		return
	}
	listed := make(map[plan.Target]*Instance, len(listing.Instances))
	for i := range listing.Instances {
		in := &listing.Instances[i]
		listed[plan.Target{Project: rp.id, Zone: in.Zone, Instance: in.Name}] = in
	}
	pr.Instances = make([]report.TargetReport, len(rp.instances))
	r.observer().Found(len(rp.instances))
	for j, rt := range rp.instances {
		in := listed[rt.Target]
		if in == nil {
			tr := report.TargetReport{Target: rt.Target, Windows: rt.Windows, Outcome: report.OutcomeSkipped, Reason: SkipGone}
			pr.Instances[j] = tr
			r.finished(ctx, tr)
			continue
		}
		jobDone := r.whenDone(ctx, mem, seenAt)
		q.add(func() {
			defer jobDone()
			tr, _, _, _ := r.target(ctx, targetJob{t: rt.Target, listed: &in.Metadata, in: plan.Input{Level: plan.LevelInstance, Windows: rt.Windows},
				now: clock, seenAt: seenAt, reviewed: rt, mem: mem})
			pr.Instances[j] = tr
			r.finished(ctx, tr)
		})
	}
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
