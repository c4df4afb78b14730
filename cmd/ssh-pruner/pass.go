package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"time"

	"github.com/ssh-pruner/ssh-pruner/gcp"
	"github.com/ssh-pruner/ssh-pruner/keyparse"
	"github.com/ssh-pruner/ssh-pruner/pruner"
	"github.com/ssh-pruner/ssh-pruner/pruner/report"
	"github.com/ssh-pruner/ssh-pruner/pruner/state"
)

// backend is what a pass reads and writes: Google (gcp.Client), or the
// fake behind it.
type backend interface {
	pruner.ProjectLister
	pruner.MetadataStore
	pruner.InstanceStore
}

// passID is the run id of one pass: --run-id, else a random one.
func (s setup) passID() string {
	if s.runID != "" {
		return s.runID
	}
	return newRunID()
}

// connect makes the Google client of the setup. Every flag was checked
// before: what fails here is the environment.
func (s setup) connect(ctx context.Context) (*gcp.Client, error) {
	client, err := gcp.New(ctx, s.gcp)
	if err != nil {
		// Exit 1, not 2: credentials that cannot be found can be a
		// metadata server not yet reachable at a pod's start, which the
		// Job retries (deploy/ fails the Job at once on exit 2 only).
		return nil, fmt.Errorf("connect to Google Cloud: %w", err)
	}
	return client, nil
}

// terminal is what a person at a terminal sees on stderr: with
// --log-format auto (or text) and stderr a terminal, text log lines under a
// live progress line. It gives where the log goes, the observer of the
// pass (nil for none), and done, which takes the progress line away
// before the report.
func (s setup) terminal(stderr io.Writer) (out io.Writer, observer pruner.Observer, done func()) {
	if logFormat(s.logFormat, stderr) != "text" || !isTerminal(stderr) {
		return stderr, nil, func() {}
	}
	p := newProgress(stderr, time.Now)
	return p, p, p.Close
}

// report ends a pass: the progress line away, the plan saved when asked
// for, the report printed and written, the exit status.
func (s setup) report(rep report.Report, done func(), stdout, stderr io.Writer) error {
	done()
	if s.planOut != "" {
		if err := savePlan(s, rep, stderr); err != nil {
			return err
		}
	}
	return s.finish(rep, stdout)
}

// reconciler is the reconciler of one pass over b.
func (s setup) reconciler(b backend, logger *slog.Logger, observer pruner.Observer, runID string) *pruner.Reconciler {
	r := &pruner.Reconciler{
		Lister:      b,
		Store:       b,
		Policy:      s.compiled.Plan,
		Now:         s.clock,
		Logger:      logger,
		Apply:       s.apply,
		Exclude:     s.compiled.Exclude,
		OptOuts:     s.compiled.OptOuts,
		Concurrency: s.concurrency,
		MaxAttempts: s.maxAttempts,
		Limits:      s.compiled.Limits,
		RunID:       runID,
		Observer:    observer,
		// A plan file is made from the projects' reports at the end: with
		// --plan-out they stay in memory, as large as the organization.
		SpoolReports: s.planOut == "" && !s.keepReports,
	}
	if s.compiled.Instances {
		r.Instances = b
	}
	if a := s.attribution; a != nil {
		if reader, ok := b.(pruner.AuditReader); ok {
			r.Attribution = &pruner.Attribution{Reader: reader, Resource: a.resource, Lookback: a.lookback, Delay: a.delay}
		}
	}
	return r
}

// reconcile runs one pass with the setup: the state opened before, and
// saved by the reconciler before it logs its summary.
func (s setup) reconcile(ctx context.Context, b backend, logger *slog.Logger, observer pruner.Observer, runID string) (report.Report, error) {
	r := s.reconciler(b, logger, observer, runID)
	st, closeState, err := s.openState(ctx)
	if err != nil {
		return report.Report{}, err
	}
	defer closeState()
	r.State = st
	rep, err := r.Run(ctx, s.scope)
	return rep, exclusionError(err)
}

// exclusionError makes an exclusion that names nothing a usage error, exit
// 2: a typo in the configuration, caught before anything was written.
func exclusionError(err error) error {
	var ee *pruner.ExclusionError
	if errors.As(err, &ee) {
		return usageErrorf("%v", ee)
	}
	return err
}

// openState opens the state of a pass, or nil without --state. A state
// that cannot be read stops the pass before anything is written: exit 2
// when it is not a state, 1 when the store failed.
func (s setup) openState(ctx context.Context) (*state.Session, func(), error) {
	if s.state == "" {
		return nil, func() {}, nil
	}
	store, closeStore, err := s.stateStore(ctx)
	if err != nil {
		return nil, nil, err
	}
	st, err := state.Open(ctx, store, s.clock())
	var bad *state.BadStateError
	switch {
	case errors.As(err, &bad):
		closeStore()
		return nil, nil, usageErrorf("%v", bad)
	case err != nil:
		closeStore()
		return nil, nil, err
	}
	return st, closeStore, nil
}

// stateStore is where the state lives: a directory, or a Cloud Storage
// prefix.
func (s setup) stateStore(ctx context.Context) (state.Store, func(), error) {
	if !strings.HasPrefix(s.state, "gs://") {
		return &state.Dir{Path: s.state}, func() {}, nil
	}
	o := s.gcp
	o.StorageEndpoint = s.stateEndpoint
	p, err := gcp.NewStatePrefix(ctx, o, s.state)
	if err != nil {
		return nil, nil, fmt.Errorf("state %s: %w", s.state, err)
	}
	return p, func() { _ = p.Close() }, nil
}

// finish prints the report, writes the --report file, and turns the
// report into the exit status; the report's spool is closed after. The report is printed first: a file that
// cannot be written must not hide what the run did.
func (s setup) finish(rep report.Report, stdout io.Writer) error {
	if rep.Spool != nil {
		defer rep.Spool.Close() // nothing is written of it after
	}
	var err error
	if s.output == "json" {
		err = rep.WriteJSON(stdout)
	} else {
		err = rep.WriteText(stdout)
	}
	if err != nil {
		return fmt.Errorf("write report: %w", err)
	}
	if s.reportFile != "" {
		if err := writeOutput(s.reportFile, rep.WriteJSON); err != nil {
			return fmt.Errorf("write report %s: %w", s.reportFile, err)
		}
	}
	switch {
	case !rep.OK():
		return &exitError{code: 1, err: errSilent}
	case s.attribution != nil && s.attribution.require && rep.Attribution != nil && rep.Attribution.Error != "":
		return &exitError{code: 1, err: errSilent}
	case s.exitOnChanges && rep.DryRun && rep.HasChanges():
		return &exitError{code: 3, err: errSilent}
	}
	return nil
}

// failed ends a pass that failed before it had a report (no credentials,
// a state that cannot be opened, a scope that cannot be listed at all).
// The files a run leaves must not keep an earlier run's report or plan as
// if they were this one's, nor vanish (a reader may hold them open, and a
// path that is a pipe or a terminal cannot): --report gets a report that
// says the run failed and why, --plan-out a plan that apply refuses.
// The error stays cause, with what could not be written added to its line.
func (s setup) failed(runID string, cause error) error {
	rep := report.Report{RunID: runID, DryRun: !s.apply, Now: s.clock().UTC(), Error: keyparse.Printable(cause.Error())}
	rep.Finish()
	var notWritten []string
	if s.planOut != "" {
		if err := writeFailedPlan(s.planOut, rep); err != nil {
			notWritten = append(notWritten, "--plan-out "+keyparse.Printable(s.planOut)+": "+err.Error())
		}
	}
	if s.reportFile != "" {
		if err := writeOutput(s.reportFile, rep.WriteJSON); err != nil {
			notWritten = append(notWritten, "--report "+keyparse.Printable(s.reportFile)+": "+err.Error())
		}
	}
	if len(notWritten) == 0 {
		return cause
	}
	return fmt.Errorf("%w (and not written: %s)", cause, strings.Join(notWritten, "; "))
}
