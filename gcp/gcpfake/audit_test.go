package gcpfake_test

import (
	"context"
	"encoding/json"
	"net/http/httptest"
	"strconv"
	"testing"

	"github.com/stretchr/testify/require"
	"golang.org/x/oauth2"
	compute "google.golang.org/api/compute/v1"
	logging "google.golang.org/api/logging/v2"
	"google.golang.org/api/option"

	"github.com/ssh-pruner/ssh-pruner/gcp/gcpfake"
)

func decodeEntries(t testing.TB, entries []*logging.LogEntry) []auditEntry {
	t.Helper()
	out := make([]auditEntry, len(entries))
	for i, e := range entries {
		b, err := json.Marshal(e)
		require.NoError(t, err)
		require.NoError(t, json.Unmarshal(b, &out[i]))
	}
	return out
}

// tokenClients are a Compute and a Logging client pointed at the fake,
// calling with a bearer token.
func tokenClients(t testing.TB, url, token, userAgent string) (*compute.Service, *logging.Service) {
	t.Helper()
	ctx := context.Background()
	ts := option.WithTokenSource(oauth2.StaticTokenSource(&oauth2.Token{AccessToken: token}))
	c, err := compute.NewService(ctx, ts, option.WithEndpoint(url+"/compute/v1/"), option.WithUserAgent(userAgent))
	require.NoError(t, err)
	l, err := logging.NewService(ctx, ts, option.WithEndpoint(url+"/"))
	require.NoError(t, err)
	return c, l
}

// TestAuditLogOfMetadataWrites writes a project's and an instance's
// metadata through the Compute client with a bearer token, and reads
// through the Logging client the Admin Activity entries they left: who,
// from which user agent, which method on which resource, which item
// names changed (never their values), and the operation's first and
// last entries.
func TestAuditLogOfMetadataWrites(t *testing.T) {
	f, err := gcpfake.New(demoSeed(t))
	require.NoError(t, err)
	srv := httptest.NewServer(f)
	t.Cleanup(srv.Close)
	comp, logs := tokenClients(t, srv.URL, "pruner-token", "ssh-pruner-test/1.0")
	ctx := context.Background()

	p, err := comp.Projects.Get("api-prod-7f3a").Context(ctx).Do()
	require.NoError(t, err)
	md := p.CommonInstanceMetadata
	var items []*compute.MetadataItems
	for _, it := range md.Items {
		switch it.Key {
		case "ssh-keys":
			items = append(items, &compute.MetadataItems{Key: it.Key, Value: ptr("henry:ssh-ed25519 AAAA henry")})
		case "startup-script": // deleted
		default:
			items = append(items, it)
		}
	}
	items = append(items, &compute.MetadataItems{Key: "block-project-ssh-keys", Value: ptr("FALSE")})
	op, err := comp.Projects.SetCommonInstanceMetadata("api-prod-7f3a", &compute.Metadata{Fingerprint: md.Fingerprint, Items: items}).Context(ctx).Do()
	require.NoError(t, err)
	require.Equal(t, "ssh-pruner@sec-audit-logs-2a7c.iam.gserviceaccount.com", op.User)

	in, err := comp.Instances.Get("api-prod-7f3a", "europe-west1-d", "win-jump-1").Context(ctx).Do()
	require.NoError(t, err)
	var kept []*compute.MetadataItems
	for _, it := range in.Metadata.Items {
		if it.Key != "ssh-keys" {
			kept = append(kept, it)
		}
	}
	_, err = comp.Instances.SetMetadata("api-prod-7f3a", "europe-west1-d", "win-jump-1",
		&compute.Metadata{Fingerprint: in.Metadata.Fingerprint, Items: kept}).Context(ctx).Do()
	require.NoError(t, err)

	resp, err := logs.Entries.List(&logging.ListLogEntriesRequest{
		ResourceNames: []string{"projects/api-prod-7f3a"},
		Filter: `logName="projects/api-prod-7f3a/logs/cloudaudit.googleapis.com%2Factivity" AND ` +
			`protoPayload.methodName=("v1.compute.projects.setCommonInstanceMetadata" OR "v1.compute.instances.setMetadata")`,
	}).Context(ctx).Do()
	require.NoError(t, err)
	got := decodeEntries(t, resp.Entries)
	require.Len(t, got, 4, "a first and a last entry of each write")
	require.Empty(t, resp.NextPageToken)

	for i, e := range got {
		require.Equal(t, "projects/api-prod-7f3a/logs/cloudaudit.googleapis.com%2Factivity", e.LogName)
		require.Equal(t, "NOTICE", e.Severity)
		require.Equal(t, "type.googleapis.com/google.cloud.audit.AuditLog", e.Proto.Type)
		require.Equal(t, "compute.googleapis.com", e.Proto.ServiceName)
		require.Equal(t, "ssh-pruner@sec-audit-logs-2a7c.iam.gserviceaccount.com", e.Proto.Auth.PrincipalEmail)
		require.Len(t, e.Proto.Auth.Delegation, 1)
		require.Equal(t, "alice@example.com", e.Proto.Auth.Delegation[0].First.PrincipalEmail)
		require.Equal(t, "127.0.0.1", e.Proto.RequestMetadata.CallerIP)
		require.Contains(t, e.Proto.RequestMetadata.UserAgent, "ssh-pruner-test/1.0")
		require.Equal(t, "compute.googleapis.com", e.Operation.Producer)
		require.Equal(t, i%2 == 0, e.Operation.First, "entry %d", i)
		require.Equal(t, i%2 == 1, e.Operation.Last, "entry %d", i)
		require.Len(t, e.Proto.Request, 1, "the request's metadata is redacted: %v", e.Proto.Request)
		if i > 0 {
			require.Less(t, got[i-1].InsertID, e.InsertID)
		}
	}
	require.Equal(t, got[0].Operation.ID, got[1].Operation.ID)
	require.Equal(t, op.Name, got[0].Operation.ID)

	proj := got[0]
	require.Equal(t, "v1.compute.projects.setCommonInstanceMetadata", proj.Proto.MethodName)
	require.Equal(t, "projects/api-prod-7f3a", proj.Proto.ResourceName)
	require.Equal(t, "gce_project", proj.Resource.Type)
	require.Equal(t, map[string]string{"project_id": "api-prod-7f3a"}, proj.Resource.Labels)
	require.Equal(t, "type.googleapis.com/compute.projects.setCommonInstanceMetadata", proj.Proto.Request["@type"])
	require.Equal(t, "type.googleapis.com/google.cloud.audit.GceProjectAuditMetadata", proj.Proto.Metadata.Type)
	require.Equal(t, &delta{Added: []string{"block-project-ssh-keys"}, Modified: []string{"ssh-keys"}, Deleted: []string{"startup-script"}},
		proj.Proto.Metadata.Project)
	require.Equal(t, proj.Proto.Metadata.Project, got[1].Proto.Metadata.Project)

	inst := got[2]
	require.Equal(t, "v1.compute.instances.setMetadata", inst.Proto.MethodName)
	require.Equal(t, "projects/api-prod-7f3a/zones/europe-west1-d/instances/win-jump-1", inst.Proto.ResourceName)
	require.Equal(t, "gce_instance", inst.Resource.Type)
	require.Equal(t, map[string]string{"project_id": "api-prod-7f3a", "zone": "europe-west1-d", "instance_id": strconv.FormatUint(in.Id, 10)},
		inst.Resource.Labels)
	require.Equal(t, "type.googleapis.com/google.cloud.audit.GceInstanceAuditMetadata", inst.Proto.Metadata.Type)
	require.Equal(t, &delta{Deleted: []string{"ssh-keys"}}, inst.Proto.Metadata.Inst)

	for _, e := range resp.Entries {
		require.NotContains(t, string(e.ProtoPayload), "AAAA", "no metadata value is logged")
	}
}

func ptr(s string) *string { return &s }
