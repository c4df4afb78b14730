package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/ssh-pruner/ssh-pruner/pruner"
	"github.com/ssh-pruner/ssh-pruner/pruner/report"
)

func TestScheduleUsageErrors(t *testing.T) {
	clearEnv(t)
	for _, tt := range []struct {
		name string
		args []string
		want string
	}{
		{"no spec", []string{"--project", "p"}, "--cron is required"},
		{"garbage", []string{"--cron", "not a spec", "--project", "p"}, `--cron "not a spec"`},
		{"minute out of range", []string{"--cron", "61 * * * *", "--project", "p"}, `--cron "61 * * * *"`},
		{"six fields", []string{"--cron", "0 0 * * * *", "--project", "p"}, `--cron "0 0 * * * *"`},
		{"bad every", []string{"--cron", "@every soon", "--project", "p"}, `--cron "@every soon"`},
		{"bad zone", []string{"--cron", "CRON_TZ=Nowhere/City 0 * * * *", "--project", "p"}, "CRON_TZ=Nowhere/City"},
		{"no scope", []string{"--cron", "@hourly"}, "no scope"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			_, errOut, code := cli(t, context.Background(), nil, append([]string{"schedule"}, tt.args...)...)
			require.Equal(t, 2, code, errOut)
			require.Contains(t, errOut, tt.want)
			require.Equal(t, 1, strings.Count(errOut, "\n"), "one line: %q", errOut)
		})
	}
}

// syncBuffer is a bytes.Buffer that the command and the test share.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// freeAddr is a loopback address nothing listens on, for --health-addr.
func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	addr := ln.Addr().String()
	require.NoError(t, ln.Close())
	return addr
}

// fakeClock is a worker's clock that moves only when the test fires it:
// the test decides when each time of the schedule comes, and no test waits
// out a real schedule.
type fakeClock struct {
	mu     sync.Mutex
	now    time.Time
	timers []*fakeTimer
	waits  []time.Duration // every timer set, in order
}

type fakeTimer struct {
	at time.Time
	c  chan time.Time
}

func newFakeClock() *fakeClock {
	return &fakeClock{now: time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)}
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) NewTimer(d time.Duration) (<-chan time.Time, func() bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	t := &fakeTimer{at: c.now.Add(d), c: make(chan time.Time, 1)}
	c.timers = append(c.timers, t)
	c.waits = append(c.waits, d)
	return t.c, func() bool { return c.remove(t) }
}

func (c *fakeClock) remove(t *fakeTimer) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	for i, o := range c.timers {
		if o == t {
			c.timers = append(c.timers[:i], c.timers[i+1:]...)
			return true
		}
	}
	return false
}

// fire moves the clock to the earliest timer set, if it lies ahead, and
// fires that timer. It says whether there was one.
func (c *fakeClock) fire() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.timers) == 0 {
		return false
	}
	first := 0
	for i, t := range c.timers {
		if t.at.Before(c.timers[first].at) {
			first = i
		}
	}
	t := c.timers[first]
	c.timers = append(c.timers[:first], c.timers[first+1:]...)
	if t.at.After(c.now) {
		c.now = t.at
	}
	t.c <- c.now
	return true
}

// setWaits is every timer set so far.
func (c *fakeClock) setWaits() []time.Duration {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]time.Duration(nil), c.waits...)
}

// TestScheduleEverySecond runs the worker against the fake until two
// passes are done, checks they did not overlap and that the second found
// nothing left to do, then cancels it (what SIGTERM does) and expects exit 0.
// Its clock is a fake one that the test fires as fast as it polls, so the
// schedule's seconds pass at once; TestScheduleProcessAgainstGcpFake waits
// out real ones.
func TestScheduleEverySecond(t *testing.T) {
	clearEnv(t)
	clk := newFakeClock()
	scheduleClock = clk
	t.Cleanup(func() { scheduleClock = realClock{} })
	f, url := demoFake(t)
	health := freeAddr(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var stdout, stderr syncBuffer
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, []string{"schedule", "--cron", "@every 1s", "--organization", demoOrg,
			"--api-endpoint", url, "--now", demoNow, "--qps", "0", "--apply", "--health-addr", health},
			strings.NewReader(""), &stdout, &stderr)
	}()

	// Each poll brings the next time of the schedule, if the worker waits
	// for one; a time that comes during a run is skipped, as on the real
	// clock.
	require.Eventually(t, func() bool {
		clk.fire()
		return strings.Count(stderr.String(), `"message":"run finished"`) >= 2
	}, 2*time.Minute, 10*time.Millisecond, "two passes")
	require.Eventually(t, func() bool { return strings.Count(stderr.String(), `"message":"run finished"`) >= 2 },
		2*time.Minute, 50*time.Millisecond, "two passes")
	resp, err := http.Get("http://" + health + "/healthz")
	require.NoError(t, err)
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	require.Equal(t, http.StatusOK, resp.StatusCode, string(body))

	cancel()
	select {
	case err := <-done:
		require.Equal(t, 0, exitCode(err, io.Discard), "exit status after SIGTERM: %v", err)
	case <-time.After(2 * time.Minute):
		t.Fatal("schedule did not stop after its context was cancelled")
	}

	// Lines of one run never interleave with another's: each run's entries
	// lie between its "run started" and its summary.
	var summaries []map[string]any
	current := ""
	for _, line := range strings.Split(strings.TrimSpace(stderr.String()), "\n") {
		var e map[string]any
		require.NoError(t, json.Unmarshal([]byte(line), &e), line)
		id, _ := e[pruner.LogRunID].(string)
		switch {
		case e["message"] == "run started":
			require.Empty(t, current, "run %s started while run %s was going", id, current)
			current = id
		case e[pruner.LogEvent] == pruner.EventSummary:
			require.Equal(t, current, id)
			current = ""
			summaries = append(summaries, e)
		case id != "":
			require.Equal(t, current, id, "entry of run %s outside it: %s", id, line)
		}
	}
	require.GreaterOrEqual(t, len(summaries), 2)
	require.NotEqual(t, summaries[0][pruner.LogRunID], summaries[1][pruner.LogRunID])
	require.Positive(t, summaries[0]["changed"], "the first pass applies")
	require.EqualValues(t, 0, summaries[1]["changed"], "the second pass finds nothing to do")
	require.Positive(t, f.Calls("compute.projects.get"))
	waits := clk.setWaits()
	require.GreaterOrEqual(t, len(waits), 2, "the worker waits on the clock it was given")
	for _, d := range waits {
		require.Equal(t, time.Second, d, "@every 1s: each time of the schedule a second after the one before")
	}
}

// every is a schedule with a sub-second period, for the worker's tests.
type every time.Duration

func (e every) Next(t time.Time) time.Time { return t.Add(time.Duration(e)) }

// TestWorkerSkipsWhileRunning holds the first run until the worker has
// skipped two times, and checks that no two runs ever ran at once.
func TestWorkerSkipsWhileRunning(t *testing.T) {
	var logs syncBuffer
	var active, most, runs atomic.Int64
	release := make(chan struct{})
	clk := newFakeClock()
	w := &worker{sched: every(time.Millisecond), log: slog.New(slog.NewJSONHandler(&logs, nil)), clock: clk}
	w.run = func(context.Context) (report.Report, error) {
		n := active.Add(1)
		defer active.Add(-1)
		for {
			m := most.Load()
			if n <= m || most.CompareAndSwap(m, n) {
				break
			}
		}
		if runs.Add(1) == 1 {
			<-release
		}
		return report.Report{}, nil
	}
	ctx, cancel := context.WithCancel(context.Background())
	stopped := make(chan struct{})
	go func() { w.loop(ctx); close(stopped) }()

	require.Eventually(t, func() bool { clk.fire(); return w.skipped.Load() >= 2 }, time.Minute, time.Millisecond)
	close(release)
	require.Eventually(t, func() bool { clk.fire(); return runs.Load() >= 3 }, time.Minute, time.Millisecond)
	cancel()
	<-stopped
	require.Equal(t, int64(1), most.Load(), "runs never overlap")
	require.Contains(t, logs.String(), "run skipped: the previous run is still going")
}

func TestWorkerHealth(t *testing.T) {
	w := &worker{}
	status := func() int {
		rec := httptest.NewRecorder()
		w.healthz(rec, httptest.NewRequest(http.MethodGet, "/healthz", nil))
		return rec.Code
	}
	require.Equal(t, http.StatusOK, status(), "no run yet")

	w.record(report.Report{}, errors.New("enumerate scope: permission denied"))
	require.Equal(t, http.StatusServiceUnavailable, status(), "the scope could not be listed")

	w.record(report.Report{Totals: report.Totals{Projects: 3, OutcomeCounts: report.OutcomeCounts{Changed: 1, Failed: 2}}}, nil)
	require.Equal(t, http.StatusOK, status(), "some projects failed, not all")

	w.record(report.Report{Totals: report.Totals{Projects: 2, OutcomeCounts: report.OutcomeCounts{Skipped: 1, Failed: 1}}}, nil)
	require.Equal(t, http.StatusServiceUnavailable, status(), "every project tried failed")

	w.record(report.Report{Interrupted: true}, nil)
	require.Equal(t, http.StatusServiceUnavailable, status(), "an interrupted run changes nothing")

	w.record(report.Report{Totals: report.Totals{Projects: 1, OutcomeCounts: report.OutcomeCounts{Changed: 1}}}, nil)
	require.Equal(t, http.StatusOK, status(), "a good run")
	w.record(report.Report{Interrupted: true}, nil)
	require.Equal(t, http.StatusOK, status(), "an interrupted run changes nothing, after a good one too")
	w.record(report.Report{}, fmt.Errorf("enumerate scope: %w", context.Canceled))
	require.Equal(t, http.StatusOK, status(), "nor does a listing cut short by SIGTERM")
}
