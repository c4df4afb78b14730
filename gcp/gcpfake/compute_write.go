package gcpfake

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
)

// metadataWrite is the body of setCommonInstanceMetadata and setMetadata.
type metadataWrite struct {
	Kind        string `json:"kind"`
	Fingerprint string `json:"fingerprint"`
	Items       []Item `json:"items"`
}

// maxRequestBody caps a request body, as the front end does.
const maxRequestBody = 10 << 20

// readMetadataWrite reads the body of a metadata write strictly, as the
// service does: one JSON object, no unknown fields, nothing after it, at
// most maxRequestBody bytes, with items that pass validateItems.
//
//	{"kind": "compute#metadata", "fingerprint": "Fk9S9V8fs9I=",
//	 "items": [{"key": "ssh-keys", "value": "alice:ssh-ed25519 AAAA... alice"}]}
func readMetadataWrite(body io.Reader) (*metadataWrite, *apiError) {
	data, err := io.ReadAll(io.LimitReader(body, maxRequestBody+1))
	if err != nil {
		return nil, errBadArgument("Invalid JSON payload received. " + err.Error())
	}
	if len(data) > maxRequestBody {
		return nil, errBadArgument(fmt.Sprintf("Request payload size exceeds the limit: %d bytes.", maxRequestBody))
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	var m metadataWrite
	if err := dec.Decode(&m); err != nil {
		if errors.Is(err, io.EOF) {
			return nil, errBadArgument("Required field 'resource' not specified")
		}
		return nil, errBadArgument("Invalid JSON payload received. " + strings.TrimPrefix(err.Error(), "json: "))
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return nil, errBadArgument(fmt.Sprintf("Invalid JSON payload received. Unexpected token at byte %d, after the object.", dec.InputOffset()))
	}
	if msg := validateItems(m.Items); msg != "" {
		return nil, errInvalid(msg)
	}
	return &m, nil
}

// computeSetCommonInstanceMetadata serves projects.setCommonInstanceMetadata.
func (s *server) computeSetCommonInstanceMetadata(w http.ResponseWriter, r *http.Request, c *call) {
	s.serveMetadataWrite(w, r, c, metadataRef{})
}

// instanceSetMetadata serves instances.setMetadata with the same
// fingerprint rules as the project's metadata.
func (s *server) instanceSetMetadata(w http.ResponseWriter, r *http.Request, c *call) {
	s.serveMetadataWrite(w, r, c, metadataRef{zone: r.PathValue("zone"), name: r.PathValue("instance")})
}

// serveMetadataWrite serves setCommonInstanceMetadata and
// instances.setMetadata, on the project or, when ref has a zone, the
// instance ref names. In order:
//
//	step                      answer
//	body unreadable/invalid   400
//	requestId not a UUID      400 (compute_requestid.go)
//	project refused           its error (404, 403, ...); a 403 of
//	                          Compute's IAM check is logged (audit_write.go)
//	an armed hook             runs, as another client would, after the
//	                          instance is found (400, 503, 404 if not)
//	the backend's write       its outcome (see backend.setMetadataIf):
//	                          the operation, or 412 conditionNotMet
//	                          (deferred by ConflictInOperation), ...;
//	                          the operation's start and end, and a 412,
//	                          are logged
func (s *server) serveMetadataWrite(w http.ResponseWriter, r *http.Request, c *call, ref metadataRef) {
	m, e := readMetadataWrite(r.Body)
	if e != nil {
		writeError(w, e)
		return
	}
	if e := requestIDError(r.URL.Query().Get("requestId")); e != nil {
		writeError(w, e)
		return
	}
	call := s.auditCallOf(r, c.method)
	p, e := s.computeProject(r.PathValue("project"), c.method)
	if e != nil {
		if refusedByIAM(p) {
			s.logRefused(call, p.ID, ref, e)
		}
		writeError(w, e)
		return
	}
	ref.project = p.ID
	resource := "projects/" + p.ID
	if ref.zone != "" {
		resource = instanceName(p.ID, ref.zone, ref.name)
	}
	ran, e := s.runWriteHook(ref, resource)
	if e != nil {
		writeError(w, e)
		return
	}
	op, err := s.store.setMetadataIf(ref, conditionalWrite{
		fingerprint: m.Fingerprint, items: m.Items, requestID: r.URL.Query().Get("requestId"),
		deferCheck: c.fault.ConflictInOperation, admitted: ran,
		shape: opShape{polls: c.fault.OperationPolls, duration: c.fault.OperationDuration, fail: c.fault.FailOperations},
		audit: call,
	})
	if err != nil {
		e := zonalError(err, p.ID, ref.zone, resource)
		if errors.Is(err, errStaleFingerprint) {
			s.logRefused(call, p.ID, ref, e)
		}
		writeError(w, e)
		return
	}
	writeJSON(w, http.StatusOK, renderOperation(computeBase(r), op))
}

// runWriteHook runs the concurrent writer a read armed on the resource,
// if any, with no lock held: it is another client, whose write comes
// between this call's checks and its own. Only a write to an instance
// that exists, in a zone that answers, takes the hook; otherwise the
// error to answer is returned and the hook stays armed. ran tells
// whether a hook ran.
func (s *server) runWriteHook(ref metadataRef, resource string) (ran bool, e *apiError) {
	if !s.hooks.any() {
		return false, nil
	}
	if ref.zone != "" {
		if _, err := s.store.instance(ref.project, ref.zone, ref.name); err != nil {
			return false, zonalError(err, ref.project, ref.zone, resource)
		}
	}
	hook := s.hooks.take(resource)
	if hook == nil {
		return false, nil
	}
	hook()
	return true, nil
}
