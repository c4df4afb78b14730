package gcpfake_test

import (
	"context"
	"net/http"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestRateQuota: past its rate, Compute answers 403 rateLimitExceeded per
// project, Resource Manager 429 for the caller, as Google's front end does.
func TestRateQuota(t *testing.T) {
	e := newEnv(t, demoSeed(t))
	ctx := context.Background()
	e.fake.SetRateQuota("compute.googleapis.com", 2)
	e.fake.SetRateQuota("cloudresourcemanager.googleapis.com", 1)

	var refused error
	for range 10 {
		if _, err := e.compute.Projects.Get("web-prod-eu").Context(ctx).Do(); err != nil {
			refused = err
			break
		}
	}
	ge := apiErr(t, refused, http.StatusForbidden)
	require.Equal(t, []string{"rateLimitExceeded"}, reasons(ge))
	_, err := e.compute.Projects.Get("api-prod-7f3a").Context(ctx).Do()
	require.NoError(t, err, "another project has its own quota")

	for range 10 {
		if _, err = e.crm.Projects.Get("projects/web-prod-eu").Context(ctx).Do(); err != nil {
			break
		}
	}
	apiErr(t, err, http.StatusTooManyRequests)

	e.fake.SetRateQuota("compute.googleapis.com", 0)
	_, err = e.compute.Projects.Get("web-prod-eu").Context(ctx).Do()
	require.NoError(t, err, "quota removed")
}
