package gcpfake

import (
	"encoding/json"
	"net/http"
	"sync"
	"sync/atomic"
	"time"
)

// server is the HTTP front end of the fake: it routes the real paths to
// handlers, which parse parameters, check what Google's front end checks,
// call the backend, and write the JSON and errors the real services
// write. Faults, quotas and concurrent-writer hooks sit in this layer,
// between the wire and the backend (see dispatch).
type server struct {
	store  *backend
	faults *faults
	quotas *quotas
	hooks  *readHooks
	// logQuota is Logging's entries.list quota, on by default (logging_quota.go).
	logQuota *readQuota

	mux    *http.ServeMux
	counts map[string]*atomic.Int64 // by discovery id; made by routes, then read-only

	// bodies caches the compute#project JSON of each project, by id, for
	// the hottest call; an entry serves only the metadata it was made of.
	bodies sync.Map
	// waitDeadline is how long an operations wait call blocks, at most.
	waitDeadline atomic.Int64
}

// call is what the dispatcher learned about a request before its handler.
type call struct {
	method string // discovery id
	fault  Fault  // the zero Fault when none applies
}

type handler func(w http.ResponseWriter, r *http.Request, c *call)

// defaultWaitDeadline is how long an operations wait call blocks, at most,
// for an operation that completes after a duration; the real service
// gives up after about two minutes.
const defaultWaitDeadline = 2 * time.Second

func newServer(store *backend) *server {
	s := &server{store: store, faults: newFaults(), quotas: newQuotas(), hooks: newReadHooks(), logQuota: newReadQuota()}
	s.waitDeadline.Store(int64(defaultWaitDeadline))
	s.routes()
	return s
}

// routes maps each path to the discovery id of its method and its
// handler, and makes the call counter of each method. It runs once, in
// newServer: s.counts is read-only afterwards.
func (s *server) routes() {
	s.mux = http.NewServeMux()
	s.counts = map[string]*atomic.Int64{}
	route := func(pattern, method string, h handler) {
		counter := s.counts[method]
		if counter == nil {
			counter = new(atomic.Int64)
			s.counts[method] = counter
		}
		s.mux.HandleFunc(pattern, s.dispatch(method, counter, h))
	}
	// Cloud Resource Manager v3.
	route("GET /v3/organizations/{organization}", "cloudresourcemanager.organizations.get", s.crmOrganizationGet)
	route("GET /v3/folders", "cloudresourcemanager.folders.list", s.crmFoldersList)
	route("GET /v3/folders/{folder}", "cloudresourcemanager.folders.get", s.crmFolderGet)
	route("GET /v3/projects", "cloudresourcemanager.projects.list", s.crmProjectsList)
	route("GET /v3/projects:search", "cloudresourcemanager.projects.search", s.crmProjectsSearch)
	route("GET /v3/projects/{project}", "cloudresourcemanager.projects.get", s.crmProjectGet)
	// Service Usage v1.
	route("GET /v1/projects/{project}/services/{service}", "serviceusage.services.get", s.suServiceGet)
	route("GET /v1/projects/{project}/services", "serviceusage.services.list", s.suServicesList)
	route("GET /v1/projects/{project}/services:batchGet", "serviceusage.services.batchGet", s.suServicesBatchGet)
	// Compute Engine v1.
	const c = "/compute/v1/projects/{project}"
	route("GET "+c, "compute.projects.get", s.computeProjectGet)
	route("POST "+c+"/setCommonInstanceMetadata", "compute.projects.setCommonInstanceMetadata", s.computeSetCommonInstanceMetadata)
	route("GET "+c+"/global/operations/{operation}", "compute.globalOperations.get", s.operationGet)
	route("POST "+c+"/global/operations/{operation}/wait", "compute.globalOperations.wait", s.operationWait)
	route("GET "+c+"/zones/{zone}/instances", "compute.instances.list", s.instancesList)
	route("GET "+c+"/zones/{zone}/instances/{instance}", "compute.instances.get", s.instanceGet)
	route("POST "+c+"/zones/{zone}/instances/{instance}/setMetadata", "compute.instances.setMetadata", s.instanceSetMetadata)
	route("GET "+c+"/zones/{zone}/operations/{operation}", "compute.zoneOperations.get", s.operationGet)
	route("POST "+c+"/zones/{zone}/operations/{operation}/wait", "compute.zoneOperations.wait", s.operationWait)
	route("GET "+c+"/aggregated/instances", "compute.instances.aggregatedList", s.instancesAggregatedList)
	// Cloud Logging v2: the audit log of the metadata writes above.
	route("POST /v2/entries:list", "logging.entries.list", s.loggingEntriesList)

	s.mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		writeError(w, simpleError(http.StatusNotFound, "global", "notFound", "Not Found: "+r.Method+" "+r.URL.Path))
	})
}

func (s *server) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.mux.ServeHTTP(w, r) }

func writeJSON(w http.ResponseWriter, code int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		writeError(w, simpleError(http.StatusInternalServerError, "global", "backendError", "encode response: "+err.Error()))
		return
	}
	writeBody(w, code, b)
}

func writeBody(w http.ResponseWriter, code int, body []byte) {
	h := w.Header()
	h.Set("Content-Type", "application/json; charset=UTF-8")
	w.WriteHeader(code)
	_, _ = w.Write(body)
}

func writeError(w http.ResponseWriter, e *apiError) {
	b, _ := json.Marshal(struct {
		Error *apiError `json:"error"`
	}{e})
	writeBody(w, e.Code, b)
}

// baseURL is the scheme and host the request came to, so that the links
// in answers lead back to this fake.
func baseURL(r *http.Request) string {
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	return scheme + "://" + r.Host
}
