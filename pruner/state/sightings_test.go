package state

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func TestSightings(t *testing.T) {
	p1, gone := "projects/p", "projects/p/zones/z/instances/deleted"
	vm := "projects/p/zones/z/instances/vm"
	kept := "projects/p/zones/z/instances/not-read"
	old := stateNow.Add(-5 * 24 * time.Hour)
	s := NewSightings(Shard{Project: "p", Targets: map[string]Target{
		p1:   {Read: old, Keys: map[string]Seen{fpA: {First: old, Last: old}, fpB: {First: old, Last: old}}},
		kept: {Read: old, Keys: map[string]Seen{fpA: {First: old, Last: old}}},
		gone: {Read: stateNow.Add(-Retention), Keys: map[string]Seen{fpA: {First: old.Add(-60 * 24 * time.Hour), Last: stateNow.Add(-Retention)}}},
	}})
	require.Equal(t, map[string]time.Time{fpA: old, fpB: old}, s.FirstSeen(p1))
	require.Empty(t, s.FirstSeen(vm))

	// p is read: A stays, B is gone, C is new; a line that is no key
	// (no fingerprint) is not remembered.
	s.Record(p1, []string{fpA, fpC, ""}, stateNow)
	// Read again after a conflict, later: C keeps its first sighting.
	later := stateNow.Add(time.Minute)
	s.Record(p1, []string{fpA, fpC}, later)
	require.Equal(t, map[string]time.Time{fpA: old, fpC: stateNow}, s.FirstSeen(p1), "once read, the target's keys are those of the read")
	s.Record(vm, nil, stateNow) // read, no keys

	// Read with A and B, then, after a write that removed B, left with A:
	// B is not remembered, so that added again it starts a clock of its own.
	vm2 := "projects/p/zones/z/instances/vm2"
	s.Record(vm2, []string{fpA, fpB}, stateNow)
	s.Record(vm2, []string{fpA}, stateNow)

	got, changed := s.Shard("p", later)
	require.True(t, changed)
	require.Equal(t, map[string]Target{
		p1:   {Read: later, Keys: map[string]Seen{fpA: {First: old, Last: later}, fpC: {First: stateNow, Last: later}}},
		kept: {Read: old, Keys: map[string]Seen{fpA: {First: old, Last: old}}}, // not read in this run: as it was
		vm:   {Read: stateNow, Keys: map[string]Seen{}},                        // read without keys: when, for who added one later
		vm2:  {Read: stateNow, Keys: map[string]Seen{fpA: {First: stateNow, Last: stateNow}}},
	}, got.Targets, "B forgotten with its key, the deleted VM is past retention")
}

// TestSightingsWriteOnlyWhatChanged: a run that finds the same keys, read
// less than a day before, leaves the project's object alone; a key that
// comes or goes, a target that comes, or a day passing, writes it.
func TestSightingsWriteOnlyWhatChanged(t *testing.T) {
	base := Shard{Project: "p", Targets: map[string]Target{"projects/p": {Read: stateNow, Keys: map[string]Seen{fpA: {First: stateNow, Last: stateNow}}}}}
	for _, tc := range []struct {
		name    string
		at      time.Duration
		target  string
		keys    []string
		changed bool
	}{
		{"same keys an hour later", time.Hour, "projects/p", []string{fpA}, false},
		{"a key came", time.Hour, "projects/p", []string{fpA, fpB}, true},
		{"a key went", time.Hour, "projects/p", nil, true},
		{"a VM came", time.Hour, "projects/p/zones/z/instances/new", nil, true},
		{"same keys a day later", refreshEvery, "projects/p", []string{fpA}, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := NewSightings(base)
			if tc.target != "projects/p" {
				s.Record("projects/p", []string{fpA}, stateNow.Add(tc.at))
			}
			s.Record(tc.target, tc.keys, stateNow.Add(tc.at))
			got, changed := s.Shard("p", stateNow.Add(tc.at))
			require.Equal(t, tc.changed, changed)
			if !changed {
				require.Equal(t, base.Targets, got.Targets, "nothing to write: the shard as it was")
			}
		})
	}
}

// TestSightingsClockAhead: first sightings ahead of the clock (taken as
// now when the shard was read, or written by this run's own clock) hold no
// key past its grace.
func TestSightingsClockAhead(t *testing.T) {
	p := "projects/p"
	ahead := stateNow.Add(30 * time.Minute)
	s := NewSightings(Shard{Project: "p", Targets: map[string]Target{p: {Read: ahead, Keys: map[string]Seen{fpA: {First: ahead, Last: ahead}}}}})
	s.Record(p, []string{fpA}, stateNow)
	got, _ := s.Shard("p", stateNow)
	require.Equal(t, Seen{First: stateNow, Last: ahead}, got.Targets[p].Keys[fpA], "first seen no later than seen now")
}
