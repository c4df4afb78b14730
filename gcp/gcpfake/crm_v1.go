package gcpfake

import (
	"net/http"
	"strings"
	"time"
)

// Resource Manager v1 projects.list and projects.get, and v2
// folders.list: the versions gcloud 528 calls for gcloud projects list
// and describe, and gcloud resource-manager folders list. gcloud points
// all three versions at api_endpoint_overrides/cloudresourcemanager; it
// has no resourcemanager override. Their discovery ids are those of v3's
// methods, so the fake counts, limits and faults them together.

type (
	crmV1Project struct {
		ProjectNumber  string            `json:"projectNumber"`
		ProjectID      string            `json:"projectId"`
		LifecycleState string            `json:"lifecycleState"`
		Name           string            `json:"name,omitempty"` // the display name
		CreateTime     string            `json:"createTime"`
		Labels         map[string]string `json:"labels,omitempty"`
		Parent         crmV1Parent       `json:"parent"`
	}
	crmV1Parent struct {
		Type string `json:"type"` // folder or organization
		ID   string `json:"id"`
	}
	crmV1ProjectPage struct {
		Projects      []crmV1Project `json:"projects,omitempty"`
		NextPageToken string         `json:"nextPageToken,omitempty"`
	}
	crmV2Folder struct {
		Name           string `json:"name"`
		Parent         string `json:"parent"`
		DisplayName    string `json:"displayName,omitempty"`
		LifecycleState string `json:"lifecycleState"`
		CreateTime     string `json:"createTime"`
	}
	crmV2FolderPage struct {
		Folders       []crmV2Folder `json:"folders,omitempty"`
		NextPageToken string        `json:"nextPageToken,omitempty"`
	}
)

func crmV1ProjectOf(p projectView) crmV1Project {
	kind, id, _ := strings.Cut(p.Parent, "/")
	return crmV1Project{
		ProjectNumber: p.Number, ProjectID: p.ID, LifecycleState: p.State, Name: p.DisplayName,
		CreateTime: crmTime(p.created), Labels: p.Labels,
		Parent: crmV1Parent{Type: strings.TrimSuffix(kind, "s"), ID: id},
	}
}

func crmV2FolderOf(fo Folder, now time.Time) crmV2Folder {
	v3 := crmFolderOf(fo, now)
	return crmV2Folder{Name: v3.Name, Parent: v3.Parent, DisplayName: v3.DisplayName, LifecycleState: v3.State, CreateTime: v3.CreateTime}
}

// crmV1ProjectsList serves v1 projects.list: the projects its filter
// matches (crm_search.go: the reference describes v1's filter and v3's
// search query alike), deleted ones too, in the order they were added,
// as the service promises none. gcloud projects list sends
// "lifecycleState:ACTIVE", with its --filter AND'ed in parentheses; a
// by-parent listing sends parent.type and parent.id.
func (s *server) crmV1ProjectsList(w http.ResponseWriter, r *http.Request, _ *call) {
	filter := r.URL.Query().Get("filter")
	q, err := parseSearchQuery(filter)
	if err != nil {
		writeError(w, errBadArgument(err.Error()))
		return
	}
	var pg paged
	match := func(p *Project) bool { return q == nil || q.match(p) }
	projects := s.store.searchProjects(match, crmPager.window(r, "v1|"+filter, &pg))
	if pg.err != nil {
		writeError(w, pg.err)
		return
	}
	out := crmV1ProjectPage{NextPageToken: pg.next}
	for _, p := range projects {
		out.Projects = append(out.Projects, crmV1ProjectOf(p))
	}
	writeJSON(w, http.StatusOK, out)
}

// crmV1ProjectGet serves v1 projects.get, refusing an unknown project as
// v3's projects.get does.
func (s *server) crmV1ProjectGet(w http.ResponseWriter, r *http.Request, _ *call) {
	id := r.PathValue("project")
	p, ok := s.store.project(id)
	if !ok {
		writeError(w, errPermissionDenied("resourcemanager.projects.get", "projects/"+id))
		return
	}
	writeJSON(w, http.StatusOK, crmV1ProjectOf(p))
}

// crmV2FoldersList serves v2 folders.list as v3's crmFoldersList, in v2's
// shape (lifecycleState for state).
func (s *server) crmV2FoldersList(w http.ResponseWriter, r *http.Request, _ *call) {
	folders, next, ok := s.childFolderPage(w, r, "v2folders|")
	if !ok {
		return
	}
	out := crmV2FolderPage{NextPageToken: next}
	now := s.store.now()
	for _, fo := range folders {
		out.Folders = append(out.Folders, crmV2FolderOf(fo, now))
	}
	writeJSON(w, http.StatusOK, out)
}
