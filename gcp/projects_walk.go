package gcp

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"

	crm "google.golang.org/api/cloudresourcemanager/v3"

	"github.com/ssh-pruner/ssh-pruner/pruner"
)

// The walk of the folder tree that ListProjects and StreamProjects make.

// listing is what listing one folder (or the organization) gave.
type listing struct {
	projects []pruner.Project
	folders  []string
	err      error
	held     int // projects listed and counted against listAhead
}

// walk lists the projects under root and under every folder below it,
// one level of the tree at a time. The folders of a level are listed
// concurrently (each listing is a few calls of full latency, and a wide
// organization has hundreds of folders), and their results are taken in
// folder order as they come, so the walk stays breadth first and
// deterministic without holding a level's listings at once.
func (c *Client) walk(ctx context.Context, root string, add func([]pruner.Project), inv *pruner.Inventory) error {
	// ancestors of each folder met, root first, for Project.Folders.
	ancestors := map[string][]string{root: nil}
	level := []string{root}
	for len(level) > 0 {
		results, wait, taken, stop := c.listLevel(ctx, level)
		var next []string
		for i := range results {
			r, parent := &results[i], level[i]
			wait(i)
			taken(i)
			if r.err != nil && ctx.Err() != nil {
				// Interrupted: what was listed is handed over, and every
				// folder not listed is named, so the report says what the
				// run did not see.
				for j := i + 1; j < len(results); j++ {
					wait(j)
				}
				add(interrupted(level[i:], results[i:], inv))
				stop()
				return fmt.Errorf("list %s: %w", parent, r.err)
			}
			if r.err != nil {
				if parent == root || !skippable(r.err) {
					stop()
					return fmt.Errorf("list %s: %w", parent, r.err) // the level's folders before were handed over
				}
				inv.Skipped = append(inv.Skipped, pruner.SkippedResource{Name: parent, Err: r.err})
				continue
			}
			chain := append(slices.Clone(ancestors[parent]), parent)
			for j := range r.projects {
				r.projects[j].Folders = chain
			}
			// Each folder's own as soon as it and the folders before it
			// are listed: the level is not held whole, and what is handed
			// over goes.
			add(r.projects)
			r.projects = nil
			for _, f := range r.folders {
				ancestors[f] = chain
			}
			next = append(next, r.folders...)
		}
		stop()
		level = next
	}
	return nil
}

// listAhead bounds the projects listed by the walk of the folder tree
// and not yet handed over: a folder starts to be listed only below it (or
// when nothing listed waits), at most c.listConcurrency at once. Some 200
// bytes a project: an organization of 100,000 projects in 50 folders,
// listed 64 folders at a time, was held listed whole, the peak of a run's
// memory once the reports went to a spool.
var listAhead = 10000

// listLevel lists the folders of a level in the level's order, no
// further ahead of the walk than listAhead projects: wait(i) returns once
// folder i is listed, taken(i) says the walk took it, stop cancels what is
// still under way and waits for it. Once ctx is done, what is left is
// "listed" at once, with ctx's error, so that the walk can name it.
func (c *Client) listLevel(ctx context.Context, level []string) (results []listing, wait, taken func(i int), stop func()) {
	results = make([]listing, len(level))
	done := make([]chan struct{}, len(level))
	for i := range done {
		done[i] = make(chan struct{})
	}
	lctx, cancel := context.WithCancel(ctx)
	var (
		mu       sync.Mutex
		cond     = sync.NewCond(&mu)
		held     int // projects listed in folders not yet taken
		started  int // folders started, in order
		inFlight int // folders being listed
		listed   int // folders listed, and
		sum      int // the projects they held
	)
	// room tells whether one more folder may start: what is held, with
	// what the folders under way may bring (as many as the folders listed
	// so far held, on average), stays below listAhead. Until one folder
	// is listed there is nothing to go by: one at a time.
	room := func() bool {
		if inFlight == 0 && held == 0 {
			return true // the walk waits for nothing else
		}
		if listed == 0 {
			return false
		}
		return held+(inFlight+1)*max(1, sum/listed) <= listAhead
	}
	stopWake := context.AfterFunc(lctx, func() {
		mu.Lock()
		defer mu.Unlock()
		cond.Broadcast()
	})
	var wg sync.WaitGroup
	for range min(c.listConcurrency, len(level)) {
		wg.Go(func() {
			for {
				mu.Lock()
				// Without room, a folder is under way or listed and not
				// taken: its end, or the walk taking it, wakes this worker.
				for !room() && lctx.Err() == nil {
					cond.Wait()
				}
				i := started
				started++
				if i < len(level) {
					inFlight++
				}
				mu.Unlock()
				if i >= len(level) {
					return
				}
				r := &results[i]
				page := func(n int) {
					mu.Lock()
					defer mu.Unlock()
					r.held += n
					held += n
				}
				if r.projects, r.err = c.listProjects(lctx, level[i], page); r.err == nil {
					r.folders, r.err = c.listFolders(lctx, level[i])
				}
				mu.Lock()
				inFlight--
				listed++
				sum += r.held
				cond.Broadcast()
				mu.Unlock()
				close(done[i])
			}
		})
	}
	wait = func(i int) { <-done[i] }
	taken = func(i int) {
		mu.Lock()
		defer mu.Unlock()
		held -= results[i].held
		results[i].held = 0
		cond.Broadcast()
	}
	stop = func() {
		cancel()
		wg.Wait()
		stopWake()
	}
	return results, wait, taken, stop
}

// errNotListed is why a folder was not listed: the run was interrupted.
var errNotListed = errors.New("the run was interrupted before it was listed")

// interrupted names in inv the folders of a level that were not listed
// and the sub-folders found but not walked, and gives the projects the
// level did list.
func interrupted(level []string, results []listing, inv *pruner.Inventory) []pruner.Project {
	var projects []pruner.Project
	for j, r := range results {
		if r.err != nil {
			if strings.HasPrefix(level[j], "folders/") {
				inv.Skipped = append(inv.Skipped, pruner.SkippedResource{Name: level[j], Err: errNotListed})
			}
			continue
		}
		projects = append(projects, r.projects...)
		for _, f := range r.folders {
			inv.Skipped = append(inv.Skipped, pruner.SkippedResource{Name: f, Err: errNotListed})
		}
	}
	return projects
}

// skippable tells whether a sub-folder's listing error concerns that folder
// only. Anything else (quota exhausted, server down) would hit the next
// folder too: better stop than report half an organization as done.
func skippable(err error) bool {
	return errors.Is(err, pruner.ErrForbidden) || errors.Is(err, pruner.ErrNotFound)
}

// listProjects lists the projects of parent, every page; page, if set,
// hears how many each page gave.
func (c *Client) listProjects(ctx context.Context, parent string, page func(n int)) ([]pruner.Project, error) {
	var out []pruner.Project
	var pg pages
	token := ""
	for {
		call := c.crm.Projects.List().Parent(parent).ShowDeleted(true).PageToken(token).Fields(projectPageFields...).Context(ctx)
		if c.pageSize > 0 {
			call.PageSize(c.pageSize)
		}
		var resp *crm.ListProjectsResponse
		err := c.call(ctx, projectsList, "", func(ctx context.Context) (err error) {
			resp, err = call.Context(ctx).Do()
			return present(resp, err)
		})
		if err != nil {
			return nil, err
		}
		n := len(out)
		for _, p := range resp.Projects {
			if p != nil { // a null in the list is no project
				lp := fromCRM(p)
				if lp.Parent == parent {
					lp.Parent = parent // one string for the folder's projects, not one each
				}
				out = append(out, lp)
			}
		}
		if page != nil {
			page(len(out) - n)
		}
		token = resp.NextPageToken
		if done, err := pg.next(token); done || err != nil {
			if err != nil {
				return nil, fmt.Errorf("list %s: %w", parent, err)
			}
			return out, nil
		}
	}
}

func (c *Client) listFolders(ctx context.Context, parent string) ([]string, error) {
	var out []string
	var pg pages
	token := ""
	for {
		// Only the names: the walk lists each folder's children by name.
		call := c.crm.Folders.List().Parent(parent).PageToken(token).Fields("nextPageToken", "folders/name").Context(ctx)
		if c.pageSize > 0 {
			call.PageSize(c.pageSize)
		}
		var resp *crm.ListFoldersResponse
		err := c.call(ctx, foldersList, "", func(ctx context.Context) (err error) {
			resp, err = call.Context(ctx).Do()
			return present(resp, err)
		})
		if err != nil {
			return nil, err
		}
		for _, f := range resp.Folders {
			if f != nil {
				out = append(out, f.Name)
			}
		}
		token = resp.NextPageToken
		if done, err := pg.next(token); done || err != nil {
			if err != nil {
				return nil, fmt.Errorf("list %s: %w", parent, err)
			}
			return out, nil
		}
	}
}
