package keyparse

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// now is the fixed clock of the tests. The agent's own tests use 2095 for
// "future" and 2020/2021 for "past"; both still hold against it.
var now = time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)

// Public keys made once with ssh-keygen (no private part kept). Fixed keys
// keep the tests fast and the fingerprints stable.
const (
	rsaBlob = "AAAAB3NzaC1yc2EAAAADAQABAAABAQDXq9iPLu5787G5RJQNAkB7Y8rwegNf3NHagYF0QxYqYR0Lu7syNwBwUd0aJSD8bEEY6KI0IbDQhJ5giC6IZ0FlWeoCdE50HYgbgEoWqdj6V7HGcmrFR4mpY0zgBNE55VAMy7woSK4J4jBh4PavN/YdP/8rZifpErR2BIzLmhqYzpjJxNF+GmT0ig9npt9rryfjivLC8jkMzEOgdAb9gzWXUQ3jAq09pqb+jxpvMSmY0g5zim3TH401yCc3eqFlhcDdy3nqit7kam4dumVWTDtp9a4yupTEd5KkJRgMgJw6UVr/0mSdsusVDwdBzWGJVaxOXi0V1arn8AuFokiEtui1"
	edBlob  = "AAAAC3NzaC1lZDI1NTE5AAAAIFdrNB+T29v399LWZGmtiYe1uMymO0tOtwoA0LrE0GTr"
	ecBlob  = "AAAAE2VjZHNhLXNoYTItbmlzdHAyNTYAAAAIbmlzdHAyNTYAAABBBI2xeAE0m8sBqtIh3bPxwi1K3JnEh8aRNjjyI9iFqYiJaAN1ZKz4GgFjMsrz5v1+8rSqxucWwPdWvBx8IaZiaco="

	rsaKey = "ssh-rsa " + rsaBlob
	edKey  = "ssh-ed25519 " + edBlob
	ecKey  = "ecdsa-sha2-nistp256 " + ecBlob
)

// gssh is a google-ssh comment with the given JSON, as gcloud writes it.
func gssh(json string) string { return "google-ssh " + json }

// gcloud is the JSON gcloud writes for usera with the given expireOn.
func gcloud(expireOn string) string {
	return gssh(`{"userName":"usera@example.com","expireOn":"` + expireOn + `"}`)
}

// verdict is what a table case expects of one line.
type verdict struct {
	user   string
	reason Reason
	state  State
}

// requireVerdict checks a line's user, reason and state, and that Valid,
// State and GrantsAccess agree with each other.
func requireVerdict(t *testing.T, l Line, want verdict) {
	t.Helper()
	require.Equal(t, want.user, l.Username, "username")
	require.Equal(t, want.reason, l.Invalid, "reason")
	require.Equal(t, want.state, l.State(now), "state")
	require.Equal(t, want.reason == "", l.Valid(), "Valid")
	grants := want.state == StateExpiring || want.state == StatePermanent
	require.Equal(t, grants, l.GrantsAccess(now), "GrantsAccess")
}

// requireLine checks a line read alone with ParseLine and as a whole value
// with Parse: same verdict, and Parse gives the value back.
func requireLine(t *testing.T, line string, want verdict) Line {
	t.Helper()
	l := ParseLine(line)
	requireVerdict(t, l, want)

	lines := Parse(line)
	require.Len(t, lines, 1)
	require.Equal(t, 1, lines[0].Number)
	require.Equal(t, line, lines[0].Text)
	require.Equal(t, "", lines[0].EOL)
	requireVerdict(t, lines[0], want)
	require.Equal(t, line, Format(lines))
	return lines[0]
}

func mustTime(t *testing.T, s string) time.Time {
	t.Helper()
	v, err := time.Parse(time.RFC3339Nano, s)
	require.NoError(t, err)
	return v
}
