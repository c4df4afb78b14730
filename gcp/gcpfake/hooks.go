package gcpfake

import (
	"sync"
	"sync/atomic"
)

// readHooks are the concurrent writers a test arms between a read and a
// write, by resource name (projects/P, or projects/P/zones/Z/instances/I).
// They sit between the handlers and the backend, not in it: a hook is a
// client acting between two calls of another, so it runs with no lock of
// the backend held and may call any method of the Fake.
type readHooks struct {
	mu     sync.RWMutex
	byName map[string]*readHook
	// n is len(byName), so that reads, the hot path, skip the lock while
	// no hook is set, which is nearly always.
	n atomic.Int64
}

type readHook struct {
	fn    func()
	armed atomic.Bool // set by a read, under the read lock of readHooks
}

func newReadHooks() *readHooks { return &readHooks{byName: map[string]*readHook{}} }

// OnMetadataReadBeforeWrite arms a concurrent writer: after the next read
// of the project's metadata (compute.projects.get), the next write to it
// (compute.projects.setCommonInstanceMetadata) first runs hook, once,
// before the fake checks the write's fingerprint. A hook that calls
// SetProjectMetadata thus makes that write meet a changed fingerprint.
func (f *Fake) OnMetadataReadBeforeWrite(projectID string, hook func(f *Fake)) {
	f.api.hooks.set("projects/"+projectID, func() { hook(f) })
}

// OnInstanceMetadataReadBeforeWrite arms a concurrent writer on an
// instance, as OnMetadataReadBeforeWrite does on a project: after the
// next read of the instance through the API (instances.get, or a list or
// aggregatedList page that holds it), the next instances.setMetadata on
// it first runs hook, once, before the fake checks the write's
// fingerprint. A hook that calls SetInstanceMetadata thus makes that write
// meet a changed fingerprint.
func (f *Fake) OnInstanceMetadataReadBeforeWrite(projectID, zone, name string, hook func(f *Fake)) {
	f.api.hooks.set(instanceName(projectID, zone, name), func() { hook(f) })
}

// set registers fn for the resource, replacing any hook it had.
func (h *readHooks) set(name string, fn func()) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.byName[name] = &readHook{fn: fn}
	h.n.Store(int64(len(h.byName)))
}

// read records a read of the resource through the API: its hook, if any,
// now waits for the next write.
func (h *readHooks) read(name string) {
	if h.n.Load() == 0 {
		return
	}
	h.mu.RLock()
	defer h.mu.RUnlock()
	if hk := h.byName[name]; hk != nil {
		hk.armed.Store(true)
	}
}

// any tells whether some hook is set, so that a write looks for its
// hook, which costs a lookup in the backend, only then.
func (h *readHooks) any() bool { return h.n.Load() > 0 }

// take removes and returns the hook of the resource if a read armed it,
// nil otherwise.
func (h *readHooks) take(name string) func() {
	if h.n.Load() == 0 {
		return nil
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	hk := h.byName[name]
	if hk == nil || !hk.armed.Load() {
		return nil
	}
	delete(h.byName, name)
	h.n.Store(int64(len(h.byName)))
	return hk.fn
}
