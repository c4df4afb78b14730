package gcpfake

import (
	"fmt"
	"maps"
	"net/http"
	"slices"
	"strings"
)

// suService is Service Usage v1's Service resource.
type suService struct {
	Name   string   `json:"name"`   // projects/NUMBER/services/compute.googleapis.com
	Parent string   `json:"parent"` // projects/NUMBER
	Config suConfig `json:"config"`
	State  string   `json:"state"` // ENABLED or DISABLED
}

// suServicePage is a page of services.list.
type suServicePage struct {
	Services      []suService `json:"services,omitempty"`
	NextPageToken string      `json:"nextPageToken,omitempty"`
}

// suBatchGet is the answer of services:batchGet.
type suBatchGet struct {
	Services []suService `json:"services"`
}

type suConfig struct {
	Name  string `json:"name"`
	Title string `json:"title"`
}

// catalogue holds well-known services with their titles; any other
// well-formed name is a service too, titled after its name.
var catalogue = map[string]string{
	"bigquery.googleapis.com":             "BigQuery API",
	"cloudresourcemanager.googleapis.com": "Cloud Resource Manager API",
	"compute.googleapis.com":              "Compute Engine API",
	"container.googleapis.com":            "Kubernetes Engine API",
	"dataproc.googleapis.com":             "Cloud Dataproc API",
	"dns.googleapis.com":                  "Cloud DNS API",
	"iam.googleapis.com":                  "Identity and Access Management (IAM) API",
	"logging.googleapis.com":              "Cloud Logging API",
	"monitoring.googleapis.com":           "Cloud Monitoring API",
	"notebooks.googleapis.com":            "Notebooks API",
	"oslogin.googleapis.com":              "Cloud OS Login API",
	"serviceusage.googleapis.com":         "Service Usage API",
	"storage.googleapis.com":              "Cloud Storage API",
}

func serviceTitle(service string) string {
	if t, ok := catalogue[service]; ok {
		return t
	}
	return strings.TrimSuffix(service, ".googleapis.com") + " API"
}

func suServiceOf(p projectView, service string) suService {
	state := "DISABLED"
	if p.services[service] {
		state = "ENABLED"
	}
	parent := "projects/" + p.Number
	return suService{
		Name: parent + "/services/" + service, Parent: parent, State: state,
		Config: suConfig{Name: service, Title: serviceTitle(service)},
	}
}

// suProject finds the project of a Service Usage call, or the error to
// answer: scheduled for deletion, or unknown or not readable, which the
// service does not tell apart. service is "" for a call on all services.
func (s *server) suProject(idOrNumber, service string) (projectView, *apiError) {
	p, ok := s.store.project(idOrNumber)
	switch {
	case !ok:
		return p, errServiceUsageDenied(service, "projects/"+idOrNumber)
	case p.State == StateDeleteRequested:
		return p, errProjectDeleted("serviceusage.googleapis.com", p.Number)
	case p.forbidden:
		return p, errServiceUsageDenied(service, "projects/"+p.Number)
	}
	return p, nil
}

// errServiceUsageDenied is Service Usage's answer for a project the caller
// may not read, or that does not exist.
func errServiceUsageDenied(service, project string) *apiError {
	msg := "Permission denied to list services for consumer container [" + project + "]"
	if service != "" {
		msg = "Permission denied to get service [" + service + "]"
	}
	return simpleError(http.StatusForbidden, "global", "forbidden", msg).withInfo("serviceusage.googleapis.com", "AUTH_PERMISSION_DENIED",
		map[string]string{"permission": "serviceusage.services.get", "resource": project})
}

func (s *server) suServiceGet(w http.ResponseWriter, r *http.Request, _ *call) {
	service := r.PathValue("service")
	p, e := s.suProject(r.PathValue("project"), service)
	if e != nil {
		writeError(w, e)
		return
	}
	if !serviceName.MatchString(service) {
		writeError(w, errBadArgument(fmt.Sprintf("Invalid service name %q.", service)))
		return
	}
	writeJSON(w, http.StatusOK, suServiceOf(p, service))
}

// suServicesList serves services.list with the filters the API allows:
// none, state:ENABLED or state:DISABLED.
func (s *server) suServicesList(w http.ResponseWriter, r *http.Request, _ *call) {
	filter := r.URL.Query().Get("filter")
	var want string
	switch strings.ToUpper(strings.ReplaceAll(filter, " ", "")) {
	case "":
	case "STATE:ENABLED":
		want = "ENABLED"
	case "STATE:DISABLED":
		want = "DISABLED"
	default:
		writeError(w, errBadArgument(fmt.Sprintf("Invalid filter %q: the allowed filters are state:ENABLED and state:DISABLED.", filter)))
		return
	}
	p, e := s.suProject(r.PathValue("project"), "")
	if e != nil {
		writeError(w, e)
		return
	}
	names := slices.AppendSeq(make([]string, 0, len(catalogue)+len(p.services)), maps.Keys(catalogue))
	for svc := range p.services {
		if _, known := catalogue[svc]; !known {
			names = append(names, svc)
		}
	}
	slices.Sort(names)
	var all []suService
	for _, name := range names {
		if svc := suServiceOf(p, name); want == "" || svc.State == want {
			all = append(all, svc)
		}
	}
	start, end, next, e := usagePager.page(r, len(all), "services|"+p.ID+"|"+want)
	if e != nil {
		writeError(w, e)
		return
	}
	writeJSON(w, http.StatusOK, suServicePage{all[start:end], next})
}

// maxBatchGet is the most names services:batchGet takes.
const maxBatchGet = 30

func (s *server) suServicesBatchGet(w http.ResponseWriter, r *http.Request, _ *call) {
	names := r.URL.Query()["names"]
	if len(names) == 0 || len(names) > maxBatchGet {
		writeError(w, errBadArgument(fmt.Sprintf("Between 1 and %d services may be requested at a time; got %d.", maxBatchGet, len(names))))
		return
	}
	p, e := s.suProject(r.PathValue("project"), "")
	if e != nil {
		writeError(w, e)
		return
	}
	out := make([]suService, 0, len(names))
	for _, n := range names {
		rest, ok := strings.CutPrefix(n, "projects/")
		owner, service, ok2 := strings.Cut(rest, "/services/")
		if !ok || !ok2 || !s.sameProject(owner, p) || !serviceName.MatchString(service) {
			writeError(w, errBadArgument(fmt.Sprintf("Invalid service name %q: want projects/%s/services/SERVICE.", n, p.Number)))
			return
		}
		out = append(out, suServiceOf(p, service))
	}
	writeJSON(w, http.StatusOK, suBatchGet{out})
}

// sameProject tells whether idOrNumber names the project p.
func (s *server) sameProject(idOrNumber string, p projectView) bool {
	q, ok := s.store.project(idOrNumber)
	return ok && q.ID == p.ID
}
