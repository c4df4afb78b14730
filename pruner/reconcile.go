package pruner

import (
	"cmp"
	"context"
	"fmt"
	"log/slog"
	"slices"
	"sync"
	"time"

	"github.com/ssh-pruner/ssh-pruner/pruner/access"
	"github.com/ssh-pruner/ssh-pruner/pruner/plan"
	"github.com/ssh-pruner/ssh-pruner/pruner/policy"
	"github.com/ssh-pruner/ssh-pruner/pruner/report"
	"github.com/ssh-pruner/ssh-pruner/pruner/state"
)

// Defaults of a Reconciler.
const (
	// DefaultConcurrency follows the quotas rather than a guess: Compute's
	// rate quotas are per project, and gcp's limiter keeps each project
	// below them whatever the number of workers, so a run over many
	// projects can keep many targets in flight. Measured with the fake at
	// 50 ms a call (BENCHMARKS.md, BenchmarkConcurrency): 64 runs 3x faster
	// than 16 at 100 projects and 3.7x at 10,000, for 4 MB more; 128 adds
	// little (1.35x) and puts more writes on one project at once.
	DefaultConcurrency = 64
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
// share every step up to the write; a reviewed plan (ApplyReviewed) and
// the access answer (Access) go through the same walk of the scope.
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
	OptOuts policy.OptOuts
	// Concurrency bounds the targets (projects and VMs) handled at once.
	Concurrency int
	// MaxAttempts bounds the read-plan-write rounds of a target whose
	// metadata keeps changing under us (HTTP 412).
	MaxAttempts int
	// Limits bound what one run may remove (policy.Default's, or none when
	// zero).
	Limits policy.Limits
	// State is the run's memory of when each key was first seen, which
	// the grace of Policy needs, opened before the run and saved at its
	// end; nil when the run keeps no state.
	State *state.Session
	// SpoolReports makes a run (Run, ApplyReviewed) hand each project's
	// report to a report.Spool as the project finishes, rather than hold
	// them all to the end: the report's Spool, which the caller closes.
	// SpoolDir is where the spool's file goes; "" for os.TempDir().
	SpoolReports bool
	SpoolDir     string
	// WriteTimeout bounds a write that the run's interruption lets finish.
	WriteTimeout time.Duration
	RunID        string
	// Attribution, with a State, says who added each key first seen, from
	// the audit logs; nil for none.
	Attribution *Attribution
	// StateReader is where Access reads, and only reads, who added each
	// key; nil for none.
	StateReader state.Store

	spent       *budget      // the removals of the run under way, against Limits.PerRun
	passLog     *slog.Logger // Logger with the pass's run id and mode (begin)
	labels      *labelMatches
	audit       *auditLog // nil when the run does not attribute
	attrCounts  *attributionCounts
	auditFailed *sync.Once // the failure to read the logs is said once a run
}

// Run prunes the scope. It returns an error only when the scope cannot be
// enumerated; a target that fails is reported and the run goes on. When
// ctx is cancelled, no new target starts, writes under way finish, and the
// report says the run was interrupted. With a State, the state is saved
// before the summary is logged, and the summary says whether it was.
func (r *Reconciler) Run(ctx context.Context, scope Scope) (report.Report, error) {
	now := r.Now()
	if r.held() {
		r.Apply = false // a hold makes every run a dry run until a person lifts it
	}
	r.begin()
	r.spent = &budget{}
	if err := r.checkExclusions(ctx); err != nil {
		return report.Report{RunID: r.RunID, DryRun: !r.Apply, Now: now.UTC()}, err
	}
	r.openedState(ctx, now)
	r.startAttribution()
	w, err := r.walk(ctx, r.Lister, scope, r.spool(now), func(ctx context.Context, p Project, named bool, pr *report.ProjectReport, q *projectJobs) {
		r.project(ctx, p, named, now, pr, q)
	})
	if err != nil {
		return report.Report{RunID: r.RunID, DryRun: !r.Apply, Now: now.UTC()}, err
	}
	return r.finish(ctx, w, now, now), nil
}

// finish makes the report of a walk at the clock of its plans, ends the
// state's use at the real clock, and logs the summary, in that order.
func (r *Reconciler) finish(ctx context.Context, w walked, now, seenAt time.Time) report.Report {
	rep := report.Report{RunID: r.RunID, DryRun: !r.Apply, Now: now.UTC(), Interrupted: w.Interrupted,
		ScopeError: w.ScopeError, Projects: w.Projects, Spool: w.Spool, Folders: w.Folders, Labels: r.labels.matches()}
	rep.Finish()
	rep.Attribution = r.attributionReport()
	if cc, ok := r.Store.(CallCounter); ok {
		rep.Totals.APIRetries, rep.Totals.APIThrottled = cc.CallStats()
	}
	r.saveState(ctx, &rep, w.HeldAtRunLimit, seenAt)
	r.logSummary(ctx, rep)
	return rep
}

// spool is where a run's projects' reports go, nil to keep them in the
// report: now is the clock of the run's plans, which the text needs.
func (r *Reconciler) spool(now time.Time) *report.Spool {
	if !r.SpoolReports {
		return nil
	}
	return &report.Spool{Now: now.UTC(), Dir: r.SpoolDir}
}

// project handles a project's own metadata, then lists its instances and
// queues each of them as a target of its own. The state's memory of the
// project is read first and written once the project and its VMs are done.
func (r *Reconciler) project(ctx context.Context, p Project, named bool, now time.Time, pr *report.ProjectReport, q *projectJobs) {
	mem, ok := r.projectMemory(ctx, p.ID, now, pr)
	if !ok {
		return
	}
	done := r.whenDone(ctx, mem, now)
	defer done()
	tr, md, projectFinal, read := r.target(ctx, targetJob{t: plan.Target{Project: p.ID}, in: plan.Input{Level: plan.LevelProject}, now: now, seenAt: now, mem: mem})
	if tr.Outcome == report.OutcomeSkipped && tr.Reason == report.SkipForbidden && named {
		// Named on purpose (a CI gate on one project): not being allowed
		// to read it must not pass for clean.
		tr = failed(tr, fmt.Errorf("named in the scope, but its metadata may not be read: %w", ErrForbidden))
	}
	pr.TargetReport = tr
	r.finished(ctx, tr)
	if r.Instances == nil || !read {
		return
	}
	listedAt := r.wallNow()
	listing, ok := r.listInstances(ctx, p.ID, pr)
	if !ok {
		return
	}
	vms := make([]access.VM, len(listing.Instances))
	for i, in := range listing.Instances {
		vms[i] = in.VM(md.Items)
	}
	pr.Posture = access.PostureOf(md.Items, vms, now)
	pr.Instances = make([]report.TargetReport, len(listing.Instances))
	r.observer().Found(len(listing.Instances))
	for j, in := range listing.Instances {
		t := plan.Target{Project: p.ID, Zone: in.Zone, Instance: in.Name}
		if reason := r.OptOuts.Instance(in.Labels); reason != "" {
			r.labels.vm(reason)
			tr := report.TargetReport{Target: t, Windows: in.Windows, Outcome: report.OutcomeSkipped, Reason: reason}
			pr.Instances[j] = tr
			r.finished(ctx, tr)
			continue
		}
		jobDone := r.whenDone(ctx, mem, now)
		q.add(func() {
			defer jobDone()
			tr, _, final, read := r.target(ctx, targetJob{t: t, listed: &in.Metadata, listedAt: listedAt, in: plan.Input{Level: plan.LevelInstance, Windows: in.Windows}, now: now, seenAt: now, mem: mem})
			pr.Instances[j] = tr
			r.finished(ctx, tr)
			if read && tr.Reason != SkipGone {
				in.Metadata = final
				r.logAccess(ctx, in, projectFinal, now)
			}
		})
	}
}

// listInstances lists a project's instances once, sorted, and notes in
// pr what could not be listed; ok is false when nothing was.
func (r *Reconciler) listInstances(ctx context.Context, projectID string, pr *report.ProjectReport) (InstanceListing, bool) {
	if ctx.Err() != nil {
		pr.InstancesError = "not listed: the run was interrupted"
		return InstanceListing{}, false
	}
	listing, err := r.Instances.ListInstances(ctx, projectID)
	if err != nil {
		pr.InstancesError = fmt.Sprintf("list instances: %v", err)
		r.logInstancesError(ctx, projectID, pr.InstancesError)
		return InstanceListing{}, false
	}
	// Stores list in their own order (aggregatedList's items are a map):
	// sort, so that reports and logs compare from one run to the next.
	slices.SortFunc(listing.Instances, func(a, b Instance) int {
		return cmp.Or(cmp.Compare(a.Zone, b.Zone), cmp.Compare(a.Name, b.Name))
	})
	slices.Sort(listing.Unreachable)
	pr.UnreachableZones = listing.Unreachable
	if len(listing.Unreachable) > 0 {
		r.logUnreachable(ctx, projectID, listing.Unreachable)
	}
	return listing, true
}

func (r *Reconciler) finished(ctx context.Context, tr report.TargetReport) {
	r.logTarget(ctx, tr)
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

// begin starts a pass: every entry of the pass carries its run id and
// whether it is a dry run, from one logger.
func (r *Reconciler) begin() {
	base := r.Logger
	if base == nil {
		base = slog.New(slog.DiscardHandler)
	}
	r.passLog = base.With(slog.String(LogRunID, r.RunID), slog.Bool(LogDryRun, !r.Apply))
	r.labels = newLabelMatches(r.OptOuts)
}

func (r *Reconciler) log() *slog.Logger {
	if r.passLog == nil {
		return slog.New(slog.DiscardHandler) // a pass always begins first
	}
	return r.passLog
}
