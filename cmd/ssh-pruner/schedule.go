package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/robfig/cron/v3"

	"github.com/ssh-pruner/ssh-pruner/pruner/report"
)

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
	run   func(context.Context) (report.Report, error)
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
func (w *worker) record(rep report.Report, err error) {
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
