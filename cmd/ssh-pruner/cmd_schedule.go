package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"sync/atomic"
	"time"

	"github.com/robfig/cron/v3"
	"github.com/ssh-pruner/ssh-pruner/pruner"
	"github.com/ssh-pruner/ssh-pruner/pruner/report"
)

const scheduleUsage = `Usage: ssh-pruner schedule --cron SPEC (--organization ID | --folder ID... | --project ID...) [flags]

Runs the same pass as 'ssh-pruner run' on a schedule, as a long-running
worker. Runs never overlap: a time that comes while a run is still going is
skipped, and the skip is logged. SIGTERM or SIGINT stops the worker: a run
under way lets its writes finish, then the worker exits 0. Each run prints
its report on stdout.

SPEC is what robfig/cron's standard parser takes: five fields (minute
hour day-of-month month day-of-week), a descriptor (@hourly, @daily,
@weekly, @monthly), or @every DURATION, optionally after CRON_TZ=Zone.

Examples:
  # Every hour, applying, with a probe endpoint for Kubernetes
  ssh-pruner schedule --cron @hourly --organization 123456789012 --apply --health-addr :8080

  # Dry run every 30 minutes from 08:00 to 18:30, Monday to Friday, Paris time
  ssh-pruner schedule --cron 'CRON_TZ=Europe/Paris */30 8-18 * * 1-5' --folder 1001

/healthz answers 200 while the last run did not fail entirely (its scope
could be listed and not every project it tried failed), 503 otherwise.
`

func cmdSchedule(ctx context.Context, args []string, _ io.Reader, stdout, stderr io.Writer) error {
	o := newOptions("schedule", scheduleUsage, stdout)
	spec := o.fs.String("cron", "", "when to run: `SPEC` (5 fields, @hourly, @every 30m, CRON_TZ=Zone ...)")
	healthAddr := o.fs.String("health-addr", "", "serve /healthz on this `ADDRESS`, e.g. :8080")
	o.addScopeFlags()
	o.addAPIFlags()
	o.addRunFlags()
	o.addLogFlags(true)
	if err := o.parse(args, false); err != nil {
		return err
	}
	if *spec == "" {
		return usageErrorf("schedule: --cron is required")
	}
	sched, err := cron.ParseStandard(*spec)
	if err != nil {
		return usageErrorf("--cron %q: %v", *spec, err)
	}
	s, err := o.build(ctx, needs{scope: true})
	if err != nil {
		return err
	}
	if err := checkScheduled(s); err != nil {
		return err
	}
	client, err := s.connect(ctx)
	if err != nil {
		return err
	}
	// The worker's own logger, for its life; it also checks the --log-*
	// flags before the first tick.
	logger, closeLog, err := newRunLogger(ctx, s, stderr)
	if err != nil {
		return err
	}
	defer closeLog()

	w := &worker{sched: sched, log: logger, clock: scheduleClock}
	var n atomic.Int64
	w.run = func(ctx context.Context) (report.Report, error) {
		runID := newRunID()
		if s.runID != "" {
			runID = fmt.Sprintf("%s-%d", s.runID, n.Add(1))
		}
		// Each run has a logger of its own, flushed when the run ends: a
		// Cloud Logging outage during one run does not silence the next.
		logger, closeRunLog, err := newRunLogger(ctx, s, stderr)
		if err != nil {
			return report.Report{}, err
		}
		defer closeRunLog()
		runLog := logger.With(slog.String(pruner.LogRunID, runID), slog.Bool(pruner.LogDryRun, !s.apply))
		runLog.LogAttrs(ctx, slog.LevelInfo, "run started")
		rep, err := s.reconcile(ctx, client, logger, nil, runID)
		if err != nil {
			s.scheduledRunFailed(ctx, runLog, runID, err)
			return rep, err
		}
		if err := s.finish(rep, stdout); err != nil && !errors.Is(err, errSilent) {
			runLog.LogAttrs(ctx, slog.LevelError, "report not written", slog.String(pruner.LogError, err.Error()))
		}
		return rep, nil
	}

	if *healthAddr != "" {
		stop, err := w.serveHealth(ctx, *healthAddr, logger)
		if err != nil {
			return err
		}
		defer stop()
	}
	logger.Info("schedule started", "cron", *spec, "next", sched.Next(time.Now()).Format(time.RFC3339))
	w.loop(ctx)
	logger.Info("schedule stopped")
	return nil
}

// serveHealth serves /healthz on addr until stop is called.
// checkScheduled refuses the flags of a pass that make no sense on a
// schedule.
func checkScheduled(s setup) error {
	switch {
	case s.exitOnChanges:
		return usageErrorf("schedule: --exit-code-on-changes is for run")
	case s.planOut != "":
		// A plan is made once, for someone to review before apply; a
		// worker would overwrite it under the reviewer every run.
		return usageErrorf("schedule: --plan-out is for run: a plan is made once, for review")
	}
	return nil
}

// scheduledRunFailed logs a run that failed before it had a report, and
// writes --report saying so: it must not keep the last good run's.
func (s setup) scheduledRunFailed(ctx context.Context, runLog *slog.Logger, runID string, err error) {
	runLog.LogAttrs(ctx, slog.LevelError, "run failed", slog.String(pruner.LogError, err.Error()))
	if ferr := s.failed(runID, err); ferr != err {
		runLog.LogAttrs(ctx, slog.LevelError, "report not written", slog.String(pruner.LogError, ferr.Error()))
	}
}

func (w *worker) serveHealth(ctx context.Context, addr string, logger *slog.Logger) (stop func(), err error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, usageErrorf("--health-addr %s: %v", addr, err)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", w.healthz)
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = srv.Serve(ln) }()
	logger.Info("health endpoint listening", "addr", ln.Addr().String())
	return func() {
		sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
		defer cancel()
		_ = srv.Shutdown(sctx)
	}, nil
}
