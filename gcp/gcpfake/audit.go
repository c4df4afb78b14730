package gcpfake

import (
	"encoding/json"
	"hash/fnv"
	"strconv"
	"sync"
	"time"
)

// The audit log: the Admin Activity entries that Compute Engine writes
// for the metadata writes the fake accepts (audit_entry.go shapes them,
// audit_write.go records them), and the seed's principals and log sinks
// that decide who an entry names and who may read it where
// (logging.go serves them).

// keptAuditEntries bounds the audit log, oldest entries first out (up
// to a quarter more are held between trims), so that a long run with
// many writes does not grow without bound; Google keeps Admin Activity
// entries 400 days.
const keptAuditEntries = 100000

// auditState is the audit half of the backend. Its log has a lock of its
// own, taken after the backend's when a write appends and alone when a
// reader lists, so that reading logs never waits on the resources. The
// principals and sinks come from the seed and never change.
type auditState struct {
	principals       map[string]Principal
	defaultPrincipal string
	sinks            []auditSink

	mu      sync.RWMutex
	entries []*storedEntry // in the order written
	seq     uint64         // of insertIds
}

// auditSink is a seed's LogSink with its filter parsed.
type auditSink struct {
	LogSink
	filter filterNode
}

// storedEntry is an entry as written: its JSON, served unmodified, and
// the same JSON decoded, which filters are matched against.
type storedEntry struct {
	project  string // the project whose log holds it
	at       time.Time
	insertID string
	raw      json.RawMessage
	doc      map[string]any
}

func newAuditState(seed *Seed) *auditState {
	a := &auditState{principals: seed.Principals, defaultPrincipal: seed.DefaultPrincipal}
	if a.defaultPrincipal == "" {
		a.defaultPrincipal = DefaultPrincipalEmail
	}
	for _, s := range seed.LogSinks {
		f, err := parseFilter(s.Filter)
		if err != nil {
			f = matchAll{} // validate refused it already
		}
		a.sinks = append(a.sinks, auditSink{LogSink: s, filter: f})
	}
	// insertIds count up from a base of 12 base-36 digits drawn from the
	// organization, so that they sort in the order written (entries with
	// equal timestamps are listed by insertId) and still look like
	// Google's ("a9re9fd7yhq"), with room for 2^40 entries.
	const low, span = 36 * 36 * 36 * 36 * 36 * 36 * 36 * 36 * 36 * 36 * 36, 34 * 36 * 36 * 36 * 36 * 36 * 36 * 36 * 36 * 36 * 36 * 36
	h := fnv.New64a()
	_, _ = h.Write([]byte(seed.Organization.ID))
	a.seq = low + h.Sum64()%span
	return a
}

// principal is who calls with a bearer token ("" for none): the account
// the call acts as and, for an impersonated token, the one behind it.
func (a *auditState) principal(token string) (acting, delegate string) {
	p, ok := a.principals[token]
	if token == "" || !ok {
		return a.defaultPrincipal, ""
	}
	if p.Impersonates != "" {
		return p.Impersonates, p.Email
	}
	return p.Email, ""
}

// append writes an entry to a project's log, giving it its insertId.
func (a *auditState) append(project string, at time.Time, e *logEntry) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.seq++
	e.InsertID = strconv.FormatUint(a.seq, 36)
	raw, err := json.Marshal(e)
	if err != nil {
		panic("gcpfake: audit entry: " + err.Error()) // only strings, maps and slices
	}
	var doc map[string]any
	_ = json.Unmarshal(raw, &doc)
	// Trimmed a quarter at a time, so that a log at its bound does not
	// copy itself on every write.
	if len(a.entries) >= keptAuditEntries+keptAuditEntries/4 {
		a.entries = append([]*storedEntry(nil), a.entries[len(a.entries)-keptAuditEntries:]...)
	}
	a.entries = append(a.entries, &storedEntry{project: project, at: at, insertID: e.InsertID, raw: raw, doc: doc})
}

// selectEntries returns the entries that keep says are in scope, in the
// order written.
func (a *auditState) selectEntries(keep func(*storedEntry) bool) []*storedEntry {
	a.mu.RLock()
	defer a.mu.RUnlock()
	var out []*storedEntry
	for _, e := range a.entries {
		if keep(e) {
			out = append(out, e)
		}
	}
	return out
}

// recordAudit appends an entry to a project's audit log.
func (b *backend) recordAudit(project string, at time.Time, e *logEntry) {
	b.audit.append(project, at, e)
}

// descendantProjects returns the ids of the projects under parent (an
// organization or a folder), at any depth.
func (b *backend) descendantProjects(parent string) map[string]bool {
	b.mu.RLock()
	defer b.mu.RUnlock()
	out := map[string]bool{}
	var walk func(string)
	walk = func(name string) {
		for _, p := range b.projectsUnder[name] {
			out[p.ID] = true
		}
		for _, fo := range b.foldersUnder[name] {
			walk(fo.name)
		}
	}
	walk(parent)
	return out
}

// AuditEntries returns the JSON of the audit log entries written to a
// project's log, in the order written, as entries.list serves them.
func (f *Fake) AuditEntries(projectID string) []json.RawMessage {
	var out []json.RawMessage
	for _, e := range f.store.audit.selectEntries(func(e *storedEntry) bool { return e.project == projectID }) {
		out = append(out, e.raw)
	}
	return out
}
