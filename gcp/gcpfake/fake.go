package gcpfake

import (
	"fmt"
	"net/http"
	"time"
)

// Fake is the fake Google APIs. It implements http.Handler.
//
// It only assembles the layers (see the package documentation): the
// backend holding the resources, and the HTTP front end with its faults,
// quotas and hooks. Its methods are the test's view of both.
type Fake struct {
	store *backend
	api   *server
}

// New makes a Fake serving the seed. The seed's clock, if set, fixes the
// fake's clock; otherwise it follows time.Now.
func New(seed *Seed) (*Fake, error) {
	if seed == nil {
		seed = &Seed{Organization: Organization{ID: "123456789012"}}
	}
	if err := seed.validate(); err != nil {
		return nil, err
	}
	store := newBackend(seed)
	return &Fake{store: store, api: newServer(store)}, nil
}

// ServeHTTP serves the fake APIs.
func (f *Fake) ServeHTTP(w http.ResponseWriter, r *http.Request) { f.api.ServeHTTP(w, r) }

// SetWaitDeadline sets how long an operations wait call blocks, at most,
// before it answers with the operation still running. Zero makes every
// wait answer at once.
func (f *Fake) SetWaitDeadline(d time.Duration) { f.api.waitDeadline.Store(int64(d)) }

// AddFolder adds a folder under the organization or an existing folder.
func (f *Fake) AddFolder(fo Folder) error {
	if err := fo.validate(); err != nil {
		return fmt.Errorf("add folder %s: %w", fo.ID, err)
	}
	if err := f.store.addFolder(fo); err != nil {
		return fmt.Errorf("add folder %s: %w", fo.ID, err)
	}
	return nil
}

// AddProject adds a project under the organization or an existing folder,
// as a seed project.
func (f *Fake) AddProject(p Project) error {
	if err := p.validate(); err != nil {
		return fmt.Errorf("add project %s: %w", p.ID, err)
	}
	if err := f.store.addProject(p); err != nil {
		return fmt.Errorf("add project %s: %w", p.ID, err)
	}
	return nil
}

// Projects returns the ids of all projects, in the order they were added.
func (f *Fake) Projects() []string { return f.store.projectIDs() }

// ProjectMetadata returns a copy of a project's commonInstanceMetadata items
// and its fingerprint; ok is false for an unknown project.
func (f *Fake) ProjectMetadata(projectID string) (items []Item, fingerprint string, ok bool) {
	md, err := f.store.projectMetadata(projectID)
	if err != nil {
		return nil, "", false
	}
	return cloneItems(md.items), md.fp, true
}

// SetProjectMetadata replaces a project's metadata items as an outside
// writer would, moving its fingerprint. It panics on an unknown project.
// SetClock replaces the fake's clock, which stamps operations, resources
// and audit log entries.
func (f *Fake) SetClock(now func() time.Time) { f.store.setClock(now) }

func (f *Fake) SetProjectMetadata(projectID string, items []Item) {
	if err := f.store.setProjectMetadata(projectID, items); err != nil {
		panic("gcpfake: SetProjectMetadata: no project " + projectID)
	}
}

// InstanceMetadata returns a copy of an instance's metadata items and its
// fingerprint; ok is false for an unknown instance.
func (f *Fake) InstanceMetadata(projectID, zone, name string) (items []Item, fingerprint string, ok bool) {
	md, err := f.store.instanceMetadata(projectID, zone, name)
	if err != nil {
		return nil, "", false
	}
	return cloneItems(md.items), md.fp, true
}

// SetInstanceMetadata replaces an instance's metadata items as an outside
// writer would, moving its fingerprint. It panics on an unknown instance.
func (f *Fake) SetInstanceMetadata(projectID, zone, name string, items []Item) {
	if err := f.store.setInstanceMetadata(projectID, zone, name, items); err != nil {
		panic("gcpfake: SetInstanceMetadata: no instance " + instanceName(projectID, zone, name))
	}
}
