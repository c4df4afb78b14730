package gcpfake

import (
	"cmp"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"time"
)

// The backend's resource hierarchy: the organization, its folders and
// its projects.

type folderState struct {
	Folder
	name string
}

type projectState struct {
	Project   // Metadata and Instances are nil: md and instances hold them
	services  map[string]bool
	md        metadataState
	instances map[string]*instanceState // by zone/name
	instOrder []*instanceState
	created   time.Time
}

// projectView is a copy of a project made under the lock. Its labels and
// services are the record's own, which never change.
type projectView struct {
	Project
	services  map[string]bool
	md        metadataState
	created   time.Time
	forbidden bool // the caller may not read it
}

func (b *backend) viewLocked(p *projectState) projectView {
	return projectView{Project: p.Project, services: p.services, md: p.md, created: p.created, forbidden: b.forbidden["projects/"+p.ID]}
}

// organization is the organization the fake serves; it never changes.
func (b *backend) organization() Organization { return b.org }

// addFolder adds a folder under the organization or an existing folder.
func (b *backend) addFolder(fo Folder) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.folders["folders/"+fo.ID] != nil {
		return errors.New("already exists")
	}
	if !b.parentExistsLocked(fo.Parent) {
		return fmt.Errorf("parent %q: no such organization or folder", fo.Parent)
	}
	b.addFolderLocked(fo)
	return nil
}

// addProject adds a project under the organization or an existing folder.
func (b *backend) addProject(p Project) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.projects[p.ID] != nil {
		return errors.New("already exists")
	}
	if other := b.byNumber[p.Number]; other != nil {
		return fmt.Errorf("number %s used by %s", p.Number, other.ID)
	}
	if !b.parentExistsLocked(p.Parent) {
		return fmt.Errorf("parent %q: no such organization or folder", p.Parent)
	}
	b.addProjectLocked(p)
	return nil
}

func (b *backend) parentExistsLocked(parent string) bool {
	return parent == "organizations/"+b.org.ID || b.folders[parent] != nil
}

func (b *backend) addFolderLocked(fo Folder) {
	if fo.State == "" {
		fo.State = StateActive
	}
	fs := &folderState{Folder: fo, name: "folders/" + fo.ID}
	b.folders[fs.name] = fs
	b.foldersUnder[fo.Parent] = append(b.foldersUnder[fo.Parent], fs)
}

func (b *backend) addProjectLocked(p Project) {
	if p.State == "" {
		p.State = StateActive
	}
	p.Labels = maps.Clone(p.Labels)
	ps := &projectState{
		Project:   p,
		services:  map[string]bool{},
		instances: map[string]*instanceState{},
		created:   createdAt(b.now(), p.Number),
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
		b.zones[in.Zone] = true
	}
	ps.Project.Metadata, ps.Project.Instances = nil, nil
	b.projects[p.ID] = ps
	b.byNumber[p.Number] = ps
	b.projectsUnder[p.Parent] = append(b.projectsUnder[p.Parent], ps)
	b.allProjects = append(b.allProjects, ps)
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

// readableLocked tells whether the caller may list the children of
// parent: the organization, or a folder it may read.
func (b *backend) readableLocked(parent string) bool {
	return parent == "organizations/"+b.org.ID || (b.folders[parent] != nil && !b.forbidden[parent])
}

// folder returns a folder by name, folders/N; forbidden tells that the
// caller may not read it.
func (b *backend) folder(name string) (fo Folder, forbidden, ok bool) {
	b.mu.RLock()
	defer b.mu.RUnlock()
	fs := b.folders[name]
	if fs == nil {
		return Folder{}, false, false
	}
	return fs.Folder, b.forbidden[name], true
}

// childFolders returns a page of the folders directly under parent,
// active ones only unless showDeleted, by display name, as folders.list
// says it returns them; readable is false, and the page empty, when the
// caller may not list parent.
func (b *backend) childFolders(parent string, showDeleted bool, page window) (folders []Folder, readable bool) {
	b.mu.RLock()
	defer b.mu.RUnlock()
	if !b.readableLocked(parent) {
		return nil, false
	}
	var all []*folderState
	for _, fo := range b.foldersUnder[parent] {
		if fo.State == StateActive || showDeleted {
			all = append(all, fo)
		}
	}
	slices.SortStableFunc(all, func(a, b *folderState) int {
		return cmp.Or(cmp.Compare(a.DisplayName, b.DisplayName), cmp.Compare(a.ID, b.ID))
	})
	start, end := page(len(all))
	for _, fo := range all[start:end] {
		folders = append(folders, fo.Folder)
	}
	return folders, true
}

// childProjects returns a page of the projects directly under parent,
// as childFolders does for folders: projects.list too says it returns
// them by display name.
func (b *backend) childProjects(parent string, showDeleted bool, page window) (projects []projectView, readable bool) {
	b.mu.RLock()
	defer b.mu.RUnlock()
	if !b.readableLocked(parent) {
		return nil, false
	}
	var all []*projectState
	for _, p := range b.projectsUnder[parent] {
		if p.State == StateActive || showDeleted {
			all = append(all, p)
		}
	}
	slices.SortStableFunc(all, func(a, b *projectState) int {
		return cmp.Or(cmp.Compare(a.DisplayName, b.DisplayName), cmp.Compare(a.ID, b.ID))
	})
	return b.pageLocked(all, page), true
}

// searchProjects returns a page of the projects that match, in the order
// they were added.
func (b *backend) searchProjects(match func(*Project) bool, page window) []projectView {
	b.mu.RLock()
	defer b.mu.RUnlock()
	var all []*projectState
	for _, p := range b.allProjects {
		if match(&p.Project) {
			all = append(all, p)
		}
	}
	return b.pageLocked(all, page)
}

func (b *backend) pageLocked(all []*projectState, page window) []projectView {
	start, end := page(len(all))
	out := make([]projectView, 0, end-start)
	for _, p := range all[start:end] {
		out = append(out, b.viewLocked(p))
	}
	return out
}

// project finds a project by id or number.
func (b *backend) project(idOrNumber string) (projectView, bool) {
	b.mu.RLock()
	defer b.mu.RUnlock()
	p := b.lookupLocked(idOrNumber)
	if p == nil {
		return projectView{}, false
	}
	return b.viewLocked(p), true
}

func (b *backend) lookupLocked(idOrNumber string) *projectState {
	if p := b.projects[idOrNumber]; p != nil {
		return p
	}
	return b.byNumber[idOrNumber]
}

// projectIDs returns the ids of all projects, in the order they were added.
func (b *backend) projectIDs() []string {
	b.mu.RLock()
	defer b.mu.RUnlock()
	ids := make([]string, len(b.allProjects))
	for i, p := range b.allProjects {
		ids[i] = p.ID
	}
	return ids
}
