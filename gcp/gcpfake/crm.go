package gcpfake

import (
	"fmt"
	"net/http"
	"strings"
	"time"
)

// Resource Manager v3 JSON shapes.
type (
	crmOrganization struct {
		Name                string `json:"name"`
		DisplayName         string `json:"displayName,omitempty"`
		DirectoryCustomerID string `json:"directoryCustomerId,omitempty"`
		State               string `json:"state"`
		CreateTime          string `json:"createTime"`
		UpdateTime          string `json:"updateTime"`
		Etag                string `json:"etag"`
	}
	crmFolder struct {
		Name        string `json:"name"`
		Parent      string `json:"parent"`
		DisplayName string `json:"displayName,omitempty"`
		State       string `json:"state"`
		CreateTime  string `json:"createTime"`
		UpdateTime  string `json:"updateTime"`
		DeleteTime  string `json:"deleteTime,omitempty"`
		Etag        string `json:"etag"`
	}
	crmProject struct {
		Name        string            `json:"name"`
		Parent      string            `json:"parent"`
		ProjectID   string            `json:"projectId"`
		State       string            `json:"state"`
		DisplayName string            `json:"displayName,omitempty"`
		CreateTime  string            `json:"createTime"`
		UpdateTime  string            `json:"updateTime"`
		DeleteTime  string            `json:"deleteTime,omitempty"`
		Etag        string            `json:"etag"`
		Labels      map[string]string `json:"labels,omitempty"`
	}
)

// crmTime is Resource Manager's timestamp format.
func crmTime(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05.000Z") }

func etag(name string) string { return `W/"` + fingerprint(name, 0)[:11] + `"` }

func (f *Fake) crmOrganization() crmOrganization {
	name := "organizations/" + f.org.ID
	created := createdAt(f.now(), f.org.ID).Add(-2000 * 24 * time.Hour)
	return crmOrganization{
		Name: name, DisplayName: f.org.DisplayName, DirectoryCustomerID: "C0" + f.org.ID[:min(7, len(f.org.ID))],
		State: StateActive, CreateTime: crmTime(created), UpdateTime: crmTime(created), Etag: etag(name),
	}
}

func (f *Fake) crmFolder(fo *folderState) crmFolder {
	created := createdAt(f.now(), fo.ID)
	out := crmFolder{
		Name: fo.name, Parent: fo.Parent, DisplayName: fo.DisplayName, State: fo.State,
		CreateTime: crmTime(created), UpdateTime: crmTime(created), Etag: etag(fo.name),
	}
	if fo.State == StateDeleteRequested {
		out.DeleteTime = crmTime(f.now().Add(-72 * time.Hour))
	}
	return out
}

func (f *Fake) crmProject(p *projectState) crmProject {
	name := "projects/" + p.Number
	out := crmProject{
		Name: name, Parent: p.Parent, ProjectID: p.ID, State: p.State, DisplayName: p.DisplayName,
		CreateTime: crmTime(p.created), UpdateTime: crmTime(p.created), Etag: etag(name), Labels: p.Labels,
	}
	if p.State == StateDeleteRequested {
		out.DeleteTime = crmTime(f.now().Add(-72 * time.Hour))
		out.UpdateTime = out.DeleteTime
	}
	return out
}

func (f *Fake) crmOrganizationGet(w http.ResponseWriter, r *http.Request, _ *call) {
	name := "organizations/" + r.PathValue("organization")
	f.mu.RLock()
	defer f.mu.RUnlock()
	if name != "organizations/"+f.org.ID {
		writeError(w, errPermissionDenied("resourcemanager.organizations.get", name))
		return
	}
	writeJSON(w, http.StatusOK, f.crmOrganization())
}

// checkParentLocked answers whether the caller may list the children of
// parent: it must be the organization or a folder it may read.
func (f *Fake) checkParentLocked(parent, permission string) *apiError {
	switch {
	case parent == "":
		return errBadArgument("Request contains an invalid argument.")
	case parent == "organizations/"+f.org.ID:
		return nil
	case f.folders[parent] != nil && !f.forbidden[parent]:
		return nil
	case strings.HasPrefix(parent, "organizations/"), strings.HasPrefix(parent, "folders/"):
		return errPermissionDenied(permission, parent)
	default:
		return errBadArgument(fmt.Sprintf("Invalid parent %q: want organizations/{id} or folders/{id}.", parent))
	}
}

func (f *Fake) crmFoldersList(w http.ResponseWriter, r *http.Request, _ *call) {
	q := r.URL.Query()
	parent, showDeleted := q.Get("parent"), q.Get("showDeleted") == "true"
	f.mu.RLock()
	defer f.mu.RUnlock()
	if e := f.checkParentLocked(parent, "resourcemanager.folders.list"); e != nil {
		writeError(w, e)
		return
	}
	var all []*folderState
	for _, fo := range f.childFolders[parent] {
		if fo.State == StateActive || showDeleted {
			all = append(all, fo)
		}
	}
	start, end, next, e := crmPager.page(r, len(all), "folders|"+parent+"|"+q.Get("showDeleted"))
	if e != nil {
		writeError(w, e)
		return
	}
	out := struct {
		Folders       []crmFolder `json:"folders,omitempty"`
		NextPageToken string      `json:"nextPageToken,omitempty"`
	}{NextPageToken: next}
	for _, fo := range all[start:end] {
		out.Folders = append(out.Folders, f.crmFolder(fo))
	}
	writeJSON(w, http.StatusOK, out)
}

func (f *Fake) crmFolderGet(w http.ResponseWriter, r *http.Request, _ *call) {
	name := "folders/" + r.PathValue("folder")
	f.mu.RLock()
	defer f.mu.RUnlock()
	fo := f.folders[name]
	if fo == nil || f.forbidden[name] {
		writeError(w, errPermissionDenied("resourcemanager.folders.get", name))
		return
	}
	writeJSON(w, http.StatusOK, f.crmFolder(fo))
}

type crmProjectPage struct {
	Projects      []crmProject `json:"projects,omitempty"`
	NextPageToken string       `json:"nextPageToken,omitempty"`
}

func (f *Fake) crmProjectsList(w http.ResponseWriter, r *http.Request, _ *call) {
	q := r.URL.Query()
	parent, showDeleted := q.Get("parent"), q.Get("showDeleted") == "true"
	f.mu.RLock()
	defer f.mu.RUnlock()
	if e := f.checkParentLocked(parent, "resourcemanager.projects.list"); e != nil {
		writeError(w, e)
		return
	}
	var all []*projectState
	for _, p := range f.childProjects[parent] {
		if p.State == StateActive || showDeleted {
			all = append(all, p)
		}
	}
	f.writeProjectPage(w, r, all, "projects|"+parent+"|"+q.Get("showDeleted"))
}

func (f *Fake) writeProjectPage(w http.ResponseWriter, r *http.Request, all []*projectState, scope string) {
	start, end, next, e := crmPager.page(r, len(all), scope)
	if e != nil {
		writeError(w, e)
		return
	}
	out := crmProjectPage{NextPageToken: next}
	for _, p := range all[start:end] {
		out.Projects = append(out.Projects, f.crmProject(p))
	}
	writeJSON(w, http.StatusOK, out)
}

// crmProjectGet serves projects.get. An unknown project is refused as one
// the caller may not read: the service does not reveal which projects exist.
func (f *Fake) crmProjectGet(w http.ResponseWriter, r *http.Request, _ *call) {
	id := r.PathValue("project")
	f.mu.RLock()
	defer f.mu.RUnlock()
	p := f.lookupLocked(id)
	if p == nil {
		writeError(w, errPermissionDenied("resourcemanager.projects.get", "projects/"+id))
		return
	}
	writeJSON(w, http.StatusOK, f.crmProject(p))
}

// crmProjectsSearch serves projects:search. The query is a list of terms
// field:value, case-insensitive, a trailing * matching a prefix; a project
// matches if it matches any term, as documented:
//
//	parent:folders/123   parent.type:folder   parent.id:123
//	id:web-*   projectId:web-prod-eu   name:Web*   displayName:"Web prod EU"
//	state:ACTIVE   lifecycleState:ACTIVE   labels.env:prod   labels.env:*
func (f *Fake) crmProjectsSearch(w http.ResponseWriter, r *http.Request, _ *call) {
	query := r.URL.Query().Get("query")
	terms, err := parseSearchQuery(query)
	if err != nil {
		writeError(w, errBadArgument(err.Error()))
		return
	}
	f.mu.RLock()
	defer f.mu.RUnlock()
	var all []*projectState
	for _, p := range f.allProjects {
		if len(terms) == 0 || matchesAny(p, terms) {
			all = append(all, p)
		}
	}
	f.writeProjectPage(w, r, all, "search|"+query)
}

type searchTerm struct{ field, value string }

func parseSearchQuery(q string) ([]searchTerm, error) {
	var terms []searchTerm
	for tok := range strings.FieldsSeq(q) {
		if strings.EqualFold(tok, "OR") || strings.EqualFold(tok, "AND") {
			continue
		}
		field, value, ok := strings.Cut(tok, ":")
		if !ok || field == "" || value == "" {
			return nil, fmt.Errorf("Invalid query term %q: want field:value.", tok)
		}
		terms = append(terms, searchTerm{strings.ToLower(field), strings.ToLower(strings.Trim(value, `"`))})
	}
	return terms, nil
}

func matchesAny(p *projectState, terms []searchTerm) bool {
	for _, t := range terms {
		if matches(p, t) {
			return true
		}
	}
	return false
}

func matches(p *projectState, t searchTerm) bool {
	kind, id, _ := strings.Cut(p.Parent, "/")
	var got string
	switch t.field {
	case "parent":
		got = p.Parent
	case "parent.type":
		got = strings.TrimSuffix(kind, "s")
	case "parent.id":
		got = id
	case "id", "projectid":
		got = p.ID
	case "name", "displayname":
		got = p.DisplayName
	case "state", "lifecyclestate":
		got = p.State
	default:
		key, ok := strings.CutPrefix(t.field, "labels.")
		if !ok {
			return false
		}
		v, present := p.Labels[key]
		if !present {
			return false
		}
		got = v
	}
	got = strings.ToLower(got)
	if prefix, ok := strings.CutSuffix(t.value, "*"); ok {
		return strings.HasPrefix(got, prefix)
	}
	return got == t.value
}
