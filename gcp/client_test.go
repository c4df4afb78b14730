package gcp_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"google.golang.org/api/googleapi"

	sshpruner "github.com/ssh-pruner/ssh-pruner"
	"github.com/ssh-pruner/ssh-pruner/gcp"
	"github.com/ssh-pruner/ssh-pruner/gcp/gcpfake"
	"github.com/ssh-pruner/ssh-pruner/pruner"
	"github.com/ssh-pruner/ssh-pruner/pruner/plan"
)

// These tests drive Google's own API clients, through our adapters, over
// real HTTP against the fake: what they prove holds on the wire.

const demoOrg = "123456789012"

// fastRetry keeps retries quick in tests; the policy is the same.
var fastRetry = gcp.RetryPolicy{MaxAttempts: 6, Base: time.Millisecond, Cap: 5 * time.Millisecond}

// fastRates lifts the per-API rates out of the way of tests that are not
// about them.
var fastRates = gcp.Rates{ResourceManager: 1e6, ComputePerProject: 1e6, Logging: 1e6}

func demoSeed(t *testing.T) *gcpfake.Seed {
	t.Helper()
	seed, err := gcpfake.ParseSeed(sshpruner.DemoOrganization)
	require.NoError(t, err)
	return seed
}

// serve starts the fake and a client of it.
func serve(t *testing.T, seed *gcpfake.Seed, o gcp.Options) (*gcpfake.Fake, *gcp.Client) {
	t.Helper()
	f, err := gcpfake.New(seed)
	require.NoError(t, err)
	srv := httptest.NewServer(f)
	t.Cleanup(srv.Close)
	o.Endpoint = srv.URL
	if o.Retry == (gcp.RetryPolicy{}) {
		o.Retry = fastRetry
	}
	if o.Rates == (gcp.Rates{}) {
		o.Rates = fastRates
	}
	c, err := gcp.New(context.Background(), o)
	require.NoError(t, err)
	return f, c
}

func ids(ps []pruner.Project) []string {
	var out []string
	for _, p := range ps {
		out = append(out, p.ID)
	}
	return out
}

func TestListProjectsWalksNestedFoldersPageByPage(t *testing.T) {
	seed := demoSeed(t)
	f, c := serve(t, seed, gcp.Options{PageSize: 1})
	inv, err := c.ListProjects(context.Background(), pruner.Scope{Organization: demoOrg})
	require.NoError(t, err)

	// Every project of the seed, except those under the forbidden folder.
	var want []string
	for _, p := range seed.Projects {
		if p.Parent != "folders/529384716620" {
			want = append(want, p.ID)
		}
	}
	require.ElementsMatch(t, want, ids(inv.Projects))
	require.Len(t, inv.Skipped, 1)
	require.Equal(t, "folders/529384716620", inv.Skipped[0].Name)
	require.ErrorIs(t, inv.Skipped[0].Err, pruner.ErrForbidden)

	// Page size 1: one call per project and folder, plus the empty last pages.
	require.GreaterOrEqual(t, f.Calls("cloudresourcemanager.projects.list"), len(want))
	require.GreaterOrEqual(t, f.Calls("cloudresourcemanager.folders.list"), len(seed.Folders)-1)

	states := map[string]string{}
	for _, p := range inv.Projects {
		states[p.ID] = p.State
		require.NotEmpty(t, p.Number, p.ID)
		require.True(t, strings.HasPrefix(p.Parent, "folders/") || strings.HasPrefix(p.Parent, "organizations/"), p.Parent)
	}
	// The state goes with the project, so that the reconciler can say why
	// it skips a DELETE_REQUESTED one.
	require.Equal(t, "DELETE_REQUESTED", states["legacy-crm-0417"])
	require.Equal(t, "ACTIVE", states["web-prod-eu"])
}

func TestListProjectsBreadthFirst(t *testing.T) {
	seed := demoSeed(t)
	_, c := serve(t, seed, gcp.Options{})
	inv, err := c.ListProjects(context.Background(), pruner.Scope{Organization: demoOrg})
	require.NoError(t, err)
	depth := map[string]int{"organizations/" + demoOrg: 0}
	for range seed.Folders { // enough passes to settle every depth
		for _, fo := range seed.Folders {
			if d, ok := depth[fo.Parent]; ok {
				depth["folders/"+fo.ID] = d + 1
			}
		}
	}
	last := 0
	for _, p := range inv.Projects {
		d := depth[p.Parent]
		require.GreaterOrEqual(t, d, last, "%s comes after a deeper project", p.ID)
		last = d
	}
}

func TestListProjectsScopes(t *testing.T) {
	_, c := serve(t, demoSeed(t), gcp.Options{})
	ctx := context.Background()

	inv, err := c.ListProjects(ctx, pruner.Scope{Folders: []string{"172058339406"}})
	require.NoError(t, err)
	require.ElementsMatch(t, []string{"web-prod-us", "web-prod-eu"}, ids(inv.Projects), "a folder and its sub-folders")

	inv, err = c.ListProjects(ctx, pruner.Scope{Projects: []string{"web-prod-eu", "no-such-project"}})
	require.NoError(t, err)
	require.Equal(t, []string{"web-prod-eu"}, ids(inv.Projects))
	require.Len(t, inv.Skipped, 1)
	// The real Resource Manager answers 403 for a project that does not
	// exist, the fake may answer 404: either way it is skipped here, and
	// the reconciler fails it.
	require.True(t, errors.Is(inv.Skipped[0].Err, pruner.ErrNotFound) || errors.Is(inv.Skipped[0].Err, pruner.ErrForbidden), inv.Skipped[0].Err)

	_, err = c.ListProjects(ctx, pruner.Scope{Organization: "999"})
	require.Error(t, err, "a root that cannot be listed stops the run")

	_, err = c.ListProjects(ctx, pruner.Scope{Folders: []string{"529384716620"}})
	require.ErrorIs(t, err, pruner.ErrForbidden, "a forbidden root is an error, not a skip")
}

func TestProjectMetadataRoundTrip(t *testing.T) {
	f, c := serve(t, demoSeed(t), gcp.Options{})
	ctx := context.Background()
	md, err := c.ProjectMetadata(ctx, "web-prod-eu")
	require.NoError(t, err)
	items, fp, _ := f.ProjectMetadata("web-prod-eu")
	require.Equal(t, fp, md.Fingerprint)
	require.Len(t, md.Items, len(items))

	empty := ""
	md.Items = append(md.Items, plan.Item{Key: "emptied", Value: &empty})
	require.NoError(t, c.SetProjectMetadata(ctx, "web-prod-eu", md))
	after, fp2, _ := f.ProjectMetadata("web-prod-eu")
	require.NotEqual(t, fp, fp2, "an accepted change yields a new fingerprint")
	require.Equal(t, "emptied", after[len(after)-1].Key)
	require.NotNil(t, after[len(after)-1].Value, "an empty value stays an empty value")
	require.Equal(t, "", *after[len(after)-1].Value)

	// The same fingerprint again is stale now.
	err = c.SetProjectMetadata(ctx, "web-prod-eu", md)
	require.ErrorIs(t, err, pruner.ErrConflict)
	var ge *googleapi.Error
	require.ErrorAs(t, err, &ge)
	require.Equal(t, http.StatusPreconditionFailed, ge.Code)
}

func TestConcurrentWriterBetweenReadAndWrite(t *testing.T) {
	f, c := serve(t, demoSeed(t), gcp.Options{})
	ctx := context.Background()
	f.OnMetadataReadBeforeWrite("web-prod-us", func(f *gcpfake.Fake) {
		items, _, _ := f.ProjectMetadata("web-prod-us")
		f.SetProjectMetadata("web-prod-us", append(items, gcpfake.NewItem("added-by-someone", "1")))
	})
	md, err := c.ProjectMetadata(ctx, "web-prod-us")
	require.NoError(t, err)
	err = c.SetProjectMetadata(ctx, "web-prod-us", md)
	require.ErrorIs(t, err, pruner.ErrConflict)
	items, _, _ := f.ProjectMetadata("web-prod-us")
	require.Equal(t, "added-by-someone", items[len(items)-1].Key, "the other writer's change stays")
}

func TestOperations(t *testing.T) {
	ctx := context.Background()
	t.Run("asynchronous, polled until done", func(t *testing.T) {
		f, c := serve(t, demoSeed(t), gcp.Options{})
		f.SetFaults("", "web-prod-eu", gcpfake.Fault{OperationPolls: 3})
		md, err := c.ProjectMetadata(ctx, "web-prod-eu")
		require.NoError(t, err)
		require.NoError(t, c.SetProjectMetadata(ctx, "web-prod-eu", md))
		require.GreaterOrEqual(t, f.Calls("compute.globalOperations.wait"), 3, "wait is called again until DONE")
	})
	t.Run("failing operation", func(t *testing.T) {
		f, c := serve(t, demoSeed(t), gcp.Options{})
		f.SetFaults("", "web-prod-eu", gcpfake.Fault{FailOperations: true, OperationPolls: 1})
		md, err := c.ProjectMetadata(ctx, "web-prod-eu")
		require.NoError(t, err)
		err = c.SetProjectMetadata(ctx, "web-prod-eu", md)
		var oe *gcp.OperationError
		require.ErrorAs(t, err, &oe)
		require.NotErrorIs(t, err, pruner.ErrConflict)
		_, fp, _ := f.ProjectMetadata("web-prod-eu")
		require.Equal(t, md.Fingerprint, fp, "a failed operation changes nothing")
	})
	t.Run("conflict reported only by the operation", func(t *testing.T) {
		f, c := serve(t, demoSeed(t), gcp.Options{})
		f.SetFaults("", "web-prod-eu", gcpfake.Fault{ConflictInOperation: true, OperationPolls: 1})
		md, err := c.ProjectMetadata(ctx, "web-prod-eu")
		require.NoError(t, err)
		items, _, _ := f.ProjectMetadata("web-prod-eu")
		f.SetProjectMetadata("web-prod-eu", items) // someone else writes: new fingerprint
		err = c.SetProjectMetadata(ctx, "web-prod-eu", md)
		require.ErrorIs(t, err, pruner.ErrConflict)
		var oe *gcp.OperationError
		require.ErrorAs(t, err, &oe)
	})
}

func TestRetries(t *testing.T) {
	ctx := context.Background()
	t.Run("a storm of 429s is ridden out", func(t *testing.T) {
		f, c := serve(t, demoSeed(t), gcp.Options{Retry: gcp.RetryPolicy{MaxAttempts: 12, Base: time.Millisecond, Cap: 2 * time.Millisecond}})
		f.SetRandSeed(1)
		f.SetFaults("compute.projects.get", "", gcpfake.Fault{ErrorRates: map[int]float64{429: 0.5}})
		for _, id := range []string{"web-prod-eu", "web-prod-us", "api-prod-7f3a", "billing-prod-2291", "ci-runners-9d02"} {
			_, err := c.ProjectMetadata(ctx, id)
			require.NoError(t, err, id)
		}
		require.Greater(t, f.Calls("compute.projects.get"), 5, "some calls were retried")
	})
	t.Run("an exhausted budget says so", func(t *testing.T) {
		f, c := serve(t, demoSeed(t), gcp.Options{Retry: gcp.RetryPolicy{MaxAttempts: 3, Base: time.Millisecond, Cap: time.Millisecond}})
		f.SetFaults("compute.projects.get", "", gcpfake.Fault{ErrorRates: map[int]float64{503: 1}})
		_, err := c.ProjectMetadata(ctx, "web-prod-eu")
		require.ErrorContains(t, err, "gave up after 3 attempts")
		var ge *googleapi.Error
		require.ErrorAs(t, err, &ge)
		require.Equal(t, http.StatusServiceUnavailable, ge.Code)
		require.Equal(t, 3, f.Calls("compute.projects.get"))
	})
	t.Run("cancellation stops the retries", func(t *testing.T) {
		f, c := serve(t, demoSeed(t), gcp.Options{Retry: gcp.RetryPolicy{MaxAttempts: 100, Base: time.Second, Cap: time.Second}})
		f.SetFaults("compute.projects.get", "", gcpfake.Fault{ErrorRates: map[int]float64{500: 1}})
		cctx, cancel := context.WithTimeout(ctx, 50*time.Millisecond)
		defer cancel()
		_, err := c.ProjectMetadata(cctx, "web-prod-eu")
		require.ErrorIs(t, err, context.DeadlineExceeded)
		require.Less(t, f.Calls("compute.projects.get"), 3)
	})
	t.Run("client errors are not retried", func(t *testing.T) {
		f, c := serve(t, demoSeed(t), gcp.Options{})
		_, err := c.ProjectMetadata(ctx, "no-such-project")
		require.ErrorIs(t, err, pruner.ErrNotFound)
		require.Equal(t, 1, f.Calls("compute.projects.get"))
	})
}

func TestAccessErrors(t *testing.T) {
	_, c := serve(t, demoSeed(t), gcp.Options{})
	ctx := context.Background()
	_, err := c.ProjectMetadata(ctx, "ml-staging-58b1")
	require.ErrorIs(t, err, pruner.ErrComputeDisabled)
	require.NotErrorIs(t, err, pruner.ErrForbidden)

	_, err = c.ProjectMetadata(ctx, "hr-payroll")
	require.ErrorIs(t, err, pruner.ErrForbidden)
	require.NotErrorIs(t, err, pruner.ErrComputeDisabled)
}

func TestMetadataLimits(t *testing.T) {
	ctx := context.Background()
	big := strings.Repeat("x", 262144)
	cases := []struct {
		name  string
		items func([]plan.Item) []plan.Item
		ok    bool
	}{
		{"value at the limit", func(it []plan.Item) []plan.Item { return append(it, item("big", big)) }, true},
		{"value one byte over", func(it []plan.Item) []plan.Item { return append(it, item("big", big+"x")) }, false},
		{"total over 512 KiB", func(it []plan.Item) []plan.Item {
			return append(it, item("a", big), item("b", big))
		}, false},
		{"duplicate key", func(it []plan.Item) []plan.Item { return append(it, item("dup", "1"), item("dup", "2")) }, false},
		{"key with a dot", func(it []plan.Item) []plan.Item { return append(it, item("a.b", "1")) }, false},
		{"empty key", func(it []plan.Item) []plan.Item { return append(it, item("", "1")) }, false},
		{"key of 128 characters", func(it []plan.Item) []plan.Item { return append(it, item(strings.Repeat("k", 128), "1")) }, false},
		{"key of 127 characters", func(it []plan.Item) []plan.Item { return append(it, item(strings.Repeat("k", 127), "1")) }, true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			f, c := serve(t, demoSeed(t), gcp.Options{})
			md, err := c.ProjectMetadata(ctx, "shared-vpc-host-01")
			require.NoError(t, err)
			before, _, _ := f.ProjectMetadata("shared-vpc-host-01")
			md.Items = tc.items(slices.Clone(md.Items))
			err = c.SetProjectMetadata(ctx, "shared-vpc-host-01", md)
			if tc.ok {
				require.NoError(t, err)
				return
			}
			var ge *googleapi.Error
			require.ErrorAs(t, err, &ge)
			require.Equal(t, http.StatusBadRequest, ge.Code, err.Error())
			require.Equal(t, 1, f.Calls("compute.projects.setCommonInstanceMetadata"), "a 400 is not retried")
			after, _, _ := f.ProjectMetadata("shared-vpc-host-01")
			require.Equal(t, before, after, "a refused write changes nothing")
		})
	}
}

func TestInstanceMetadata(t *testing.T) {
	f, c := serve(t, demoSeed(t), gcp.Options{})
	ctx := context.Background()
	listing, err := c.ListInstances(ctx, "web-prod-eu")
	require.NoError(t, err)
	require.Empty(t, listing.Unreachable)
	var names []string
	for _, in := range listing.Instances {
		names = append(names, in.Zone+"/"+in.Name)
		want, fp, ok := f.InstanceMetadata(in.Project, in.Zone, in.Name)
		require.True(t, ok)
		require.Equal(t, fp, in.Metadata.Fingerprint, "planned from the listing: its fingerprint is the instance's")
		require.Len(t, in.Metadata.Items, len(want))
	}
	require.ElementsMatch(t, []string{"europe-west1-b/web-eu-1", "europe-west1-c/web-eu-2"}, names)
	require.Equal(t, 1, f.Calls("compute.instances.aggregatedList"), "one call for up to 500 instances")

	md, err := c.InstanceMetadata(ctx, "web-prod-eu", "europe-west1-b", "web-eu-1")
	require.NoError(t, err)
	require.NotEmpty(t, md.Fingerprint)
	md.Items = append(md.Items, item("note", "checked"))
	require.NoError(t, c.SetInstanceMetadata(ctx, "web-prod-eu", "europe-west1-b", "web-eu-1", md))
	items, _, _ := f.InstanceMetadata("web-prod-eu", "europe-west1-b", "web-eu-1")
	require.Equal(t, "note", items[len(items)-1].Key)

	err = c.SetInstanceMetadata(ctx, "web-prod-eu", "europe-west1-b", "web-eu-1", md)
	require.ErrorIs(t, err, pruner.ErrConflict, "instance metadata has fingerprints too")
}

func TestUserAgent(t *testing.T) {
	f, err := gcpfake.New(demoSeed(t))
	require.NoError(t, err)
	var agents []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		agents = append(agents, r.UserAgent())
		f.ServeHTTP(w, r)
	}))
	defer srv.Close()
	c, err := gcp.New(context.Background(), gcp.Options{Endpoint: srv.URL, UserAgent: "ssh-pruner/v1.2.3"})
	require.NoError(t, err)
	_, err = c.ProjectMetadata(context.Background(), "web-prod-eu")
	require.NoError(t, err)
	require.Len(t, agents, 1)
	require.Contains(t, agents[0], "ssh-pruner/v1.2.3")
}

func item(k, v string) plan.Item { return plan.Item{Key: k, Value: &v} }

// TestNamedProjectsAreSearched: projects named one by one are found with
// projects.search, 50 ids a call, not one get each; one the search does
// not give is asked for with get, whose answer says why; the order named
// is kept.
func TestNamedProjectsAreSearched(t *testing.T) {
	f, c := serve(t, demoSeed(t), gcp.Options{})
	var named []string
	for range 6 {
		named = append(named, "web-prod-eu", "web-prod-us", "api-prod-7f3a", "billing-prod-2291", "shared-vpc-host-01",
			"ml-staging-58b1", "data-staging-41c2", "analytics-staging", "sandbox-alice-3e9d", "ci-runners-9d02")
	}
	named = append(named, "no-such-project")
	inv, err := c.ListProjects(context.Background(), pruner.Scope{Projects: named})
	require.NoError(t, err)
	require.Equal(t, named[:10], ids(inv.Projects), "in the order named, each once")
	require.Equal(t, 2, f.Calls("cloudresourcemanager.projects.search"), "61 ids: two searches")
	require.Equal(t, 1, f.Calls("cloudresourcemanager.projects.get"), "only the one the search did not give")
	require.Len(t, inv.Skipped, 1)
	require.Equal(t, "projects/no-such-project", inv.Skipped[0].Name)
}

// TestStreamProjectsHandsOverEachLevel: the projects come as each level
// of the folder tree is listed, each once, the same as ListProjects gives.
func TestStreamProjectsHandsOverEachLevel(t *testing.T) {
	_, c := serve(t, demoSeed(t), gcp.Options{})
	var levels [][]string
	inv, err := c.StreamProjects(context.Background(), pruner.Scope{Organization: demoOrg}, func(ps []pruner.Project) {
		levels = append(levels, ids(ps))
	})
	require.NoError(t, err)
	require.Greater(t, len(levels), 1, "more than one hand-over: %v", levels)
	var all []string
	for _, l := range levels {
		all = append(all, l...)
	}
	require.Empty(t, inv.Projects, "handed over, not kept twice")
	listed, err := c.ListProjects(context.Background(), pruner.Scope{Organization: demoOrg})
	require.NoError(t, err)
	require.Equal(t, ids(listed.Projects), all)
}

// cancelOn cancels a context when a request's URL holds a string: a run
// interrupted at a known point of its listing.
type cancelOn struct {
	match  string
	cancel context.CancelFunc
}

func (c cancelOn) RoundTrip(r *http.Request) (*http.Response, error) {
	if strings.Contains(r.URL.String(), c.match) {
		c.cancel()
	}
	return http.DefaultTransport.RoundTrip(r)
}

// TestInterruptedListingNamesWhatItDidNotList: a listing interrupted
// partway hands over what it listed and names every folder it did not
// list, so that the report says what the run did not see.
func TestInterruptedListingNamesWhatItDidNotList(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	// The second level: the organization's folders are listed, their
	// sub-folders are not.
	_, c := serve(t, demoSeed(t), gcp.Options{HTTPClient: &http.Client{Transport: cancelOn{match: "parent=folders%2F406392811574", cancel: cancel}}, ListConcurrency: 1})
	var got []string
	inv, err := c.StreamProjects(ctx, pruner.Scope{Organization: demoOrg}, func(ps []pruner.Project) {
		got = append(got, ids(ps)...)
	})
	require.Error(t, err)
	var skipped []string
	for _, s := range inv.Skipped {
		if strings.Contains(s.Err.Error(), "interrupted") {
			skipped = append(skipped, s.Name)
		}
	}
	require.Contains(t, skipped, "folders/406392811574", "the folder whose listing was cut")
	// Every second-level folder of the demo is named, or its parent is:
	// nothing the run did not see goes unsaid.
	for child, parent := range map[string]string{"172058339406": "406392811574", "257719084630": "638201947752", "391027648815": "804466152093"} {
		require.True(t, slices.Contains(skipped, "folders/"+child) || slices.Contains(skipped, "folders/"+parent), "folders/%s or its parent", child)
	}
	for _, s := range skipped {
		require.True(t, strings.HasPrefix(s, "folders/"), s)
	}
	require.Contains(t, got, "hr-payroll", "the organization's own projects were listed and handed over")
}
