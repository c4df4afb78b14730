package gcpfake

import (
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"strconv"
)

// metadataState is the metadata of a project or an instance. Its
// fingerprint is drawn from the resource name and a generation that every
// change moves. Its items are replaced, never edited, so that a copy of a
// metadataState is a snapshot that shares them safely.
type metadataState struct {
	name  string // projects/P or projects/P/zones/Z/instances/I
	items []Item
	gen   uint64
	fp    string
}

// newMetadata is a resource's metadata at its first generation, holding a
// copy of items.
func newMetadata(name string, items []Item) metadataState {
	return metadataState{name: name, items: cloneItems(items), gen: 1, fp: fingerprint(name, 1)}
}

// set replaces the items with a copy and moves the fingerprint.
func (m *metadataState) set(items []Item) {
	m.items = cloneItems(items)
	m.gen++
	m.fp = fingerprint(m.name, m.gen)
}

// fingerprint is the metadata fingerprint of a resource at a generation:
// 8 bytes of a hash, in standard base64 like the service's "Fk9S9V8fs9I=".
// Every accepted write moves the generation, hence the fingerprint.
func fingerprint(resource string, generation uint64) string {
	sum := sha256.Sum256([]byte(resource + "#" + strconv.FormatUint(generation, 10)))
	return base64.StdEncoding.EncodeToString(sum[:8])
}

// sameFingerprint tells whether a fingerprint sent with a write is the
// current one. The field is bytes in base64: clients built on apitools
// (gcloud) send it URL-safe ("-", "_"), Go clients send it back as read,
// and the service compares the bytes.
func sameFingerprint(sent, current string) bool {
	want, err := base64.StdEncoding.DecodeString(current)
	if err != nil || sent == "" {
		return false
	}
	for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.URLEncoding, base64.RawStdEncoding, base64.RawURLEncoding} {
		if got, err := enc.DecodeString(sent); err == nil {
			return string(got) == string(want)
		}
	}
	return false
}

// cloneItems copies items deeply, so that callers cannot change the fake's state.
func cloneItems(items []Item) []Item {
	if items == nil {
		return []Item{}
	}
	out := make([]Item, len(items))
	for i, it := range items {
		out[i] = Item{Key: it.Key}
		if it.Value != nil {
			v := *it.Value
			out[i].Value = &v
		}
	}
	return out
}

// projectMetadata returns a project's metadata by id.
func (b *backend) projectMetadata(projectID string) (metadataState, error) {
	b.mu.RLock()
	defer b.mu.RUnlock()
	p := b.projects[projectID]
	if p == nil {
		return metadataState{}, fmt.Errorf("project %s: %w", projectID, errNoProject)
	}
	return p.md, nil
}

// setProjectMetadata replaces a project's metadata, moving its fingerprint.
func (b *backend) setProjectMetadata(projectID string, items []Item) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	p := b.projects[projectID]
	if p == nil {
		return fmt.Errorf("project %s: %w", projectID, errNoProject)
	}
	p.md.set(items)
	return nil
}

// instanceMetadata returns an instance's metadata.
func (b *backend) instanceMetadata(projectID, zone, name string) (metadataState, error) {
	b.mu.RLock()
	defer b.mu.RUnlock()
	in := b.instanceRecordLocked(projectID, zone, name)
	if in == nil {
		return metadataState{}, fmt.Errorf("instance %s: %w", instanceName(projectID, zone, name), errNoInstance)
	}
	return in.md, nil
}

// setInstanceMetadata replaces an instance's metadata, moving its
// fingerprint.
func (b *backend) setInstanceMetadata(projectID, zone, name string, items []Item) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	in := b.instanceRecordLocked(projectID, zone, name)
	if in == nil {
		return fmt.Errorf("instance %s: %w", instanceName(projectID, zone, name), errNoInstance)
	}
	in.md.set(items)
	return nil
}

// metadataRef names the resource whose metadata a write replaces: an
// instance when zone is set, else the project, by id.
type metadataRef struct{ project, zone, name string }

// conditionalWrite is a metadata write through the API: it replaces the
// items only if it carries the current fingerprint.
type conditionalWrite struct {
	fingerprint string
	items       []Item
	requestID   string // the call's requestId, "" for none
	// deferCheck leaves the fingerprint to the operation: a stale one
	// fails the operation rather than the call.
	deferCheck bool
	// admitted tells that the caller found the instance, zone included,
	// before a hook ran: the write was past the front end by then, so an
	// outage the hook starts does not turn it away.
	admitted bool
	shape    opShape
	// audit is the call's audit record, which the write completes with
	// what it changes; nil logs nothing.
	audit *auditCall
}

// setMetadataIf starts the operation of a metadata write, in this order:
//
//	step                     outcome
//	zone or instance wrong   errUnknownZone, errZoneUnreachable, errNoInstance
//	requestId seen before    the operation of the first call
//	stale fingerprint        errStaleFingerprint (unless deferCheck)
//	otherwise                an operation, which checks the fingerprint
//	                         again and sets the items when it completes
func (b *backend) setMetadataIf(ref metadataRef, w conditionalWrite) (opView, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	md, spec, err := b.writeTargetLocked(ref, w.admitted)
	if err != nil {
		return opView{}, err
	}
	reqKey := ""
	if w.requestID != "" {
		reqKey = spec.target + "|" + w.requestID
	}
	if op := b.ops.requestIDs[reqKey]; op != nil {
		return op.opView, nil
	}
	if !w.deferCheck && !sameFingerprint(w.fingerprint, md.fp) {
		return opView{}, fmt.Errorf("%s: %w", spec.target, errStaleFingerprint)
	}
	items, want := w.items, w.fingerprint
	if w.audit != nil {
		spec.audit = w.audit.about(spec, md.items, items)
	}
	spec.apply = func() *opFailure {
		if !sameFingerprint(want, md.fp) {
			return failConditionNotMet()
		}
		md.set(items)
		return nil
	}
	return b.startOperationLocked(w.shape, spec, reqKey).opView, nil
}

// writeTargetLocked finds the metadata a write replaces and describes the
// operation it starts; admitted skips the zone's checks.
func (b *backend) writeTargetLocked(ref metadataRef, admitted bool) (*metadataState, operationSpec, error) {
	p := b.projects[ref.project]
	if p == nil {
		return nil, operationSpec{}, fmt.Errorf("project %s: %w", ref.project, errNoProject)
	}
	if ref.zone == "" {
		return &p.md, operationSpec{project: p.ID, opType: "setCommonInstanceMetadata", target: "projects/" + p.ID, targetID: p.Number}, nil
	}
	find := b.instanceLocked
	if admitted {
		find = b.instanceOfLocked
	}
	in, err := find(p, ref.zone, ref.name)
	if err != nil {
		return nil, operationSpec{}, err
	}
	spec := operationSpec{
		project: p.ID, zone: in.Zone, opType: "setMetadata",
		target: instanceName(p.ID, in.Zone, in.Name), targetID: in.ID,
	}
	return &in.md, spec, nil
}
