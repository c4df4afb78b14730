package gcp_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/ssh-pruner/ssh-pruner/gcp"
	"github.com/ssh-pruner/ssh-pruner/gcp/gcpfake"
	"github.com/ssh-pruner/ssh-pruner/pruner"
	"github.com/ssh-pruner/ssh-pruner/pruner/attribution"
	"github.com/ssh-pruner/ssh-pruner/pruner/plan"
)

// wallSeed is the demo organization on the wall clock: the audit log's
// entries are stamped as the writes happen.
func wallSeed(t *testing.T) *gcpfake.Seed {
	seed := demoSeed(t)
	seed.Clock = time.Time{}
	return seed
}

// auditView is the log view of the demo seed's aggregated sink.
const auditView = "projects/sec-audit-logs-2a7c/locations/global/buckets/org-audit/views/_AllLogs"

// bearer adds a bearer token to each request, as a credential would.
type bearer struct{ token string }

func (b bearer) RoundTrip(r *http.Request) (*http.Response, error) {
	r = r.Clone(r.Context())
	r.Header.Set("Authorization", "Bearer "+b.token)
	return http.DefaultTransport.RoundTrip(r)
}

// asPrincipal is a client of the fake that calls with a principal's token
// and a user agent of its own.
func asPrincipal(t *testing.T, url, token, userAgent string) *gcp.Client {
	t.Helper()
	c, err := gcp.New(context.Background(), gcp.Options{Endpoint: url, HTTPClient: &http.Client{Transport: bearer{token}},
		UserAgent: userAgent, Retry: fastRetry, Rates: fastRates})
	require.NoError(t, err)
	return c
}

func addKeyLine(t *testing.T, c *gcp.Client, project, line string) {
	t.Helper()
	ctx := context.Background()
	md, err := c.ProjectMetadata(ctx, project)
	require.NoError(t, err)
	found := false
	for i, it := range md.Items {
		if it.Key == "ssh-keys" {
			v := *it.Value + "\n" + line
			md.Items[i].Value, found = &v, true
		}
	}
	if !found {
		md.Items = append(md.Items, plan.Item{Key: "ssh-keys", Value: &line})
	}
	require.NoError(t, c.SetProjectMetadata(ctx, project, md))
}

// TestMetadataWritesFromTheLogs: writes of ssh-keys by two principals,
// with gcloud's and Terraform's user agents, come back from the sink's
// view as writes of that target, by those principals, via those clients,
// oldest first; a write of other items only, a write that lost its race
// (412) and writes outside the window are left out; and the run's own
// operations are noted on the write's context.
func TestMetadataWritesFromTheLogs(t *testing.T) {
	f, err := gcpfake.New(wallSeed(t))
	require.NoError(t, err)
	srv := httptest.NewServer(f)
	t.Cleanup(srv.Close)
	ctx := context.Background()
	alice := asPrincipal(t, srv.URL, "alice-token", "google-cloud-sdk gcloud/528.0.0 command/gcloud.compute.ssh invocation-id/1")
	bob := asPrincipal(t, srv.URL, "bob-token", "Terraform/1.9.0 terraform-provider-google/6.0.0")
	reader := asPrincipal(t, srv.URL, "pruner-token", "ssh-pruner/test")

	before := time.Now().Add(-time.Second)
	addKeyLine(t, alice, "web-prod-eu", "alice:ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIA alice")
	addKeyLine(t, bob, "api-prod-7f3a", "bob:ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIB bob")
	// Other items only: no key can come of it.
	md, err := bob.ProjectMetadata(ctx, "web-prod-eu")
	require.NoError(t, err)
	v := "echo hi"
	md.Items = append(md.Items, plan.Item{Key: "startup-script-2", Value: &v})
	require.NoError(t, bob.SetProjectMetadata(ctx, "web-prod-eu", md))
	// A write over a stale fingerprint fails and changes nothing.
	stale := md
	stale.Fingerprint = "c3RhbGU="
	require.ErrorIs(t, bob.SetProjectMetadata(ctx, "web-prod-eu", stale), pruner.ErrConflict)
	// The pruner's own write, which takes alice's line out again: its
	// operation is noted.
	octx, names := pruner.WithOperations(ctx)
	md, err = reader.ProjectMetadata(ctx, "web-prod-eu")
	require.NoError(t, err)
	for i, it := range md.Items {
		if it.Key == "ssh-keys" {
			v := strings.TrimSuffix(*it.Value, "\nalice:ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIA alice")
			md.Items[i].Value = &v
		}
	}
	require.NoError(t, reader.SetProjectMetadata(octx, "web-prod-eu", md))
	require.Len(t, names(), 1)
	after := time.Now().Add(time.Second)

	writes, err := reader.MetadataWrites(ctx, auditView, before, after)
	require.NoError(t, err)
	require.Len(t, writes, 3, "%+v", writes)
	require.Equal(t, attribution.Write{Target: "projects/web-prod-eu", At: writes[0].At, Principal: "alice@example.com", Via: attribution.ViaGcloudSSH, Operation: writes[0].Operation}, writes[0])
	require.Equal(t, "projects/api-prod-7f3a", writes[1].Target)
	require.Equal(t, "bob@example.com", writes[1].Principal)
	require.Equal(t, attribution.ViaTerraform, writes[1].Via)
	require.Equal(t, names()[0], writes[2].Operation, "the audit log names the operation the write noted")
	require.Equal(t, "ssh-pruner@sec-audit-logs-2a7c.iam.gserviceaccount.com", writes[2].Principal)
	for i := 1; i < len(writes); i++ {
		require.False(t, writes[i].At.Before(writes[i-1].At), "oldest first")
	}
	for _, w := range writes {
		require.True(t, strings.HasPrefix(w.Operation, "operation-"), w.Operation)
	}

	none, err := reader.MetadataWrites(ctx, auditView, after, after.Add(time.Hour))
	require.NoError(t, err)
	require.Empty(t, none, "the window is the window")
}

// TestMetadataWritesPages reads more writes than a page holds.
func TestMetadataWritesPages(t *testing.T) {
	f, err := gcpfake.New(wallSeed(t))
	require.NoError(t, err)
	srv := httptest.NewServer(f)
	t.Cleanup(srv.Close)
	f.SetLoggingReadQuota(0)
	before := time.Now().Add(-time.Second)
	alice := asPrincipal(t, srv.URL, "alice-token", "test")
	for i := range 1100 {
		addKeyLine(t, alice, "web-prod-eu", fmt.Sprintf("#%d", i))
	}
	c := asPrincipal(t, srv.URL, "pruner-token", "ssh-pruner/test")
	writes, err := c.MetadataWrites(context.Background(), auditView, before, time.Now().Add(time.Second))
	require.NoError(t, err)
	require.Len(t, writes, 1100)
	require.Equal(t, 3, f.Calls("logging.entries.list"), "a first and a last entry a write: 2,200 entries, in pages of 1,000")
}

// TestAuditLogsErrors: a view that does not exist, and a quota spent,
// are errors that say so, after the retries of a 429.
func TestAuditLogsErrors(t *testing.T) {
	f, c := serve(t, demoSeed(t), gcp.Options{})
	_, err := c.MetadataWrites(context.Background(), "projects/sec-audit-logs-2a7c/locations/global/buckets/nope/views/v", time.Now().Add(-time.Hour), time.Now())
	require.ErrorIs(t, err, pruner.ErrNotFound)
	f.SetLoggingReadQuota(1)
	_, err = c.MetadataWrites(context.Background(), auditView, time.Now().Add(-time.Hour), time.Now())
	require.NoError(t, err)
	_, err = c.MetadataWrites(context.Background(), auditView, time.Now().Add(-time.Hour), time.Now())
	require.ErrorContains(t, err, "gave up")
	require.ErrorContains(t, err, "logging.entries.list")
}

func TestCheckAuditResource(t *testing.T) {
	for _, ok := range []string{auditView, "projects/my-project", "organizations/123456789012", "folders/42"} {
		require.NoError(t, gcp.CheckAuditResource(ok), ok)
	}
	for _, bad := range []string{"", "org/1", "projects/", "projects/P", "organizations/abc", "projects/my-project/buckets/b", "projects/my-project\n", "projects/my-project/locations/global/buckets/b/views/v/x"} {
		require.Error(t, gcp.CheckAuditResource(bad), bad)
	}
}
