package state

import (
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/ssh-pruner/ssh-pruner/pruner/attribution"
)

func TestShardRoundTrip(t *testing.T) {
	s := Shard{Project: "p1", Targets: map[string]Target{
		"projects/p1": {Read: stateNow, Keys: map[string]Seen{fpA: {First: stateNow.Add(-48 * time.Hour), Last: stateNow}}},
		"projects/p1/zones/europe-west1-b/instances/vm-1": {Read: stateNow, Keys: map[string]Seen{
			fpA: {First: stateNow.Add(-time.Hour), Last: stateNow},
			fpB: {First: stateNow.Add(-90 * time.Second), Last: stateNow.Add(-time.Second)},
		}},
		"projects/p1/zones/europe-west1-b/instances/empty": {Read: stateNow, Keys: map[string]Seen{}},
	}}
	data, err := EncodeShard(s, stateNow)
	require.NoError(t, err)
	again, err := EncodeShard(s, stateNow)
	require.NoError(t, err)
	require.Equal(t, string(data), string(again), "the same shard gives the same bytes")
	require.NotContains(t, string(data), "AAAA", "no key material")
	got, warnings, err := DecodeShard(data, "p1", stateNow)
	require.NoError(t, err)
	require.Empty(t, warnings)
	require.Equal(t, s, got)
	require.Equal(t, 3, got.Keys())
}

// TestShardRoundsFirstSightingsUp: a first sighting inside a second is
// stored as the next second: a key can only look younger, never older.
func TestShardRoundsFirstSightingsUp(t *testing.T) {
	first := stateNow.Add(400 * time.Millisecond)
	data, err := EncodeShard(Shard{Project: "p", Targets: map[string]Target{"projects/p": {Read: first, Keys: map[string]Seen{fpA: {First: first, Last: first}}}}}, stateNow)
	require.NoError(t, err)
	got, _, err := DecodeShard(data, "p", stateNow.Add(time.Hour))
	require.NoError(t, err)
	require.Equal(t, stateNow.Add(time.Second), got.Targets["projects/p"].Keys[fpA].First)
}

func TestDecodeShardRefusesWhatIsNotWhole(t *testing.T) {
	head := `{"kind":"ssh-pruner-project-state","version":2,"project":"p","written":1763899200,"targets":`
	key := `{"f":1763812800,"l":1763899200}`
	for _, tc := range []struct {
		name, data, err string
	}{
		{"empty", ``, "not a state"},
		{"not json", `hello`, "not a state: line 1"},
		{"truncated", head + `{"projects/p":{"read":1,"keys":{"` + fpA + `":` + key[:8], "not a state"},
		{"second document", head + `{}}{}`, "data after its end"},
		{"other kind", `{"kind":"ssh-pruner-state","version":2,"project":"p","targets":{}}`, `kind "ssh-pruner-state"`},
		{"other version", `{"kind":"ssh-pruner-project-state","version":1,"project":"p","targets":{}}`, "version 1"},
		{"other project", `{"kind":"ssh-pruner-project-state","version":2,"project":"q","targets":{}}`, `project "q", want "p"`},
		{"unknown field", head + `{},"extra":1}`, `unknown field "extra"`},
		{"no targets", `{"kind":"ssh-pruner-project-state","version":2,"project":"p"}`, "no targets"},
		{"target of another project", head + `{"projects/q":{"read":1,"keys":{}}}}`, "not of project p"},
		{"target of a longer project", head + `{"projects/pp":{"read":1,"keys":{}}}}`, "not of project p"},
		{"bad target", head + `{"projects/p/zones//instances/i":{"read":1,"keys":{}}}}`, `target "projects/p/zones//instances/i"`},
		{"null keys", head + `{"projects/p":{"read":1,"keys":null}}}`, "no keys"},
		{"bad fingerprint", head + `{"projects/p":{"read":1,"keys":{"MD5:aa":` + key + `}}}}`, "not a SHA256 fingerprint"},
		{"hostile fingerprint", head + `{"projects/p":{"read":1,"keys":{"\u001b[31mred":` + key + `}}}}`, `\x1b[31mred`},
		{"no first", head + `{"projects/p":{"read":1,"keys":{"` + fpA + `":{"l":1}}}}}`, "f and l"},
		{"last before first", head + `{"projects/p":{"read":1,"keys":{"` + fpA + `":{"f":5,"l":4}}}}}`, "last seen before first seen"},
		{"a key twice", head + `{"projects/p":{"read":1,"keys":{"` + fpA + `":` + key + `,"` + fpA + `":` + key + `}}}}`, `"` + fpA + `" twice`},
		{"a target twice", head + `{"projects/p":{"read":1,"keys":{}},"projects/p":{"read":1,"keys":{}}}}`, `"projects/p" twice`},
		{"written in the future", `{"kind":"ssh-pruner-project-state","version":2,"project":"p","written":4070908800,"targets":{}}`, "in the future"},
		{"too large", head + `{}}` + strings.Repeat(" ", MaxShardSize), "more than"},
		{"window end before start", head + `{"projects/p":{"read":1,"keys":{"` + fpA + `":{"f":1,"l":1,"w":5,"u":4}}}}}`, "the window"},
		{"window start alone", head + `{"projects/p":{"read":1,"keys":{"` + fpA + `":{"f":1,"l":1,"w":5}}}}}`, "the window"},
		{"window and attribution", head + `{"projects/p":{"read":1,"keys":{"` + fpA + `":{"f":1,"l":1,"u":5,"a":{"r":"unknown"}}}}}}`, "a window and an attribution"},
		{"attribution pending", head + `{"projects/p":{"read":1,"keys":{"` + fpA + `":{"f":1,"l":1,"a":{"r":"pending"}}}}}}`, `attribution "pending"`},
		{"attributed to nobody", head + `{"projects/p":{"read":1,"keys":{"` + fpA + `":{"f":1,"l":1,"a":{"r":"window"}}}}}}`, "by and at"},
		{"ambiguous with a writer", head + `{"projects/p":{"read":1,"keys":{"` + fpA + `":{"f":1,"l":1,"a":{"r":"ambiguous","by":"a@x"}}}}}}`, "by and at"},
		{"hostile principal", head + `{"projects/p":{"read":1,"keys":{"` + fpA + `":{"f":1,"l":1,"a":{"r":"window","by":"\u001b]0;pwned\u0007"}}}}}}`, `by "\x1b]0;pwned`},
		{"too many candidates", head + `{"projects/p":{"read":1,"keys":{"` + fpA + `":{"f":1,"l":1,"a":{"r":"ambiguous","c":["a","b","c","d","e","f","g","h","i","j","k"]}}}}}}`, "11 candidates"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, _, err := DecodeShard([]byte(tc.data), "p", stateNow)
			require.Error(t, err)
			require.Contains(t, err.Error(), tc.err)
			require.NotContains(t, err.Error(), "\x1b", "escaped")
			require.NotContains(t, err.Error(), "\n", "one line")
		})
	}
}

// TestDecodeShardTakesTimesAheadAsNow: what a clock ahead wrote is no
// refusal: each time ahead is taken as now, and a warning says how far.
func TestDecodeShardTakesTimesAheadAsNow(t *testing.T) {
	ahead := stateNow.Add(48 * time.Hour)
	data, err := EncodeShard(Shard{Project: "p", Targets: map[string]Target{
		"projects/p": {Read: ahead, Keys: map[string]Seen{fpA: {First: ahead, Last: ahead}, fpB: {First: stateNow.Add(-time.Hour), Last: ahead}}},
	}}, stateNow)
	require.NoError(t, err)
	got, warnings, err := DecodeShard(data, "p", stateNow)
	require.NoError(t, err)
	require.Equal(t, Target{Read: stateNow, Keys: map[string]Seen{
		fpA: {First: stateNow, Last: stateNow},
		fpB: {First: stateNow.Add(-time.Hour), Last: stateNow},
	}}, got.Targets["projects/p"])
	require.Equal(t, []string{"4 times up to 48h0m0s ahead of this run's clock taken as now: those keys are removed later, never sooner"}, warnings)
}

// FuzzDecodeShard: whatever the bytes, DecodeShard returns a shard or an
// error of one line, never panics; a shard it takes encodes to one it
// takes again.
//
//	go test -run '^$' -fuzz FuzzDecodeShard -fuzztime 60s ./pruner/state
func FuzzDecodeShard(f *testing.F) {
	good, err := EncodeShard(Shard{Project: "p", Targets: map[string]Target{"projects/p": {Read: stateNow, Keys: map[string]Seen{fpA: {First: stateNow, Last: stateNow}}}}}, stateNow)
	require.NoError(f, err)
	f.Add(good)
	f.Add([]byte(`{"kind":"ssh-pruner-project-state","version":2,"project":"p","written":1,"targets":{"projects/p/zones/z/instances/i":{"read":1,"keys":{}}}}`))
	f.Add([]byte(`{"a":{"b":[{"c":1,"c":2}]}}`))
	f.Add([]byte(`{"kind":"ssh-pruner-project-state","version":2,"project":"p","written":1,"targets":{"projects/p":{"read":1,"ra":1763899200123,"own":[{"op":"operation-1","at":5}],"keys":{"` + fpA + `":{"f":1,"l":2,"w":1000,"u":2001},"` + fpB + `":{"f":1,"l":1,"a":{"r":"window","by":"a@x","at":3,"via":"console"}},"` + fpC + `":{"f":1,"l":1,"a":{"r":"ambiguous","c":["a@x","b@x"],"why":"w"}}}}}}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		s, _, err := DecodeShard(data, "p", stateNow)
		if err != nil {
			require.NotContains(t, err.Error(), "\n")
			return
		}
		out, err := EncodeShard(s, stateNow)
		require.NoError(t, err)
		again, _, err := DecodeShard(out, "p", stateNow)
		require.NoError(t, err)
		require.Equal(t, s, again)
	})
}

// TestShardKeepsAttribution: a key's window while it is pending, and who
// added it once settled, come back as written; the window's start is
// rounded down and its end up, to the millisecond, so that it can only
// widen.
func TestShardKeepsAttribution(t *testing.T) {
	after, until := stateNow.Add(-time.Hour+time.Millisecond/2), stateNow.Add(time.Millisecond/2)
	in := Shard{Project: "p", Targets: map[string]Target{
		"projects/p": {Read: stateNow, Keys: map[string]Seen{
			fpA: {First: stateNow, Last: stateNow, After: after, Until: until},
			fpB: {First: stateNow, Last: stateNow, Attr: &attribution.Result{Attribution: attribution.Window, AddedBy: "alice@example.com", AddedAt: stateNow.Add(-time.Minute), AddedVia: attribution.ViaGcloudSSH}},
			fpC: {First: stateNow, Last: stateNow, Attr: &attribution.Result{Attribution: attribution.Ambiguous, Candidates: []string{"a@x", "b@x"}}},
		}},
		"projects/p/zones/z/instances/vm": {Read: stateNow, Keys: map[string]Seen{
			fpA: {First: stateNow, Last: stateNow, Until: until}, // no earlier read
		}},
	}}
	data, err := EncodeShard(in, stateNow)
	require.NoError(t, err)
	require.NotContains(t, string(data), "AAAA", "no key material")
	got, warnings, err := DecodeShard(data, "p", stateNow.Add(time.Hour))
	require.NoError(t, err)
	require.Empty(t, warnings)
	keys := got.Targets["projects/p"].Keys
	require.Equal(t, stateNow.Add(-time.Hour), keys[fpA].After)
	require.Equal(t, stateNow.Add(time.Millisecond), keys[fpA].Until)
	require.Nil(t, keys[fpA].Attr)
	require.Equal(t, in.Targets["projects/p"].Keys[fpB].Attr, keys[fpB].Attr)
	require.Equal(t, in.Targets["projects/p"].Keys[fpC].Attr, keys[fpC].Attr)
	vm := got.Targets["projects/p/zones/z/instances/vm"].Keys[fpA]
	require.True(t, vm.After.IsZero())
	require.Equal(t, stateNow.Add(time.Millisecond), vm.Until)
}
