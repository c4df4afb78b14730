package gcp

import (
	"context"
	"fmt"
	"net/http/httptest"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/ssh-pruner/ssh-pruner/gcp/gcpfake"
	"github.com/ssh-pruner/ssh-pruner/pruner"
)

// TestListingStaysWithinListAhead: however many folders may be listed at
// once, the walk of the tree lists no further ahead of what it handed
// over than listAhead projects and the folders under way, and hands all
// over in the folders' order.
func TestListingStaysWithinListAhead(t *testing.T) {
	defer func(n int) { listAhead = n }(listAhead)
	listAhead = 60
	const folders, perFolder, pageSize = 40, 30, 10
	seed := &gcpfake.Seed{Organization: gcpfake.Organization{ID: "900000000001", DisplayName: "ahead.example.com"}}
	var want []string
	for i := range folders {
		id := fmt.Sprint(910000000000 + i)
		seed.Folders = append(seed.Folders, gcpfake.Folder{ID: id, Parent: "organizations/900000000001", DisplayName: id})
		for j := range perFolder {
			pid := fmt.Sprintf("p-%02d-%02d", i, j)
			want = append(want, pid)
			seed.Projects = append(seed.Projects, gcpfake.Project{ID: pid, Number: fmt.Sprint(800000000000 + i*perFolder + j), Parent: "folders/" + id, State: "ACTIVE"})
		}
	}
	f, err := gcpfake.New(seed)
	require.NoError(t, err)
	srv := httptest.NewServer(f)
	t.Cleanup(srv.Close)
	c, err := New(context.Background(), Options{Endpoint: srv.URL, PageSize: pageSize, ListConcurrency: 64,
		Retry: RetryPolicy{MaxAttempts: 3}, Rates: Rates{ResourceManager: 1e6, ComputePerProject: 1e6}})
	require.NoError(t, err)

	var got []string
	_, err = c.StreamProjects(context.Background(), pruner.Scope{Organization: "900000000001"}, func(ps []pruner.Project) {
		// Pages asked for so far, each of pageSize projects: what was
		// handed over before, listAhead, and the folders that may be
		// under way beside it (listAhead / perFolder, and one).
		asked := f.Calls("cloudresourcemanager.projects.list") * pageSize
		bound := len(got) + len(ps) + listAhead + (listAhead/perFolder+1)*perFolder
		require.LessOrEqual(t, asked, bound, "listed ahead of the walk, at %d handed over", len(got))
		for _, p := range ps {
			got = append(got, p.ID)
		}
	})
	require.NoError(t, err)
	require.Equal(t, want, got)
}
