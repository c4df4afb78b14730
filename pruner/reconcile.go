package pruner

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"time"
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

// Reconciler prunes the projects of a scope: it reads each project's
// metadata, plans, and with Apply writes the plan. Dry run and apply share
// every step up to the write.
type Reconciler struct {
	Lister ProjectLister
	Store  MetadataStore
	Policy Policy
	Now    func() time.Time
	Logger *slog.Logger
	// Apply writes the plans; without it the run only reports them.
	Apply bool
	// Exclude names project ids to leave alone.
	Exclude []string
	// Concurrency bounds the projects handled at once.
	Concurrency int
	// MaxAttempts bounds the read-plan-write rounds of a project whose
	// metadata keeps changing under us (HTTP 412).
	MaxAttempts int
	// WriteTimeout bounds a write that the run's interruption lets finish.
	WriteTimeout time.Duration
	RunID        string
}

// Run prunes the scope. It returns an error only when the scope cannot be
// enumerated; a project that fails is reported and the run goes on. When
// ctx is cancelled, no new project starts, writes under way finish, and the
// report says the run was interrupted.
func (r *Reconciler) Run(ctx context.Context, scope Scope) (Report, error) {
	now := r.Now()
	rep := Report{RunID: r.RunID, DryRun: !r.Apply, Now: now.UTC()}
	inv, err := r.Lister.ListProjects(ctx, scope)
	switch {
	case err != nil && ctx.Err() != nil:
		// Interrupted while listing: nothing was written; say so in a report.
		rep.Interrupted = true
		rep.total()
		r.logSummary(rep)
		return rep, nil
	case err != nil:
		return rep, fmt.Errorf("enumerate scope: %w", err)
	}

	for _, s := range inv.Skipped {
		// A sub-folder the caller may not list is a gap to report, not a
		// failure; a project named in the scope that cannot be read is a
		// failure, whatever the reason (Resource Manager answers 403 for
		// a project that does not exist: a typo must not pass for done).
		pr := ProjectReport{Project: s.Name, Outcome: OutcomeFailed, Error: s.Err.Error()}
		if errors.Is(s.Err, ErrForbidden) && strings.HasPrefix(s.Name, "folders/") {
			pr = ProjectReport{Project: s.Name, Outcome: OutcomeSkipped, Reason: SkipForbidden}
		}
		rep.Projects = append(rep.Projects, pr)
	}

	var todo []Project
	for _, p := range inv.Projects {
		switch {
		case slices.Contains(r.Exclude, p.ID):
			rep.Projects = append(rep.Projects, ProjectReport{Project: p.ID, Outcome: OutcomeSkipped, Reason: SkipExcluded})
		case p.State != "" && p.State != "ACTIVE":
			rep.Projects = append(rep.Projects, ProjectReport{Project: p.ID, Outcome: OutcomeSkipped, Reason: skipStatePrefix + p.State})
		default:
			todo = append(todo, p)
		}
	}
	for _, pr := range rep.Projects {
		r.logProject(pr)
	}

	named := make(map[string]bool, len(scope.Projects))
	for _, id := range scope.Projects {
		named[id] = true
	}
	results := make([]*ProjectReport, len(todo))
	work := make(chan int)
	var wg sync.WaitGroup
	for range max(1, r.Concurrency) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range work {
				pr := r.project(ctx, todo[i], now)
				if pr.Outcome == OutcomeSkipped && pr.Reason == SkipForbidden && named[pr.Project] {
					// Named on purpose (a CI gate on one project): not
					// being allowed to read it must not pass for clean.
					pr = failed(pr, fmt.Errorf("named in the scope, but its metadata may not be read: %w", ErrForbidden))
				}
				r.logProject(pr)
				results[i] = &pr
			}
		}()
	}
feed:
	for i := range todo {
		select {
		case work <- i:
		case <-ctx.Done():
			break feed
		}
	}
	close(work)
	wg.Wait()

	for i, pr := range results {
		if pr == nil {
			pr = &ProjectReport{Project: todo[i].ID, Outcome: OutcomeNotStarted}
			r.logProject(*pr)
		}
		rep.Projects = append(rep.Projects, *pr)
	}
	for i := range rep.Projects {
		if rep.Projects[i].Decisions == nil {
			rep.Projects[i].Decisions = []Decision{} // [] in JSON, not null
		}
	}
	rep.Interrupted = ctx.Err() != nil
	rep.total()
	r.logSummary(rep)
	return rep, nil
}

// project handles one project: read, plan, and with Apply write, again from
// a fresh read whenever the write meets a concurrent change. A stale plan is
// never written: each write carries the fingerprint of the read it was
// planned from.
func (r *Reconciler) project(ctx context.Context, p Project, now time.Time) ProjectReport {
	pr := ProjectReport{Project: p.ID}
	log := r.logger().With(LogProject, p.ID)
	attempts := max(1, r.MaxAttempts)
	for pr.Attempts = 1; ; pr.Attempts++ {
		if ctx.Err() != nil {
			return interrupted(pr, ctx.Err())
		}
		md, err := r.Store.ProjectMetadata(ctx, p.ID)
		switch {
		case errors.Is(err, ErrComputeDisabled):
			pr.Outcome, pr.Reason = OutcomeSkipped, SkipComputeDisabled
			return pr
		case errors.Is(err, ErrForbidden):
			pr.Outcome, pr.Reason = OutcomeSkipped, SkipForbidden
			return pr
		case ctx.Err() != nil:
			return interrupted(pr, ctx.Err())
		case err != nil:
			return failed(pr, fmt.Errorf("read metadata: %w", err))
		}

		plan := PlanMetadata(md, r.Policy, now)
		pr.Kept, pr.Removed, pr.Moved = plan.Count(ActionKeep), plan.Count(ActionRemove), plan.Count(ActionMove)
		pr.Decisions = pr.Decisions[:0]
		for _, d := range plan.Decisions {
			if d.Action != ActionKeep {
				pr.Decisions = append(pr.Decisions, d)
			}
		}
		if !plan.Changed {
			pr.Outcome = OutcomeUnchanged
			r.logDecisions(log, plan)
			return pr
		}
		if !r.Apply {
			pr.Outcome = OutcomeWouldChange
			r.logDecisions(log, plan)
			return pr
		}

		// A write under way is let finish even when the run is interrupted:
		// abandoning it would leave us not knowing what was written.
		wctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), r.writeTimeout())
		err = r.Store.SetProjectMetadata(wctx, p.ID, Metadata{Fingerprint: md.Fingerprint, Items: plan.Items})
		cancel()
		switch {
		case err == nil:
			pr.Outcome = OutcomeChanged
			r.logDecisions(log, plan)
			return pr
		case errors.Is(err, ErrConflict) && pr.Attempts < attempts:
			log.LogAttrs(ctx, slog.LevelInfo, "metadata changed since read, planning again",
				slog.Int(LogAttempt, pr.Attempts), slog.String(LogRunID, r.RunID))
			continue
		default:
			// The report keeps what the write tried: it may have landed
			// (a timeout, a lost answer), and a person must be able to
			// check. The per-key log stays silent: nothing is confirmed.
			return writeFailed(pr, fmt.Errorf("write metadata (attempt %d of %d): %w", pr.Attempts, attempts, err))
		}
	}
}

func failed(pr ProjectReport, err error) ProjectReport {
	pr.Outcome, pr.Error = OutcomeFailed, err.Error()
	pr.Decisions, pr.Kept, pr.Removed, pr.Moved = nil, 0, 0, 0
	return pr
}

func writeFailed(pr ProjectReport, err error) ProjectReport {
	pr.Outcome, pr.Error = OutcomeFailed, err.Error()
	return pr
}

func interrupted(pr ProjectReport, err error) ProjectReport {
	pr = failed(pr, err)
	pr.Outcome = OutcomeInterrupted
	return pr
}

func (r *Reconciler) writeTimeout() time.Duration {
	if r.WriteTimeout > 0 {
		return r.WriteTimeout
	}
	return DefaultWriteTimeout
}

func (r *Reconciler) logger() *slog.Logger {
	if r.Logger == nil {
		return slog.New(slog.DiscardHandler)
	}
	return r.Logger
}
