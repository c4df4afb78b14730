package gcp

import (
	"context"
	"fmt"
	"strings"
	"sync"

	crm "google.golang.org/api/cloudresourcemanager/v3"
	"google.golang.org/api/googleapi"

	"github.com/ssh-pruner/ssh-pruner/pruner"
)

// ListProjects enumerates the projects of a scope: the organization and
// folders breadth first through all their sub-folders, every page, then
// the projects named. Projects in every state are returned, with their
// state, so that the reconciler can say why it skips them. A root of the
// scope that cannot be listed is an error; a sub-folder that cannot be
// listed (say, forbidden) goes to Inventory.Skipped and the walk goes on.
func (c *Client) ListProjects(ctx context.Context, scope pruner.Scope) (pruner.Inventory, error) {
	var projects []pruner.Project
	seen := make(map[string]bool)
	inv, err := c.StreamProjects(ctx, scope, func(ps []pruner.Project) {
		for _, p := range ps {
			if !seen[p.ID] {
				seen[p.ID] = true
				projects = append(projects, p)
			}
		}
	})
	inv.Projects = projects
	return inv, err
}

var _ pruner.ProjectStreamer = (*Client)(nil)

// StreamProjects is ListProjects that hands over the projects of each
// folder of each level of the tree as soon as the level is listed, then
// the named projects. The Inventory it returns names what could not be
// listed, not the projects: found has them, and a run of 100,000
// projects kept them twice. A project met twice (named, and under a
// folder of the scope) is handed over twice: the walk takes each once,
// and a set of every project's ID here too would be as large as its own.
func (c *Client) StreamProjects(ctx context.Context, scope pruner.Scope, found func([]pruner.Project)) (pruner.Inventory, error) {
	var inv pruner.Inventory
	add := func(ps []pruner.Project) {
		if len(ps) > 0 {
			found(ps)
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
	named, err := c.named(ctx, scope.Projects)
	if err != nil {
		return inv, err
	}
	var got []pruner.Project
	for i, id := range scope.Projects {
		if named[i].err != nil {
			inv.Skipped = append(inv.Skipped, pruner.SkippedResource{Name: "projects/" + id, Err: named[i].err})
			continue
		}
		got = append(got, named[i].project)
	}
	add(got)
	return inv, nil
}

type namedProject struct {
	project pruner.Project
	err     error
}

// searchBatch is how many ids one projects.search asks for: its query
// stays short, and 200 named projects cost four calls instead of 200.
const searchBatch = 50

// named finds the projects named in the scope, in the order named: by
// projects.search, searchBatch ids a call, the calls concurrent; a
// project the search does not give (a typo, no access, or not indexed
// yet: search is eventually consistent) is asked for with projects.get,
// whose answer says why.
func (c *Client) named(ctx context.Context, ids []string) ([]namedProject, error) {
	out := make([]namedProject, len(ids))
	found := make(map[string]pruner.Project)
	var mu sync.Mutex
	sem := make(chan struct{}, c.listConcurrency)
	var wg sync.WaitGroup
	for start := 0; start < len(ids); start += searchBatch {
		batch := ids[start:min(start+searchBatch, len(ids))]
		wg.Go(func() {
			sem <- struct{}{}
			defer func() { <-sem }()
			ps, err := c.search(ctx, batch)
			if err != nil {
				return // each is asked for with get below
			}
			mu.Lock()
			defer mu.Unlock()
			for _, p := range ps {
				found[p.ID] = p
			}
		})
	}
	wg.Wait()
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	for i, id := range ids {
		if p, ok := found[id]; ok {
			out[i].project = p
			continue
		}
		wg.Go(func() {
			sem <- struct{}{}
			defer func() { <-sem }()
			out[i].project, out[i].err = c.project(ctx, id)
		})
	}
	wg.Wait()
	return out, ctx.Err()
}

// search asks projects.search for the projects with these ids, every page.
func (c *Client) search(ctx context.Context, ids []string) ([]pruner.Project, error) {
	terms := make([]string, len(ids))
	want := make(map[string]bool, len(ids))
	for i, id := range ids {
		terms[i] = "id:" + id
		want[id] = true
	}
	query := strings.Join(terms, " ")
	var out []pruner.Project
	var pg pages
	token := ""
	for {
		call := c.crm.Projects.Search().Query(query).PageToken(token).Fields(projectPageFields...)
		var resp *crm.SearchProjectsResponse
		err := c.call(ctx, projectsSearch, "", func(ctx context.Context) (err error) {
			resp, err = call.Context(ctx).Do()
			return present(resp, err)
		})
		if err != nil {
			return nil, err
		}
		for _, p := range resp.Projects {
			// Only exact ids: a term is also a prefix match where it
			// ends with *, which no project id does.
			if p != nil && want[p.ProjectId] {
				out = append(out, fromCRM(p))
			}
		}
		token = resp.NextPageToken
		if done, err := pg.next(token); done || err != nil {
			return out, err
		}
	}
}

func (c *Client) project(ctx context.Context, id string) (pruner.Project, error) {
	var p *crm.Project
	err := c.call(ctx, projectsGet, "", func(ctx context.Context) (err error) {
		p, err = c.crm.Projects.Get("projects/" + id).Fields(projectFields).Context(ctx).Do()
		return present(p, err)
	})
	if err != nil {
		return pruner.Project{}, fmt.Errorf("get project %s: %w", id, err)
	}
	return fromCRM(p), nil
}

// projectFields are what fromCRM reads of a project; Resource Manager
// keeps the rest (display name, times, etag).
const projectFields = "projectId,name,state,parent,labels"

// projectPageFields are what a page of projects.list or projects.search
// is read for: its projects, and the token of the next page.
var projectPageFields = []googleapi.Field{"nextPageToken", "projects(" + projectFields + ")"}

func fromCRM(p *crm.Project) pruner.Project {
	return pruner.Project{
		ID:     p.ProjectId,
		Number: strings.TrimPrefix(p.Name, "projects/"),
		State:  active(p.State),
		Parent: p.Parent,
		Labels: p.Labels,
	}
}

// active is state, the same string for every ACTIVE project rather than
// one each: what a listing holds of a project stays small.
func active(state string) string {
	if state == "ACTIVE" {
		return "ACTIVE"
	}
	return state
}

// CheckProject tells whether a project exists and may be read: an
// exclusion that names one that does not is a typo (pruner.Checker).
func (c *Client) CheckProject(ctx context.Context, id string) error {
	_, err := c.project(ctx, id)
	return err
}

// CheckFolder tells whether a folder exists and may be read.
func (c *Client) CheckFolder(ctx context.Context, id string) error {
	name := "folders/" + strings.TrimPrefix(id, "folders/")
	err := c.call(ctx, foldersGet, "", func(ctx context.Context) error {
		f, err := c.crm.Folders.Get(name).Context(ctx).Do()
		return present(f, err)
	})
	if err != nil {
		return fmt.Errorf("get %s: %w", name, err)
	}
	return nil
}
