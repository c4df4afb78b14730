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

func crmOrganizationOf(org Organization, now time.Time) crmOrganization {
	name := "organizations/" + org.ID
	created := createdAt(now, org.ID).Add(-2000 * 24 * time.Hour)
	return crmOrganization{
		Name: name, DisplayName: org.DisplayName, DirectoryCustomerID: "C0" + org.ID[:min(7, len(org.ID))],
		State: StateActive, CreateTime: crmTime(created), UpdateTime: crmTime(created), Etag: etag(name),
	}
}

func crmFolderOf(fo Folder, now time.Time) crmFolder {
	name := "folders/" + fo.ID
	created := createdAt(now, fo.ID)
	out := crmFolder{
		Name: name, Parent: fo.Parent, DisplayName: fo.DisplayName, State: fo.State,
		CreateTime: crmTime(created), UpdateTime: crmTime(created), Etag: etag(name),
	}
	if fo.State == StateDeleteRequested {
		out.DeleteTime = crmTime(now.Add(-72 * time.Hour))
	}
	return out
}

func crmProjectOf(p projectView, now time.Time) crmProject {
	name := "projects/" + p.Number
	out := crmProject{
		Name: name, Parent: p.Parent, ProjectID: p.ID, State: p.State, DisplayName: p.DisplayName,
		CreateTime: crmTime(p.created), UpdateTime: crmTime(p.created), Etag: etag(name), Labels: p.Labels,
	}
	if p.State == StateDeleteRequested {
		out.DeleteTime = crmTime(now.Add(-72 * time.Hour))
		out.UpdateTime = out.DeleteTime
	}
	return out
}

func (s *server) crmOrganizationGet(w http.ResponseWriter, r *http.Request, _ *call) {
	name := "organizations/" + r.PathValue("organization")
	org := s.store.organization()
	if name != "organizations/"+org.ID {
		writeError(w, errPermissionDenied("resourcemanager.organizations.get", name))
		return
	}
	writeJSON(w, http.StatusOK, crmOrganizationOf(org, s.store.now()))
}

// parentError is the answer to a list under a parent the backend does
// not let the caller read: refused if it is named like an organization or
// a folder, which the service does not tell apart from one that does not
// exist, invalid otherwise.
func parentError(parent, permission string) *apiError {
	if strings.HasPrefix(parent, "organizations/") || strings.HasPrefix(parent, "folders/") {
		return errPermissionDenied(permission, parent)
	}
	return errBadArgument(fmt.Sprintf("Invalid parent %q: want organizations/{id} or folders/{id}.", parent))
}

func (s *server) crmFoldersList(w http.ResponseWriter, r *http.Request, _ *call) {
	folders, next, ok := s.childFolderPage(w, r, "folders|")
	if !ok {
		return
	}
	out := crmFolderPage{NextPageToken: next}
	now := s.store.now()
	for _, fo := range folders {
		out.Folders = append(out.Folders, crmFolderOf(fo, now))
	}
	writeJSON(w, http.StatusOK, out)
}

// childFolderPage is folders.list of v2 and v3 but for the shape of its
// answer: a page of the folders under the request's parent, and the next
// page's token; ok is false once it answered an error. pageKey keeps the
// versions' page tokens apart.
func (s *server) childFolderPage(w http.ResponseWriter, r *http.Request, pageKey string) (folders []Folder, next string, ok bool) {
	q := r.URL.Query()
	parent, showDeleted := q.Get("parent"), q.Get("showDeleted") == "true"
	if parent == "" {
		writeError(w, errBadArgument("Request contains an invalid argument."))
		return nil, "", false
	}
	var pg paged
	folders, readable := s.store.childFolders(parent, showDeleted, crmPager.window(r, pageKey+parent+"|"+q.Get("showDeleted"), &pg))
	if !readable {
		writeError(w, parentError(parent, "resourcemanager.folders.list"))
		return nil, "", false
	}
	if pg.err != nil {
		writeError(w, pg.err)
		return nil, "", false
	}
	return folders, pg.next, true
}

func (s *server) crmFolderGet(w http.ResponseWriter, r *http.Request, _ *call) {
	name := "folders/" + r.PathValue("folder")
	fo, forbidden, ok := s.store.folder(name)
	if !ok || forbidden {
		writeError(w, errPermissionDenied("resourcemanager.folders.get", name))
		return
	}
	writeJSON(w, http.StatusOK, crmFolderOf(fo, s.store.now()))
}

type crmFolderPage struct {
	Folders       []crmFolder `json:"folders,omitempty"`
	NextPageToken string      `json:"nextPageToken,omitempty"`
}

type crmProjectPage struct {
	Projects      []crmProject `json:"projects,omitempty"`
	NextPageToken string       `json:"nextPageToken,omitempty"`
}

func (s *server) crmProjectsList(w http.ResponseWriter, r *http.Request, _ *call) {
	q := r.URL.Query()
	parent, showDeleted := q.Get("parent"), q.Get("showDeleted") == "true"
	if parent == "" {
		writeError(w, errBadArgument("Request contains an invalid argument."))
		return
	}
	var pg paged
	projects, readable := s.store.childProjects(parent, showDeleted, crmPager.window(r, "projects|"+parent+"|"+q.Get("showDeleted"), &pg))
	if !readable {
		writeError(w, parentError(parent, "resourcemanager.projects.list"))
		return
	}
	s.writeProjectPage(w, projects, pg)
}

func (s *server) writeProjectPage(w http.ResponseWriter, projects []projectView, pg paged) {
	if pg.err != nil {
		writeError(w, pg.err)
		return
	}
	out := crmProjectPage{NextPageToken: pg.next}
	now := s.store.now()
	for _, p := range projects {
		out.Projects = append(out.Projects, crmProjectOf(p, now))
	}
	writeJSON(w, http.StatusOK, out)
}

// crmProjectGet serves projects.get. An unknown project is refused as one
// the caller may not read: the service does not reveal which projects exist.
func (s *server) crmProjectGet(w http.ResponseWriter, r *http.Request, _ *call) {
	id := r.PathValue("project")
	p, ok := s.store.project(id)
	if !ok {
		writeError(w, errPermissionDenied("resourcemanager.projects.get", "projects/"+id))
		return
	}
	writeJSON(w, http.StatusOK, crmProjectOf(p, s.store.now()))
}

// crmProjectsSearch serves projects:search: the projects its query
// matches (crm_search.go), in the order they were added, as the service
// promises none.
func (s *server) crmProjectsSearch(w http.ResponseWriter, r *http.Request, _ *call) {
	query := r.URL.Query().Get("query")
	q, err := parseSearchQuery(query)
	if err != nil {
		writeError(w, errBadArgument(err.Error()))
		return
	}
	var pg paged
	match := func(p *Project) bool { return q == nil || q.match(p) }
	projects := s.store.searchProjects(match, crmPager.window(r, "search|"+query, &pg))
	s.writeProjectPage(w, projects, pg)
}
