package keyparse

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func TestFormatTime(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"2026-12-01T10:00:00+0000", "2026-12-01T10:00:00Z"},
		{"2026-12-01T10:00:00+01:00", "2026-12-01T09:00:00Z"},
		{"9999-12-31T23:59:59-0100", "+10000-01-01T00:59:59Z"},
		{"0000-01-01T00:30:00+01:00", "-0001-12-31T23:30:00Z"},
		{"0001-01-01T00:00:00Z", "0001-01-01T00:00:00Z"},
	} {
		t.Run(tc.in, func(t *testing.T) {
			at, err := ParseExpireOn(tc.in)
			require.NoError(t, err)
			require.Equal(t, tc.want, FormatTime(at))
		})
	}
	require.Equal(t, "2026-12-01T10:00:00.5Z", FormatTime(time.Date(2026, 12, 1, 10, 0, 0, 5e8, time.UTC)))
}
