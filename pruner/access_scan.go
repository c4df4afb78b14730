package pruner

import (
	"cmp"
	"context"
	"log/slog"
	"strings"
	"sync"
	"time"

	"github.com/ssh-pruner/ssh-pruner/pruner/access"
	"github.com/ssh-pruner/ssh-pruner/pruner/attribution"
	"github.com/ssh-pruner/ssh-pruner/pruner/plan"
	"github.com/ssh-pruner/ssh-pruner/pruner/report"
	"github.com/ssh-pruner/ssh-pruner/pruner/state"
)

// Access tells who can reach which VM of the scope at now, through the
// walk of a run: the same exclusions and opt-outs, the same concurrency,
// each project's metadata read once and its VMs listed once; nothing is
// written. It returns an error only when the scope cannot be enumerated;
// what cannot be read is a gap in the answer.
func (r *Reconciler) Access(ctx context.Context, scope Scope, now time.Time) (access.AccessReport, error) {
	r.begin()
	if err := r.checkExclusions(ctx); err != nil {
		return access.AccessReport{Now: now.UTC()}, err
	}
	var mu sync.Mutex
	var vms []access.VMReport
	var shared access.Strings
	// The projects' reports stay in memory (no spool): gaps reads them
	// back, and an access answer holds every VM anyway.
	w, err := r.walk(ctx, r.Lister, scope, nil, func(ctx context.Context, p Project, _ bool, pr *report.ProjectReport, _ *projectJobs) {
		found := r.accessOf(ctx, p, pr, now)
		for i := range found {
			shared.Share(&found[i])
		}
		mu.Lock()
		vms = append(vms, found...)
		mu.Unlock()
	})
	rep := access.AccessReport{Now: now.UTC(), VMs: vms}
	if err != nil {
		return rep, err
	}
	rep.Gaps = gaps(w)
	rep.Finish()
	return rep, nil
}

// accessOf reads one project's metadata and lists its VMs, noting in pr
// what could not be seen.
func (r *Reconciler) accessOf(ctx context.Context, p Project, pr *report.ProjectReport, now time.Time) []access.VMReport {
	pr.TargetReport = report.TargetReport{Target: plan.Target{Project: p.ID}, Outcome: report.OutcomeUnchanged}
	md, err := r.Store.ProjectMetadata(ctx, p.ID)
	if err != nil {
		pr.TargetReport, _ = readFailed(ctx, pr.TargetReport, err)
		return nil
	}
	listing, ok := r.listInstances(ctx, p.ID, pr)
	if !ok {
		return nil
	}
	known := r.knownAttributions(ctx, p.ID, now)
	vms := make([]access.VMReport, 0, len(listing.Instances))
	for _, in := range listing.Instances {
		if r.OptOuts.Instance(in.Labels) != "" {
			continue
		}
		vr := access.VMReportOf(in.Place(), in.VM(md.Items), now)
		for i := range vr.Active {
			k := &vr.Active[i]
			target := plan.Target{Project: p.ID}
			if k.Level == plan.LevelInstance {
				target = plan.Target{Project: p.ID, Zone: in.Zone, Instance: in.Name}
			}
			if res := known(target.String(), k.Fingerprint); res != nil {
				k.Added = added(*res)
			}
		}
		vms = append(vms, vr)
	}
	return vms
}

// knownAttributions reads, from the state that Access was given
// (StateReader), who added the keys of a project; a lookup that finds
// nothing without one, or when the project's object cannot be read, which
// is said in the log: the answer is about access, and stands without.
func (r *Reconciler) knownAttributions(ctx context.Context, projectID string, now time.Time) func(target, fp string) *attribution.Result {
	none := func(string, string) *attribution.Result { return nil }
	if r.StateReader == nil {
		return none
	}
	sh, _, _, err := state.ReadProject(ctx, r.StateReader, projectID, now)
	if err != nil {
		r.log().LogAttrs(ctx, slog.LevelWarn, "who added the keys is not shown: "+err.Error(), slog.String(LogEvent, EventState), slog.String(LogProject, projectID))
		return none
	}
	return func(target, fp string) *attribution.Result { return sh.Targets[target].Keys[fp].Attr }
}

// gaps are what a walk did not see: folders not listed, projects that
// failed, were not allowed or not reached, zones and listings of VMs.
// A project without Compute Engine has no VM: it is no gap.
func gaps(w walked) []access.AccessGap {
	var out []access.AccessGap
	for _, f := range w.Folders {
		out = append(out, access.AccessGap{Resource: f.Folder, Reason: cmp.Or(f.Reason, f.Error)})
	}
	if w.ScopeError != "" {
		out = append(out, access.AccessGap{Resource: "scope", Reason: w.ScopeError})
	}
	for _, p := range w.Projects {
		name := "projects/" + p.Project
		switch {
		case p.Outcome == report.OutcomeSkipped && p.Reason == report.SkipForbidden:
			out = append(out, access.AccessGap{Resource: name, Reason: report.SkipForbidden})
		case p.Outcome == report.OutcomeFailed:
			out = append(out, access.AccessGap{Resource: name, Reason: p.Error})
		case p.Outcome == report.OutcomeInterrupted || p.Outcome == report.OutcomeNotStarted:
			out = append(out, access.AccessGap{Resource: name, Reason: "interrupted"})
		case p.InstancesError != "":
			out = append(out, access.AccessGap{Resource: name, Reason: strings.TrimPrefix(p.InstancesError, "list instances: ")})
		}
		for _, z := range p.UnreachableZones {
			out = append(out, access.AccessGap{Resource: name + "/" + strings.TrimPrefix(z, "/"), Reason: "unreachable"})
		}
	}
	return out
}
