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

// writeTarget is the resource a metadata write replaces the metadata of.
type writeTarget struct {
	md  *metadataState
	set func(items []Item) // replaces md's items, under the write lock
	// hook is a concurrent writer to run before the fingerprint check.
	hook func()
	// op describes the operation the write starts; apply is set by
	// serveMetadataWrite.
	op operationSpec
}

// serveMetadataWrite serves setCommonInstanceMetadata and
// instances.setMetadata. find, called under the write lock, looks up the
// target or the error to answer. Then, in order:
//
//	step                      answer
//	body unreadable/invalid   400
//	find fails                its error (404, 403, ...)
//	hook set                  runs without the lock, as another client
//	requestId seen before     the operation of the first call
//	stale fingerprint         412 conditionNotMet (unless ConflictInOperation)
//	otherwise                 an operation, which re-checks the fingerprint
//	                          and sets the items when it completes
func (f *Fake) serveMetadataWrite(w http.ResponseWriter, r *http.Request, c *call, find func() (*writeTarget, *apiError)) {
	m, e := readMetadataWrite(r.Body)
	if e != nil {
		writeError(w, e)
		return
	}
	f.mu.Lock()
	t, e := find()
	if e != nil {
		f.mu.Unlock()
		writeError(w, e)
		return
	}
	if t.hook != nil {
		f.mu.Unlock()
		t.hook()
		f.mu.Lock()
	}
	defer f.mu.Unlock()

	base := computeBase(r)
	reqKey := requestKey(t.op.target, r)
	if op := f.requestIDs[reqKey]; op != nil {
		writeJSON(w, http.StatusOK, op.render(base))
		return
	}
	if !c.fault.ConflictInOperation && !sameFingerprint(m.Fingerprint, t.md.fp) {
		writeError(w, errConditionNotMet())
		return
	}
	items, want, spec := m.Items, m.Fingerprint, t.op
	spec.apply = func() *opFailure {
		if !sameFingerprint(want, t.md.fp) {
			return failConditionNotMet()
		}
		t.set(items)
		return nil
	}
	op := f.startOperationLocked(c.fault, spec, reqKey)
	writeJSON(w, http.StatusOK, op.render(base))
}

// requestKey is the key under which a write's requestId is remembered:
// the target resource and the id, "" for a write without one.
func requestKey(target string, r *http.Request) string {
	id := r.URL.Query().Get("requestId")
	if id == "" {
		return ""
	}
	return target + "|" + id
}
