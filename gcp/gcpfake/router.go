package gcpfake

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"sync/atomic"
	"time"
)

// call is what the dispatcher learned about a request before its handler.
type call struct {
	method string // discovery id
	fault  Fault  // the zero Fault when none applies
}

type handler func(w http.ResponseWriter, r *http.Request, c *call)

// routes maps each path to the discovery id of its method and its
// handler, and makes the call counter of each method. It runs once, in
// New: f.counts is read-only afterwards.
func (f *Fake) routes() {
	f.mux = http.NewServeMux()
	f.counts = map[string]*atomic.Int64{}
	route := func(pattern, method string, h handler) {
		counter := f.counts[method]
		if counter == nil {
			counter = new(atomic.Int64)
			f.counts[method] = counter
		}
		f.mux.HandleFunc(pattern, f.dispatch(method, counter, h))
	}
	// Cloud Resource Manager v3.
	route("GET /v3/organizations/{organization}", "cloudresourcemanager.organizations.get", f.crmOrganizationGet)
	route("GET /v3/folders", "cloudresourcemanager.folders.list", f.crmFoldersList)
	route("GET /v3/folders/{folder}", "cloudresourcemanager.folders.get", f.crmFolderGet)
	route("GET /v3/projects", "cloudresourcemanager.projects.list", f.crmProjectsList)
	route("GET /v3/projects:search", "cloudresourcemanager.projects.search", f.crmProjectsSearch)
	route("GET /v3/projects/{project}", "cloudresourcemanager.projects.get", f.crmProjectGet)
	// Service Usage v1.
	route("GET /v1/projects/{project}/services/{service}", "serviceusage.services.get", f.suServiceGet)
	route("GET /v1/projects/{project}/services", "serviceusage.services.list", f.suServicesList)
	route("GET /v1/projects/{project}/services:batchGet", "serviceusage.services.batchGet", f.suServicesBatchGet)
	// Compute Engine v1.
	const c = "/compute/v1/projects/{project}"
	route("GET "+c, "compute.projects.get", f.computeProjectGet)
	route("POST "+c+"/setCommonInstanceMetadata", "compute.projects.setCommonInstanceMetadata", f.computeSetCommonInstanceMetadata)
	route("GET "+c+"/global/operations/{operation}", "compute.globalOperations.get", f.operationGet)
	route("POST "+c+"/global/operations/{operation}/wait", "compute.globalOperations.wait", f.operationWait)
	route("GET "+c+"/zones/{zone}/instances", "compute.instances.list", f.instancesList)
	route("GET "+c+"/zones/{zone}/instances/{instance}", "compute.instances.get", f.instanceGet)
	route("POST "+c+"/zones/{zone}/instances/{instance}/setMetadata", "compute.instances.setMetadata", f.instanceSetMetadata)
	route("GET "+c+"/zones/{zone}/operations/{operation}", "compute.zoneOperations.get", f.operationGet)
	route("POST "+c+"/zones/{zone}/operations/{operation}/wait", "compute.zoneOperations.wait", f.operationWait)
	route("GET "+c+"/aggregated/instances", "compute.instances.aggregatedList", f.instancesAggregatedList)

	f.mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		writeError(w, simpleError(http.StatusNotFound, "global", "notFound", "Not Found: "+r.Method+" "+r.URL.Path))
	})
}

// ServeHTTP serves the fake APIs.
func (f *Fake) ServeHTTP(w http.ResponseWriter, r *http.Request) { f.mux.ServeHTTP(w, r) }

// dispatch counts a call, applies its fault, and runs its handler.
func (f *Fake) dispatch(method string, counter *atomic.Int64, h handler) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		counter.Add(1)
		c := &call{method: method}
		if !f.faults.active.Load() && !f.quotas.active.Load() {
			h(w, r, c)
			return
		}
		// Faults and quotas are set per project id; a project named by
		// number is the same project.
		project, consumer := f.projectOf(r.PathValue("project"))
		if f.quotas.active.Load() {
			if e := f.quotas.over(serviceOf(method), project, consumer); e != nil {
				writeError(w, e)
				return
			}
		}
		fl, status := f.faults.forCall(method, project)
		c.fault = fl
		if !sleepCtx(r.Context(), fl.Latency) {
			return // the caller has gone
		}
		if status != 0 {
			writeError(w, errInjected(status, serviceOf(method), consumer))
			return
		}
		h(w, r, c)
	}
}

// projectOf resolves the project a request names, by id or number, to its
// id and its quota consumer, projects/NUMBER. An unknown project is its
// own id and consumer. It returns "", "" for a request that names none.
func (f *Fake) projectOf(idOrNumber string) (id, consumer string) {
	if idOrNumber == "" {
		return "", ""
	}
	f.mu.RLock()
	defer f.mu.RUnlock()
	if p := f.lookupLocked(idOrNumber); p != nil {
		return p.ID, "projects/" + p.Number
	}
	return idOrNumber, "projects/" + idOrNumber
}

// lookupLocked finds a project by id or number.
func (f *Fake) lookupLocked(idOrNumber string) *projectState {
	if p := f.projects[idOrNumber]; p != nil {
		return p
	}
	return f.byNumber[idOrNumber]
}

func serviceOf(method string) string {
	api, _, _ := strings.Cut(method, ".")
	return api + ".googleapis.com"
}

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

// sleepCtx waits d or until ctx ends, and tells whether it waited it all.
func sleepCtx(ctx context.Context, d time.Duration) bool {
	if d <= 0 {
		return ctx.Err() == nil
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}
