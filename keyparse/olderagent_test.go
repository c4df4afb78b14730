package keyparse

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// TestOlderAgentNeverExpires pins the reading of guest-agent 20230221.00
// up to 20231009.00 (CheckExpiredKey splitting the key part at single
// spaces) beside Parse's, which follows the newer agents: each case is a
// line, what Parse says of it, and whether that older agent installs it
// as a key that never expires.
func TestOlderAgentNeverExpires(t *testing.T) {
	now := time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)
	past := `{"userName":"a@example.com","expireOn":"2020-01-01T00:00:00+0000"}`
	future := `{"userName":"a@example.com","expireOn":"2095-01-01T00:00:00+0000"}`
	tests := []struct {
		name   string
		value  string // one line, with its line ending if any
		parse  State
		reason Reason
		older  bool
	}{
		// Where the two agree.
		{"no comment", "a:" + edKey, StatePermanent, "", true},
		{"plain comment", "a:" + edKey + " a@laptop", StatePermanent, "", true},
		{"gcloud's expiring key", "a:" + edKey + " google-ssh " + future, StateExpiring, "", false},
		{"gcloud's expired key", "a:" + edKey + " google-ssh " + past, StateExpired, "", false},
		{"google-ssh without JSON", "a:" + edKey + " google-ssh", StateInvalid, ReasonGoogleSSHNoJSON, false},
		{"google-ssh with bad JSON", "a:" + edKey + " google-ssh {", StateInvalid, ReasonGoogleSSHBadJSON, false},
		{"spaces around the line", "  a:" + edKey + " google-ssh " + past + "  ", StateExpired, "", false},
		{"a key x/crypto cannot read", "a:ssh-ed25519 AAAA", StateInvalid, ReasonBadKey, false},
		{"a user Parse refuses", "a b:" + edKey + " google-sshfoo", StateInvalid, ReasonUserWhitespace, false},

		// Where the older agent never expires what Parse rejects or expires.
		{"google-sshfoo: not the token", "a:" + edKey + " google-sshfoo", StateInvalid, ReasonGoogleSSHNoJSON, true},
		{"google-sshfoo and JSON", "a:" + edKey + " google-sshfoo " + past, StateExpired, "", true},
		{"google-ssh glued to its JSON", "a:" + edKey + " google-ssh" + past, StateInvalid, ReasonGoogleSSHNoJSON, true},
		{"a tab before the JSON", "a:" + edKey + " google-ssh\t" + past, StateInvalid, ReasonGoogleSSHNoJSON, true},
		{"google-ssh and a CRLF ending", "a:" + edKey + " google-ssh\r\n", StateInvalid, ReasonGoogleSSHNoJSON, true},
		{"two spaces before google-ssh", "a:" + edKey + "  google-ssh " + past, StateExpired, "", true},
		{"a tab between type and blob", "a:ssh-ed25519\t" + edBlob + " google-ssh " + past, StateExpired, "", true},
		{"options before the type", "a:restrict " + edKey + " google-ssh " + past, StateExpired, "", true},
		{"bad expireOn after options", "a:restrict " + edKey + ` google-ssh {"expireOn":"soon"}`, StateInvalid, ReasonBadExpireOn, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			lines := Parse(tc.value)
			require.Len(t, lines, 1)
			l := lines[0]
			require.Equal(t, tc.parse, l.State(now), "Parse, as the newer agents")
			require.Equal(t, tc.reason, l.Invalid)
			require.Equal(t, tc.older, OlderAgentNeverExpires(l), "guest-agent 20230221.00 up to 20231009.00")
		})
	}
}
