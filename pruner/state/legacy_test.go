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

func TestLegacyStateRoundTrip(t *testing.T) {
	s := State{Targets: map[string]map[string]Seen{
		"projects/p1": {fpA: {First: stateNow.Add(-48 * time.Hour), Last: stateNow}},
		"projects/p1/zones/europe-west1-b/instances/vm-1": {
			fpA: {First: stateNow.Add(-time.Hour), Last: stateNow},
			fpB: {First: stateNow.Add(-90 * time.Second), Last: stateNow.Add(-time.Second)},
		},
	}}
	data, err := EncodeState(s, stateNow)
	require.NoError(t, err)
	require.NotContains(t, string(data), "AAAA", "no key material")
	got, warnings, err := DecodeState(data, stateNow)
	require.NoError(t, err)
	require.Empty(t, warnings)
	require.Equal(t, s, got)
	require.Equal(t, 3, got.Keys())
}

// TestDecodeStateRefusesWhatIsNotWhole: a legacy state is migrated whole
// or not at all; the error says where it is wrong, escaped. Times ahead
// of the clock are no refusal: they are taken as now, and said.
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
		{"other version", `{"kind":"ssh-pruner-state","version":3,"targets":{}}`, "version 3"},
		{"unknown field", `{"kind":"ssh-pruner-state","version":1,"targets":{},"extra":1}`, `unknown field "extra"`},
		{"no targets", `{"kind":"ssh-pruner-state","version":1}`, "no targets"},
		{"bad target", head + `{"project/p":{}}}`, `target "project/p"`},
		{"bad instance target", head + `{"projects/p/zones//instances/i":{}}}`, `target "projects/p/zones//instances/i"`},
		{"null keys", head + `{"projects/p":null}}`, "no keys"},
		{"bad fingerprint", head + `{"projects/p":{"MD5:aa":` + seen + `}}}`, "not a SHA256 fingerprint"},
		{"hostile fingerprint", head + `{"projects/p":{"\u001b[31mred":` + seen + `}}}`, `\x1b[31mred`},
		{"no firstSeen", head + `{"projects/p":{"` + fpA + `":{"lastSeen":"2026-11-23T12:00:00Z"}}}}`, "firstSeen and lastSeen"},
		{"last before first", head + `{"projects/p":{"` + fpA + `":{"firstSeen":"2026-11-23T12:00:00Z","lastSeen":"2026-11-22T12:00:00Z"}}}}`, "before firstSeen"},
		{"bad time", head + `{"projects/p":{"` + fpA + `":{"firstSeen":"yesterday","lastSeen":"2026-11-23T12:00:00Z"}}}}`, "not a state"},
		{"wrong type", head + `{"projects/p":{"` + fpA + `":{"firstSeen":1,"lastSeen":2}}}}`, "not a state"},
		{"a key twice", head + `{"projects/p":{"` + fpA + `":` + seen + `,"` + fpA + `":` + seen + `}}}`, `"` + fpA + `" twice`},
		{"a target twice", head + `{"projects/p":{},"projects/p":{}}}`, `"projects/p" twice`},
		{"written in the future", `{"kind":"ssh-pruner-state","version":1,"written":"2099-01-01T00:00:00Z","targets":{}}`, "written 2099-01-01T00:00:00Z, in the future"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, _, err := DecodeState([]byte(tc.data), stateNow)
			require.Error(t, err)
			require.Contains(t, err.Error(), tc.err)
			require.NotContains(t, err.Error(), "\x1b", "escaped")
			require.NotContains(t, err.Error(), "\n", "one line")
		})
	}

	ahead := head + `{"projects/p":{"` + fpA + `":{"firstSeen":"2026-11-25T12:00:00Z","lastSeen":"2026-11-25T12:00:00Z"}}}}`
	s, warnings, err := DecodeState([]byte(ahead), stateNow)
	require.NoError(t, err, "times ahead are no refusal")
	require.Equal(t, Seen{First: stateNow, Last: stateNow}, s.Targets["projects/p"][fpA])
	require.Len(t, warnings, 1)
	require.Contains(t, warnings[0], "48h0m0s ahead")
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
		s, _, err := DecodeState(data, stateNow)
		if err != nil {
			require.NotContains(t, err.Error(), "\n")
			return
		}
		out, err := EncodeState(s, stateNow)
		require.NoError(t, err)
		again, _, err := DecodeState(out, stateNow)
		require.NoError(t, err)
		require.Equal(t, s.Keys(), again.Keys())
	})
}
