package gcp

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"google.golang.org/api/googleapi"

	sshpruner "github.com/ssh-pruner/ssh-pruner"
	"github.com/ssh-pruner/ssh-pruner/gcp/gcpfake"
	"github.com/ssh-pruner/ssh-pruner/pruner"
)

// The adapter asks Google only for the fields it reads. These tests hold
// it to that against the fake, which honours fields as Google does: what
// the adapter makes of partial answers must be what it makes of whole
// ones, and each field asked for must matter.

const (
	fieldsOrg     = "123456789012"
	fieldsProject = "web-prod-eu"
	fieldsZoneOut = "europe-west1-c"
	// fieldsPageSize is the page size the tests' wire asks for instead of
	// the adapter's 500, so that a few VMs make several pages.
	fieldsPageSize = 4
)

// fieldsSeed is the demo organization with one project whose instances
// give every field the adapter reads a value: several pages of them,
// labels, a Windows VM, one whose effective metadata says what its
// metadata does not, stopped ones.
func fieldsSeed(t testing.TB) *gcpfake.Seed {
	t.Helper()
	seed, err := gcpfake.ParseSeed(sshpruner.DemoOrganization)
	require.NoError(t, err)
	p := &seed.Projects[0]
	require.Equal(t, fieldsProject, p.ID)
	p.Instances = append(p.Instances,
		gcpfake.Instance{Zone: "europe-west1-b", Name: "enforced", Labels: map[string]string{"team": "web"},
			Effective: &gcpfake.EffectiveMetadata{BlockProjectSSHKeys: true, EnableOSLogin: true}},
		gcpfake.Instance{Zone: "europe-west1-d", Name: "win-1", Windows: true},
	)
	for i := range 2*fieldsPageSize + 2 {
		in := gcpfake.Instance{Zone: "europe-west1-d", Name: fmt.Sprintf("bulk-%03d", i), Labels: map[string]string{"n": fmt.Sprint(i)}}
		if i%2 == 0 {
			in.Status = "TERMINATED"
		}
		p.Instances = append(p.Instances, in)
	}
	return seed
}

// wire is a transport to the fake that can drop the fields parameter
// (to read whole answers), edit the bodies of answers, and records
// whether each request asked for fields. It asks for pages of
// fieldsPageSize instances, and of one project or folder.
type wire struct {
	strip bool
	edit  func([]byte) []byte

	mu        sync.Mutex
	withoutIt []string // requests that asked for no fields
}

func (w *wire) RoundTrip(r *http.Request) (*http.Response, error) {
	q := r.URL.Query()
	if q.Get("fields") == "" {
		w.mu.Lock()
		w.withoutIt = append(w.withoutIt, r.Method+" "+r.URL.Path)
		w.mu.Unlock()
	}
	if w.strip {
		q.Del("fields")
	}
	switch r.URL.Path {
	case "/v3/projects", "/v3/folders", "/v3/projects:search":
		q.Set("pageSize", "1") // a folder has a few children
	default:
		if q.Has("maxResults") {
			q.Set("maxResults", fmt.Sprint(fieldsPageSize))
		}
	}
	r = r.Clone(r.Context())
	r.URL.RawQuery = q.Encode()
	resp, err := http.DefaultTransport.RoundTrip(r)
	if err != nil || w.edit == nil {
		return resp, err
	}
	b, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		return nil, err
	}
	resp.Body = io.NopCloser(bytes.NewReader(w.edit(b)))
	resp.ContentLength = -1
	resp.Header.Del("Content-Length")
	return resp, nil
}

// fieldsClients serves the seed and returns a client that reads partial
// answers and one that reads whole ones, with the partial one's wire.
func fieldsClients(t testing.TB, edit func([]byte) []byte) (partial, whole *Client, w *wire) {
	t.Helper()
	f, err := gcpfake.New(fieldsSeed(t))
	require.NoError(t, err)
	f.SetZoneUnreachable(fieldsZoneOut, true)
	srv := httptest.NewServer(f)
	t.Cleanup(srv.Close)
	client := func(w *wire) *Client {
		c, err := New(context.Background(), Options{
			Endpoint: srv.URL, HTTPClient: &http.Client{Transport: w},
			Rates: Rates{ResourceManager: 1e6, ComputePerProject: 1e6}, Retry: RetryPolicy{MaxAttempts: 2, Base: time.Millisecond, Cap: time.Millisecond},
		})
		require.NoError(t, err)
		return c
	}
	w = &wire{edit: edit}
	return client(w), client(&wire{strip: true, edit: edit}), w
}

// TestPartialReadsMatchWholeOnes: every read of a run, made with the
// fields the adapter asks for, gives what the same read gives whole, in
// every variant of the answers.
func TestPartialReadsMatchWholeOnes(t *testing.T) {
	for name, edit := range variants {
		t.Run(name, func(t *testing.T) { partialReadsMatchWholeOnes(t, edit) })
	}
}

func partialReadsMatchWholeOnes(t *testing.T, edit func([]byte) []byte) {
	ctx := context.Background()
	partial, whole, w := fieldsClients(t, edit)
	read := func(c *Client) (out []any) {
		// Errors as their messages: a Google error holds its answer's
		// headers, whose Date moves.
		inv, err := c.ListProjects(ctx, pruner.Scope{Organization: fieldsOrg})
		require.NoError(t, err)
		named, err := c.ListProjects(ctx, pruner.Scope{Projects: []string{"api-prod-7f3a", "legacy-crm-0417", "no-such-project"}})
		require.NoError(t, err)
		// projects.get, which named makes for what search does not give.
		got, err := c.project(ctx, "legacy-crm-0417")
		require.NoError(t, err)
		out = append(out, inv.Projects, fmt.Sprint(inv.Skipped), named.Projects, fmt.Sprint(named.Skipped), got)
		for _, p := range inv.Projects {
			md, err := c.ProjectMetadata(ctx, p.ID)
			listing, lerr := c.ListInstances(ctx, p.ID)
			out = append(out, md, fmt.Sprint(err), listing, fmt.Sprint(lerr))
			for _, in := range listing.Instances {
				md, err := c.InstanceMetadata(ctx, p.ID, in.Zone, in.Name)
				out = append(out, md, fmt.Sprint(err))
			}
		}
		return out
	}
	want := read(whole)
	require.Equal(t, want, read(partial))
	require.Empty(t, w.withoutIt, "every read asks for its fields")

	// Not vacuous: the reads met every field the adapter reads.
	listing, err := whole.ListInstances(ctx, fieldsProject)
	require.NoError(t, err)
	require.Greater(t, len(listing.Instances), 2*fieldsPageSize, "several pages")
	require.Contains(t, listing.Unreachable, "zones/"+fieldsZoneOut)
	var windows, effective bool
	for _, in := range listing.Instances {
		windows = windows || in.Windows
		effective = effective || in.Effective != nil && in.Effective.EnableOSLogin
	}
	require.True(t, windows && effective)
}

// variants edit the fake's answers so that each field the listing asks
// for decides something: the fake marks a Windows VM by both a license
// and a guest OS feature, and names an unreachable zone only in
// unreachables, never in a scope's warning.
var variants = map[string]func([]byte) []byte{
	"as served": nil,
	"license only": func(b []byte) []byte {
		return bytes.ReplaceAll(b, []byte(`,{"type":"WINDOWS"}`), nil)
	},
	"feature only": func(b []byte) []byte {
		return bytes.ReplaceAll(b, []byte("/projects/windows-cloud/"), []byte("/projects/debian-cloud/"))
	},
	"unreachable scopes": func(b []byte) []byte {
		return bytes.ReplaceAll(b, []byte(`"code":"NO_RESULTS_ON_PAGE"`), []byte(`"code":"UNREACHABLE"`))
	},
}

// TestListingReadsOnlyWhatItAsksFor asks for the listing's fields less
// one, for each field in turn: in some variant the listing must come out
// different from the whole one, or the field is asked for in vain.
func TestListingReadsOnlyWhatItAsksFor(t *testing.T) {
	ctx := context.Background()
	var all []string
	for _, f := range instanceListFields {
		all = append(all, fieldLeaves(t, string(f))...)
	}
	require.Contains(t, all, "items/*/instances/resourceStatus/effectiveInstanceMetadata/enableOsloginMetadataValue")
	type run struct {
		partial *Client
		want    pruner.InstanceListing // read whole
	}
	runs := map[string]run{}
	for name, edit := range variants {
		partial, whole, _ := fieldsClients(t, edit)
		want, err := whole.ListInstances(ctx, fieldsProject)
		require.NoError(t, err)
		runs[name] = run{partial, want}
	}
	for i, leaf := range all {
		fewer := make([]googleapi.Field, 0, len(all)-1)
		for j, l := range all {
			if j != i {
				fewer = append(fewer, googleapi.Field(l))
			}
		}
		matters := false
		for name, r := range runs {
			got, err := r.partial.listInstances(ctx, fieldsProject, fewer)
			require.NoError(t, err, "%s without %s", name, leaf)
			matters = matters || !reflect.DeepEqual(got, r.want)
		}
		require.True(t, matters, "the listing reads %s for nothing", leaf)
	}
}

// fieldLeaves spells a field selection as one path per leaf:
// a(b,c/d) is a/b and a/c/d.
func fieldLeaves(t testing.TB, sel string) []string {
	t.Helper()
	var out []string
	depth, start := 0, 0
	for i := 0; i <= len(sel); i++ {
		switch {
		case i < len(sel) && sel[i] == '(':
			depth++
		case i < len(sel) && sel[i] == ')':
			depth--
		case i == len(sel) || sel[i] == ',' && depth == 0:
			out = append(out, leavesOfItem(t, sel[start:i])...)
			start = i + 1
		}
	}
	return out
}

func leavesOfItem(t testing.TB, item string) []string {
	open := strings.IndexByte(item, '(')
	if open < 0 {
		return []string{item}
	}
	require.True(t, strings.HasSuffix(item, ")"), item)
	var out []string
	for _, l := range fieldLeaves(t, item[open+1:len(item)-1]) {
		out = append(out, item[:open]+"/"+l)
	}
	return out
}
