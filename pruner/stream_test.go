package pruner_test

import (
	"context"
	"encoding/json"
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/ssh-pruner/ssh-pruner/pruner"
	"github.com/ssh-pruner/ssh-pruner/pruner/inmemory"
)

// streamer lists the store's projects in two levels, as a folder tree is
// listed: the first level, then (once wait returns) the second, or err.
type streamer struct {
	*inmemory.Store
	first, second []string
	wait          func()
	err           error
}

func (s streamer) StreamProjects(ctx context.Context, scope pruner.Scope, found func([]pruner.Project)) (pruner.Inventory, error) {
	var inv pruner.Inventory
	level := func(ids []string) {
		var ps []pruner.Project
		for _, id := range ids {
			ps = append(ps, pruner.Project{ID: id, State: "ACTIVE"})
		}
		inv.Projects = append(inv.Projects, ps...)
		found(ps)
	}
	level(s.first)
	s.wait()
	if s.err != nil {
		return inv, s.err
	}
	level(s.second)
	return inv, nil
}

// TestProjectsArePrunedWhileTheListingGoesOn: the second level is only
// listed once the first level's project has been read: with a listing
// that handed nothing over before it ended, the run would hang.
func TestProjectsArePrunedWhileTheListingGoesOn(t *testing.T) {
	s := org()
	s.AddProject("deep", inmemory.Items("ssh-keys", erinPerm))
	read := make(chan struct{})
	s.BeforeNextWrite(proj(projectID), func(*inmemory.Store) { close(read) })
	r := reconciler(s, true)
	r.Lister = streamer{Store: s, first: []string{projectID}, second: []string{"deep"}, wait: func() {
		select {
		case <-read:
		case <-time.After(10 * time.Second):
			t.Error("the first level was not pruned while the listing went on")
		}
	}}
	rep, err := r.Run(context.Background(), pruner.Scope{Organization: "1"})
	require.NoError(t, err)
	require.True(t, rep.OK(), rep.Summary())
	require.Equal(t, 2, rep.Totals.Projects)
	require.Equal(t, 2, rep.Totals.Changed)
}

// TestScopeListingStoppedPartway: the listing fails after a first level
// was handed over (and maybe written): the run ends with a report that
// says so, not with an error that would lose it.
func TestScopeListingStoppedPartway(t *testing.T) {
	s := org()
	r := reconciler(s, true)
	r.Lister = streamer{Store: s, first: []string{projectID}, wait: func() {}, err: errors.New("list folders/7: quota exceeded")}
	rep, err := r.Run(context.Background(), pruner.Scope{Organization: "1"})
	require.NoError(t, err, "the writes already made are reported")
	require.False(t, rep.OK())
	require.Equal(t, "list folders/7: quota exceeded", rep.ScopeError)
	require.Equal(t, 1, rep.Totals.Projects)
	require.Contains(t, rep.Summary(), "(scope listed in part)")

	// Failing before anything was listed is still an error of the run.
	r.Lister = streamer{Store: s, wait: func() {}, err: errors.New("list organizations/1: boom")}
	_, err = r.Run(context.Background(), pruner.Scope{Organization: "1"})
	require.ErrorContains(t, err, "enumerate scope")
}

// TestEmptyReportHasEmptyLists: a scope with nothing in it gives
// "projects": [], never null, for whatever reads the JSON.
func TestEmptyReportHasEmptyLists(t *testing.T) {
	rep, err := reconciler(inmemory.New(), false).Run(context.Background(), pruner.Scope{Organization: "1"})
	require.NoError(t, err)
	data, err := json.Marshal(rep)
	require.NoError(t, err)
	require.Contains(t, string(data), `"projects":[]`)
	require.Contains(t, string(data), `"folders":[]`)
}
