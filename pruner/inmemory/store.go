// Package inmemory is an in-memory implementation of the interfaces
// package pruner consumes: a lister of projects and a store of project and
// instance metadata, with fingerprints that move on every write. It lets
// the reconciler be tested without HTTP, as external-dns tests its
// controller against provider/inmemory; the wire is tested against
// gcp/gcpfake.
package inmemory

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"slices"
	"strings"
	"sync"

	"github.com/ssh-pruner/ssh-pruner/pruner"
	"github.com/ssh-pruner/ssh-pruner/pruner/plan"
)

var (
	_ pruner.Checker       = (*Store)(nil)
	_ pruner.ProjectLister = (*Store)(nil)
	_ pruner.MetadataStore = (*Store)(nil)
	_ pruner.InstanceStore = (*Store)(nil)
)

// Store holds projects and their instances. It is safe for concurrent use.
type Store struct {
	mu       sync.Mutex
	projects []*project
	byID     map[string]*project
	skipped  []pruner.SkippedResource
	writes   int
	// lists and instanceReads count the instance listings and the reads
	// of one instance: what a run must keep to one a project, and none.
	lists, instanceReads int
	// hooks run once, just before the next write of a target checks its
	// fingerprint: a concurrent writer.
	hooks map[plan.Target]func(*Store)
	// errs answer every read (and write) of a target with an error.
	readErrs, writeErrs map[plan.Target]error
	listErr             map[string]error
	unreachable         map[string][]string
	// OnWrite, if set, is called after each successful write.
	OnWrite func(plan.Target)
}

type project struct {
	pruner.Project
	md        target
	instances []*instance
}

type instance struct {
	pruner.Instance
	md target
}

type target struct {
	items []plan.Item
	gen   int
}

// New makes an empty Store.
func New() *Store {
	return &Store{
		byID:        map[string]*project{},
		hooks:       map[plan.Target]func(*Store){},
		readErrs:    map[plan.Target]error{},
		writeErrs:   map[plan.Target]error{},
		listErr:     map[string]error{},
		unreachable: map[string][]string{},
	}
}

// Items is a shorthand for an item list from key, value pairs.
func Items(kv ...string) []plan.Item {
	var items []plan.Item
	for i := 0; i+1 < len(kv); i += 2 {
		v := kv[i+1]
		items = append(items, plan.Item{Key: kv[i], Value: &v})
	}
	return items
}

// AddProject adds an ACTIVE project with its metadata items.
func (s *Store) AddProject(id string, items []plan.Item) {
	s.mu.Lock()
	defer s.mu.Unlock()
	p := &project{Project: pruner.Project{ID: id, State: "ACTIVE"}, md: target{items: clone(items)}}
	s.projects = append(s.projects, p)
	s.byID[id] = p
}

// SetState sets a project's lifecycle state (DELETE_REQUESTED, ...).
func (s *Store) SetState(id, state string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.byID[id].State = state
}

// SetPlace sets the folders a project was listed under and its labels.
func (s *Store) SetPlace(id string, folders []string, labels map[string]string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.byID[id].Folders, s.byID[id].Labels = folders, labels
}

// AddInstance adds an instance to a project.
func (s *Store) AddInstance(in pruner.Instance, items []plan.Item) {
	s.mu.Lock()
	defer s.mu.Unlock()
	p := s.byID[in.Project]
	p.instances = append(p.instances, &instance{Instance: in, md: target{items: clone(items)}})
}

// AddSkipped makes the lister report a resource it could not enumerate.
func (s *Store) AddSkipped(name string, err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.skipped = append(s.skipped, pruner.SkippedResource{Name: name, Err: err})
}

// FailRead makes every read of t fail with err; FailWrite every write.
func (s *Store) FailRead(t plan.Target, err error) { s.set(s.readErrs, t, err) }

// FailWrite makes every write of t fail with err.
func (s *Store) FailWrite(t plan.Target, err error) { s.set(s.writeErrs, t, err) }

func (s *Store) set(m map[plan.Target]error, t plan.Target, err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	m[t] = err
}

// FailList makes listing a project's instances fail with err.
func (s *Store) FailList(projectID string, err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.listErr[projectID] = err
}

// SetUnreachable makes listing a project's instances name these zones as
// unreachable.
func (s *Store) SetUnreachable(projectID string, zones ...string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.unreachable[projectID] = zones
}

// BeforeNextWrite runs hook once, holding no lock, just before the next
// write of t checks its fingerprint.
func (s *Store) BeforeNextWrite(t plan.Target, hook func(*Store)) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.hooks[t] = hook
}

// Set replaces a target's items as an outside writer would.
func (s *Store) Set(t plan.Target, items []plan.Item) {
	s.mu.Lock()
	defer s.mu.Unlock()
	md := s.targetLocked(t)
	md.items, md.gen = clone(items), md.gen+1
}

// Get returns a copy of a target's items.
func (s *Store) Get(t plan.Target) []plan.Item {
	s.mu.Lock()
	defer s.mu.Unlock()
	return clone(s.targetLocked(t).items)
}

// Lists counts the instance listings; InstanceReads the reads of one
// instance's metadata.
func (s *Store) Lists() (lists, instanceReads int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.lists, s.instanceReads
}

// Writes counts the successful writes.
func (s *Store) Writes() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.writes
}

func (s *Store) targetLocked(t plan.Target) *target {
	p := s.byID[t.Project]
	if p == nil {
		return nil
	}
	if t.Level() == plan.LevelProject {
		return &p.md
	}
	for _, in := range p.instances {
		if in.Zone == t.Zone && in.Name == t.Instance {
			return &in.md
		}
	}
	return nil
}

// ListProjects returns every project, in the order added, and the skipped
// resources.
func (s *Store) ListProjects(ctx context.Context, _ pruner.Scope) (pruner.Inventory, error) {
	if err := ctx.Err(); err != nil {
		return pruner.Inventory{}, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	inv := pruner.Inventory{Skipped: slices.Clone(s.skipped)}
	for _, p := range s.projects {
		inv.Projects = append(inv.Projects, p.Project)
	}
	return inv, nil
}

// ProjectMetadata reads a project's metadata.
func (s *Store) ProjectMetadata(ctx context.Context, projectID string) (plan.Metadata, error) {
	return s.read(ctx, plan.Target{Project: projectID})
}

// SetProjectMetadata writes a project's metadata if its fingerprint holds.
func (s *Store) SetProjectMetadata(ctx context.Context, projectID string, md plan.Metadata) error {
	return s.write(ctx, plan.Target{Project: projectID}, md)
}

// InstanceMetadata reads an instance's metadata.
func (s *Store) InstanceMetadata(ctx context.Context, projectID, zone, name string) (plan.Metadata, error) {
	s.mu.Lock()
	s.instanceReads++
	s.mu.Unlock()
	return s.read(ctx, plan.Target{Project: projectID, Zone: zone, Instance: name})
}

// SetInstanceMetadata writes an instance's metadata if its fingerprint holds.
func (s *Store) SetInstanceMetadata(ctx context.Context, projectID, zone, name string, md plan.Metadata) error {
	return s.write(ctx, plan.Target{Project: projectID, Zone: zone, Instance: name}, md)
}

// ListInstances lists a project's instances with their metadata.
func (s *Store) ListInstances(ctx context.Context, projectID string) (pruner.InstanceListing, error) {
	if err := ctx.Err(); err != nil {
		return pruner.InstanceListing{}, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.lists++
	if err := s.listErr[projectID]; err != nil {
		return pruner.InstanceListing{}, fmt.Errorf("list instances of project %s: %w", projectID, err)
	}
	p := s.byID[projectID]
	if p == nil {
		return pruner.InstanceListing{}, fmt.Errorf("list instances of project %s: %w", projectID, pruner.ErrNotFound)
	}
	out := pruner.InstanceListing{Unreachable: slices.Clone(s.unreachable[projectID])}
	for _, in := range p.instances {
		if slices.Contains(out.Unreachable, "zones/"+in.Zone) {
			continue
		}
		i := in.Instance
		i.Metadata = plan.Metadata{Fingerprint: fingerprint(in.md), Items: clone(in.md.items)}
		out.Instances = append(out.Instances, i)
	}
	return out, nil
}

func (s *Store) read(ctx context.Context, t plan.Target) (plan.Metadata, error) {
	if err := ctx.Err(); err != nil {
		return plan.Metadata{}, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.readErrs[t]; err != nil {
		return plan.Metadata{}, fmt.Errorf("read %s: %w", t, err)
	}
	md := s.targetLocked(t)
	if md == nil {
		return plan.Metadata{}, fmt.Errorf("read %s: %w", t, pruner.ErrNotFound)
	}
	return plan.Metadata{Fingerprint: fingerprint(*md), Items: clone(md.items)}, nil
}

func (s *Store) write(ctx context.Context, t plan.Target, md plan.Metadata) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	s.mu.Lock()
	hook := s.hooks[t]
	delete(s.hooks, t)
	s.mu.Unlock()
	if hook != nil {
		hook(s)
	}
	s.mu.Lock()
	if err := s.writeErrs[t]; err != nil {
		s.mu.Unlock()
		return fmt.Errorf("write %s: %w", t, err)
	}
	cur := s.targetLocked(t)
	switch {
	case cur == nil:
		s.mu.Unlock()
		return fmt.Errorf("write %s: %w", t, pruner.ErrNotFound)
	case md.Fingerprint != fingerprint(*cur):
		s.mu.Unlock()
		return fmt.Errorf("write %s: %w", t, pruner.ErrConflict)
	}
	cur.items, cur.gen = clone(md.Items), cur.gen+1
	s.writes++
	onWrite := s.OnWrite
	s.mu.Unlock()
	if onWrite != nil {
		onWrite(t)
	}
	return nil
}

// fingerprint moves with every write, as Compute's does: it hashes the
// items and a generation.
func fingerprint(md target) string {
	h := sha256.New()
	fmt.Fprintf(h, "%d\x00", md.gen)
	for _, it := range md.items {
		fmt.Fprintf(h, "%s\x00%t\x00", it.Key, it.Value != nil)
		if it.Value != nil {
			h.Write([]byte(*it.Value))
		}
		h.Write([]byte{0})
	}
	return base64.StdEncoding.EncodeToString(h.Sum(nil)[:8])
}

func clone(items []plan.Item) []plan.Item {
	out := make([]plan.Item, len(items))
	for i, it := range items {
		out[i] = it
		if it.Value != nil {
			v := *it.Value
			out[i].Value = &v
		}
	}
	return out
}

// CheckProject tells whether the store has the project.
func (s *Store) CheckProject(_ context.Context, id string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.byID[id] == nil {
		return fmt.Errorf("project %s: %w", id, pruner.ErrForbidden)
	}
	return nil
}

// CheckFolder tells whether a project of the store lies under the folder
// ("folders/N" or N).
func (s *Store) CheckFolder(_ context.Context, id string) error {
	name := "folders/" + strings.TrimPrefix(id, "folders/")
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, p := range s.projects {
		if p.Parent == name || slices.Contains(p.Folders, name) {
			return nil
		}
	}
	return fmt.Errorf("%s: %w", name, pruner.ErrForbidden)
}
