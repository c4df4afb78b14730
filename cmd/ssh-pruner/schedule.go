package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/robfig/cron/v3"

	"github.com/ssh-pruner/ssh-pruner/pruner"
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
	cfg := &runConfig{}
	var spec, healthAddr string
	fs := newFlagSet("schedule", scheduleUsage, stdout)
	fs.StringVar(&spec, "cron", "", "when to run: `SPEC` (5 fields, @hourly, @every 30m, CRON_TZ=Zone ...)")
	fs.StringVar(&healthAddr, "health-addr", "", "serve /healthz on this `ADDRESS`, e.g. :8080")
	addScopeFlags(fs, cfg)
	addRunFlags(fs, cfg)
	addLogFlags(fs, &cfg.log)
	if err := parseRunFlags(fs, cfg, args); err != nil {
		return err
	}
	if spec == "" {
		return usageErrorf("schedule: --cron is required")
	}
	sched, err := cron.ParseStandard(spec)
	if err != nil {
		return usageErrorf("--cron %q: %v", spec, err)
	}
	scope, err := cfg.prepare()
	if err != nil {
		return err
	}
	if cfg.exitOnChanges {
		return usageErrorf("schedule: --exit-code-on-changes is for run")
	}
	// The worker's own logger, for its life; it also checks the --log-*
	// flags before the first tick.
	client, logger, closeLog, err := cfg.connect(ctx, stderr)
	if err != nil {
		return err
	}
	defer closeLog()

	w := &worker{sched: sched, log: logger, clock: scheduleClock}
	var n atomic.Int64
	w.run = func(ctx context.Context) (pruner.Report, error) {
		one := *cfg
		one.runID = newRunID()
		if cfg.runID != "" {
			one.runID = fmt.Sprintf("%s-%d", cfg.runID, n.Add(1))
		}
		// Each run has a logger of its own, flushed when the run ends: a
		// Cloud Logging outage during one run does not silence the next.
		logger, closeRunLog, err := newRunLogger(ctx, &one, stderr)
		if err != nil {
			return pruner.Report{}, err
		}
		defer closeRunLog()
		logger.LogAttrs(ctx, slog.LevelInfo, "run started", slog.String(pruner.LogRunID, one.runID), slog.Bool(pruner.LogDryRun, !one.apply))
		rep, err := reconcile(ctx, &one, scope, client, logger)
		if err != nil {
			logger.LogAttrs(ctx, slog.LevelError, "run failed", slog.String(pruner.LogRunID, one.runID), slog.String(pruner.LogError, err.Error()))
			return rep, err
		}
		if err := finish(&one, rep, stdout); err != nil && !errors.Is(err, errSilent) {
			logger.LogAttrs(ctx, slog.LevelError, "report not written", slog.String(pruner.LogRunID, one.runID), slog.String(pruner.LogError, err.Error()))
		}
		return rep, nil
	}

	if healthAddr != "" {
		ln, err := net.Listen("tcp", healthAddr)
		if err != nil {
			return usageErrorf("--health-addr %s: %v", healthAddr, err)
		}
		mux := http.NewServeMux()
		mux.HandleFunc("GET /healthz", w.healthz)
		srv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
		go func() { _ = srv.Serve(ln) }()
		defer func() {
			sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
			defer cancel()
			_ = srv.Shutdown(sctx)
		}()
		logger.Info("health endpoint listening", "addr", ln.Addr().String())
	}
	logger.Info("schedule started", "cron", spec, "next", sched.Next(w.clock.Now()).Format(time.RFC3339))
	w.loop(ctx)
	logger.Info("schedule stopped")
	return nil
}

// clock is the time a worker reads and waits on: the real one, or in tests
// one that moves only when the test moves it (scheduleClock).
type clock interface {
	Now() time.Time
	// NewTimer is time.NewTimer's channel and Stop.
	NewTimer(d time.Duration) (c <-chan time.Time, stop func() bool)
}

type realClock struct{}

func (realClock) Now() time.Time { return time.Now() }

func (realClock) NewTimer(d time.Duration) (<-chan time.Time, func() bool) {
	t := time.NewTimer(d)
	return t.C, t.Stop
}

// scheduleClock is the clock of the schedule command's worker. Only tests
// change it: with a clock they move themselves, a test drives passes one
// after the other instead of waiting out the schedule's real seconds.
var scheduleClock clock = realClock{}

// worker runs passes on a schedule, one at a time.
type worker struct {
	sched cron.Schedule
	run   func(context.Context) (pruner.Report, error)
	log   *slog.Logger
	clock clock // nil for the real one

	skipped   atomic.Int64
	unhealthy atomic.Pointer[string] // why the last run failed entirely; nil when it did not
}

// loop runs w.run at each time of the schedule until ctx is done, then
// waits for the run under way. A time that finds a run going is skipped.
func (w *worker) loop(ctx context.Context) {
	clk := w.clock
	if clk == nil {
		clk = realClock{}
	}
	var wg sync.WaitGroup
	defer wg.Wait()
	busy := make(chan struct{}, 1)
	for {
		next := w.sched.Next(clk.Now())
		if next.IsZero() {
			w.log.Warn("the schedule has no next time")
			<-ctx.Done()
			return
		}
		fired, stop := clk.NewTimer(next.Sub(clk.Now()))
		select {
		case <-ctx.Done():
			stop()
			return
		case <-fired:
		}
		if ctx.Err() != nil {
			return // both were ready: never start a run after SIGTERM
		}
		select {
		case busy <- struct{}{}:
			wg.Go(func() {
				defer func() { <-busy }()
				rep, err := w.run(ctx)
				w.record(rep, err)
			})
		default:
			w.skipped.Add(1)
			w.log.Warn("run skipped: the previous run is still going", "scheduledFor", next.Format(time.RFC3339))
		}
	}
}

// record keeps whether the run failed entirely, for /healthz. An
// interrupted run says nothing about health.
func (w *worker) record(rep pruner.Report, err error) {
	t := rep.Totals
	switch {
	case rep.Interrupted, errors.Is(err, context.Canceled):
	case err != nil:
		why := err.Error()
		w.unhealthy.Store(&why)
	case t.Failed > 0 && t.Unchanged+t.WouldChange+t.Changed == 0:
		why := fmt.Sprintf("all %d projects tried failed", t.Failed)
		w.unhealthy.Store(&why)
	default:
		w.unhealthy.Store(nil)
	}
}

func (w *worker) healthz(rw http.ResponseWriter, _ *http.Request) {
	rw.Header().Set("Content-Type", "text/plain; charset=utf-8")
	if why := w.unhealthy.Load(); why != nil {
		rw.WriteHeader(http.StatusServiceUnavailable)
		fmt.Fprintf(rw, "last run failed: %s\n", *why)
		return
	}
	fmt.Fprintln(rw, "ok")
}
