package gcpfake

import (
	"encoding/json"
	"fmt"
	"net/http"
	"reflect"
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
	// answer is the type of the method's success body, whose fields a
	// fields parameter may select.
	route := func(pattern, method string, answer reflect.Type, h handler) {
		counter := s.counts[method]
		if counter == nil {
			counter = new(atomic.Int64)
			s.counts[method] = counter
		}
		s.mux.HandleFunc(pattern, s.dispatch(method, answer, counter, h))
	}
	// Cloud Resource Manager v3.
	route("GET /v3/organizations/{organization}", "cloudresourcemanager.organizations.get", reflect.TypeFor[crmOrganization](), s.crmOrganizationGet)
	route("GET /v3/folders", "cloudresourcemanager.folders.list", reflect.TypeFor[crmFolderPage](), s.crmFoldersList)
	route("GET /v3/folders/{folder}", "cloudresourcemanager.folders.get", reflect.TypeFor[crmFolder](), s.crmFolderGet)
	route("GET /v3/projects", "cloudresourcemanager.projects.list", reflect.TypeFor[crmProjectPage](), s.crmProjectsList)
	route("GET /v3/projects:search", "cloudresourcemanager.projects.search", reflect.TypeFor[crmProjectPage](), s.crmProjectsSearch)
	route("GET /v3/projects/{project}", "cloudresourcemanager.projects.get", reflect.TypeFor[crmProject](), s.crmProjectGet)
	// Cloud Resource Manager v1 and v2, which gcloud calls (crm_v1.go).
	route("GET /v1/projects", "cloudresourcemanager.projects.list", reflect.TypeFor[crmV1ProjectPage](), s.crmV1ProjectsList)
	route("GET /v1/projects/{project}", "cloudresourcemanager.projects.get", reflect.TypeFor[crmV1Project](), s.crmV1ProjectGet)
	route("GET /v2/folders", "cloudresourcemanager.folders.list", reflect.TypeFor[crmV2FolderPage](), s.crmV2FoldersList)
	// Service Usage v1.
	route("GET /v1/projects/{project}/services/{service}", "serviceusage.services.get", reflect.TypeFor[suService](), s.suServiceGet)
	route("GET /v1/projects/{project}/services", "serviceusage.services.list", reflect.TypeFor[suServicePage](), s.suServicesList)
	route("GET /v1/projects/{project}/services:batchGet", "serviceusage.services.batchGet", reflect.TypeFor[suBatchGet](), s.suServicesBatchGet)
	// Cloud OS Login v1 (oslogin.go).
	route("GET /v1/users/{user}/loginProfile", "oslogin.users.getLoginProfile", reflect.TypeFor[loginProfile](), s.osLoginGetLoginProfile)
	route("POST /v1/users/{userAction}", "oslogin.users.importSshPublicKey", reflect.TypeFor[importSSHPublicKeyResponse](), s.osLoginUserAction)
	// Compute Engine v1.
	const c = "/compute/v1/projects/{project}"
	route("GET "+c, "compute.projects.get", reflect.TypeFor[computeProject](), s.computeProjectGet)
	route("POST "+c+"/setCommonInstanceMetadata", "compute.projects.setCommonInstanceMetadata", reflect.TypeFor[computeOperation](), s.computeSetCommonInstanceMetadata)
	route("GET "+c+"/global/operations/{operation}", "compute.globalOperations.get", reflect.TypeFor[computeOperation](), s.operationGet)
	route("POST "+c+"/global/operations/{operation}/wait", "compute.globalOperations.wait", reflect.TypeFor[computeOperation](), s.operationWait)
	route("GET "+c+"/zones/{zone}/instances", "compute.instances.list", reflect.TypeFor[instanceList](), s.instancesList)
	route("GET "+c+"/zones/{zone}/instances/{instance}", "compute.instances.get", reflect.TypeFor[computeInstance](), s.instanceGet)
	route("POST "+c+"/zones/{zone}/instances/{instance}/setMetadata", "compute.instances.setMetadata", reflect.TypeFor[computeOperation](), s.instanceSetMetadata)
	route("GET "+c+"/zones/{zone}/operations/{operation}", "compute.zoneOperations.get", reflect.TypeFor[computeOperation](), s.operationGet)
	route("POST "+c+"/zones/{zone}/operations/{operation}/wait", "compute.zoneOperations.wait", reflect.TypeFor[computeOperation](), s.operationWait)
	route("GET "+c+"/aggregated/instances", "compute.instances.aggregatedList", reflect.TypeFor[instanceAggregatedList](), s.instancesAggregatedList)
	// Cloud Logging v2: the audit log of the metadata writes above.
	route("POST /v2/entries:list", "logging.entries.list", reflect.TypeFor[listEntriesSchema](), s.loggingEntriesList)
	route("GET "+c+"/zones", "compute.zones.list", reflect.TypeFor[zoneList](), s.zonesList)
	route("GET "+c+"/zones/{zone}", "compute.zones.get", reflect.TypeFor[computeZone](), s.zonesGet)

	s.mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		writeError(w, simpleError(http.StatusNotFound, "global", "notFound", "Not Found: "+r.Method+" "+r.URL.Path))
	})
}

func (s *server) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.mux.ServeHTTP(w, r) }

// schemaAnswer is an answer whose JSON is built from raw parts, with the
// type that describes its fields, which the route declares instead.
type schemaAnswer interface{ fieldsSchema() reflect.Type }

func declaresSchema(v any, t reflect.Type) bool {
	s, ok := v.(schemaAnswer)
	return ok && s.fieldsSchema() == t
}

func writeJSON(w http.ResponseWriter, code int, v any) {
	if pw, ok := w.(*partialWriter); ok && reflect.TypeOf(v) != pw.answer && !declaresSchema(v, pw.answer) {
		// The fields were checked against the type the route declares:
		// a handler answering another would make that check a lie.
		writeError(w, simpleError(http.StatusInternalServerError, "global", "backendError",
			fmt.Sprintf("fake: the route declares %v, its handler answers %T", pw.answer, v)))
		return
	}
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
