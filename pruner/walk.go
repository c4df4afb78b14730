package pruner

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"

	"github.com/ssh-pruner/ssh-pruner/pruner/plan"
	"github.com/ssh-pruner/ssh-pruner/pruner/report"
)

// projectHandler handles one project of a walk: its own target, and the
// instance targets it queues on q. named tells that the scope named the
// project itself.
type projectHandler func(ctx context.Context, p Project, named bool, pr *report.ProjectReport, q *workQueue)

// walked is what a walk of a scope found and did, before any command
// makes a report of it.
type walked struct {
	Projects    []report.ProjectReport
	Folders     []report.FolderReport
	ScopeError  string
	Interrupted bool
}

// walk lists the scope with lister and hands each project to handle, on
// Concurrency workers: the one scope walk of run, apply and access. What
// the opt-outs, the exclusions or a project's state leave alone is
// reported skipped and never handled. It returns an error only when the
// scope cannot be enumerated at all; a listing that stops partway stops
// the projects not yet started, and says why in ScopeError.
func (r *Reconciler) walk(ctx context.Context, lister ProjectLister, scope Scope, handle projectHandler) (walked, error) {
	var out walked
	named := make(map[string]bool, len(scope.Projects))
	for _, id := range scope.Projects {
		named[id] = true
	}
	q := newWorkQueue()
	stopWatch := context.AfterFunc(ctx, q.stop)
	defer stopWatch()
	var (
		mu      sync.Mutex // guards what the listing adds while workers run
		todo    []Project
		results []*report.ProjectReport
		skipped []report.ProjectReport
		seen    = map[string]bool{}
	)
	accept := func(ps []Project) {
		mu.Lock()
		n := 0
		for _, p := range ps {
			if seen[p.ID] {
				continue
			}
			seen[p.ID] = true
			reason := r.leftAlone(p)
			r.labels.project(r.OptOuts, p, reason)
			if reason != "" {
				pr := report.ProjectReport{TargetReport: report.TargetReport{Target: plan.Target{Project: p.ID}, Outcome: report.OutcomeSkipped, Reason: reason}}
				skipped = append(skipped, pr)
				r.logTarget(ctx, pr.TargetReport)
				continue
			}
			todo = append(todo, p)
			results = append(results, &report.ProjectReport{})
			n++
		}
		mu.Unlock()
		if n > 0 {
			r.observer().Found(n)
			q.addProjects(n)
		}
	}

	var wg sync.WaitGroup
	for range max(1, r.Concurrency) {
		wg.Go(func() {
			for {
				job, i, ok := q.take()
				switch {
				case !ok:
					return
				case job != nil:
					job()
				default:
					mu.Lock()
					p, pr := todo[i], results[i]
					// The listing runs far ahead of the workers; what it
					// found of a project is not kept once the project is
					// taken.
					todo[i] = Project{}
					mu.Unlock()
					handle(ctx, p, named[p.ID], pr, q)
					q.projectDone()
				}
			}
		})
	}

	gaps, err := listScope(ctx, lister, scope, accept)
	mu.Lock()
	listed := len(todo) + len(skipped)
	mu.Unlock()
	if err != nil && ctx.Err() == nil {
		if listed == 0 {
			q.closeProjects()
			wg.Wait()
			return out, fmt.Errorf("enumerate scope: %w", err)
		}
		// Part of the scope was listed, and maybe written: no further
		// project starts, and the report says the scope was cut short.
		q.stop()
		out.ScopeError = err.Error()
		r.logScopeError(ctx, out.ScopeError)
	}
	q.closeProjects()
	wg.Wait()

	out.Folders, out.Projects = r.unlisted(ctx, gaps)
	out.Projects = append(out.Projects, skipped...)
	for i := q.started(); i < len(todo); i++ {
		results[i].TargetReport = report.TargetReport{Target: plan.Target{Project: todo[i].ID}, Outcome: report.OutcomeNotStarted}
		r.finished(ctx, results[i].TargetReport)
	}
	// One allocation for the report's projects, each let go as it is
	// copied: no slice grown by halves beside the projects' reports.
	out.Projects = slices.Grow(out.Projects, len(results))
	for i, pr := range results {
		out.Projects = append(out.Projects, *pr)
		results[i] = nil
	}
	out.Interrupted = ctx.Err() != nil
	return out, nil
}

// listScope lists the scope, handing each level of the hierarchy to
// accept as it is listed when the lister streams: its projects are
// pruned while deeper folders are listed. It gives what could not be
// listed; the projects are accept's to keep, not the walk's twice.
func listScope(ctx context.Context, lister ProjectLister, scope Scope, accept func([]Project)) ([]SkippedResource, error) {
	if s, ok := lister.(ProjectStreamer); ok {
		inv, err := s.StreamProjects(ctx, scope, accept)
		return inv.Skipped, err
	}
	inv, err := lister.ListProjects(ctx, scope)
	if err == nil {
		accept(inv.Projects)
	}
	return inv.Skipped, err
}

// leftAlone says why a listed project is not handled, or "".
func (r *Reconciler) leftAlone(p Project) string {
	switch {
	case slices.Contains(r.Exclude, p.ID):
		return report.SkipExcluded
	case p.State != "" && p.State != "ACTIVE":
		return report.SkipStatePrefix + p.State
	}
	return r.OptOuts.Project(p.Parent, p.Folders, p.Labels)
}

// unlisted reports what the listing could not enumerate. A sub-folder
// that cannot be listed is a gap to report, not a failure; a project
// named in the scope that cannot be read is a failure, whatever the
// reason (Resource Manager answers 403 for a project that does not
// exist: a typo must not pass for done).
func (r *Reconciler) unlisted(ctx context.Context, skipped []SkippedResource) (folders []report.FolderReport, projects []report.ProjectReport) {
	for _, s := range skipped {
		if strings.HasPrefix(s.Name, "folders/") {
			fr := report.FolderReport{Folder: s.Name, Error: s.Err.Error()}
			if errors.Is(s.Err, ErrForbidden) {
				fr = report.FolderReport{Folder: s.Name, Reason: report.SkipForbidden}
			}
			folders = append(folders, fr)
			r.logFolder(ctx, fr)
			continue
		}
		pr := report.ProjectReport{TargetReport: report.TargetReport{Target: plan.Target{Project: strings.TrimPrefix(s.Name, "projects/")}, Outcome: report.OutcomeFailed, Error: s.Err.Error()}}
		projects = append(projects, pr)
		r.logTarget(ctx, pr.TargetReport)
	}
	return folders, projects
}
