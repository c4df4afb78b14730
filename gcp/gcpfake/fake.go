// Package gcpfake is an in-memory fake of the Google REST APIs that
// ssh-pruner uses: Cloud Resource Manager v3, Service Usage v1 and the
// metadata, instance and operation methods of Compute Engine v1. It serves
// the real paths, parameters, JSON shapes and errors under one base URL,
// so that Google's own clients (and gcloud) can be pointed at it:
//
//	Resource Manager   BASE/v3/...
//	Service Usage      BASE/v1/...
//	Compute Engine     BASE/compute/v1/...
//
// A Fake is seeded from a Seed, is safe for concurrent use, counts calls
// per discovery method id (compute.projects.get, ...) and injects faults
// per method and project: latency, 429/500/503 answers, slow or failing
// operations, and a concurrent writer between a read and a write.
package gcpfake

import (
	"fmt"
	"maps"
	"net/http"
	"strconv"
	"sync"
	"sync/atomic"
	"time"
)

// Fake is the fake Google APIs. It implements http.Handler.
type Fake struct {
	mux *http.ServeMux

	mu            sync.RWMutex
	org           Organization
	folders       map[string]*folderState // by name, folders/N
	childFolders  map[string][]*folderState
	projects      map[string]*projectState // by id
	byNumber      map[string]*projectState
	childProjects map[string][]*projectState
	allProjects   []*projectState
	forbidden     map[string]bool
	zones         map[string]bool       // of the seed's instances
	unreachable   map[string]bool       // zones in an outage
	ops           map[string]*operation // by opKey
	opOrder       []*operation          // the operations in ops, oldest first
	opsKept       int                   // finished operations kept: keptOperations
	pruneAt       int                   // len(opOrder) at which to prune next
	requestIDs    map[string]*operation // by requestKey: target and requestId
	opSeq         uint64
	waitDeadline  time.Duration

	clock atomic.Pointer[func() time.Time]

	counts map[string]*atomic.Int64 // by discovery id; made by routes, then read-only

	faults *faults
	quotas *quotas
	hooks  *readHooks
}

type folderState struct {
	Folder
	name string
}

type projectState struct {
	Project
	services  map[string]bool
	md        metadataState
	instances map[string]*instanceState // by zone/name
	instOrder []*instanceState
	created   time.Time
	body      atomic.Pointer[cachedBody] // compute#project JSON, nil after a change
}

type instanceState struct {
	Instance
	md          metadataState
	created     time.Time
	networkIP   string
	natIP       string // "" without an external address
	staticNatIP bool   // natIP is the seed's, kept while stopped
}

type cachedBody struct {
	base string
	json []byte
}

// defaultWaitDeadline is how long an operations wait call blocks, at most,
// for an operation that completes after a duration; the real service
// gives up after about two minutes.
const defaultWaitDeadline = 2 * time.Second

// New makes a Fake serving the seed. The seed's clock, if set, fixes the
// fake's clock; otherwise it follows time.Now.
func New(seed *Seed) (*Fake, error) {
	if seed == nil {
		seed = &Seed{Organization: Organization{ID: "123456789012"}}
	}
	if err := seed.validate(); err != nil {
		return nil, err
	}
	f := &Fake{
		org:           seed.Organization,
		folders:       map[string]*folderState{},
		childFolders:  map[string][]*folderState{},
		projects:      map[string]*projectState{},
		byNumber:      map[string]*projectState{},
		childProjects: map[string][]*projectState{},
		forbidden:     map[string]bool{},
		zones:         map[string]bool{},
		unreachable:   map[string]bool{},
		ops:           map[string]*operation{},
		opsKept:       keptOperations,
		pruneAt:       2 * keptOperations,
		requestIDs:    map[string]*operation{},
		hooks:         newReadHooks(),
		waitDeadline:  defaultWaitDeadline,
		faults:        newFaults(),
		quotas:        newQuotas(),
	}
	if !seed.Clock.IsZero() {
		at := seed.Clock
		f.setClock(func() time.Time { return at })
	} else {
		f.setClock(time.Now)
	}
	for _, fo := range seed.Folders {
		f.addFolderLocked(fo)
	}
	for _, p := range seed.Projects {
		f.addProjectLocked(p)
	}
	for _, name := range seed.Forbidden {
		f.forbidden[name] = true
	}
	f.routes()
	return f, nil
}

// setClock replaces the clock that stamps operations and resources.
func (f *Fake) setClock(now func() time.Time) { f.clock.Store(&now) }

func (f *Fake) now() time.Time { return (*f.clock.Load())() }

// SetWaitDeadline sets how long an operations wait call blocks, at most,
// before it answers with the operation still running. Zero makes every
// wait answer at once.
func (f *Fake) SetWaitDeadline(d time.Duration) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.waitDeadline = d
}

// AddFolder adds a folder under the organization or an existing folder.
func (f *Fake) AddFolder(fo Folder) error {
	if err := fo.validate(); err != nil {
		return fmt.Errorf("add folder %s: %w", fo.ID, err)
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.folders["folders/"+fo.ID] != nil {
		return fmt.Errorf("add folder %s: already exists", fo.ID)
	}
	if !f.parentExistsLocked(fo.Parent) {
		return fmt.Errorf("add folder %s: parent %q: no such organization or folder", fo.ID, fo.Parent)
	}
	f.addFolderLocked(fo)
	return nil
}

// AddProject adds a project under the organization or an existing folder,
// as a seed project.
func (f *Fake) AddProject(p Project) error {
	if err := p.validate(); err != nil {
		return fmt.Errorf("add project %s: %w", p.ID, err)
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.projects[p.ID] != nil {
		return fmt.Errorf("add project %s: already exists", p.ID)
	}
	if f.byNumber[p.Number] != nil {
		return fmt.Errorf("add project %s: number %s used by %s", p.ID, p.Number, f.byNumber[p.Number].ID)
	}
	if !f.parentExistsLocked(p.Parent) {
		return fmt.Errorf("add project %s: parent %q: no such organization or folder", p.ID, p.Parent)
	}
	f.addProjectLocked(p)
	return nil
}

func (f *Fake) parentExistsLocked(parent string) bool {
	return parent == "organizations/"+f.org.ID || f.folders[parent] != nil
}

func (f *Fake) addFolderLocked(fo Folder) {
	if fo.State == "" {
		fo.State = StateActive
	}
	fs := &folderState{Folder: fo, name: "folders/" + fo.ID}
	f.folders[fs.name] = fs
	f.childFolders[fo.Parent] = append(f.childFolders[fo.Parent], fs)
}

func (f *Fake) addProjectLocked(p Project) {
	if p.State == "" {
		p.State = StateActive
	}
	p.Labels = maps.Clone(p.Labels)
	ps := &projectState{
		Project:   p,
		services:  map[string]bool{},
		instances: map[string]*instanceState{},
		created:   createdAt(f.now(), p.Number),
	}
	for _, s := range p.Services {
		ps.services[s] = true
	}
	ps.md = newMetadata("projects/"+p.ID, p.Metadata)
	for _, in := range p.Instances {
		if in.ID == "" {
			in.ID = derivedID(p.ID + "/" + in.Zone + "/" + in.Name)
		}
		is := newInstanceState(p.ID, in)
		is.created = createdAt(ps.created, in.ID)
		ps.instances[in.Zone+"/"+in.Name] = is
		ps.instOrder = append(ps.instOrder, is)
		f.zones[in.Zone] = true
	}
	ps.Project.Metadata, ps.Project.Instances = nil, nil
	f.projects[p.ID] = ps
	f.byNumber[p.Number] = ps
	f.childProjects[p.Parent] = append(f.childProjects[p.Parent], ps)
	f.allProjects = append(f.allProjects, ps)
}

// createdAt is a stable creation time before now, drawn from an id.
func createdAt(now time.Time, id string) time.Time {
	n, _ := strconv.ParseUint(derivedID(id), 10, 64)
	return now.Add(-time.Duration(30+n%1000) * 24 * time.Hour).Truncate(time.Second)
}

// derivedID is a stable numeric id for a resource the seed gives none.
func derivedID(name string) string {
	fp := fingerprint(name, 0)
	var n uint64
	for _, c := range []byte(fp) {
		n = n*131 + uint64(c)
	}
	return strconv.FormatUint(n%9e18+1e18, 10)
}

func instanceName(project, zone, name string) string {
	return "projects/" + project + "/zones/" + zone + "/instances/" + name
}

// ProjectMetadata returns a copy of a project's commonInstanceMetadata items
// and its fingerprint; ok is false for an unknown project.
func (f *Fake) ProjectMetadata(projectID string) (items []Item, fingerprint string, ok bool) {
	f.mu.RLock()
	defer f.mu.RUnlock()
	p := f.projects[projectID]
	if p == nil {
		return nil, "", false
	}
	return cloneItems(p.md.items), p.md.fp, true
}

// SetProjectMetadata replaces a project's metadata items as an outside
// writer would, moving its fingerprint. It panics on an unknown project.
func (f *Fake) SetProjectMetadata(projectID string, items []Item) {
	f.mu.Lock()
	defer f.mu.Unlock()
	p := f.projects[projectID]
	if p == nil {
		panic("gcpfake: SetProjectMetadata: no project " + projectID)
	}
	p.setMetadata(items)
}

// setMetadata replaces the project's metadata and drops its cached body.
// The caller holds the write lock.
func (p *projectState) setMetadata(items []Item) {
	p.md.set(items)
	p.body.Store(nil)
}

// InstanceMetadata returns a copy of an instance's metadata items and its
// fingerprint; ok is false for an unknown instance.
func (f *Fake) InstanceMetadata(projectID, zone, name string) (items []Item, fingerprint string, ok bool) {
	f.mu.RLock()
	defer f.mu.RUnlock()
	in := f.instanceLocked(projectID, zone, name)
	if in == nil {
		return nil, "", false
	}
	return cloneItems(in.md.items), in.md.fp, true
}

// SetInstanceMetadata replaces an instance's metadata items as an outside
// writer would, moving its fingerprint. It panics on an unknown instance.
func (f *Fake) SetInstanceMetadata(projectID, zone, name string, items []Item) {
	f.mu.Lock()
	defer f.mu.Unlock()
	in := f.instanceLocked(projectID, zone, name)
	if in == nil {
		panic("gcpfake: SetInstanceMetadata: no instance " + instanceName(projectID, zone, name))
	}
	in.md.set(items)
}

func (f *Fake) instanceLocked(projectID, zone, name string) *instanceState {
	p := f.projects[projectID]
	if p == nil {
		return nil
	}
	return p.instances[zone+"/"+name]
}

// Projects returns the ids of all projects, in the order they were added.
func (f *Fake) Projects() []string {
	f.mu.RLock()
	defer f.mu.RUnlock()
	ids := make([]string, len(f.allProjects))
	for i, p := range f.allProjects {
		ids[i] = p.ID
	}
	return ids
}
