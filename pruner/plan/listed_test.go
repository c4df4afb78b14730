package plan

import (
	"strings"
	"testing"
	"time"
	"unsafe"

	"github.com/stretchr/testify/require"
)

// TestListedKeepsNoMetadataValue: the decisions a report lists outlive
// the metadata they were planned from, to the end of the run; none of
// their strings may point into the metadata value, which would keep the
// whole value (up to 256 KiB) alive for a username.
func TestListedKeepsNoMetadataValue(t *testing.T) {
	now := time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)
	value := `alice:` + accessKeyA + ` google-ssh {"userName":"alice@example.com","expireOn":"2026-01-01T00:00:00+0000"}` + "\n" +
		`bob:` + accessKeyB + " bob@laptop\n" +
		strings.Repeat("carol:"+accessKeyC+` google-ssh {"userName":"carol@example.com","expireOn":"2027-01-01T00:00:00+0000"}`+"\n", 100)
	pl := Make(Input{Level: LevelProject, Metadata: Metadata{Items: []Item{{Key: KeySSHKeys, Value: &value}}}}, Policy{}, now)
	listed := Listed(nil, pl.Decisions)
	require.Len(t, listed, 2, "the expired key and the key without expiry")

	start := uintptr(unsafe.Pointer(unsafe.StringData(value)))
	inValue := func(s string) bool {
		p := uintptr(unsafe.Pointer(unsafe.StringData(s)))
		return s != "" && p >= start && p < start+uintptr(len(value))
	}
	require.True(t, inValue(pl.Decisions[0].Username), "the plan's own decisions point into the value: this test tests something")
	for _, d := range listed {
		for name, s := range map[string]string{"username": d.Username, "keyType": d.KeyType, "googleUserName": d.GoogleUserName, "metadataKey": d.MetadataKey, "fingerprint": d.Fingerprint} {
			require.False(t, inValue(s), "%s %q of line %d points into the metadata value", name, s, d.Line)
		}
	}
	require.Equal(t, pl.Decisions[0].Username, listed[0].Username)
	require.Equal(t, "alice@example.com", listed[0].GoogleUserName)
}
