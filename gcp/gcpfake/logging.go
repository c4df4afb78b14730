package gcpfake

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"reflect"
	"strconv"
	"strings"
)

// Cloud Logging v2 entries.list, over REST as the discovery document
// describes it: POST /v2/entries:list with a ListLogEntriesRequest,
// answered with a ListLogEntriesResponse of the audit log entries that
// the fake's metadata writes recorded (audit*.go).
//
//	resourceNames  projects/P: the entries of P's own logs. organizations/N,
//	               folders/N, billingAccounts/B: the entries ingested
//	               there, which are only the container's own (Google:
//	               "all logs ingested into that container"); the fake
//	               writes none, so these list nothing. A view of a
//	               bucket a seed's logSinks routes to, such as
//	               projects/SEC/locations/global/buckets/B/views/_AllLogs,
//	               lists the entries of the sink's projects that pass its
//	               filter; projects/P/locations/global/buckets/_Required/
//	               views/_AllLogs lists P's, as Admin Activity entries go
//	               to _Required; P's _Default bucket holds none of them.
//	               At most 100 names; projectIds (deprecated) add
//	               projects/ID.
//	filter         see logging_filter.go
//	orderBy        "timestamp asc" (default) or "timestamp desc"; equal
//	               timestamps in insertId order (reversed for desc)
//	pageSize       default 50; negative refused; above 1000 served as
//	               1000 (older references refuse it, the current one
//	               states no maximum, gcloud caps it at 1000)
//	pageToken      the key of the last entry served, so that entries
//	               written while a client pages come after, not twice
//
// Errors are those of a gRPC-first API: 400 INVALID_ARGUMENT, 403
// PERMISSION_DENIED for a project the seed does not have or forbids
// (Logging does not tell the two apart, the fake assumes), 404 for a
// view no sink declares, 429 past the quota (logging_quota.go).

const (
	defaultEntriesPageSize = 50
	maxEntriesPageSize     = 1000
	maxResourceNames       = 100
)

// listEntriesRequest is a ListLogEntriesRequest.
type listEntriesRequest struct {
	ResourceNames []string `json:"resourceNames"`
	ProjectIDs    []string `json:"projectIds"`
	Filter        string   `json:"filter"`
	OrderBy       string   `json:"orderBy"`
	PageSize      flexInt  `json:"pageSize"`
	PageToken     string   `json:"pageToken"`
}

// flexInt is an int32 of proto3 JSON, which may come as a number or a
// string.
type flexInt int

func (n *flexInt) UnmarshalJSON(b []byte) error {
	v, err := strconv.ParseInt(strings.Trim(string(b), `"`), 10, 32)
	if err != nil {
		return fmt.Errorf("Invalid value at 'page_size' (TYPE_INT32), %s", b)
	}
	*n = flexInt(v)
	return nil
}

// listEntriesResponse is a ListLogEntriesResponse; entries are served as
// they were written.
type listEntriesResponse struct {
	Entries       []json.RawMessage `json:"entries,omitempty"`
	NextPageToken string            `json:"nextPageToken,omitempty"`
}

func (listEntriesResponse) fieldsSchema() reflect.Type { return reflect.TypeFor[listEntriesSchema]() }

// listEntriesSchema is the shape of a ListLogEntriesResponse that a
// fields parameter is checked against: the entries as they are written,
// so that entries(operation,timestamp) is a selection Logging takes.
type listEntriesSchema struct {
	Entries       []logEntry `json:"entries,omitempty"`
	NextPageToken string     `json:"nextPageToken,omitempty"`
}

// loggingEntriesList serves entries.list.
func (s *server) loggingEntriesList(w http.ResponseWriter, r *http.Request, _ *call) {
	req, e := readListEntries(r.Body)
	if e != nil {
		writeError(w, e)
		return
	}
	names := append(req.ResourceNames, prefixAll("projects/", req.ProjectIDs)...)
	scopes, keys, e := s.logScopes(names)
	if e != nil {
		writeError(w, e)
		return
	}
	q, e := newEntriesQuery(req, names)
	if e != nil {
		writeError(w, e)
		return
	}
	if over, limit := s.logQuota.take(keys); over != "" {
		writeError(w, errLoggingQuota(over, limit))
		return
	}
	entries := s.store.audit.selectEntries(func(e *storedEntry) bool { return inAny(scopes, e) && q.filter.match(e.doc) })
	page, next, e := q.page(entries)
	if e != nil {
		writeError(w, e)
		return
	}
	out := listEntriesResponse{NextPageToken: next}
	for _, e := range page {
		out.Entries = append(out.Entries, e.raw)
	}
	writeJSON(w, http.StatusOK, out)
}

// readListEntries reads the body strictly, as the front end does.
func readListEntries(body io.Reader) (*listEntriesRequest, *apiError) {
	data, err := io.ReadAll(io.LimitReader(body, maxRequestBody+1))
	if err != nil || len(data) > maxRequestBody {
		return nil, errBadArgument("Invalid JSON payload received. Request too large or unreadable.")
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	var req listEntriesRequest
	if err := dec.Decode(&req); err != nil && !errors.Is(err, io.EOF) {
		msg := strings.TrimPrefix(err.Error(), "json: ")
		if name, ok := strings.CutPrefix(msg, "unknown field "); ok {
			msg = "Unknown name " + name + ": Cannot find field."
		}
		return nil, errBadArgument("Invalid JSON payload received. " + msg)
	}
	switch n := len(req.ResourceNames) + len(req.ProjectIDs); {
	case n == 0:
		return nil, errBadArgument("resource_names: at least one resource name is required")
	case n > maxResourceNames:
		return nil, errBadArgument(fmt.Sprintf("resource_names: at most %d resource names are allowed, got %d", maxResourceNames, n))
	}
	return &req, nil
}

func prefixAll(prefix string, ids []string) []string {
	out := make([]string, len(ids))
	for i, id := range ids {
		out[i] = prefix + id
	}
	return out
}

// entryScope tells whether an entry is in what a resource name lists.
type entryScope func(e *storedEntry) bool

func inAny(scopes []entryScope, e *storedEntry) bool {
	for _, in := range scopes {
		if in(e) {
			return true
		}
	}
	return false
}

func noEntries(*storedEntry) bool { return false }

// logScopes resolves the resource names of a call to the entries each
// lists, and to the resources whose quota the call takes.
func (s *server) logScopes(names []string) ([]entryScope, []string, *apiError) {
	var scopes []entryScope
	var keys []string
	seen := map[string]bool{}
	for _, name := range names {
		in, key, e := s.logScope(name)
		if e != nil {
			return nil, nil, e
		}
		scopes = append(scopes, in)
		if !seen[key] {
			seen[key] = true
			keys = append(keys, key)
		}
	}
	return scopes, keys, nil
}

// logScope resolves one resource name: what it lists, and its quota key.
func (s *server) logScope(name string) (entryScope, string, *apiError) {
	parts := strings.Split(name, "/")
	switch {
	case len(parts) == 2 && parts[0] == "projects":
		p, e := s.logProject(parts[1], name)
		if e != nil {
			return nil, "", e
		}
		return func(e *storedEntry) bool { return e.project == p.ID }, "projects/" + p.Number, nil
	case len(parts) == 8 && parts[0] == "projects" && parts[2] == "locations" && parts[4] == "buckets" && parts[6] == "views":
		return s.logView(parts, name)
	case len(parts) == 2 && parts[1] != "":
		return s.logContainer(parts[0], parts[1], name)
	}
	return nil, "", errResourceName(name)
}

// logContainer resolves organizations/N, folders/N and
// billingAccounts/B: the entries ingested there are the container's own,
// of which the fake writes none.
func (s *server) logContainer(kind, id, name string) (entryScope, string, *apiError) {
	switch kind {
	case "organizations":
		if id != s.store.organization().ID {
			return nil, "", errLogPermission(name)
		}
	case "folders":
		if _, forbidden, ok := s.store.folder(name); !ok || forbidden {
			return nil, "", errLogPermission(name)
		}
	case "billingAccounts":
	default:
		return nil, "", errResourceName(name)
	}
	return noEntries, name, nil
}

func errResourceName(name string) *apiError {
	return errBadArgument(fmt.Sprintf("Invalid resource name %q: want projects/[PROJECT_ID], organizations/[ORGANIZATION_ID], "+
		"folders/[FOLDER_ID], billingAccounts/[BILLING_ACCOUNT_ID], or a view .../locations/[LOCATION_ID]/buckets/[BUCKET_ID]/views/[VIEW_ID]", name))
}

// logProject is a project whose logs the caller may read.
func (s *server) logProject(idOrNumber, name string) (projectView, *apiError) {
	p, ok := s.store.project(idOrNumber)
	if !ok || p.forbidden {
		return p, errLogPermission(name)
	}
	return p, nil
}

// logView resolves projects/P/locations/L/buckets/B/views/V: a view of a
// sink's bucket, or of P's own _Required or _Default bucket.
func (s *server) logView(parts []string, name string) (entryScope, string, *apiError) {
	p, e := s.logProject(parts[1], name)
	if e != nil {
		return nil, "", e
	}
	key := "projects/" + p.Number
	bucket, view := "projects/"+p.ID+"/locations/"+parts[3]+"/buckets/"+parts[5], parts[7]
	if parts[3] == "global" && view == "_AllLogs" {
		switch parts[5] {
		case "_Required":
			return func(e *storedEntry) bool { return e.project == p.ID }, key, nil
		case "_Default":
			return noEntries, key, nil
		}
	}
	for _, sk := range s.store.audit.sinks {
		if sk.Bucket == bucket && containsString(sk.views(), view) {
			return s.sinkScope(sk), key, nil
		}
	}
	return nil, "", rpcError(http.StatusNotFound, fmt.Sprintf("View %s does not exist.", name))
}

// sinkScope lists the entries an aggregated sink routes: those of the
// projects under its parent, with includeChildren, that pass its filter.
func (s *server) sinkScope(sk auditSink) entryScope {
	if !sk.IncludeChildren {
		return noEntries
	}
	under := s.store.descendantProjects(sk.Parent)
	return func(e *storedEntry) bool { return under[e.project] && sk.filter.match(e.doc) }
}

func containsString(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// errLogPermission is Logging's answer for a resource the caller may not
// read, or that does not exist.
func errLogPermission(name string) *apiError {
	return rpcError(http.StatusForbidden, "The caller does not have permission").withInfo(
		"logging.googleapis.com", "IAM_PERMISSION_DENIED",
		map[string]string{"permission": "logging.logEntries.list", "resource": name})
}
