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
// project itself. p carries the project's ID only: what else the listing
// said of it (state, folders, labels) decided whether it is handled, and
// is not kept while it waits for a worker.
type projectHandler func(ctx context.Context, p Project, named bool, pr *report.ProjectReport, q *projectJobs)

// walked is what a walk of a scope found and did, before any command
// makes a report of it. Projects are the projects' reports, unless they
// went to Spool as each project finished.
type walked struct {
	Projects    []report.ProjectReport
	Spool       *report.Spool
	Folders     []report.FolderReport
	ScopeError  string
	Interrupted bool
	// HeldAtRunLimit counts the targets held at the run's removal limit.
	HeldAtRunLimit int
}

// projectSink takes each project's report once it and its instances are
// done, at its place in the report's order: a report.Spool, or
// reportsInMemory. It keeps its first error itself.
type projectSink interface {
	Put(part report.Part, seq int, p report.ProjectReport) error
}

// reportsInMemory keeps the projects' reports whole, in the report's
// order: the walk of a run without a spool, and of Access, which reads
// them back for its gaps.
type reportsInMemory struct {
	mu    sync.Mutex
	parts [report.PartHandled + 1][]report.ProjectReport
}

func (m *reportsInMemory) Put(part report.Part, seq int, p report.ProjectReport) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	ps := m.parts[part]
	if seq >= len(ps) {
		ps = append(ps, make([]report.ProjectReport, seq+1-len(ps))...)
		m.parts[part] = ps
	}
	ps[seq] = p
	return nil
}

func (m *reportsInMemory) projects() []report.ProjectReport {
	var out []report.ProjectReport
	for _, ps := range m.parts {
		out = append(out, ps...)
	}
	return out
}

// projectJobs queues the instance targets of one project and tells the
// walk when the project is done: once its handler returned and every job
// it queued ran. Then, and not before, the project's report is whole.
type projectJobs struct {
	q       *workQueue
	mu      sync.Mutex
	pending int // the handler, then each job not yet run
	done    func()
}

// add queues an instance target of the project.
func (pj *projectJobs) add(job func()) {
	pj.mu.Lock()
	pj.pending++
	pj.mu.Unlock()
	pj.q.add(func() {
		defer pj.end()
		job()
	})
}

func (pj *projectJobs) end() {
	pj.mu.Lock()
	pj.pending--
	last := pj.pending == 0
	pj.mu.Unlock()
	if last {
		pj.done()
	}
}

// walk lists the scope with lister and hands each project to handle, on
// Concurrency workers: the one scope walk of run, apply and access. What
// the opt-outs, the exclusions or a project's state leave alone is
// reported skipped and never handled. It returns an error only when the
// scope cannot be enumerated at all; a listing that stops partway stops
// the projects not yet started, and says why in ScopeError.
//
// Each project's report goes to spool as soon as the project and its
// instances are done, or, with no spool, is kept for walked.Projects.
// What the walk holds of a project otherwise is its ID, from when it is
// listed to the end (to take it once), and its report while it is
// handled: a run's memory follows its concurrency, not its organization.
func (r *Reconciler) walk(ctx context.Context, lister ProjectLister, scope Scope, spool *report.Spool, handle projectHandler) (walked, error) {
	out := walked{Spool: spool}
	mem := &reportsInMemory{}
	in := &walkIntake{r: r, sink: spool, q: newWorkQueue(), seen: map[string]bool{}}
	if spool == nil {
		in.sink = mem
	}
	named := make(map[string]bool, len(scope.Projects))
	for _, id := range scope.Projects {
		named[id] = true
	}
	stopWatch := context.AfterFunc(ctx, in.q.stop)
	defer stopWatch()

	var wg sync.WaitGroup
	for range max(1, r.Concurrency) {
		wg.Go(func() { in.work(ctx, named, handle) })
	}

	gaps, err := listScope(ctx, lister, scope, func(ps []Project) { in.accept(ctx, ps) })
	if err != nil && ctx.Err() == nil {
		if in.listed() == 0 {
			in.q.closeProjects()
			wg.Wait()
			return out, fmt.Errorf("enumerate scope: %w", err)
		}
		// Part of the scope was listed, and maybe written: no further
		// project starts, and the report says the scope was cut short.
		in.q.stop()
		out.ScopeError = err.Error()
		r.logScopeError(ctx, out.ScopeError)
	}
	in.q.closeProjects()
	wg.Wait()

	var unlisted []report.ProjectReport
	out.Folders, unlisted = r.unlisted(ctx, gaps)
	for i, pr := range unlisted {
		in.put(report.PartUnlisted, i, pr)
	}
	for i := in.q.started(); i < len(in.todo); i++ {
		tr := report.TargetReport{Target: plan.Target{Project: in.todo[i]}, Outcome: report.OutcomeNotStarted}
		r.finished(ctx, tr)
		in.put(report.PartHandled, i, report.ProjectReport{TargetReport: tr})
	}
	if spool == nil {
		out.Projects = mem.projects()
	}
	out.HeldAtRunLimit = in.heldRuns
	out.Interrupted = ctx.Err() != nil
	return out, nil
}

// walkIntake is what a walk keeps of the projects listed: the IDs of
// those to handle, in the listing's order, how many it left alone, the
// IDs seen (to take each once), and where each project's report goes.
// Safe for concurrent use: the listing adds while the workers take.
type walkIntake struct {
	r    *Reconciler
	sink projectSink
	q    *workQueue

	mu       sync.Mutex // guards what the listing adds while workers run, and what the sink says
	todo     []string   // the IDs of the projects to handle, in the listing's order
	skipped  int
	seen     map[string]bool
	heldRuns int
}

// put hands a project's report to the sink, and counts its targets held
// at the run's removal limit.
func (in *walkIntake) put(part report.Part, seq int, pr report.ProjectReport) {
	held := heldAtRunLimit(pr)
	// A spool that fails keeps its first error, which writing the report
	// then gives: the run itself goes on.
	_ = in.sink.Put(part, seq, pr)
	in.mu.Lock()
	in.heldRuns += held
	in.mu.Unlock()
}

// accept takes what the listing found: each project once, reported
// skipped at once when it is left alone, else queued for a worker.
func (in *walkIntake) accept(ctx context.Context, ps []Project) {
	r := in.r
	in.mu.Lock()
	n := 0
	var left []report.ProjectReport
	for _, p := range ps {
		if in.seen[p.ID] {
			continue
		}
		in.seen[p.ID] = true
		reason := r.leftAlone(p)
		r.labels.project(r.OptOuts, p, reason)
		if reason != "" {
			left = append(left, report.ProjectReport{TargetReport: report.TargetReport{Target: plan.Target{Project: p.ID}, Outcome: report.OutcomeSkipped, Reason: reason}})
			continue
		}
		in.todo = append(in.todo, p.ID)
		n++
	}
	first := in.skipped
	in.skipped += len(left)
	in.mu.Unlock()
	for i, pr := range left {
		r.logTarget(ctx, pr.TargetReport)
		in.put(report.PartSkipped, first+i, pr)
	}
	if n > 0 {
		r.observer().Found(n)
		in.q.addProjects(n)
	}
}

// listed counts the projects the listing gave so far.
func (in *walkIntake) listed() int {
	in.mu.Lock()
	defer in.mu.Unlock()
	return len(in.todo) + in.skipped
}

// work is one worker of the walk: it runs the instance jobs queued and
// handles the projects in turn until the queue is closed and empty.
func (in *walkIntake) work(ctx context.Context, named map[string]bool, handle projectHandler) {
	for {
		job, i, ok := in.q.take()
		switch {
		case !ok:
			return
		case job != nil:
			job()
		default:
			in.mu.Lock()
			id := in.todo[i]
			in.mu.Unlock()
			pr := &report.ProjectReport{}
			pj := &projectJobs{q: in.q, pending: 1, done: func() { in.put(report.PartHandled, i, *pr) }}
			handle(ctx, Project{ID: id}, named[id], pr, pj)
			pj.end()
			in.q.projectDone()
		}
	}
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
