package gcpfake

import (
	"bytes"
	"encoding/json"
	"os"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// The fuzz tests below run their seed corpus (testdata/fuzz/<Name>) with
// go test; explore with go test -fuzz=FuzzParseSeed ./gcp/gcpfake.

// FuzzParseSeed: ParseSeed never panics, and a seed it accepts is one New
// serves.
func FuzzParseSeed(f *testing.F) {
	if demo, err := os.ReadFile("../../testdata/demo-org.json"); err == nil {
		f.Add(demo)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		seed, err := ParseSeed(data)
		if err != nil {
			require.Nil(t, seed)
			require.True(t, strings.HasPrefix(err.Error(), "seed: "), err.Error())
			return
		}
		fake, err := New(seed)
		require.NoError(t, err, "New refuses a seed ParseSeed accepts")
		require.Len(t, fake.Projects(), len(seed.Projects))
	})
}

// FuzzSearchQuery: the projects:search query parser never panics, and
// what it returns can be matched.
func FuzzSearchQuery(f *testing.F) {
	p := &Project{
		ID: "web-prod-eu", Number: "482910375561", Parent: "folders/915530277318", State: StateActive,
		DisplayName: "Web prod EU", Labels: map[string]string{"env": "prod"},
	}
	f.Fuzz(func(t *testing.T, q string) {
		query, err := parseSearchQuery(q)
		if err != nil {
			require.Nil(t, query)
			return
		}
		if query != nil {
			query.match(p)
		}
	})
}

// FuzzPageToken: decoding any token never panics and never yields a
// negative offset; a token the fake made decodes to its offset with its
// own scope only.
func FuzzPageToken(f *testing.F) {
	f.Fuzz(func(t *testing.T, tok, scope string, offset int) {
		if n, ok := decodeToken(tok, scope); ok {
			require.GreaterOrEqual(t, n, 0)
		}
		if offset < 0 {
			return
		}
		made := encodeToken(offset, scope)
		n, ok := decodeToken(made, scope)
		require.True(t, ok)
		require.Equal(t, offset, n)
		if _, ok := decodeToken(made, scope+"x"); ok {
			// The scope hash is 48 bits: a collision is possible but
			// would take the fuzzer far longer than it runs.
			t.Logf("scope hash collision: %q and %q", scope, scope+"x")
		}
	})
}

// FuzzReadMetadataWrite: the body of a metadata write is accepted or
// refused with HTTP 400, never a panic; an accepted body holds valid items
// and reads back the same once re-encoded.
func FuzzReadMetadataWrite(f *testing.F) {
	f.Fuzz(func(t *testing.T, body []byte) {
		m, e := readMetadataWrite(bytes.NewReader(body))
		if e != nil {
			require.Nil(t, m)
			require.Equal(t, 400, e.Code)
			require.Equal(t, "INVALID_ARGUMENT", e.Status)
			return
		}
		require.Empty(t, validateItems(m.Items))
		again, err := json.Marshal(m)
		require.NoError(t, err)
		m2, e := readMetadataWrite(bytes.NewReader(again))
		require.Nil(t, e)
		require.Equal(t, m, m2)
	})
}
