package gcpfake_test

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/ssh-pruner/ssh-pruner/gcp/gcpfake"
)

func TestRateLimitStorm(t *testing.T) {
	e := newEnv(t, demoSeed(t))
	e.fake.SetFaults("compute.projects.get", "", gcpfake.Fault{ErrorRates: map[int]float64{429: 1}})

	_, err := e.compute.Projects.Get("web-prod-eu").Do()
	ge := apiErr(t, err, http.StatusTooManyRequests)
	require.Equal(t, []string{"rateLimitExceeded"}, reasons(ge))
	require.Contains(t, ge.Message, "Quota exceeded for quota metric")
	info := ge.Details[0].(map[string]any)
	require.Equal(t, "RATE_LIMIT_EXCEEDED", info["reason"])

	// Other methods are not affected; the storm ends when cleared.
	_, err = e.crm.Projects.Get("projects/web-prod-eu").Do()
	require.NoError(t, err)
	e.fake.SetFaults("compute.projects.get", "", gcpfake.Fault{})
	_, err = e.compute.Projects.Get("web-prod-eu").Do()
	require.NoError(t, err)
	require.Equal(t, 2, e.fake.Calls("compute.projects.get"), "failed calls are counted too")
}

func TestErrorRatesAreDeterministic(t *testing.T) {
	run := func() []int {
		e := newEnv(t, demoSeed(t))
		e.fake.SetRandSeed(42)
		e.fake.SetFaults("", "web-prod-eu", gcpfake.Fault{ErrorRates: map[int]float64{429: 0.3, 500: 0.1, 503: 0.1}})
		var codes []int
		for range 40 {
			_, err := e.compute.Projects.Get("web-prod-eu").Do()
			codes = append(codes, codeOf(t, err))
		}
		return codes
	}
	first := run()
	require.Equal(t, first, run())
	require.Contains(t, first, 429)
	require.Contains(t, first, 200)
}

func TestFaultsMatchMostSpecific(t *testing.T) {
	e := newEnv(t, demoSeed(t))
	always := func(code int) gcpfake.Fault { return gcpfake.Fault{ErrorRates: map[int]float64{code: 1}} }
	e.fake.SetFaults("", "", always(503))
	e.fake.SetFaults("", "web-prod-eu", always(500))
	e.fake.SetFaults("compute.projects.get", "", always(429))
	e.fake.SetFaults("compute.projects.get", "web-prod-eu", gcpfake.Fault{Latency: time.Microsecond})

	code := func(err error) int { return codeOf(t, err) }
	_, err := e.compute.Projects.Get("web-prod-eu").Do()
	require.Equal(t, 200, code(err), "method and project")
	_, err = e.compute.Projects.Get("api-prod-7f3a").Do()
	require.Equal(t, 429, code(err), "method")
	_, err = e.compute.Instances.AggregatedList("web-prod-eu").Do()
	require.Equal(t, 500, code(err), "project")
	_, err = e.compute.Instances.AggregatedList("api-prod-7f3a").Do()
	require.Equal(t, 503, code(err), "any")
	_, err = e.usage.Services.Get("projects/482910375561/services/compute.googleapis.com").Do()
	require.Equal(t, 500, code(err), "a project named by number is the same project")

	e.fake.ClearFaults()
	_, err = e.compute.Instances.AggregatedList("api-prod-7f3a").Do()
	require.NoError(t, err)
}

func TestLatencyHonoursCancellation(t *testing.T) {
	e := newEnv(t, demoSeed(t))
	e.fake.SetFaults("compute.projects.get", "", gcpfake.Fault{Latency: time.Hour})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		_, err := e.compute.Projects.Get("web-prod-eu").Context(ctx).Do()
		done <- err
	}()
	for e.fake.Calls("compute.projects.get") == 0 {
		time.Sleep(time.Millisecond)
	}
	cancel()
	require.ErrorIs(t, <-done, context.Canceled)
}
