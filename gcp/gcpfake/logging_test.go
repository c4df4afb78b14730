package gcpfake_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
	compute "google.golang.org/api/compute/v1"
	logging "google.golang.org/api/logging/v2"
)

// loggingEnv is a fake with writes made through the Compute client,
// first and last entries for each, and a Logging client.
type loggingEnv struct {
	*env
	logs *logging.Service
}

// newLoggingEnv makes n project writes on api-prod-7f3a and one instance
// write on web-prod-eu's web-eu-1, with the token of alice.
func newLoggingEnv(t *testing.T, n int) *loggingEnv {
	t.Helper()
	e := newEnv(t, demoSeed(t))
	comp, logs := tokenClients(t, e.url, "alice-token", "logging-test/1.0")
	ctx := context.Background()
	for i := range n {
		_, fp, _ := e.fake.ProjectMetadata("api-prod-7f3a")
		_, err := comp.Projects.SetCommonInstanceMetadata("api-prod-7f3a", &compute.Metadata{
			Fingerprint: fp, Items: computeItems(items("ssh-keys", fmt.Sprintf("k%d:ssh-ed25519 AAAA k", i))),
		}).Context(ctx).Do()
		require.NoError(t, err)
	}
	_, fp, _ := e.fake.InstanceMetadata("web-prod-eu", "europe-west1-b", "web-eu-1")
	_, err := comp.Instances.SetMetadata("web-prod-eu", "europe-west1-b", "web-eu-1", &compute.Metadata{Fingerprint: fp}).Context(ctx).Do()
	require.NoError(t, err)
	return &loggingEnv{env: e, logs: logs}
}

func (le *loggingEnv) list(req *logging.ListLogEntriesRequest) (*logging.ListLogEntriesResponse, error) {
	return le.logs.Entries.List(req).Context(context.Background()).Do()
}

// all pages through a listing and returns the insertIds in order.
func (le *loggingEnv) all(t *testing.T, req *logging.ListLogEntriesRequest) (ids []string, pages int) {
	t.Helper()
	for {
		resp, err := le.list(req)
		require.NoError(t, err)
		pages++
		for _, e := range resp.Entries {
			ids = append(ids, e.InsertId)
		}
		if resp.NextPageToken == "" {
			return ids, pages
		}
		require.LessOrEqual(t, len(resp.Entries), max(int(req.PageSize), 1))
		req.PageToken = resp.NextPageToken
	}
}

func TestEntriesListFilters(t *testing.T) {
	le := newLoggingEnv(t, 2)
	const api = "projects/api-prod-7f3a"
	const view = "projects/sec-audit-logs-2a7c/locations/global/buckets/org-audit/views/_AllLogs"
	tests := []struct {
		names  []string
		filter string
		want   int
	}{
		{[]string{api}, ``, 4},
		{[]string{api}, `logName="projects/api-prod-7f3a/logs/cloudaudit.googleapis.com%2Factivity"`, 4},
		{[]string{api}, `logName="projects/web-prod-eu/logs/cloudaudit.googleapis.com%2Factivity"`, 0},
		{[]string{api}, `protoPayload.methodName=("v1.compute.projects.setCommonInstanceMetadata" OR "v1.compute.instances.setMetadata")`, 4},
		{[]string{api}, `protoPayload.methodName:"instances"`, 0},
		{[]string{api}, `resource.type=gce_project AND operation.last=true`, 2},
		{[]string{api}, `protoPayload.authenticationInfo.principalEmail="alice@example.com"`, 4},
		{[]string{api}, `timestamp>="2026-11-23T12:00:00Z" AND timestamp<"2026-11-23T12:00:01Z"`, 4},
		{[]string{api}, `timestamp>"2026-11-23T12:00:00Z"`, 0},
		{[]string{api}, `protoPayload.resourceName="projects/api-prod-7f3a"`, 4},
		{[]string{api, "projects/web-prod-eu"}, ``, 6},
		{[]string{"projects/482910375561"}, `resource.type="gce_instance"`, 2}, // by number
		{[]string{view}, ``, 6},
		{[]string{view}, `protoPayload.metadata.instanceMetadataDelta.deletedMetadataKeys="ssh-keys"`, 2},
		{[]string{view, api}, ``, 6}, // an entry in two scopes is listed once
		{[]string{"projects/web-prod-eu/locations/global/buckets/_Required/views/_AllLogs"}, ``, 2},
		{[]string{"projects/web-prod-eu/locations/global/buckets/_Default/views/_AllLogs"}, ``, 0},
		{[]string{"organizations/123456789012"}, ``, 0}, // only the organization's own entries
		{[]string{"folders/406392811574"}, ``, 0},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.names, ",")+" "+tt.filter, func(t *testing.T) {
			ids, _ := le.all(t, &logging.ListLogEntriesRequest{ResourceNames: tt.names, Filter: tt.filter})
			require.Len(t, ids, tt.want)
		})
	}
}

func TestEntriesListOrderAndPages(t *testing.T) {
	le := newLoggingEnv(t, 5) // 12 entries
	req := func(order string, size int64) *logging.ListLogEntriesRequest {
		return &logging.ListLogEntriesRequest{ResourceNames: []string{"projects/api-prod-7f3a", "projects/web-prod-eu"}, OrderBy: order, PageSize: size}
	}
	asc, pages := le.all(t, req("", 0))
	require.Len(t, asc, 12)
	require.Equal(t, 1, pages, "50 a page by default")
	require.IsIncreasing(t, asc, "equal timestamps: by insertId")

	explicit, _ := le.all(t, req("timestamp asc", 0))
	require.Equal(t, asc, explicit)
	desc, _ := le.all(t, req("timestamp desc", 0))
	for i := range asc {
		require.Equal(t, asc[i], desc[len(desc)-1-i])
	}

	for _, size := range []int64{1, 5, 11, 12, 5000} {
		got, pages := le.all(t, req("timestamp desc", size))
		require.Equal(t, desc, got, "page size %d", size)
		require.Equal(t, (12+int(min(size, 1000))-1)/int(min(size, 1000)), pages, "page size %d", size)
	}

	// Entries written while a client pages come after its cursor, once.
	first, err := le.list(req("", 5))
	require.NoError(t, err)
	_, fp, _ := le.fake.ProjectMetadata("api-prod-7f3a")
	_, err = le.compute.Projects.SetCommonInstanceMetadata("api-prod-7f3a", &compute.Metadata{Fingerprint: fp}).Do()
	require.NoError(t, err)
	rest, _ := le.all(t, &logging.ListLogEntriesRequest{ResourceNames: req("", 5).ResourceNames, PageSize: 5, PageToken: first.NextPageToken})
	require.Len(t, rest, 12-5+2)
}

func TestEntriesListRefusals(t *testing.T) {
	le := newLoggingEnv(t, 1)
	page, err := le.list(&logging.ListLogEntriesRequest{ResourceNames: []string{"projects/api-prod-7f3a"}, PageSize: 1})
	require.NoError(t, err)
	tests := []struct {
		name string
		req  logging.ListLogEntriesRequest
		code int
		msg  string
	}{
		{"no resource", logging.ListLogEntriesRequest{}, 400, "resource_names"},
		{"bad resource", logging.ListLogEntriesRequest{ResourceNames: []string{"project/x"}}, 400, "Invalid resource name"},
		{"unknown project", logging.ListLogEntriesRequest{ResourceNames: []string{"projects/nope-nope"}}, 403, "The caller does not have permission"},
		{"forbidden project", logging.ListLogEntriesRequest{ResourceNames: []string{"projects/hr-payroll"}}, 403, "permission"},
		{"forbidden folder", logging.ListLogEntriesRequest{ResourceNames: []string{"folders/529384716620"}}, 403, "permission"},
		{"other organization", logging.ListLogEntriesRequest{ResourceNames: []string{"organizations/42"}}, 403, "permission"},
		{"unknown view", logging.ListLogEntriesRequest{ResourceNames: []string{"projects/sec-audit-logs-2a7c/locations/global/buckets/org-audit/views/mine"}}, 404, "does not exist"},
		{"syntax", logging.ListLogEntriesRequest{ResourceNames: []string{"projects/api-prod-7f3a"}, Filter: `severity=`}, 400, "Unparseable filter: syntax error at line 1, column 10"},
		{"global restriction", logging.ListLogEntriesRequest{ResourceNames: []string{"projects/api-prod-7f3a"}, Filter: `"ssh-keys"`}, 400, "global restriction"},
		{"bad timestamp", logging.ListLogEntriesRequest{ResourceNames: []string{"projects/api-prod-7f3a"}, Filter: `timestamp>="today"`}, 400, "Invalid timestamp"},
		{"order", logging.ListLogEntriesRequest{ResourceNames: []string{"projects/api-prod-7f3a"}, OrderBy: "severity desc"}, 400, "order_by"},
		{"negative page size", logging.ListLogEntriesRequest{ResourceNames: []string{"projects/api-prod-7f3a"}, PageSize: -1}, 400, "page_size"},
		{"garbled token", logging.ListLogEntriesRequest{ResourceNames: []string{"projects/api-prod-7f3a"}, PageToken: "x!"}, 400, "page_token"},
		{"token of another query", logging.ListLogEntriesRequest{ResourceNames: []string{"projects/api-prod-7f3a"}, Filter: "severity=NOTICE", PageToken: page.NextPageToken}, 400, "page_token doesn't match"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := le.list(&tt.req)
			ge := apiErr(t, err, tt.code)
			require.Contains(t, ge.Message, tt.msg)
		})
	}

	// The error body is a gRPC-first API's: code, message, status.
	resp, err := http.Post(le.url+"/v2/entries:list", "application/json", strings.NewReader(`{"resourceNames": ["projects/api-prod-7f3a"], "filters": "x"}`))
	require.NoError(t, err)
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	require.Equal(t, http.StatusBadRequest, resp.StatusCode)
	require.JSONEq(t, `{"error": {"code": 400, "status": "INVALID_ARGUMENT",
		"message": "Invalid JSON payload received. Unknown name \"filters\": Cannot find field."}}`, string(body))
}

func TestEntriesListQuota(t *testing.T) {
	le := newLoggingEnv(t, 1)
	api := &logging.ListLogEntriesRequest{ResourceNames: []string{"projects/api-prod-7f3a"}}
	web := &logging.ListLogEntriesRequest{ResourceNames: []string{"projects/web-prod-eu"}}
	for i := range 60 {
		_, err := le.list(api)
		require.NoError(t, err, "call %d", i+1)
	}
	_, err := le.list(api)
	ge := apiErr(t, err, http.StatusTooManyRequests)
	require.Contains(t, ge.Message, "Quota exceeded for quota metric 'Read requests' and limit 'Read requests per minute' of service 'logging.googleapis.com' for consumer 'projects/730118264905'")
	require.Contains(t, string(ge.Body), `"status":"RESOURCE_EXHAUSTED"`)
	require.Contains(t, string(ge.Body), `"quota_limit_value":"60"`)

	_, err = le.list(web)
	require.NoError(t, err, "the quota is per project")
	both := &logging.ListLogEntriesRequest{ResourceNames: []string{"projects/web-prod-eu", "projects/api-prod-7f3a"}}
	_, err = le.list(both)
	apiErr(t, err, http.StatusTooManyRequests)

	le.fake.SetLoggingReadQuota(0)
	_, err = le.list(api)
	require.NoError(t, err)
	le.fake.SetLoggingReadQuota(2)
	for range 2 {
		_, err = le.list(api)
		require.NoError(t, err)
	}
	_, err = le.list(api)
	apiErr(t, err, http.StatusTooManyRequests)
	require.Equal(t, 60+1+1+1+1+3, le.fake.Calls("logging.entries.list"))
}

// TestEntriesListServesEntriesAsWritten compares what entries.list
// serves with what the audit log holds, byte for byte once compacted.
func TestEntriesListServesEntriesAsWritten(t *testing.T) {
	le := newLoggingEnv(t, 1)
	resp, err := http.Post(le.url+"/v2/entries:list", "application/json", strings.NewReader(`{"resourceNames": ["projects/api-prod-7f3a"]}`))
	require.NoError(t, err)
	defer resp.Body.Close()
	var out struct {
		Entries []json.RawMessage `json:"entries"`
	}
	require.NoError(t, json.NewDecoder(resp.Body).Decode(&out))
	require.Equal(t, le.fake.AuditEntries("api-prod-7f3a"), out.Entries)
}
