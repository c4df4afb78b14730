package gcp

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"

	crm "google.golang.org/api/cloudresourcemanager/v3"

	"github.com/ssh-pruner/ssh-pruner/pruner"
)

// ListProjects enumerates the projects of a scope: the organization and
// folders breadth first through all their sub-folders, every page, then
// the projects named. Projects in every state are returned, with their
// state, so that the reconciler can say why it skips them. A root of the
// scope that cannot be listed is an error; a sub-folder that cannot be
// listed (say, forbidden) goes to Inventory.Skipped and the walk goes on.
func (c *Client) ListProjects(ctx context.Context, scope pruner.Scope) (pruner.Inventory, error) {
	var inv pruner.Inventory
	seen := make(map[string]bool)
	add := func(p pruner.Project) {
		if !seen[p.ID] {
			seen[p.ID] = true
			inv.Projects = append(inv.Projects, p)
		}
	}

	var roots []string
	if scope.Organization != "" {
		roots = append(roots, "organizations/"+strings.TrimPrefix(scope.Organization, "organizations/"))
	}
	for _, f := range scope.Folders {
		roots = append(roots, "folders/"+strings.TrimPrefix(f, "folders/"))
	}
	for _, root := range roots {
		if err := c.walk(ctx, root, add, &inv); err != nil {
			return inv, err
		}
	}
	// Named projects are fetched concurrently (each get is a call of full
	// latency) and taken in the order named.
	got := make([]pruner.Project, len(scope.Projects))
	errs := make([]error, len(scope.Projects))
	sem := make(chan struct{}, c.listConcurrency)
	var wg sync.WaitGroup
	for i, id := range scope.Projects {
		wg.Go(func() {
			sem <- struct{}{}
			defer func() { <-sem }()
			got[i], errs[i] = c.project(ctx, id)
		})
	}
	wg.Wait()
	for i, id := range scope.Projects {
		if err := errs[i]; err != nil {
			if ctx.Err() != nil {
				return inv, err
			}
			inv.Skipped = append(inv.Skipped, pruner.SkippedResource{Name: "projects/" + id, Err: err})
			continue
		}
		add(got[i])
	}
	return inv, nil
}

// walk lists the projects under root and under every folder below it,
// one level of the tree at a time. The folders of a level are listed
// concurrently (each listing is a few calls of full latency, and a wide
// organization has hundreds of folders), and their results are taken in
// folder order, so the walk stays breadth first and deterministic.
func (c *Client) walk(ctx context.Context, root string, add func(pruner.Project), inv *pruner.Inventory) error {
	type listing struct {
		projects []pruner.Project
		folders  []string
		err      error
	}
	level := []string{root}
	for len(level) > 0 {
		results := make([]listing, len(level))
		sem := make(chan struct{}, c.listConcurrency)
		var wg sync.WaitGroup
		for i, parent := range level {
			wg.Go(func() {
				sem <- struct{}{}
				defer func() { <-sem }()
				r := &results[i]
				if r.projects, r.err = c.listProjects(ctx, parent); r.err == nil {
					r.folders, r.err = c.listFolders(ctx, parent)
				}
			})
		}
		wg.Wait()

		var next []string
		for i, r := range results {
			parent := level[i]
			if r.err != nil {
				if parent == root || ctx.Err() != nil || !skippable(r.err) {
					return fmt.Errorf("list %s: %w", parent, r.err)
				}
				inv.Skipped = append(inv.Skipped, pruner.SkippedResource{Name: parent, Err: r.err})
				continue
			}
			for _, p := range r.projects {
				add(p)
			}
			next = append(next, r.folders...)
		}
		level = next
	}
	return nil
}

// skippable tells whether a sub-folder's listing error concerns that folder
// only. Anything else (quota exhausted, server down) would hit the next
// folder too: better stop than report half an organization as done.
func skippable(err error) bool {
	return errors.Is(err, pruner.ErrForbidden) || errors.Is(err, pruner.ErrNotFound)
}

func (c *Client) listProjects(ctx context.Context, parent string) ([]pruner.Project, error) {
	var out []pruner.Project
	var pg pages
	token := ""
	for {
		call := c.crm.Projects.List().Parent(parent).ShowDeleted(true).PageToken(token).Context(ctx)
		if c.pageSize > 0 {
			call.PageSize(c.pageSize)
		}
		var resp *crm.ListProjectsResponse
		err := c.call(ctx, "cloudresourcemanager.projects.list", "", func(ctx context.Context) (err error) {
			resp, err = call.Context(ctx).Do()
			return present(resp, err)
		})
		if err != nil {
			return nil, err
		}
		for _, p := range resp.Projects {
			if p != nil { // a null in the list is no project
				out = append(out, fromCRM(p))
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

func (c *Client) listFolders(ctx context.Context, parent string) ([]string, error) {
	var out []string
	var pg pages
	token := ""
	for {
		call := c.crm.Folders.List().Parent(parent).PageToken(token).Context(ctx)
		if c.pageSize > 0 {
			call.PageSize(c.pageSize)
		}
		var resp *crm.ListFoldersResponse
		err := c.call(ctx, "cloudresourcemanager.folders.list", "", func(ctx context.Context) (err error) {
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

func (c *Client) project(ctx context.Context, id string) (pruner.Project, error) {
	var p *crm.Project
	err := c.call(ctx, "cloudresourcemanager.projects.get", "", func(ctx context.Context) (err error) {
		p, err = c.crm.Projects.Get("projects/" + id).Context(ctx).Do()
		return present(p, err)
	})
	if err != nil {
		return pruner.Project{}, fmt.Errorf("get project %s: %w", id, err)
	}
	return fromCRM(p), nil
}

func fromCRM(p *crm.Project) pruner.Project {
	return pruner.Project{
		ID:     p.ProjectId,
		Number: strings.TrimPrefix(p.Name, "projects/"),
		State:  p.State,
		Parent: p.Parent,
	}
}
