package state

import (
	"sync"
	"time"
)

// StateRetention is how long the state remembers a target that no run
// reads any more (a project deleted, or out of every scope since).
const StateRetention = 30 * 24 * time.Hour

// Sightings is the memory of a run: the State it started from and what it
// sees. A target read in the run is remembered as seen then: its keys
// keep their first-seen time, new keys start their clock now, and keys no
// longer on it are forgotten, so that a key removed and later added again
// has a grace of its own, like any new key. A target the run did not read
// keeps what the state had. Safe for concurrent use.
type Sightings struct {
	mu     sync.Mutex
	before map[string]map[string]Seen
	seen   map[string]map[string]Seen // targets read in this run
}

// NewSightings starts a run's memory from the state it read.
func NewSightings(s State) *Sightings {
	return &Sightings{before: s.Targets, seen: map[string]map[string]Seen{}}
}

// FirstSeen tells when each key known on a target (named as
// Target.String names it) was first seen, as planning
// takes it; a key it does not list is first seen now. Once the run has
// read t, only the keys of that read are known: a key gone and back
// between two reads of one run starts a new clock.
func (s *Sightings) FirstSeen(target string) map[string]time.Time {
	s.mu.Lock()
	defer s.mu.Unlock()
	keys := s.known(target)
	out := make(map[string]time.Time, len(keys))
	for fp, seen := range keys {
		out[fp] = seen.First
	}
	return out
}

// Record notes the keys (by fingerprint) as on the target at now: what the target
// holds, as the run read it or, after a write, as the run left it. It
// replaces what an earlier read of the run noted: a key gone between two
// reads is forgotten, and a key the run removed is not remembered, so
// that added again later it has a grace of its own.
func (s *Sightings) Record(name string, fingerprints []string, now time.Time) {
	now = now.UTC()
	s.mu.Lock()
	defer s.mu.Unlock()
	known := s.known(name)
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
	s.seen[name] = keys
	// The state's keys of the target are in seen now, but for those gone
	// from it: a state of 500,000 keys is not held twice.
	delete(s.before, name)
}

// known is what the run knows of a target's keys: as its last read of the
// target noted them, else as the state had them. s.mu is held.
func (s *Sightings) known(name string) map[string]Seen {
	if keys, read := s.seen[name]; read {
		return keys
	}
	return s.before[name]
}

// State is what to save at the end of the run, at now: the targets read
// in the run as they were seen, and the others as the state had them,
// unless no run has seen them for StateRetention.
func (s *Sightings) State(now time.Time) State {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := State{Targets: make(map[string]map[string]Seen, len(s.before)+len(s.seen))}
	for name, keys := range s.before {
		if recent(keys, now) {
			out.Targets[name] = keys
		}
	}
	for name, keys := range s.seen {
		if len(keys) > 0 {
			out.Targets[name] = keys
		}
	}
	return out
}

func recent(keys map[string]Seen, now time.Time) bool {
	for _, seen := range keys {
		if now.Sub(seen.Last) < StateRetention {
			return true
		}
	}
	return false
}
