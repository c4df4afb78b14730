package state

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

const (
	fpA = "SHA256:xJg7Cd8xUiZLoj+2GCdenEMV4HakoEK/7zSmwVQ8AMY"
	fpB = "SHA256:z/d2VCVBc59LhUtd0kL0m4e2Qt8z0ydWEVwrU8uUX1Q"
	fpC = "SHA256:lIefX2zVqgQ8xW5C8YIPL6Osze1C2jKuFOcVPPacY4I"
)

var stateNow = time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)

func TestStateRoundTrip(t *testing.T) {
	s := State{Targets: map[string]map[string]Seen{
		"projects/p1": {fpA: {First: stateNow.Add(-48 * time.Hour), Last: stateNow}},
		"projects/p1/zones/europe-west1-b/instances/vm-1": {
			fpA: {First: stateNow.Add(-time.Hour), Last: stateNow},
			fpB: {First: stateNow.Add(-90 * time.Second), Last: stateNow.Add(-time.Second)},
		},
	}}
	data, err := EncodeState(s, stateNow)
	require.NoError(t, err)
	again, err := EncodeState(s, stateNow)
	require.NoError(t, err)
	require.Equal(t, string(data), string(again), "the same state gives the same bytes")
	require.NotContains(t, string(data), "AAAA", "no key material")

	got, err := DecodeState(data, stateNow)
	require.NoError(t, err)
	require.Equal(t, s, got)
	require.Equal(t, 3, got.Keys())

	empty, err := EncodeState(State{}, stateNow)
	require.NoError(t, err)
	got, err = DecodeState(empty, stateNow)
	require.NoError(t, err)
	require.Zero(t, got.Keys())
}

// TestDecodeStateRefusesWhatIsNotWhole: a state is used whole or not at
// all; the error says where it is wrong, with the input's strings escaped.
func TestDecodeStateRefusesWhatIsNotWhole(t *testing.T) {
	head := `{"kind":"ssh-pruner-state","version":1,"written":"2026-11-23T12:00:00Z","targets":`
	seen := `{"firstSeen":"2026-11-22T12:00:00Z","lastSeen":"2026-11-23T12:00:00Z"}`
	for _, tc := range []struct {
		name, data, err string
	}{
		{"empty", ``, "not a state"},
		{"not json", `hello`, "not a state: line 1"},
		{"truncated", head + `{"projects/p":{"` + fpA + `":` + seen[:20], "not a state"},
		{"second document", head + `{}}{}`, "data after its end"},
		{"array", `[]`, "not a state"},
		{"other kind", `{"kind":"ssh-pruner-plan","version":1,"targets":{}}`, `kind "ssh-pruner-plan"`},
		{"other version", `{"kind":"ssh-pruner-state","version":2,"targets":{}}`, "version 2"},
		{"unknown field", `{"kind":"ssh-pruner-state","version":1,"targets":{},"extra":1}`, `unknown field "extra"`},
		{"no targets", `{"kind":"ssh-pruner-state","version":1}`, "no targets"},
		{"bad target", head + `{"project/p":{}}}`, `target "project/p"`},
		{"bad instance target", head + `{"projects/p/zones//instances/i":{}}}`, `target "projects/p/zones//instances/i"`},
		{"null keys", head + `{"projects/p":null}}`, "no keys"},
		{"bad fingerprint", head + `{"projects/p":{"MD5:aa":` + seen + `}}}`, "not a SHA256 fingerprint"},
		{"hostile fingerprint", head + `{"projects/p":{"\u001b[31mred":` + seen + `}}}`, `\x1b[31mred`},
		{"no firstSeen", head + `{"projects/p":{"` + fpA + `":{"lastSeen":"2026-11-23T12:00:00Z"}}}}`, "firstSeen and lastSeen"},
		{"last before first", head + `{"projects/p":{"` + fpA + `":{"firstSeen":"2026-11-23T12:00:00Z","lastSeen":"2026-11-22T12:00:00Z"}}}}`, "before firstSeen"},
		{"in the future", head + `{"projects/p":{"` + fpA + `":{"firstSeen":"2026-11-23T12:00:00Z","lastSeen":"2027-01-01T00:00:00Z"}}}}`, "in the future"},
		{"bad time", head + `{"projects/p":{"` + fpA + `":{"firstSeen":"yesterday","lastSeen":"2026-11-23T12:00:00Z"}}}}`, "not a state"},
		{"wrong type", head + `{"projects/p":{"` + fpA + `":{"firstSeen":1,"lastSeen":2}}}}`, "not a state"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := DecodeState([]byte(tc.data), stateNow)
			require.Error(t, err)
			require.Contains(t, err.Error(), tc.err)
			require.NotContains(t, err.Error(), "\x1b", "escaped")
			require.NotContains(t, err.Error(), "\n", "one line")
		})
	}
}

// FuzzDecodeState: whatever the bytes, DecodeState returns a state or an
// error, never panics; a state it takes encodes to one it takes again.
func FuzzDecodeState(f *testing.F) {
	good, err := EncodeState(State{Targets: map[string]map[string]Seen{"projects/p": {fpA: {First: stateNow, Last: stateNow}}}}, stateNow)
	require.NoError(f, err)
	f.Add(good)
	f.Add([]byte(`{"kind":"ssh-pruner-state","version":1,"targets":{}}`))
	f.Add([]byte(`{"kind":"ssh-pruner-state","version":1,"targets":{"projects/p/zones/z/instances/i":{}}}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		s, err := DecodeState(data, stateNow)
		if err != nil {
			require.NotContains(t, err.Error(), "\n")
			return
		}
		out, err := EncodeState(s, stateNow)
		require.NoError(t, err)
		again, err := DecodeState(out, stateNow)
		require.NoError(t, err)
		require.Equal(t, s.Keys(), again.Keys())
	})
}

func TestSightings(t *testing.T) {
	p1, p2, gone := "projects/p1", "projects/p2", "projects/deleted"
	vm := "projects/p1/zones/z/instances/vm"
	old := stateNow.Add(-5 * 24 * time.Hour)
	s := NewSightings(State{Targets: map[string]map[string]Seen{
		p1:   {fpA: {First: old, Last: old}, fpB: {First: old, Last: old}},
		p2:   {fpA: {First: old, Last: old}},
		gone: {fpA: {First: old.Add(-60 * 24 * time.Hour), Last: stateNow.Add(-StateRetention)}},
	}})
	require.Equal(t, map[string]time.Time{fpA: old, fpB: old}, s.FirstSeen(p1))
	require.Empty(t, s.FirstSeen(vm))

	// p1 is read: A stays, B is gone, C is new; a line that is no key
	// (no fingerprint) is not remembered.
	s.Record(p1, []string{fpA, fpC, ""}, stateNow)
	// Read again after a conflict, later: C keeps its first sighting.
	later := stateNow.Add(time.Minute)
	s.Record(p1, []string{fpA, fpC}, later)
	require.Equal(t, map[string]time.Time{fpA: old, fpC: stateNow}, s.FirstSeen(p1), "once read, the target's keys are those of the read")
	s.Record(vm, nil, stateNow) // read, no keys

	// Read with A and B, then, after a write that removed B, left with A:
	// B is not remembered, so that added again it starts a clock of its own.
	vm2 := "projects/p1/zones/z/instances/vm2"
	s.Record(vm2, []string{fpA, fpB}, stateNow)
	s.Record(vm2, []string{fpA}, stateNow)

	got := s.State(later)
	require.Equal(t, map[string]map[string]Seen{
		p1:  {fpA: {First: old, Last: later}, fpC: {First: stateNow, Last: later}},
		p2:  {fpA: {First: old, Last: old}}, // not read in this run: as it was
		vm2: {fpA: {First: stateNow, Last: stateNow}},
	}, got.Targets, "B forgotten with its key, vm has none, the deleted project is past retention")
}

// TestSightingsClockAhead: a state written by a clock ahead of this run's
// (within the hour DecodeState allows) holds no key past its grace, and
// the state saved still decodes.
func TestSightingsClockAhead(t *testing.T) {
	p := "projects/p"
	ahead := stateNow.Add(30 * time.Minute)
	s := NewSightings(State{Targets: map[string]map[string]Seen{p: {fpA: {First: ahead, Last: ahead}}}})
	first := s.FirstSeen(p)[fpA]
	require.Equal(t, ahead, first)

	s.Record(p, []string{fpA}, stateNow)
	data, err := EncodeState(s.State(stateNow), stateNow)
	require.NoError(t, err)
	got, err := DecodeState(data, stateNow)
	require.NoError(t, err, "the state saved decodes")
	require.Equal(t, Seen{First: stateNow, Last: ahead}, got.Targets[p][fpA])
}
