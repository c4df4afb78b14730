package gcp_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/ssh-pruner/ssh-pruner/gcp"
	"github.com/ssh-pruner/ssh-pruner/pruner"
	"github.com/ssh-pruner/ssh-pruner/pruner/plan"
)

// Answers that do not arrive whole, or arrive as no Google answer does:
// never a panic, never a skip reason drawn from them, a retry where the
// call can be made again.

func TestNullAnswerIsAnErrorNotAPanic(t *testing.T) {
	ctx := context.Background()
	_, _, c := serveProxy(t, func(_ *proxy, w http.ResponseWriter, r *http.Request, _ int) bool {
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprint(w, "null")
		return true
	})
	_, err := c.ListProjects(ctx, pruner.Scope{Organization: demoOrg})
	require.Error(t, err)
	_, err = c.ProjectMetadata(ctx, "web-prod-eu")
	require.ErrorContains(t, err, "empty resource")
	_, err = c.ListInstances(ctx, "web-prod-eu")
	require.ErrorContains(t, err, "empty resource")
	_, err = c.InstanceMetadata(ctx, "web-prod-eu", "europe-west1-b", "web-eu-1")
	require.ErrorContains(t, err, "empty resource")
	err = c.SetProjectMetadata(ctx, "web-prod-eu", plan.Metadata{Fingerprint: "x"})
	require.ErrorContains(t, err, "empty resource")
}

func TestTruncatedReadIsRetried(t *testing.T) {
	ctx := context.Background()
	_, p, c := serveProxy(t, func(_ *proxy, w http.ResponseWriter, r *http.Request, n int) bool {
		if r.Method == http.MethodGet && strings.HasSuffix(r.URL.Path, "/projects/web-prod-eu") && n == 1 {
			w.Header().Set("Content-Type", "application/json")
			fmt.Fprint(w, `{"commonInstanceMetadata": {"items": [{"key": "ssh-`)
			return true
		}
		return false
	})
	md, err := c.ProjectMetadata(ctx, "web-prod-eu")
	require.NoError(t, err, "a body cut short is read again")
	require.NotEmpty(t, md.Items)
	require.Equal(t, 2, p.n["GET /compute/v1/projects/web-prod-eu"])
}

// TestSkipReasonsComeOnlyFromGoogleErrors: a 403 whose body is not
// Google's (cut short, a proxy's page) is no denial: the project fails
// after the retries, it is not skipped as forbidden.
func TestSkipReasonsComeOnlyFromGoogleErrors(t *testing.T) {
	ctx := context.Background()
	_, p, c := serveProxy(t, func(_ *proxy, w http.ResponseWriter, r *http.Request, _ int) bool {
		if strings.HasSuffix(r.URL.Path, "/projects/ml-staging-58b1") {
			w.WriteHeader(http.StatusForbidden)
			fmt.Fprint(w, `{"error": {"code": 403, "mess`)
			return true
		}
		return false
	})
	_, err := c.ProjectMetadata(ctx, "ml-staging-58b1")
	require.Error(t, err)
	require.False(t, errors.Is(err, pruner.ErrForbidden), "no skip from a broken answer: %v", err)
	require.False(t, errors.Is(err, pruner.ErrComputeDisabled), "%v", err)
	require.Greater(t, p.n["GET /compute/v1/projects/ml-staging-58b1"], 1, "retried")
	// The whole answer, as Google gives it, is the skip it says.
	_, err = c.ProjectMetadata(ctx, "hr-payroll")
	require.ErrorIs(t, err, pruner.ErrForbidden)
}

func TestEndlessPagesAreCut(t *testing.T) {
	ctx := context.Background()
	_, _, c := serveProxy(t, func(_ *proxy, w http.ResponseWriter, r *http.Request, n int) bool {
		if strings.HasSuffix(r.URL.Path, "/aggregated/instances") {
			w.Header().Set("Content-Type", "application/json")
			fmt.Fprintf(w, `{"kind": "compute#instanceAggregatedList", "items": {}, "nextPageToken": "t%d"}`, n)
			return true
		}
		if strings.HasSuffix(r.URL.Path, "/v3/projects") {
			w.Header().Set("Content-Type", "application/json")
			fmt.Fprint(w, `{"projects": [], "nextPageToken": "same"}`)
			return true
		}
		return false
	})
	_, err := c.ListInstances(ctx, "web-prod-eu")
	require.ErrorContains(t, err, "more than 10000 pages")
	_, err = c.ListProjects(ctx, pruner.Scope{Folders: []string{"406392811574"}})
	require.ErrorContains(t, err, "same page token twice")
}

// TestSilentServerCostsOneAttemptEach: a server that takes the request and
// never answers is given up on, attempt by attempt, and the error says
// which call gave up.
func TestSilentServerCostsOneAttemptEach(t *testing.T) {
	hang := make(chan struct{})
	t.Cleanup(func() { close(hang) })
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-hang:
		case <-r.Context().Done():
		}
	}))
	t.Cleanup(srv.Close)
	c, err := gcp.New(context.Background(), gcp.Options{Endpoint: srv.URL, Retry: gcp.RetryPolicy{MaxAttempts: 2, Base: time.Millisecond},
		CallTimeout: 50 * time.Millisecond})
	require.NoError(t, err)
	start := time.Now()
	_, err = c.ProjectMetadata(context.Background(), "p")
	require.ErrorContains(t, err, "compute.projects.get: gave up after 2 attempts")
	require.ErrorIs(t, err, context.DeadlineExceeded)
	require.Less(t, time.Since(start), 5*time.Second)
}

// TestEndlessBodyAndLongRetryAfterAreBounded: a server that streams a
// body forever costs one attempt each, and a Retry-After of an hour is
// obeyed only up to the retry policy's cap.
func TestEndlessBodyAndLongRetryAfterAreBounded(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasSuffix(r.URL.Path, "/projects/slow") {
			w.Header().Set("Content-Type", "application/json")
			fmt.Fprint(w, `{"commonInstanceMetadata": {"items": [`)
			for r.Context().Err() == nil {
				fmt.Fprint(w, `{"key": "k", "value": "v"},`)
				w.(http.Flusher).Flush()
				time.Sleep(time.Millisecond)
			}
			return
		}
		w.Header().Set("Retry-After", "3600")
		w.WriteHeader(http.StatusTooManyRequests)
		fmt.Fprint(w, `{"error": {"code": 429, "message": "Quota exceeded", "status": "RESOURCE_EXHAUSTED"}}`)
	}))
	t.Cleanup(srv.Close)
	c, err := gcp.New(context.Background(), gcp.Options{Endpoint: srv.URL,
		Retry: gcp.RetryPolicy{MaxAttempts: 2, Base: time.Millisecond, Cap: 20 * time.Millisecond}, CallTimeout: 100 * time.Millisecond})
	require.NoError(t, err)

	_, err = c.ProjectMetadata(context.Background(), "slow")
	require.ErrorContains(t, err, "compute.projects.get: gave up after 2 attempts")
	require.NotContains(t, err.Error(), "\n", "one line")

	start := time.Now()
	_, err = c.ProjectMetadata(context.Background(), "busy")
	require.ErrorContains(t, err, "gave up after 2 attempts")
	require.Less(t, time.Since(start), time.Minute, "Retry-After: 3600 was not waited out")
}
