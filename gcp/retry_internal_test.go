package gcp

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// TestBackoffBounds: each wait lies in the retry's exponential window
// (full jitter), never under what Retry-After asked for, never over the
// cap.
func TestBackoffBounds(t *testing.T) {
	p := RetryPolicy{Base: 500 * time.Millisecond, Cap: 30 * time.Second}.withDefaults()
	for n := 1; n <= 40; n++ {
		window := min(p.Base<<min(n-1, 30), p.Cap)
		for range 200 {
			d := p.backoff(n, 0)
			require.Positive(t, d, "retry %d", n)
			require.LessOrEqual(t, d, window, "retry %d: within its window", n)

			d = p.backoff(n, 3*time.Second)
			require.GreaterOrEqual(t, d, 3*time.Second, "retry %d: Retry-After: 3 is obeyed", n)
			require.LessOrEqual(t, d, max(window, 3*time.Second), "retry %d", n)

			require.Equal(t, p.Cap, p.backoff(n, time.Hour), "retry %d: Retry-After: 3600 is obeyed up to the cap", n)
		}
	}
}

// TestRetryWaitsWhatTheServerAsks drives the client's retries with a fake
// sleep: the waits it takes between attempts are the ones Retry-After
// asks for, bounded by the cap, and none is waited for real.
func TestRetryWaitsWhatTheServerAsks(t *testing.T) {
	for _, tc := range []struct {
		retryAfter string
		want       time.Duration // least wait
		most       time.Duration
	}{
		{"", time.Nanosecond, 2 * time.Millisecond},        // Base 1ms, doubled once
		{"7", 7 * time.Second, 7 * time.Second},            // above the window, under the cap
		{"3600", 30 * time.Second, 30 * time.Second},       // cut to the cap
		{"soon", time.Nanosecond, 2 * time.Millisecond},    // not seconds: ignored
		{"-5", time.Nanosecond, 2 * time.Millisecond},      // negative: ignored
		{"0", time.Nanosecond, 2 * time.Millisecond},       // none asked for
		{"1", time.Second, time.Second},                    // one second, exactly
		{"29", 29 * time.Second, 29 * time.Second},         // just under the cap
		{"31", 30 * time.Second, 30 * time.Second},         // just over the cap
		{"1000000000", 30 * time.Second, 30 * time.Second}, // absurd
	} {
		t.Run("Retry-After "+tc.retryAfter, func(t *testing.T) {
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if tc.retryAfter != "" {
					w.Header().Set("Retry-After", tc.retryAfter)
				}
				w.Header().Set("Content-Type", "application/json")
				w.WriteHeader(http.StatusTooManyRequests)
				fmt.Fprint(w, `{"error": {"code": 429, "message": "Quota exceeded", "status": "RESOURCE_EXHAUSTED"}}`)
			}))
			t.Cleanup(srv.Close)
			c, err := New(context.Background(), Options{Endpoint: srv.URL,
				Retry: RetryPolicy{MaxAttempts: 3, Base: time.Millisecond, Cap: 30 * time.Second}})
			require.NoError(t, err)
			var mu sync.Mutex
			var waits []time.Duration
			c.sleep = func(ctx context.Context, d time.Duration) error {
				mu.Lock()
				defer mu.Unlock()
				waits = append(waits, d)
				return ctx.Err()
			}

			start := time.Now()
			_, err = c.ProjectMetadata(context.Background(), "p")
			require.ErrorContains(t, err, "gave up after 3 attempts")
			require.Less(t, time.Since(start), 10*time.Second, "no backoff was waited for real")
			require.Len(t, waits, 2, "one wait between each two attempts")
			for _, d := range waits {
				require.GreaterOrEqual(t, d, tc.want)
				require.LessOrEqual(t, d, tc.most)
			}
		})
	}
}
