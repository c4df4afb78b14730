package gcp_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/ssh-pruner/ssh-pruner/gcp"
	"github.com/ssh-pruner/ssh-pruner/gcp/gcpfake"
	"github.com/ssh-pruner/ssh-pruner/pruner"
	"github.com/ssh-pruner/ssh-pruner/pruner/plan"
)

// These tests put a thin proxy in front of the fake to play what the fake
// alone does not: an answer lost after the write landed, and Compute's
// way of saying "rate quota exceeded" (403, not 429).

type proxy struct {
	fake *gcpfake.Fake
	mu   sync.Mutex
	// intercept, when it returns true, has answered the request itself;
	// n counts the requests of the same method and path, this one included.
	intercept func(p *proxy, w http.ResponseWriter, r *http.Request, n int) bool
	n         map[string]int // requests seen, by method and path
	queries   []string
}

func (p *proxy) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	p.mu.Lock()
	key := r.Method + " " + r.URL.Path
	p.n[key]++
	n := p.n[key]
	p.queries = append(p.queries, r.URL.RawQuery)
	p.mu.Unlock()
	if p.intercept != nil && p.intercept(p, w, r, n) {
		return
	}
	p.fake.ServeHTTP(w, r)
}

func serveProxy(t *testing.T, intercept func(p *proxy, w http.ResponseWriter, r *http.Request, n int) bool) (*gcpfake.Fake, *proxy, *gcp.Client) {
	t.Helper()
	f, err := gcpfake.New(demoSeed(t))
	require.NoError(t, err)
	p := &proxy{fake: f, intercept: intercept, n: map[string]int{}}
	srv := httptest.NewServer(p)
	t.Cleanup(srv.Close)
	c, err := gcp.New(context.Background(), gcp.Options{Endpoint: srv.URL, Retry: fastRetry, Rates: fastRates})
	require.NoError(t, err)
	return f, p, c
}

const rateLimitBody = `{"error":{"code":403,"message":"Quota exceeded for quota metric 'Read requests' and limit 'Read requests per minute' of service 'compute.googleapis.com'.","errors":[{"message":"Quota exceeded","domain":"usageLimits","reason":"rateLimitExceeded"}],"status":"PERMISSION_DENIED"}}`

func TestComputeRateLimit403IsRetriedNotSkipped(t *testing.T) {
	ctx := context.Background()
	rateLimit := func(w http.ResponseWriter) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusForbidden)
		_, _ = w.Write([]byte(rateLimitBody))
	}
	t.Run("recovered", func(t *testing.T) {
		_, p, c := serveProxy(t, func(_ *proxy, w http.ResponseWriter, r *http.Request, n int) bool {
			if r.Method == http.MethodGet && strings.HasSuffix(r.URL.Path, "/projects/web-prod-eu") && n <= 2 {
				rateLimit(w)
				return true
			}
			return false
		})
		_, err := c.ProjectMetadata(ctx, "web-prod-eu")
		require.NoError(t, err)
		require.Equal(t, 3, p.n["GET /compute/v1/projects/web-prod-eu"])
	})
	t.Run("exhausted", func(t *testing.T) {
		_, _, c := serveProxy(t, func(_ *proxy, w http.ResponseWriter, _ *http.Request, _ int) bool {
			rateLimit(w)
			return true
		})
		_, err := c.ProjectMetadata(ctx, "web-prod-eu")
		require.ErrorContains(t, err, "gave up after")
		require.NotErrorIs(t, err, pruner.ErrForbidden, "a quota is not a denial: the project must fail, not be skipped")
	})
}

func TestLostWriteAnswerIsNotAConflict(t *testing.T) {
	const project = "web-prod-eu"
	f, p, c := serveProxy(t, func(p *proxy, w http.ResponseWriter, r *http.Request, n int) bool {
		if r.Method == http.MethodPost && strings.HasSuffix(r.URL.Path, "/setCommonInstanceMetadata") && n == 1 {
			// The write reaches the service and lands; its answer is lost.
			p.fake.ServeHTTP(httptest.NewRecorder(), r)
			http.Error(w, `{"error":{"code":503,"message":"backend unavailable"}}`, http.StatusServiceUnavailable)
			return true
		}
		return false
	})
	ctx := context.Background()
	md, err := c.ProjectMetadata(ctx, project)
	require.NoError(t, err)
	md.Items = md.Items[:1]
	require.NoError(t, c.SetProjectMetadata(ctx, project, md), "the retry must find its own write, not a conflict")

	items, _, _ := f.ProjectMetadata(project)
	require.Len(t, items, 1)
	var ids []string
	for _, q := range p.queries {
		if strings.Contains(q, "requestId=") {
			ids = append(ids, q)
		}
	}
	require.Len(t, ids, 2, "two attempts")
	require.Equal(t, ids[0], ids[1], "with the same request id")
}

// TestThrottledRunSlowsDownAndFinishes: Compute refuses past 2 requests a
// second per project; the client's Compute rate (20) halves at each
// pushback, the run completes without a failure, and the client counts
// what it met.
func TestThrottledRunSlowsDownAndFinishes(t *testing.T) {
	f, err := gcpfake.New(demoSeed(t))
	require.NoError(t, err)
	f.SetRateQuota("compute.googleapis.com", 2)
	srv := httptest.NewServer(f)
	t.Cleanup(srv.Close)
	c, err := gcp.New(context.Background(), gcp.Options{Endpoint: srv.URL,
		Retry: gcp.RetryPolicy{MaxAttempts: 15, Base: 50 * time.Millisecond, Cap: time.Second}, Rates: gcp.DefaultRates()})
	require.NoError(t, err)
	policy, err := plan.NewPolicy(nil, false)
	require.NoError(t, err)
	r := &pruner.Reconciler{Lister: c, Store: c, Instances: c, Policy: policy, Apply: true,
		Now: func() time.Time { return e2eNow }, Concurrency: 16, MaxAttempts: 3, RunID: "throttled"}
	rep, err := r.Run(context.Background(), pruner.Scope{Organization: demoOrg})
	require.NoError(t, err)
	require.Zero(t, rep.Totals.Failed+rep.Totals.Instances.Failed, rep.Summary())
	st := c.Stats()
	require.Positive(t, st.Throttled, "the quota was met")
	require.GreaterOrEqual(t, st.Retries, st.Throttled)
}
