package keyparse

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// The tables of this file hold every case of the guest agent's own key
// tests, in GoogleCloudPlatform/google-guest-agent internal/utils/ssh
// (ssh_test.go) and in the older GoogleCloudPlatform/guest-agent utils
// (ssh_test.go), all stored versions, expressed through our API: each
// case becomes a "user:key" line whose verdict must be the agent's. The
// agent answers "error or not"; we also name the reason and the state at
// now, so each case pins one more thing than the agent's test does.

// TestAgentGetUserKey holds the cases of the agent's TestGetUserKey
// (identical in both agents). GetUserKey trims spaces, splits at the first
// ':' and needs a user and a key; the lines it accepts go on to
// ValidateUserKey, so they get a full verdict here.
func TestAgentGetUserKey(t *testing.T) {
	tests := []struct {
		name    string
		line    string
		want    verdict
		options string
		comment string
	}{
		{
			name:    "google-ssh key",
			line:    "usera:" + rsaKey + " " + gcloud("2095-04-23T12:34:56+0000"),
			want:    verdict{"usera", "", StateExpiring},
			comment: gcloud("2095-04-23T12:34:56+0000"),
		},
		{
			name:    "options restrict,pty",
			line:    "usera:restrict,pty " + rsaKey + " " + gcloud("2095-04-23T12:34:56+0000"),
			want:    verdict{"usera", "", StateExpiring},
			options: "restrict,pty",
			comment: gcloud("2095-04-23T12:34:56+0000"),
		},
		{name: "only spaces", line: "    ", want: verdict{"", ReasonBlank, StateInvalid}},
		{name: "no user and no colon", line: rsaKey, want: verdict{"", ReasonNoColon, StateInvalid}},
		{name: "empty user", line: ":" + rsaKey, want: verdict{"", ReasonNoUser, StateInvalid}},
		{name: "empty key", line: "userb:", want: verdict{"userb", ReasonNoKey, StateInvalid}},
		{
			name:    "plain comment",
			line:    "userc:" + rsaKey + " info text",
			want:    verdict{"userc", "", StatePermanent},
			comment: "info text",
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			l := requireLine(t, tc.line, tc.want)
			if tc.want.reason == "" {
				require.Equal(t, tc.options, l.Options)
				require.Equal(t, "ssh-rsa", l.KeyType)
				require.Equal(t, rsaBlob, l.Blob)
				require.Equal(t, tc.comment, l.Comment)
			}
		})
	}
}

// TestAgentValidateUserKey holds the cases of the agent's
// TestValidateUserKey (identical in both agents): ValidateUser, then
// CheckExpiredKey on the key. Each (user, key) pair becomes user+":"+key.
func TestAgentValidateUserKey(t *testing.T) {
	const future, past = "2095-04-23T12:34:56+0000", "2021-04-23T12:34:56+0000"
	tests := []struct {
		name string
		user string
		key  string
		want verdict
	}{
		{"future expiry", "usera", rsaKey + " " + gcloud(future), verdict{"usera", "", StateExpiring}},
		{"space in user", "user a", rsaKey + " " + gcloud(future), verdict{"user a", ReasonUserWhitespace, StateInvalid}},
		{"past expiry", "usera", rsaKey + " " + gcloud(past), verdict{"usera", "", StateExpired}},
		{"unreadable expiry", "usera", rsaKey + " " + gcloud("Apri 4, 2056"), verdict{"usera", ReasonBadExpireOn, StateInvalid}},
		{"google-ssh without JSON", "usera", rsaKey + " google-ssh", verdict{"usera", ReasonGoogleSSHNoJSON, StateInvalid}},
		{"plain comment", "usera", rsaKey + " test info", verdict{"usera", "", StatePermanent}},
		{"empty user", "", rsaKey, verdict{"", ReasonNoUser, StateInvalid}},
		{"command option, future", "usera", `command="echo hi" ` + rsaKey + " " + gcloud(future), verdict{"usera", "", StateExpiring}},
		{"command option, past", "usera", `command="echo hi" ` + rsaKey + " " + gcloud(past), verdict{"usera", "", StateExpired}},
		{"restrict,pty, future", "usera", "restrict,pty " + rsaKey + " " + gcloud(future), verdict{"usera", "", StateExpiring}},
		// The agent rejects the user "    " as whitespace; on a line the
		// spaces are trimmed first, which leaves no user.
		{"blank user, empty key", "    ", "", verdict{"", ReasonNoUser, StateInvalid}},
		{"empty key", "userb", "", verdict{"userb", ReasonNoKey, StateInvalid}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			requireLine(t, tc.user+":"+tc.key, tc.want)
		})
	}
}

// TestAgentCheckExpiredKey holds the cases of the agent's
// TestCheckExpiredKey. The agent passes it the key part, after
// GetUserKey; here each key follows "usera:". "expired" in the agent's
// table means "error", which is our expired or invalid.
func TestAgentCheckExpiredKey(t *testing.T) {
	tests := []struct {
		name string
		key  string
		want verdict
	}{
		// google-guest-agent internal/utils/ssh.
		{"future", rsaKey + " " + gcloud("2095-04-23T12:34:56+0000"), verdict{"usera", "", StateExpiring}},
		{"past", rsaKey + " " + gcloud("2021-04-23T12:34:56+0000"), verdict{"usera", "", StateExpired}},
		{"unreadable expireOn", rsaKey + " " + gcloud("Apri 4, 2056"), verdict{"usera", ReasonBadExpireOn, StateInvalid}},
		{"numeric expireOn", rsaKey + ` google-ssh {"userName":"usera@example.com","expireOn":1234}`, verdict{"usera", ReasonGoogleSSHBadJSON, StateInvalid}},
		{"google-ssh without JSON", rsaKey + " google-ssh", verdict{"usera", ReasonGoogleSSHNoJSON, StateInvalid}},
		{"only spaces", "    ", verdict{"usera", ReasonNoKey, StateInvalid}},
		{"no comment", rsaKey, verdict{"usera", "", StatePermanent}},

		// The older guest-agent's table passes whole lines ("usera:ssh-rsa
		// ...") where a key part belongs, and expects no error for
		// "usera:ssh-rsa KEY", ":ssh-rsa KEY" and the 2095 case: the
		// x/crypto it was built with (v0.36) skipped the first field
		// unread. Current x/crypto, which we follow, checks that field
		// against the blob's type (as OpenSSH does), so these key parts
		// are rejected. A whole line in this form is read in the cases
		// above and in TestAgentGetUserKey.
		{"line as key, future", "usera:" + rsaKey + " " + gcloud("2095-04-23T12:34:56+0000"), verdict{"usera", ReasonUnknownType, StateInvalid}},
		{"line as key, past", "usera:" + rsaKey + " " + gcloud("2021-04-23T12:34:56+0000"), verdict{"usera", ReasonUnknownType, StateInvalid}},
		{"line as key, unreadable", "usera:" + rsaKey + " " + gcloud("Apri 4, 2056"), verdict{"usera", ReasonUnknownType, StateInvalid}},
		{"line as key, no JSON", "usera:" + rsaKey + " google-ssh", verdict{"usera", ReasonUnknownType, StateInvalid}},
		{"line as key, empty user", ":" + rsaKey, verdict{"usera", ReasonUnknownType, StateInvalid}},
		{"line as key, no comment", "usera:" + rsaKey, verdict{"usera", ReasonUnknownType, StateInvalid}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			requireLine(t, "usera:"+tc.key, tc.want)
		})
	}
}

// TestAgentValidateUser holds the cases of the agent's TestValidateUser:
// the older agent's (leading hyphen, path separators, "." and "..") and
// the current one's (Unicode spaces). The user is checked on a line, with
// ParseLine since some users hold a newline, and directly when, like
// "username:key", it cannot come out of a line whole.
func TestAgentValidateUser(t *testing.T) {
	tests := []struct {
		name   string
		user   string
		reason Reason
	}{
		{"plain", "username", ""},
		{"hyphen inside", "my-user", ""},
		{"space and option", "user -g", ReasonUserWhitespace},
		{"space, option and value", "user -g 27", ReasonUserWhitespace},
		{"tab", "user\t-g", ReasonUserWhitespace},
		{"newline", "user\n-g", ReasonUserWhitespace},
		{"tab and newline", "username\t-g\n27", ReasonUserWhitespace},
		{"no-break space U+00A0", "user\u00a0-g", ReasonUserWhitespace},
		{"en quad U+2000", "user\u2000-g", ReasonUserWhitespace},
		{"thin space U+2009", "user\u2009-g", ReasonUserWhitespace},
		{"narrow no-break space U+202F", "user\u202f-g", ReasonUserWhitespace},
		{"ideographic space U+3000", "user\u3000-g", ReasonUserWhitespace},
		{"leading hyphen -g", "-g", ReasonUserHyphen},
		{"leading hyphen -p", "-p", ReasonUserHyphen},
		{"traversal", "../root", ReasonUserPath},
		{"dot dot", "..", ReasonUserPath},
		{"dot", ".", ReasonUserPath},
		{"slash", "a/b", ReasonUserPath},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			require.Equal(t, tc.reason, validateUser(tc.user))
			want := verdict{tc.user, tc.reason, StatePermanent}
			if tc.reason != "" {
				want.state = StateInvalid
			}
			requireVerdict(t, ParseLine(tc.user+":"+edKey), want)
		})
	}

	// "username:key" is a valid user for ValidateUser, but on a line the
	// first ':' ends the user: what follows is the key part.
	t.Run("colon in user", func(t *testing.T) {
		require.Equal(t, Reason(""), validateUser("username:key"))
		l := ParseLine("username:key:" + edKey)
		requireVerdict(t, l, verdict{"username", ReasonUnknownType, StateInvalid})
		require.Equal(t, "key:ssh-ed25519", l.KeyType)
	})
}

// TestAgentParseKeys holds the case of google-guest-agent's
// TestParseSSHKeys: ParseKeys(user, lines) keeps the key parts of the
// lines that are valid now and belong to user.
func TestAgentParseKeys(t *testing.T) {
	keys := []string{
		"# Here is some random data in the file.",
		"invalid:",
		"usera:" + rsaKey,
		"userb:" + edKey,
		"usera:" + ecKey + " " + gcloud("2095-04-23T12:34:56+0000"),
		"usera:" + ecKey + " " + gcloud("2020-04-23T12:34:56+0000"),
	}
	var got []string
	for _, l := range Parse(strings.Join(keys, "\n")) {
		if l.Username == "usera" && l.GrantsAccess(now) {
			_, key, _ := strings.Cut(l.Text, ":")
			got = append(got, key)
		}
	}
	require.Equal(t, []string{rsaKey, ecKey + " " + gcloud("2095-04-23T12:34:56+0000")}, got)
}
