package state

import (
	"maps"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/ssh-pruner/ssh-pruner/pruner/attribution"
)

// Retention is how long the state remembers a target that no run reads
// any more (a VM deleted, or out of every scope since).
const Retention = 30 * 24 * time.Hour

// refreshEvery is how old a target's read time may grow before a run
// that finds the same keys writes its project's object again: often
// enough for Retention and for the window of who added a key, rarely
// enough that an hourly run writes only the projects whose keys changed.
const refreshEvery = 24 * time.Hour

// Sightings is the memory of one project in a run: what the state had of
// its targets and what the run sees. A target read in the run is
// remembered as read then: its keys keep their first-seen time, new keys
// start their clock now, and keys no longer on it are forgotten, so that
// a key removed and later added again has a grace of its own, like any
// new key. A target the run did not read keeps what the state had. Safe
// for concurrent use: a project's VMs are handled on several workers.
type Sightings struct {
	mu     sync.Mutex
	before map[string]Target
	seen   map[string]Target // targets read in this run
	// wall, when set, is the clock of the keys' windows: a run that
	// attributes keys notes, for each key new to a target, when the
	// target was read before and now (TrackWindows).
	wall func() time.Time
}

// TrackWindows makes Record note the window of each key new to a target
// by the wall clock, which the audit logs' times are on: the run's clock
// (now) may be fixed, the logs' is not.
func (s *Sightings) TrackWindows(wall func() time.Time) {
	s.mu.Lock()
	s.wall = wall
	s.mu.Unlock()
}

// NewSightings starts a project's memory from what the state had.
func NewSightings(s Shard) *Sightings {
	before := s.Targets
	if before == nil {
		before = map[string]Target{}
	}
	return &Sightings{before: before, seen: map[string]Target{}}
}

// FirstSeen tells when each key known on a target (named as
// plan.Target.String names it) was first seen, as planning takes it; a
// key it does not list is first seen now. Once the run has read the
// target, only the keys of that read are known: a key gone and back
// between two reads of one run starts a new clock.
func (s *Sightings) FirstSeen(target string) map[string]time.Time {
	s.mu.Lock()
	defer s.mu.Unlock()
	keys := s.known(target).Keys
	out := make(map[string]time.Time, len(keys))
	for fp, seen := range keys {
		out[fp] = seen.First
	}
	return out
}

// Record notes the keys (by fingerprint) as on the target at now: what
// the target holds, as the run read it or, after a write, as the run left
// it. It replaces what an earlier read of the run noted: a key gone
// between two reads is forgotten, and a key the run removed is not
// remembered, so that added again later it has a grace of its own.
func (s *Sightings) Record(name string, fingerprints []string, now time.Time) {
	s.RecordRead(name, fingerprints, now, time.Time{})
}

// RecordRead is Record for a read that started at readAt by the wall
// clock (zero if unknown): the window of the keys that come after this
// read opens there.
func (s *Sightings) RecordRead(name string, fingerprints []string, now, readAt time.Time) {
	now = now.UTC()
	s.mu.Lock()
	defer s.mu.Unlock()
	prior := s.known(name)
	known := prior.Keys
	var until time.Time
	if s.wall != nil {
		// Taken after the read, so the window holds it: a wider window
		// can only add candidates, never lose the writer.
		until = s.wall().UTC()
	}
	keys := make(map[string]Seen, len(fingerprints))
	for _, fp := range fingerprints {
		if fp == "" {
			continue // a line that is no key: nothing to remember
		}
		seen, ok := keys[fp]
		if !ok {
			seen, ok = known[fp]
		}
		if !ok {
			seen.First = now
			if s.wall != nil {
				// The window opens when the target's last read started,
				// or, for a state of a run that kept no such time, at
				// that run's start: no later than the read itself.
				// Opened early, it may add candidates; opened late, it
				// could lose the writer.
				seen.After, seen.Until = prior.ReadAt, until
				if seen.After.IsZero() {
					seen.After = prior.Read
				}
			}
		}
		// Seen now, so first seen no later than now, whatever another
		// machine's clock wrote; and the state stays one that decodes.
		if seen.First.After(now) {
			seen.First = now
		}
		if seen.Last.Before(now) {
			seen.Last = now
		}
		keys[fp] = seen
	}
	var at time.Time
	if s.wall != nil && !readAt.IsZero() {
		at = readAt.UTC()
	}
	s.seen[name] = Target{Read: now, ReadAt: at, Keys: keys, Own: prior.Own}
}

// NoteOwnWrite records a write the pruner made of a target read in this
// run: the operation the audit log will name it by, done at (the wall
// clock). Only runs that attribute keys (TrackWindows) keep them: for
// others they would be bytes to write and nothing to read.
func (s *Sightings) NoteOwnWrite(target, operation string, at time.Time) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if operation == "" || s.wall == nil {
		return
	}
	t, ok := s.seen[target]
	if !ok {
		return
	}
	t.Own = append(slices.Clone(t.Own), OwnWrite{Operation: operation, At: at.UTC()})
	if len(t.Own) > maxOwnWrites {
		t.Own = t.Own[len(t.Own)-maxOwnWrites:]
	}
	s.seen[target] = t
}

// IsOwn tells the operations of the pruner's own writes of a target.
func (s *Sightings) IsOwn(target string) func(operation string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	own := map[string]bool{}
	for _, o := range s.known(target).Own {
		own[o.Operation] = true
	}
	return func(op string) bool { return own[op] }
}

// openOwn keeps the own writes that a window may still hold: those after
// the earliest start of a window still open on the target, or of the
// next one (its read).
func openOwn(t Target) []OwnWrite {
	if len(t.Own) == 0 {
		return nil
	}
	oldest := t.Read
	if !t.ReadAt.IsZero() && t.ReadAt.Before(oldest) {
		oldest = t.ReadAt
	}
	for _, seen := range t.Keys {
		if seen.Attr == nil && !seen.Until.IsZero() && seen.After.Before(oldest) {
			oldest = seen.After
		}
	}
	var out []OwnWrite
	for _, o := range t.Own {
		// An hour of slack: Read is a run's clock, At the wall's.
		if o.At.After(oldest.Add(-time.Hour)) {
			out = append(out, o)
		}
	}
	return out
}

// Unsettled is a key of a target whose attribution is not settled, with
// its window.
type Unsettled struct {
	Fingerprint  string
	After, Until time.Time
}

// Unsettled lists the keys of a target, as the run last read it, that
// have a window and no settled attribution, by fingerprint.
func (s *Sightings) Unsettled(target string) []Unsettled {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []Unsettled
	for fp, seen := range s.seen[target].Keys {
		if seen.Attr == nil && !seen.Until.IsZero() {
			out = append(out, Unsettled{Fingerprint: fp, After: seen.After, Until: seen.Until})
		}
	}
	slices.SortFunc(out, func(a, b Unsettled) int { return strings.Compare(a.Fingerprint, b.Fingerprint) })
	return out
}

// Settle records who added a key of a target read in this run. A pending
// result is not kept: the key keeps its window for a later run.
func (s *Sightings) Settle(target, fingerprint string, r attribution.Result) {
	if !r.Settled() {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	t, ok := s.seen[target]
	seen, has := t.Keys[fingerprint]
	if !ok || !has {
		return
	}
	seen.Attr, seen.After, seen.Until = &r, time.Time{}, time.Time{}
	t.Keys[fingerprint] = seen
}

// Attribution is who added a key of a target, as far as the run knows;
// nil when no run settled it.
func (s *Sightings) Attribution(target, fingerprint string) *attribution.Result {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.known(target).Keys[fingerprint].Attr
}

// known is what the run knows of a target: as its last read of the
// target noted it, else as the state had it. s.mu is held.
func (s *Sightings) known(name string) Target {
	if t, read := s.seen[name]; read {
		return t
	}
	return s.before[name]
}

// Shard is what to save of the project at now: the targets read in the
// run as they were seen, and the others as the state had them, unless no
// run has read them for Retention. changed tells whether it differs from
// what the state had enough to be written: a key came or went, a target
// came or went, or a read time is older than refreshEvery.
func (s *Sightings) Shard(project string, now time.Time) (out Shard, changed bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	out = Shard{Project: project, Targets: make(map[string]Target, len(s.before)+len(s.seen))}
	for name, t := range s.before {
		_, read := s.seen[name]
		switch {
		case read:
		case now.Sub(lastRead(t)) < Retention:
			out.Targets[name] = t
		default:
			changed = true // forgotten
		}
	}
	for name, t := range s.seen {
		t.Own = openOwn(t)
		out.Targets[name] = t
		old, had := s.before[name]
		if !had || !sameKeys(old.Keys, t.Keys) || len(old.Own) != len(t.Own) || now.Sub(lastRead(old)) >= refreshEvery {
			changed = true
		}
	}
	if !changed {
		// Nothing worth a write: what is saved is what was read.
		out.Targets = maps.Clone(s.before)
	}
	return out, changed
}

// lastRead is when a target was last read: its read time, or for a state
// that predates it, its keys' last sighting.
func lastRead(t Target) time.Time {
	last := t.Read
	for _, seen := range t.Keys {
		if seen.Last.After(last) {
			last = seen.Last
		}
	}
	return last
}

func sameKeys(a, b map[string]Seen) bool {
	if len(a) != len(b) {
		return false
	}
	for fp, sa := range a {
		sb, ok := b[fp]
		if !ok || !sa.First.Equal(sb.First) || (sa.Attr == nil) != (sb.Attr == nil) || !sa.Until.Equal(sb.Until) {
			return false
		}
	}
	return true
}
