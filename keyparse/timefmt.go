package keyparse

import (
	"fmt"
	"time"
)

// FormatTime writes an instant in UTC as RFC 3339 (2026-12-01T10:00:00Z).
// The agent accepts an expireOn such as 9999-12-31T23:59:59-0100, whose
// instant in UTC lies in year 10000, where time.Time's own RFC 3339
// encoding (and so encoding/json) fails: such years are written in ISO
// 8601's expanded form, +10000-01-01T00:59:59Z, so that every expiry the
// agent accepts can be reported.
func FormatTime(t time.Time) string {
	t = t.UTC()
	if y := t.Year(); y >= 0 && y <= 9999 {
		return t.Format(time.RFC3339Nano)
	}
	return fmt.Sprintf("%+05d-%02d-%02dT%02d:%02d:%02dZ", t.Year(), t.Month(), t.Day(), t.Hour(), t.Minute(), t.Second())
}
