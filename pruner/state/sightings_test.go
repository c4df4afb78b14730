package state

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/ssh-pruner/ssh-pruner/pruner/attribution"
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

// TestSightingsWindows: with TrackWindows, a key new to a target gets the
// window from the target's last read to the wall clock after this read;
// settled, the window gives way to the attribution, which later reads
// keep; a pending result keeps the window for a later run.
func TestSightingsWindows(t *testing.T) {
	p := "projects/p"
	lastRun := stateNow.Add(-time.Hour)
	s := NewSightings(Shard{Project: "p", Targets: map[string]Target{
		p: {Read: lastRun, Keys: map[string]Seen{fpA: {First: lastRun, Last: lastRun}}},
	}})
	wall := stateNow.Add(5 * time.Minute)
	s.TrackWindows(func() time.Time { return wall })
	vm := "projects/p/zones/z/instances/new"
	s.Record(p, []string{fpA, fpB}, stateNow)
	s.Record(vm, []string{fpC}, stateNow)
	require.Equal(t, []Unsettled{{Fingerprint: fpB, After: lastRun, Until: wall}}, s.Unsettled(p), "A was there before: no window")
	require.Equal(t, []Unsettled{{Fingerprint: fpC, Until: wall}}, s.Unsettled(vm), "never read before: no start")

	s.Settle(vm, fpC, attribution.Result{Attribution: attribution.Pending, Why: "later"})
	require.Len(t, s.Unsettled(vm), 1, "pending keeps the window")
	res := attribution.Result{Attribution: attribution.Window, AddedBy: "bob@example.com", AddedAt: lastRun.Add(time.Minute), AddedVia: attribution.ViaGcloudSSH}
	s.Settle(p, fpB, res)
	require.Empty(t, s.Unsettled(p))
	require.Equal(t, &res, s.Attribution(p, fpB))

	// Read again (a conflict): B keeps who added it.
	wall = wall.Add(time.Minute)
	s.Record(p, []string{fpA, fpB}, stateNow)
	require.Equal(t, &res, s.Attribution(p, fpB))
	require.Empty(t, s.Unsettled(p))

	sh, changed := s.Shard("p", stateNow)
	require.True(t, changed)
	require.Equal(t, &res, sh.Targets[p].Keys[fpB].Attr)
	require.True(t, sh.Targets[p].Keys[fpB].Until.IsZero())
	require.Equal(t, wall.Add(-time.Minute), sh.Targets[vm].Keys[fpC].Until)

	// The next run: settling a key that was pending is a change to write,
	// even when no key came or went.
	next := NewSightings(sh)
	next.TrackWindows(func() time.Time { return wall })
	next.Record(p, []string{fpA, fpB}, stateNow.Add(time.Hour))
	next.Record(vm, []string{fpC}, stateNow.Add(time.Hour))
	_, changed = next.Shard("p", stateNow.Add(time.Hour))
	require.False(t, changed, "nothing settled, nothing new")
	next.Settle(vm, fpC, attribution.Result{Attribution: attribution.Unknown, Why: "no write"})
	_, changed = next.Shard("p", stateNow.Add(time.Hour))
	require.True(t, changed)
}

// TestSightingsOwnWrites: the pruner's own writes are kept only by runs
// that attribute keys, and a later read carries them to the window they
// may fall in.
func TestSightingsOwnWrites(t *testing.T) {
	p := "projects/p"
	plain := NewSightings(Shard{Project: "p", Targets: map[string]Target{}})
	plain.Record(p, []string{fpA}, stateNow)
	plain.NoteOwnWrite(p, "operation-1", stateNow)
	sh, _ := plain.Shard("p", stateNow)
	require.Empty(t, sh.Targets[p].Own, "no attribution, nothing to keep")

	s := NewSightings(Shard{Project: "p", Targets: map[string]Target{}})
	s.TrackWindows(func() time.Time { return stateNow })
	s.RecordRead(p, []string{fpA}, stateNow, stateNow)
	s.NoteOwnWrite(p, "operation-1", stateNow.Add(time.Second))
	sh, changed := s.Shard("p", stateNow)
	require.True(t, changed)
	require.Equal(t, []OwnWrite{{Operation: "operation-1", At: stateNow.Add(time.Second)}}, sh.Targets[p].Own)

	next := NewSightings(sh)
	next.TrackWindows(func() time.Time { return stateNow.Add(time.Hour) })
	next.RecordRead(p, []string{fpA, fpB}, stateNow.Add(time.Hour), stateNow.Add(time.Hour))
	require.True(t, next.IsOwn(p)("operation-1"), "B's window holds the pruner's write: never a candidate")
	require.False(t, next.IsOwn(p)("operation-2"))
}
