package gcpfake_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"testing"

	"github.com/stretchr/testify/require"
	crm "google.golang.org/api/cloudresourcemanager/v3"
	compute "google.golang.org/api/compute/v1"
	"google.golang.org/api/googleapi"
	"google.golang.org/api/option"
	serviceusage "google.golang.org/api/serviceusage/v1"

	"github.com/ssh-pruner/ssh-pruner/gcp/gcpfake"
)

// env is a fake served over HTTP with the three real clients pointed at it,
// the way gcp.New points them at an endpoint.
type env struct {
	fake    *gcpfake.Fake
	url     string
	crm     *crm.Service
	usage   *serviceusage.Service
	compute *compute.Service
}

func demoSeed(t testing.TB) *gcpfake.Seed {
	t.Helper()
	data, err := os.ReadFile("../../testdata/demo-org.json")
	require.NoError(t, err)
	seed, err := gcpfake.ParseSeed(data)
	require.NoError(t, err)
	return seed
}

func newEnv(t testing.TB, seed *gcpfake.Seed) *env {
	t.Helper()
	f, err := gcpfake.New(seed)
	require.NoError(t, err)
	srv := httptest.NewServer(f)
	t.Cleanup(srv.Close)
	return newEnvAt(t, f, srv.URL, srv.Client())
}

func newEnvAt(t testing.TB, f *gcpfake.Fake, url string, hc *http.Client) *env {
	t.Helper()
	ctx := context.Background()
	opts := func(path string) []option.ClientOption {
		return []option.ClientOption{option.WithHTTPClient(hc), option.WithEndpoint(url + path)}
	}
	e := &env{fake: f, url: url}
	var err error
	e.crm, err = crm.NewService(ctx, opts("/")...)
	require.NoError(t, err)
	e.usage, err = serviceusage.NewService(ctx, opts("/")...)
	require.NoError(t, err)
	e.compute, err = compute.NewService(ctx, opts("/compute/v1/")...)
	require.NoError(t, err)
	return e
}

// apiErr asserts err is a Google API error with this code and returns it.
func apiErr(t testing.TB, err error, code int) *googleapi.Error {
	t.Helper()
	var ge *googleapi.Error
	require.True(t, errors.As(err, &ge), "want a *googleapi.Error, got %v", err)
	require.Equal(t, code, ge.Code, "error: %v", ge)
	return ge
}

// codeOf is the HTTP status of a call's outcome: 200 for no error.
func codeOf(t testing.TB, err error) int {
	t.Helper()
	if err == nil {
		return http.StatusOK
	}
	var ge *googleapi.Error
	require.True(t, errors.As(err, &ge), "want a *googleapi.Error, got %v", err)
	return ge.Code
}

func reasons(ge *googleapi.Error) []string {
	var out []string
	for _, e := range ge.Errors {
		out = append(out, e.Reason)
	}
	return out
}

func items(kv ...string) []gcpfake.Item {
	var out []gcpfake.Item
	for i := 0; i+1 < len(kv); i += 2 {
		out = append(out, gcpfake.NewItem(kv[i], kv[i+1]))
	}
	return out
}

func computeItems(its []gcpfake.Item) []*compute.MetadataItems {
	out := []*compute.MetadataItems{}
	for _, it := range its {
		out = append(out, &compute.MetadataItems{Key: it.Key, Value: it.Value})
	}
	return out
}
