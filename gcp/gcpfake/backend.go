package gcpfake

import (
	"errors"
	"sync"
	"sync/atomic"
	"time"
)

// backend is the state of the fake: the organization, its folders and
// projects, their services, metadata and instances, the zones, and the
// operations that writes start. It knows nothing of HTTP: its methods
// speak of resources (get a project, list a page of instances, set
// metadata if the fingerprint matches), each atomic under the backend's
// own lock, and return copies or errors of the domain, which the handlers
// turn into Google's JSON and error shapes.
//
// Most of a record never changes once it is added: labels, services and
// states come from the seed, and metadata items are replaced, never edited
// in place. Copies handed out therefore share those maps and slices, which
// keeps a read as cheap as it was when the handlers held the lock
// themselves.
type backend struct {
	mu            sync.RWMutex
	org           Organization              // set by newBackend, then read-only
	folders       map[string]*folderState   // by name, folders/N
	foldersUnder  map[string][]*folderState // by parent
	projects      map[string]*projectState  // by id
	byNumber      map[string]*projectState
	projectsUnder map[string][]*projectState // by parent
	allProjects   []*projectState
	forbidden     map[string]bool // folders/N and projects/ID the caller may not read
	zones         map[string]bool // of the instances
	unreachable   map[string]bool // zones in an outage
	ops           operations
	audit         *auditState             // its own lock; see audit.go
	osLogin       map[string]*osLoginUser // by email; made on the first key (store_oslogin.go)

	clock atomic.Pointer[func() time.Time]
}

// Errors of the backend. They name what is missing or wrong in the
// resources; which HTTP answer each becomes depends on the API that asked,
// so the handlers, not the backend, choose it.
var (
	errNoProject        = errors.New("no such project")
	errNoInstance       = errors.New("no such instance")
	errNoOperation      = errors.New("no such operation")
	errUnknownZone      = errors.New("unknown zone")
	errZoneUnreachable  = errors.New("zone unreachable")
	errStaleFingerprint = errors.New("stale metadata fingerprint")
)

// window picks the page of a list of n items that a call asks for. The
// backend applies it under its lock, so that a page is cut from the list
// as it is, not as it was when the caller last counted it.
type window func(n int) (start, end int)

// newBackend holds the resources of a seed that has passed validation.
// The seed's clock, if set, fixes the backend's clock; otherwise it
// follows time.Now.
func newBackend(seed *Seed) *backend {
	b := &backend{
		org:           seed.Organization,
		folders:       map[string]*folderState{},
		foldersUnder:  map[string][]*folderState{},
		projects:      map[string]*projectState{},
		byNumber:      map[string]*projectState{},
		projectsUnder: map[string][]*projectState{},
		forbidden:     map[string]bool{},
		zones:         map[string]bool{},
		unreachable:   map[string]bool{},
		ops:           newOperations(),
		audit:         newAuditState(seed),
	}
	if !seed.Clock.IsZero() {
		at := seed.Clock
		b.setClock(func() time.Time { return at })
	} else {
		b.setClock(time.Now)
	}
	for _, fo := range seed.Folders {
		b.addFolderLocked(fo)
	}
	for _, p := range seed.Projects {
		b.addProjectLocked(p)
	}
	for _, name := range seed.Forbidden {
		b.forbidden[name] = true
	}
	return b
}

// setClock replaces the clock that stamps operations and resources.
func (b *backend) setClock(now func() time.Time) { b.clock.Store(&now) }

func (b *backend) now() time.Time { return (*b.clock.Load())() }
