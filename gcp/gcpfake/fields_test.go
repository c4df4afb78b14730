package gcpfake_test

import (
	"context"
	"encoding/json"
	"io"
	"maps"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"
	compute "google.golang.org/api/compute/v1"
	"google.golang.org/api/googleapi"

	"github.com/ssh-pruner/ssh-pruner/gcp/gcpfake"
)

// recorder is a transport that keeps the fields parameter of each request.
type recorder struct {
	mu     sync.Mutex
	fields []string
}

func (rec *recorder) RoundTrip(r *http.Request) (*http.Response, error) {
	rec.mu.Lock()
	rec.fields = append(rec.fields, r.URL.Query().Get("fields"))
	rec.mu.Unlock()
	return http.DefaultTransport.RoundTrip(r)
}

func (rec *recorder) last() string {
	rec.mu.Lock()
	defer rec.mu.Unlock()
	return rec.fields[len(rec.fields)-1]
}

func newRecordedEnv(t *testing.T) (*env, *recorder) {
	t.Helper()
	f, err := gcpfake.New(demoSeed(t))
	require.NoError(t, err)
	srv := httptest.NewServer(f)
	t.Cleanup(srv.Close)
	rec := &recorder{}
	return newEnvAt(t, f, srv.URL, &http.Client{Transport: rec}), rec
}

// getJSON fetches path?query from the fake and decodes the body.
func getJSON(t *testing.T, e *env, path string, query url.Values) (int, map[string]any) {
	t.Helper()
	resp, err := http.Get(e.url + path + "?" + query.Encode())
	require.NoError(t, err)
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	var v map[string]any
	require.NoError(t, json.Unmarshal(b, &v), "%s", b)
	return resp.StatusCode, v
}

func keys(v any) []string {
	return slices.Sorted(maps.Keys(v.(map[string]any)))
}

// TestPartialResponseThroughGoClient: what Google's Go client sends for
// Fields, and what it decodes from the fake's partial answers.
func TestPartialResponseThroughGoClient(t *testing.T) {
	ctx := context.Background()
	e, rec := newRecordedEnv(t)

	list, err := e.compute.Instances.AggregatedList("api-prod-7f3a").
		Fields("items/*/instances(name,zone)", "nextPageToken").MaxResults(1).Context(ctx).Do()
	require.NoError(t, err)
	require.Equal(t, "items/*/instances(name,zone),nextPageToken", rec.last(), "the client joins the fields with commas, as given")
	require.NotEmpty(t, list.NextPageToken, "the page token survives")
	var got []*compute.Instance
	for _, scoped := range list.Items {
		require.Nil(t, scoped.Warning, "not selected")
		got = append(got, scoped.Instances...)
	}
	require.Len(t, got, 1)
	require.Equal(t, &compute.Instance{Name: "api-1", Zone: got[0].Zone}, got[0], "only name and zone")
	require.Contains(t, got[0].Zone, "/zones/europe-west1-d")
	require.Empty(t, list.Kind)
	require.Empty(t, list.SelfLink)

	// The next page, asked for with the token the partial page carried.
	list, err = e.compute.Instances.AggregatedList("api-prod-7f3a").
		Fields("items/*/instances/name", "nextPageToken").MaxResults(1).PageToken(list.NextPageToken).Context(ctx).Do()
	require.NoError(t, err)
	require.Equal(t, "win-jump-1", list.Items["zones/europe-west1-d"].Instances[0].Name)

	p, err := e.compute.Projects.Get("api-prod-7f3a").Fields("commonInstanceMetadata/fingerprint").Context(ctx).Do()
	require.NoError(t, err)
	require.Empty(t, p.Name)
	require.NotEmpty(t, p.CommonInstanceMetadata.Fingerprint)
	require.Empty(t, p.CommonInstanceMetadata.Items)

	in, err := e.compute.Instances.Get("api-prod-7f3a", "europe-west1-d", "win-jump-1").
		Fields("disks(boot,guestOsFeatures/type)").Context(ctx).Do()
	require.NoError(t, err)
	require.Empty(t, in.Name)
	require.True(t, in.Disks[0].Boot)
	require.Empty(t, in.Disks[0].Licenses)
	require.Contains(t, in.Disks[0].GuestOsFeatures, &compute.GuestOsFeature{Type: "WINDOWS"})

	projects, err := e.crm.Projects.Search().PageSize(2).
		Fields("projects/projectId", "nextPageToken").Context(ctx).Do()
	require.NoError(t, err)
	require.NotEmpty(t, projects.NextPageToken)
	require.Len(t, projects.Projects, 2)
	for _, p := range projects.Projects {
		require.NotEmpty(t, p.ProjectId)
		require.Empty(t, p.Name)
		require.Empty(t, p.State)
	}

	// A write's answer is cut too: fields applies to any method.
	its, fp, ok := e.fake.ProjectMetadata("api-prod-7f3a")
	require.True(t, ok)
	md := &compute.Metadata{Fingerprint: fp, Items: computeItems(its)}
	op, err := e.compute.Projects.SetCommonInstanceMetadata("api-prod-7f3a", md).Fields("name", "status").Context(ctx).Do()
	require.NoError(t, err)
	require.NotEmpty(t, op.Name)
	require.NotEmpty(t, op.Status)
	require.Empty(t, op.SelfLink)
	require.Empty(t, op.OperationType)
}

// TestPartialResponseOnTheWire: the body holds the selected keys and no
// others, at every level.
func TestPartialResponseOnTheWire(t *testing.T) {
	e := newEnv(t, demoSeed(t))
	const path = "/compute/v1/projects/api-prod-7f3a/aggregated/instances"
	code, body := getJSON(t, e, path, url.Values{
		"fields": {"nextPageToken,items/*/instances(name,metadata(fingerprint,items/key),disks/licenses)"}, "maxResults": {"1"},
	})
	require.Equal(t, http.StatusOK, code, body)
	require.Equal(t, []string{"items", "nextPageToken"}, keys(body))
	vm := body["items"].(map[string]any)["zones/europe-west1-d"].(map[string]any)["instances"].([]any)[0]
	require.Equal(t, []string{"disks", "metadata", "name"}, keys(vm))
	md := vm.(map[string]any)["metadata"]
	require.Equal(t, []string{"fingerprint", "items"}, keys(md))
	for _, it := range md.(map[string]any)["items"].([]any) {
		require.Equal(t, []string{"key"}, keys(it))
	}
	require.Equal(t, []string{"licenses"}, keys(vm.(map[string]any)["disks"].([]any)[0]))

	// Without fields, the whole resource.
	_, whole := getJSON(t, e, path, url.Values{"maxResults": {"1"}})
	require.Contains(t, keys(whole), "kind")
	require.Contains(t, keys(whole), "selfLink")

	// An error is sent whole, whatever the fields.
	code, body = getJSON(t, e, "/compute/v1/projects/api-prod-7f3a/zones/europe-west1-d/instances/nope",
		url.Values{"fields": {"name"}})
	require.Equal(t, http.StatusNotFound, code)
	require.Contains(t, body["error"].(map[string]any)["message"], "was not found")
}

// TestInvalidFieldSelection: a selection the fake cannot apply is a 400
// that names it, before the call does anything else.
func TestInvalidFieldSelection(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t, demoSeed(t))

	_, err := e.compute.Instances.AggregatedList("api-prod-7f3a").Fields("nextpagetoken").Context(ctx).Do()
	ge := apiErr(t, err, http.StatusBadRequest)
	require.Equal(t, "Invalid field selection nextpagetoken", ge.Message)
	require.Equal(t, []string{"invalidParameter"}, reasons(ge))

	_, err = e.compute.Instances.AggregatedList("api-prod-7f3a").Fields("items/*/instances(name,nosuchfield)").Context(ctx).Do()
	ge = apiErr(t, err, http.StatusBadRequest)
	require.Equal(t, "Invalid field selection items/*/instances/nosuchfield", ge.Message)

	_, err = e.compute.Projects.Get("api-prod-7f3a").Fields("commonInstanceMetadata(items").Context(ctx).Do()
	ge = apiErr(t, err, http.StatusBadRequest)
	require.Equal(t, "Invalid field selection commonInstanceMetadata(items", ge.Message)

	// Before the resource is looked for.
	_, err = e.compute.Instances.Get("api-prod-7f3a", "europe-west1-d", "nope").Fields("name/x").Context(ctx).Do()
	apiErr(t, err, http.StatusBadRequest)

	// Where the error item says the fault lies.
	code, body := getJSON(t, e, "/compute/v1/projects/api-prod-7f3a", url.Values{"fields": {"Name"}})
	require.Equal(t, http.StatusBadRequest, code)
	item := body["error"].(map[string]any)["errors"].([]any)[0].(map[string]any)
	require.Equal(t, "fields", item["location"])
	require.Equal(t, "parameter", item["locationType"])

	// Resource Manager says it in its own style.
	_, err = e.crm.Projects.Get("projects/api-prod-7f3a").Fields(googleapi.Field("projectID")).Context(ctx).Do()
	ge = apiErr(t, err, http.StatusBadRequest)
	require.Equal(t, "Invalid field selection projectID", ge.Message)
}
