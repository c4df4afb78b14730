package pruner

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/ssh-pruner/ssh-pruner/pruner/access"
	"github.com/ssh-pruner/ssh-pruner/pruner/plan"
	"github.com/ssh-pruner/ssh-pruner/pruner/report"
	"github.com/ssh-pruner/ssh-pruner/pruner/state"
)

// Defaults of a Reconciler.
const (
	DefaultConcurrency = 16
	DefaultMaxAttempts = 5
	// DefaultWriteTimeout bounds a write and the wait for its operation,
	// which takes seconds on Compute. With the flush of the log (30 s at
	// most) it stays below the three minutes of grace that deploy/ gives a
	// pod between SIGTERM and SIGKILL.
	DefaultWriteTimeout = 90 * time.Second
)

// Reconciler prunes the metadata targets of a scope: each project's
// commonInstanceMetadata and, with Instances, each instance's metadata. It
// reads a target, plans, and with Apply writes the plan. Dry run and apply
// share every step up to the write.
type Reconciler struct {
	Lister ProjectLister
	Store  MetadataStore
	// Instances lists and writes instance metadata; nil leaves instances
	// alone.
	Instances InstanceStore
	Policy    plan.Policy
	Now       func() time.Time
	Logger    *slog.Logger
	// Observer hears of progress; nil for none.
	Observer Observer
	// Apply writes the plans; without it the run only reports them.
	Apply bool
	// Exclude names project ids to leave alone, their instances included.
	Exclude []string
	// OptOuts leave projects and VMs alone by folder and by label.
	OptOuts OptOuts
	// Concurrency bounds the targets handled at once.
	Concurrency int
	// MaxAttempts bounds the read-plan-write rounds of a target whose
	// metadata keeps changing under us (HTTP 412).
	MaxAttempts int
	// Limits bound what one run may remove (DefaultLimits, or none when
	// zero).
	Limits Limits
	// State is the run's memory of when each key was first seen, which
	// the grace of Policy needs, opened before the run and saved at its
	// end; nil when the run keeps no state.
	State *state.Session
	// WriteTimeout bounds a write that the run's interruption lets finish.
	WriteTimeout time.Duration
	RunID        string

	spent *budget // the removals of the run under way, against Limits.PerRun
}

// Run prunes the scope. It returns an error only when the scope cannot be
// enumerated; a target that fails is reported and the run goes on. When
// ctx is cancelled, no new target starts, writes under way finish, and the
// report says the run was interrupted.
func (r *Reconciler) Run(ctx context.Context, scope Scope) (report.Report, error) {
	now := r.Now()
	rep := report.Report{RunID: r.RunID, DryRun: !r.Apply, Now: now.UTC()}
	r.openedState(ctx, now)
	r.spent = &budget{}
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
			var reason string
			switch {
			case slices.Contains(r.Exclude, p.ID):
				reason = report.SkipExcluded
			case p.State != "" && p.State != "ACTIVE":
				reason = report.SkipStatePrefix + p.State
			case r.OptOuts.project(p) != "":
				reason = r.OptOuts.project(p)
			default:
				todo = append(todo, p)
				results = append(results, &report.ProjectReport{})
				n++
				continue
			}
			pr := report.ProjectReport{TargetReport: report.TargetReport{Target: plan.Target{Project: p.ID}, Outcome: report.OutcomeSkipped, Reason: reason}}
			skipped = append(skipped, pr)
			r.logTarget(pr.TargetReport)
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
					mu.Unlock()
					r.project(ctx, p, named[p.ID], now, pr, q)
					q.projectDone()
				}
			}
		})
	}

	// A lister that streams hands over each level of the hierarchy as it
	// is listed: its projects are pruned while deeper folders are listed.
	var inv Inventory
	var err error
	if s, ok := r.Lister.(ProjectStreamer); ok {
		inv, err = s.StreamProjects(ctx, scope, accept)
	} else if inv, err = r.Lister.ListProjects(ctx, scope); err == nil {
		accept(inv.Projects)
	}
	mu.Lock()
	listed := len(todo) + len(skipped)
	mu.Unlock()
	if err != nil && ctx.Err() == nil {
		if listed == 0 {
			q.closeProjects()
			wg.Wait()
			return rep, fmt.Errorf("enumerate scope: %w", err)
		}
		// Part of the scope was listed, and maybe written: no further
		// project starts, and the report says the scope was cut short.
		q.stop()
		rep.ScopeError = err.Error()
		r.logScopeError(rep.ScopeError)
	}
	q.closeProjects()
	wg.Wait()

	for _, s := range inv.Skipped {
		// A sub-folder that cannot be listed is a gap to report, not a
		// failure; a project named in the scope that cannot be read is a
		// failure, whatever the reason (Resource Manager answers 403 for
		// a project that does not exist: a typo must not pass for done).
		if strings.HasPrefix(s.Name, "folders/") {
			fr := report.FolderReport{Folder: s.Name, Error: s.Err.Error()}
			if errors.Is(s.Err, ErrForbidden) {
				fr = report.FolderReport{Folder: s.Name, Reason: report.SkipForbidden}
			}
			rep.Folders = append(rep.Folders, fr)
			r.logFolder(fr)
			continue
		}
		pr := report.ProjectReport{TargetReport: report.TargetReport{Target: plan.Target{Project: strings.TrimPrefix(s.Name, "projects/")}, Outcome: report.OutcomeFailed, Error: s.Err.Error()}}
		rep.Projects = append(rep.Projects, pr)
		r.logTarget(pr.TargetReport)
	}
	rep.Projects = append(rep.Projects, skipped...)
	for i := q.started(); i < len(todo); i++ {
		results[i].TargetReport = report.TargetReport{Target: plan.Target{Project: todo[i].ID}, Outcome: report.OutcomeNotStarted}
		r.finished(results[i].TargetReport)
	}
	for _, pr := range results {
		rep.Projects = append(rep.Projects, *pr)
	}
	rep.Interrupted = ctx.Err() != nil
	rep.Finish()
	if cc, ok := r.Store.(CallCounter); ok {
		rep.Totals.APIRetries, rep.Totals.APIThrottled = cc.CallStats()
	}
	r.saveState(ctx, &rep)
	r.logSummary(rep)
	return rep, nil
}

// project handles a project's own metadata, then lists its instances and
// queues each of them as a target of its own.
func (r *Reconciler) project(ctx context.Context, p Project, named bool, now time.Time, pr *report.ProjectReport, q *workQueue) {
	tr, md, projectFinal, read := r.target(ctx, plan.Target{Project: p.ID}, nil, plan.Input{Level: plan.LevelProject}, now)
	if tr.Outcome == report.OutcomeSkipped && tr.Reason == report.SkipForbidden && named {
		// Named on purpose (a CI gate on one project): not being allowed
		// to read it must not pass for clean.
		tr = failed(tr, fmt.Errorf("named in the scope, but its metadata may not be read: %w", ErrForbidden))
	}
	pr.TargetReport = tr
	r.finished(tr)
	if r.Instances == nil || !read {
		return
	}
	if ctx.Err() != nil {
		pr.InstancesError = "not listed: the run was interrupted"
		return
	}

	listing, err := r.Instances.ListInstances(ctx, p.ID)
	if err != nil {
		pr.InstancesError = fmt.Sprintf("list instances: %v", err)
		r.logInstancesError(p.ID, pr.InstancesError)
		return
	}
	// Stores list in their own order (aggregatedList's items are a map):
	// sort, so that reports and logs compare from one run to the next.
	slices.SortFunc(listing.Instances, func(a, b Instance) int {
		return cmp.Or(cmp.Compare(a.Zone, b.Zone), cmp.Compare(a.Name, b.Name))
	})
	slices.Sort(listing.Unreachable)
	pr.UnreachableZones = listing.Unreachable
	vms := make([]access.VM, len(listing.Instances))
	for i, in := range listing.Instances {
		vms[i] = in.VM(md.Items)
	}
	pr.Posture = access.PostureOf(md.Items, vms, now)
	if len(listing.Unreachable) > 0 {
		r.logUnreachable(p.ID, listing.Unreachable)
	}
	pr.Instances = make([]report.TargetReport, len(listing.Instances))
	r.observer().Found(len(listing.Instances))
	for j, in := range listing.Instances {
		if reason := r.OptOuts.instance(in); reason != "" {
			tr := report.TargetReport{Target: plan.Target{Project: p.ID, Zone: in.Zone, Instance: in.Name}, Windows: in.Windows, Outcome: report.OutcomeSkipped, Reason: reason}
			pr.Instances[j] = tr
			r.finished(tr)
			continue
		}
		q.add(func() {
			t := plan.Target{Project: p.ID, Zone: in.Zone, Instance: in.Name}
			tr, _, final, read := r.target(ctx, t, &in.Metadata, plan.Input{Level: plan.LevelInstance, Windows: in.Windows}, now)
			pr.Instances[j] = tr
			r.finished(tr)
			if read && tr.Reason != SkipGone {
				in.Metadata = final
				r.logAccess(in, projectFinal, now)
			}
		})
	}
}

func (r *Reconciler) finished(tr report.TargetReport) {
	r.logTarget(tr)
	r.observer().Finished(tr.Outcome)
}

func (r *Reconciler) observer() Observer {
	if r.Observer == nil {
		return nopObserver{}
	}
	return r.Observer
}

type nopObserver struct{}

func (nopObserver) Found(int)               {}
func (nopObserver) Finished(report.Outcome) {}

func (r *Reconciler) logger() *slog.Logger {
	if r.Logger == nil {
		return slog.New(slog.DiscardHandler)
	}
	return r.Logger
}
