package gcp_test

import (
	"context"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/ssh-pruner/ssh-pruner/gcp"
	"github.com/ssh-pruner/ssh-pruner/gcp/gcpfake"
	"github.com/ssh-pruner/ssh-pruner/pruner"
	"github.com/ssh-pruner/ssh-pruner/pruner/plan"
	"github.com/ssh-pruner/ssh-pruner/pruner/state"
)

// The table of calls (gcp.Calls) is what deploy/ builds the IAM roles from.
// These tests hold it to what crosses the wire: a call missing from it
// would be denied in production, an entry no call needs would be a
// permission too many, and a call listed for the wrong purpose would put
// its permission in the wrong role.

// purposes maps each method of the table to its purpose.
func purposes() map[string]gcp.Purpose {
	out := map[string]gcp.Purpose{}
	for _, c := range gcp.Calls() {
		out[c.Method] = c.Purpose
	}
	return out
}

// TestCallsOnTheWire runs the reconciler, dry and then applying, against
// the fake, which counts the requests of each method. A dry run makes
// exactly the DryRun calls of the table; the two runs together make exactly
// its DryRun and Apply calls.
func TestCallsOnTheWire(t *testing.T) {
	ctx := context.Background()
	f, c := serve(t, demoSeed(t), gcp.Options{})
	want := purposes()
	// The organization, walked; a named project, searched; one the search
	// does not give, asked for with get.
	scope := pruner.Scope{Organization: demoOrg, Projects: []string{"web-prod-eu", "no-such-project"}}

	// An excluded project and folder are checked to exist first.
	dry := reconcilerOf(t, c, false)
	dry.Exclude, dry.OptOuts.Folders = []string{"hr-payroll-typo-free"}, []string{"172058339406"}
	_, err := dry.Run(ctx, scope)
	var ee *pruner.ExclusionError
	require.ErrorAs(t, err, &ee, "the seed has no such project: the run stops before anything")
	dry.Exclude = []string{"analytics-staging"}
	_, err = dry.Run(ctx, scope)
	require.NoError(t, err)
	var called, listed []string
	for m := range f.CallCounts() {
		require.Contains(t, want, m, "a dry run calls %s: add it to the table of calls (gcp/calls.go)", m)
		require.Equal(t, gcp.DryRun, want[m], "a dry run calls %s: its purpose is DryRun, or the dry-run role misses it", m)
		called = append(called, m)
	}
	for m, p := range want {
		if p == gcp.DryRun {
			listed = append(listed, m)
		}
	}
	require.ElementsMatch(t, listed, called, "a dry run makes every DryRun call: one it does not make needs no place in the dry-run role")

	// Operations that are not done at once, so that their waits are
	// called, and a concurrent writer on one VM, so that its write meets
	// 412 and the VM is read again.
	f.SetFaults("", "", gcpfake.Fault{OperationPolls: 1})
	const project, zone, name = "web-prod-eu", "europe-west1-b", "web-eu-1"
	f.OnInstanceMetadataReadBeforeWrite(project, zone, name, func(f *gcpfake.Fake) {
		items, _, _ := f.InstanceMetadata(project, zone, name)
		f.SetInstanceMetadata(project, zone, name, append(items, gcpfake.Item{Key: "changed-meanwhile"}))
	})
	rep, err := reconcilerOf(t, c, true).Run(ctx, scope)
	require.NoError(t, err)
	require.Equal(t, 2, instanceReport(t, rep, project, name).Attempts, "the write lost its race once")

	called, listed = nil, nil
	for m := range f.CallCounts() {
		require.Contains(t, want, m, "an apply run calls %s: add it to the table of calls (gcp/calls.go)", m)
		called = append(called, m)
	}
	for m, p := range want {
		if p != gcp.State && p != gcp.Audit {
			listed = append(listed, m)
		}
	}
	require.ElementsMatch(t, listed, called, "the table lists exactly the calls the runs make")
}

// TestCallSitesNameTheirMethod: each call site passes its entry of the
// table to the client's call, which names it in the error of a call that
// gave up. Failing one method on the fake must give an error that names
// that method: a call site that named another entry would leave its own
// method's permission out of the table's account.
func TestCallSitesNameTheirMethod(t *testing.T) {
	ctx := context.Background()
	const project, zone, name = "web-prod-eu", "europe-west1-b", "web-eu-1"
	// The writes present the current fingerprint, so that only the fault
	// stops them.
	setProject := func(c *gcp.Client) error {
		md, err := c.ProjectMetadata(ctx, project)
		if err != nil {
			return err
		}
		return c.SetProjectMetadata(ctx, project, plan.Metadata{Fingerprint: md.Fingerprint, Items: append(md.Items, item("k", "v"))})
	}
	setInstance := func(c *gcp.Client) error {
		md, err := c.InstanceMetadata(ctx, project, zone, name)
		if err != nil {
			return err
		}
		return c.SetInstanceMetadata(ctx, project, zone, name, plan.Metadata{Fingerprint: md.Fingerprint, Items: append(md.Items, item("k", "v"))})
	}
	cases := map[string]struct {
		// also shapes the other calls the case needs to reach its method.
		also map[string]gcpfake.Fault
		run  func(c *gcp.Client) error
	}{
		"cloudresourcemanager.folders.list": {run: func(c *gcp.Client) error {
			_, err := c.ListProjects(ctx, pruner.Scope{Organization: demoOrg})
			return err
		}},
		"cloudresourcemanager.projects.list": {run: func(c *gcp.Client) error {
			_, err := c.ListProjects(ctx, pruner.Scope{Organization: demoOrg})
			return err
		}},
		"cloudresourcemanager.folders.get": {run: func(c *gcp.Client) error {
			return c.CheckFolder(ctx, "172058339406")
		}},
		"cloudresourcemanager.projects.get": {
			also: map[string]gcpfake.Fault{"cloudresourcemanager.projects.search": {ErrorRates: map[int]float64{500: 1}}},
			run: func(c *gcp.Client) error {
				inv, err := c.ListProjects(ctx, pruner.Scope{Projects: []string{project}})
				if err != nil || len(inv.Skipped) == 0 {
					return err
				}
				return inv.Skipped[0].Err
			},
		},
		"compute.projects.get": {run: func(c *gcp.Client) error {
			_, err := c.ProjectMetadata(ctx, project)
			return err
		}},
		"compute.projects.setCommonInstanceMetadata": {run: setProject},
		"compute.globalOperations.wait": {
			also: map[string]gcpfake.Fault{"compute.projects.setCommonInstanceMetadata": {OperationPolls: 1}},
			run:  setProject,
		},
		"compute.instances.aggregatedList": {run: func(c *gcp.Client) error {
			_, err := c.ListInstances(ctx, project)
			return err
		}},
		"compute.instances.get": {run: func(c *gcp.Client) error {
			_, err := c.InstanceMetadata(ctx, project, zone, name)
			return err
		}},
		"compute.instances.setMetadata": {run: setInstance},
		"logging.entries.list": {run: func(c *gcp.Client) error {
			_, err := c.MetadataWrites(ctx, auditView, time.Now().Add(-time.Hour), time.Now())
			return err
		}},
		"compute.zoneOperations.wait": {
			also: map[string]gcpfake.Fault{"compute.instances.setMetadata": {OperationPolls: 1}},
			run:  setInstance,
		},
	}
	for _, call := range gcp.Calls() {
		switch {
		case call.Purpose == gcp.State:
			continue // Cloud Storage's own client: TestStateCallsOnTheWire
		case call.Method == "cloudresourcemanager.projects.search":
			// A failed search is not an error: the projects it would
			// have given are asked for with get. TestCallsOnTheWire
			// sees it called.
			continue
		}
		tc, ok := cases[call.Method]
		require.True(t, ok, "no case for %s", call.Method)
		t.Run(call.Method, func(t *testing.T) {
			f, c := serve(t, demoSeed(t), gcp.Options{Retry: gcp.RetryPolicy{MaxAttempts: 1}})
			for m, fl := range tc.also {
				f.SetFaults(m, "", fl)
			}
			f.SetFaults(call.Method, "", gcpfake.Fault{ErrorRates: map[int]float64{500: 1}})
			err := tc.run(c)
			require.Error(t, err)
			require.Contains(t, err.Error(), call.Method+": gave up after 1 attempts")
			require.Positive(t, f.Calls(call.Method))
		})
	}
}

// storageRecorder notes the Cloud Storage JSON API method of each request,
// by the paths of its reference: objects.get is GET
// /storage/v1/b/BUCKET/o/OBJECT (alt=media for the data), objects.insert
// is POST /upload/storage/v1/b/BUCKET/o, and PUT to the same path for the
// rest of a resumable upload.
type storageRecorder struct {
	mu      sync.Mutex
	methods map[string]int
}

func (r *storageRecorder) RoundTrip(req *http.Request) (*http.Response, error) {
	p := req.URL.Path
	m := req.Method + " " + p // unknown: the test fails naming it
	switch {
	case req.Method == http.MethodGet && strings.HasPrefix(p, "/storage/v1/b/") && strings.Contains(p, "/o/"):
		m = "storage.objects.get"
	case (req.Method == http.MethodPost || req.Method == http.MethodPut) && strings.HasPrefix(p, "/upload/storage/v1/b/") && strings.HasSuffix(p, "/o"):
		m = "storage.objects.insert"
	}
	r.mu.Lock()
	r.methods[m]++
	r.mu.Unlock()
	return http.DefaultTransport.RoundTrip(req)
}

// TestStateCallsOnTheWire drives the state object through every path of
// Load and Save against fake-gcs-server: the calls that cross the wire are
// exactly the State calls of the table.
// TestAuditCallsOnTheWire: reading the audit logs makes exactly the
// table's Audit calls.
func TestAuditCallsOnTheWire(t *testing.T) {
	f, c := serve(t, demoSeed(t), gcp.Options{})
	_, err := c.MetadataWrites(context.Background(), auditView, time.Now().Add(-time.Hour), time.Now())
	require.NoError(t, err)
	var listed, called []string
	for _, c := range gcp.Calls() {
		if c.Purpose == gcp.Audit {
			listed = append(listed, c.Method)
		}
	}
	for m := range f.CallCounts() {
		called = append(called, m)
	}
	require.ElementsMatch(t, listed, called, "the audit logs' calls are the table's Audit calls")
}

func TestStateCallsOnTheWire(t *testing.T) {
	ctx := context.Background()
	srv := gcsServer(t, "pruner-state")
	rec := &storageRecorder{methods: map[string]int{}}
	s, err := gcp.NewStatePrefix(ctx, gcp.Options{StorageEndpoint: srv.URL(), HTTPClient: &http.Client{Transport: rec}}, "gs://pruner-state/state/")
	require.NoError(t, err)
	t.Cleanup(func() { require.NoError(t, s.Close()) })

	_, _, err = s.Load(ctx, "run.json")
	require.ErrorIs(t, err, state.ErrNoState)
	v1, err := s.Save(ctx, "run.json", []byte(`{"one":1}`), "")
	require.NoError(t, err)
	_, _, err = s.Load(ctx, "run.json")
	require.NoError(t, err)
	_, err = s.Save(ctx, "run.json", []byte(`{"two":2}`), v1)
	require.NoError(t, err)
	_, err = s.Save(ctx, "run.json", []byte(`{"three":3}`), v1)
	require.ErrorIs(t, err, state.ErrConflict)

	var listed []string
	for _, c := range gcp.Calls() {
		if c.Purpose == gcp.State {
			listed = append(listed, c.Method)
		}
	}
	rec.mu.Lock()
	defer rec.mu.Unlock()
	var called []string
	for m := range rec.methods {
		called = append(called, m)
	}
	require.ElementsMatch(t, listed, called, "the state's calls are the table's State calls")
}
