package keyparse

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// TestUserKeySplit covers the agent's GetUserKey and ValidateUser beyond
// its own tests: trimming, the first ':' split, and the users it refuses.
func TestUserKeySplit(t *testing.T) {
	tests := []struct {
		name string
		line string
		want verdict
	}{
		// GetUserKey trims spaces only, not tabs.
		{"spaces around", "  alice:" + edKey + "  ", verdict{"alice", "", StatePermanent}},
		{"leading tab stays in user", "\talice:" + edKey, verdict{"\talice", ReasonUserWhitespace, StateInvalid}},
		{"space before colon", "alice :" + edKey, verdict{"alice ", ReasonUserWhitespace, StateInvalid}},
		{"trailing tab", "alice:" + edKey + "\t", verdict{"alice", "", StatePermanent}},
		{"space after colon", "alice: " + edKey, verdict{"alice", "", StatePermanent}},
		{"tab after colon", "alice:\t" + edKey, verdict{"alice", "", StatePermanent}},
		// The first ':' ends the user.
		{"colons in comment", "alice:" + edKey + " a:b:c", verdict{"alice", "", StatePermanent}},
		{"two users", "alice:bob:" + edKey, verdict{"alice", ReasonUnknownType, StateInvalid}},
		{"no colon", "alice " + edKey, verdict{"", ReasonNoColon, StateInvalid}},
		{"empty user", ":" + edKey, verdict{"", ReasonNoUser, StateInvalid}},
		{"space user", " :" + edKey, verdict{"", ReasonNoUser, StateInvalid}},
		{"tab user", "\t:" + edKey, verdict{"\t", ReasonUserWhitespace, StateInvalid}},
		// ValidateUser: any Unicode space.
		{"space", "al ice:" + edKey, verdict{"al ice", ReasonUserWhitespace, StateInvalid}},
		{"tab", "al\tice:" + edKey, verdict{"al\tice", ReasonUserWhitespace, StateInvalid}},
		{"vertical tab", "al\vice:" + edKey, verdict{"al\vice", ReasonUserWhitespace, StateInvalid}},
		{"form feed", "al\fice:" + edKey, verdict{"al\fice", ReasonUserWhitespace, StateInvalid}},
		{"carriage return", "al\rice:" + edKey, verdict{"al\rice", ReasonUserWhitespace, StateInvalid}},
		{"U+00A0", "al\u00a0ice:" + edKey, verdict{"al\u00a0ice", ReasonUserWhitespace, StateInvalid}},
		{"U+2000", "al\u2000ice:" + edKey, verdict{"al\u2000ice", ReasonUserWhitespace, StateInvalid}},
		{"U+2009", "al\u2009ice:" + edKey, verdict{"al\u2009ice", ReasonUserWhitespace, StateInvalid}},
		{"U+202F", "al\u202fice:" + edKey, verdict{"al\u202fice", ReasonUserWhitespace, StateInvalid}},
		{"U+3000", "al\u3000ice:" + edKey, verdict{"al\u3000ice", ReasonUserWhitespace, StateInvalid}},
		{"U+0085", "al\u0085ice:" + edKey, verdict{"al\u0085ice", ReasonUserWhitespace, StateInvalid}},
		{"trailing U+00A0", "alice\u00a0:" + edKey, verdict{"alice\u00a0", ReasonUserWhitespace, StateInvalid}},
		{"zero width space is no space", "al\u200bice:" + edKey, verdict{"al\u200bice", "", StatePermanent}},
		{"non-ASCII letters", "ålice:" + edKey, verdict{"ålice", "", StatePermanent}},
		{"non-UTF-8 user", "al\xffice:" + edKey, verdict{"al\xffice", "", StatePermanent}},
		{"hash user", "#alice:" + edKey, verdict{"#alice", "", StatePermanent}},
		// Leading hyphen, '/', "." and "..".
		{"leading hyphen", "-alice:" + edKey, verdict{"-alice", ReasonUserHyphen, StateInvalid}},
		{"hyphen inside", "al-ice:" + edKey, verdict{"al-ice", "", StatePermanent}},
		{"slash", "a/b:" + edKey, verdict{"a/b", ReasonUserPath, StateInvalid}},
		{"traversal", "../root:" + edKey, verdict{"../root", ReasonUserPath, StateInvalid}},
		{"dot", ".:" + edKey, verdict{".", ReasonUserPath, StateInvalid}},
		{"dot dot", "..:" + edKey, verdict{"..", ReasonUserPath, StateInvalid}},
		{"three dots", "...:" + edKey, verdict{"...", "", StatePermanent}},
		{"leading dot", ".alice:" + edKey, verdict{".alice", "", StatePermanent}},
		// The user is checked first: its reason wins over the key's.
		{"bad user and bad key", "-alice:ssh-ed25519 !!!", verdict{"-alice", ReasonUserHyphen, StateInvalid}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			requireLine(t, tc.line, tc.want)
		})
	}
}

// TestKeyPart covers the agent's CheckExpiredKey up to the comment: the
// key part must be an authorized_keys entry (ssh.ParseAuthorizedKey).
func TestKeyPart(t *testing.T) {
	tests := []struct {
		name    string
		key     string
		reason  Reason
		options string
		keyType string
		blob    string
		comment string
	}{
		{name: "empty", key: "", reason: ReasonNoKey},
		{name: "spaces", key: "   ", reason: ReasonNoKey},
		{name: "tab", key: "\t", reason: ReasonNoKey},
		{name: "rsa", key: rsaKey, keyType: "ssh-rsa", blob: rsaBlob},
		{name: "ed25519", key: edKey, keyType: "ssh-ed25519", blob: edBlob},
		{name: "ecdsa", key: ecKey, keyType: "ecdsa-sha2-nistp256", blob: ecBlob},
		{name: "tabs between fields", key: "ssh-ed25519\t" + edBlob + "\tme@host", keyType: "ssh-ed25519", blob: edBlob, comment: "me@host"},
		{name: "runs of blanks", key: "ssh-ed25519  \t " + edBlob + " \t me  host ", keyType: "ssh-ed25519", blob: edBlob, comment: "me  host"},
		{name: "restrict,pty", key: "restrict,pty " + edKey, options: "restrict,pty", keyType: "ssh-ed25519", blob: edBlob},
		{name: "command", key: `command="echo hi" ` + edKey + " c", options: `command="echo hi"`, keyType: "ssh-ed25519", blob: edBlob, comment: "c"},
		{name: "command and more", key: `no-pty,command="echo a\" b",from="10.0.0.0/8" ` + edKey, options: `no-pty,command="echo a\" b",from="10.0.0.0/8"`, keyType: "ssh-ed25519", blob: edBlob},
		{name: "unmatched quote", key: `command="echo ` + edKey, reason: ReasonBadBase64, options: "", keyType: `command="echo`, blob: "ssh-ed25519", comment: edBlob},
		{name: "type only", key: "ssh-ed25519", reason: ReasonNotAuthorizedKey, keyType: "ssh-ed25519"},
		{name: "blob only", key: edBlob, reason: ReasonNotAuthorizedKey, keyType: edBlob},
		{name: "type mismatch", key: "ssh-rsa " + edBlob, reason: ReasonTypeMismatch, keyType: "ssh-rsa", blob: edBlob},
		{name: "type mismatch ecdsa curve", key: "ecdsa-sha2-nistp384 " + ecBlob, reason: ReasonTypeMismatch, keyType: "ecdsa-sha2-nistp384", blob: ecBlob},
		{name: "type case differs", key: "SSH-ED25519 " + edBlob, reason: ReasonUnknownType, keyType: "SSH-ED25519", blob: edBlob},
		{name: "unknown type", key: "ssh-foo " + edBlob + " c", reason: ReasonUnknownType, keyType: "ssh-foo", blob: edBlob, comment: "c"},
		{name: "unknown type after option", key: "restrict ssh-foo " + edBlob, reason: ReasonUnknownType, options: "restrict", keyType: "ssh-foo", blob: edBlob},
		{name: "option as type", key: "restrict " + edBlob, reason: ReasonUnknownType, keyType: "restrict", blob: edBlob},
		{name: "bad base64", key: "ssh-ed25519 !!!!", reason: ReasonBadBase64, keyType: "ssh-ed25519", blob: "!!!!"},
		{name: "bad base64 padding", key: "ssh-ed25519 " + edBlob + "=", reason: ReasonBadBase64, keyType: "ssh-ed25519", blob: edBlob + "="},
		{name: "truncated blob", key: "ssh-ed25519 " + edBlob[:40], reason: ReasonBadKey, keyType: "ssh-ed25519", blob: edBlob[:40]},
		{name: "not a key", key: "ssh-ed25519 AAAA", reason: ReasonBadKey, keyType: "ssh-ed25519", blob: "AAAA"},
		{name: "commented out", key: "#" + edKey, reason: ReasonNotAuthorizedKey, keyType: "#ssh-ed25519", blob: edBlob},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			want := verdict{"alice", tc.reason, StatePermanent}
			if tc.reason != "" {
				want.state = StateInvalid
			}
			l := requireLine(t, "alice:"+tc.key, want)
			require.Equal(t, tc.options, l.Options, "options")
			require.Equal(t, tc.keyType, l.KeyType, "key type")
			require.Equal(t, tc.blob, l.Blob, "blob")
			require.Equal(t, tc.comment, l.Comment, "comment")
		})
	}
}

// TestGoogleSSH covers the agent's CheckExpiredKey and CheckExpired on the
// comment: "google-ssh", a space, one JSON object, an expireOn with a zone
// in RFC 3339 or 2006-01-02T15:04:05-0700 form, expired when before now.
func TestGoogleSSH(t *testing.T) {
	tests := []struct {
		name     string
		comment  string
		reason   Reason
		state    State
		expireOn string // RFC 3339, "" for none
		userName string
	}{
		{name: "gcloud", comment: gcloud("2027-01-01T00:00:00+0000"), state: StateExpiring, expireOn: "2027-01-01T00:00:00Z", userName: "usera@example.com"},
		{name: "gcloud past", comment: gcloud("2026-11-23T11:59:59+0000"), state: StateExpired, expireOn: "2026-11-23T11:59:59Z", userName: "usera@example.com"},
		{name: "RFC 3339 Z", comment: gcloud("2027-01-01T00:00:00Z"), state: StateExpiring, expireOn: "2027-01-01T00:00:00Z", userName: "usera@example.com"},
		{name: "RFC 3339 +01:00", comment: gcloud("2026-11-23T12:30:00+01:00"), state: StateExpired, expireOn: "2026-11-23T11:30:00Z", userName: "usera@example.com"},
		{name: "fractional seconds", comment: gcloud("2026-11-23T12:00:00.5Z"), state: StateExpiring, expireOn: "2026-11-23T12:00:00.5Z", userName: "usera@example.com"},
		{name: "-0700 form, other zone", comment: gcloud("2026-11-23T05:00:01-0700"), state: StateExpiring, expireOn: "2026-11-23T12:00:01Z", userName: "usera@example.com"},
		{name: "exactly now is not expired", comment: gcloud("2026-11-23T12:00:00+0000"), state: StateExpiring, expireOn: "2026-11-23T12:00:00Z", userName: "usera@example.com"},
		{name: "a nanosecond before now", comment: gcloud("2026-11-23T11:59:59.999999999Z"), state: StateExpired, expireOn: "2026-11-23T11:59:59.999999999Z", userName: "usera@example.com"},
		{name: "the zero instant is an expiry, long past", comment: gcloud("0001-01-01T00:00:00+0000"), state: StateExpired, expireOn: "0001-01-01T00:00:00Z", userName: "usera@example.com"},
		{name: "a year that ends up before year 1", comment: gcloud("0001-01-01T00:00:00+0100"), state: StateExpired, expireOn: "0000-12-31T23:00:00Z", userName: "usera@example.com"},
		{name: "field names in any case", comment: gssh(`{"USERNAME":"u@example.com","EXPIREON":"2027-01-01T00:00:00Z"}`), state: StateExpiring, expireOn: "2027-01-01T00:00:00Z", userName: "u@example.com"},
		{name: "unknown fields", comment: gssh(`{"expireOn":"2027-01-01T00:00:00Z","extra":[1,{"a":null}]}`), state: StateExpiring, expireOn: "2027-01-01T00:00:00Z"},
		{name: "spaces in JSON", comment: gssh(` { "expireOn" : "2027-01-01T00:00:00Z" } `), state: StateExpiring, expireOn: "2027-01-01T00:00:00Z"},
		{name: "google-ssh prefix of a longer word", comment: `google-sshx {"expireOn":"2027-01-01T00:00:00Z"}`, state: StateExpiring, expireOn: "2027-01-01T00:00:00Z"},

		{name: "no JSON", comment: "google-ssh", reason: ReasonGoogleSSHNoJSON},
		{name: "tab before JSON", comment: "google-ssh\t{\"expireOn\":\"2027-01-01T00:00:00Z\"}", reason: ReasonGoogleSSHNoJSON},
		{name: "space then nothing", comment: "google-ssh ", reason: ReasonGoogleSSHNoJSON},
		{name: "bad JSON", comment: gssh(`{"expireOn":`), reason: ReasonGoogleSSHBadJSON},
		{name: "not an object", comment: gssh(`"2027-01-01T00:00:00Z"`), reason: ReasonGoogleSSHBadJSON},
		{name: "text after the object", comment: gssh(`{"expireOn":"2027-01-01T00:00:00Z"} x`), reason: ReasonGoogleSSHBadJSON},
		{name: "two objects", comment: gssh(`{"expireOn":"2027-01-01T00:00:00Z"} {}`), reason: ReasonGoogleSSHBadJSON},
		{name: "numeric expireOn", comment: gssh(`{"expireOn":1234}`), reason: ReasonGoogleSSHBadJSON},
		{name: "numeric userName", comment: gssh(`{"userName":7,"expireOn":"2027-01-01T00:00:00Z"}`), reason: ReasonGoogleSSHBadJSON},
		{name: "null", comment: gssh(`null`), reason: ReasonBadExpireOn},
		{name: "null expireOn", comment: gssh(`{"expireOn":null}`), reason: ReasonBadExpireOn, userName: ""},
		{name: "missing expireOn", comment: gssh(`{"userName":"u@example.com"}`), reason: ReasonBadExpireOn, userName: "u@example.com"},
		{name: "empty object", comment: gssh(`{}`), reason: ReasonBadExpireOn},
		{name: "time without zone", comment: gcloud("2027-01-01T00:00:00"), reason: ReasonBadExpireOn, userName: "usera@example.com"},
		{name: "date only", comment: gcloud("2027-01-01"), reason: ReasonBadExpireOn, userName: "usera@example.com"},
		{name: "impossible date", comment: gcloud("2026-02-30T00:00:00Z"), reason: ReasonBadExpireOn, userName: "usera@example.com"},
		{name: "impossible date, -0700 form", comment: gcloud("2026-02-30T00:00:00+0000"), reason: ReasonBadExpireOn, userName: "usera@example.com"},
		{name: "hour 24", comment: gcloud("2026-12-01T24:00:00Z"), reason: ReasonBadExpireOn, userName: "usera@example.com"},
		{name: "zone with colon, no seconds", comment: gcloud("2027-01-01T00:00+00:00"), reason: ReasonBadExpireOn, userName: "usera@example.com"},
		{name: "space for T", comment: gssh(`{"expireOn":"2027-01-01 00:00:00Z"}`), reason: ReasonBadExpireOn},
		{name: "Unix time as string", comment: gcloud("1798761600"), reason: ReasonBadExpireOn, userName: "usera@example.com"},

		{name: "plain comment", comment: "alice@laptop", state: StatePermanent},
		{name: "google-ssh later in comment", comment: "alice google-ssh {}", state: StatePermanent},
		{name: "capitalised Google-ssh", comment: `Google-ssh {"expireOn":"2020-01-01T00:00:00Z"}`, state: StatePermanent},
		{name: "no comment", comment: "", state: StatePermanent},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			want := verdict{"alice", tc.reason, tc.state}
			if tc.reason != "" {
				want.state = StateInvalid
			}
			l := requireLine(t, "alice:"+edKey+" "+tc.comment, want)
			require.Equal(t, "SHA256://4dF5AeCYQSgdeb1sbdwGnFJpeWk5YX/P+5PY7JBRo", l.Fingerprint)
			if tc.expireOn == "" {
				require.True(t, l.ExpireOn.IsZero(), "no expiry")
				require.False(t, l.Expires())
			} else {
				require.True(t, mustTime(t, tc.expireOn).Equal(l.ExpireOn), "expireOn %s", l.ExpireOn)
				require.True(t, l.Expires())
			}
			switch {
			case tc.reason == ReasonGoogleSSHNoJSON || tc.reason == ReasonGoogleSSHBadJSON || tc.state == StatePermanent:
				require.Nil(t, l.Google)
			default:
				require.NotNil(t, l.Google)
				require.Equal(t, tc.userName, l.Google.UserName)
			}
		})
	}
}

// TestParseExpireOn covers CheckExpired's two layouts on their own.
func TestParseExpireOn(t *testing.T) {
	tests := []struct {
		in   string
		want string // RFC 3339 instant, "" for an error
	}{
		{"2026-12-01T10:00:00+0000", "2026-12-01T10:00:00Z"},
		{"2026-12-01T10:00:00-0530", "2026-12-01T15:30:00Z"},
		{"2026-12-01T10:00:00+05:30", "2026-12-01T04:30:00Z"},
		{"2026-12-01T10:00:00Z", "2026-12-01T10:00:00Z"},
		{"2026-12-01T10:00:00.123456789Z", "2026-12-01T10:00:00.123456789Z"},
		{"2026-12-01T10:00:00.5+0000", "2026-12-01T10:00:00.5Z"},
		{"2026-12-01t10:00:00z", ""},
		{"2026-12-01T10:00:00", ""},
		{"2026-12-01T10:00:00+00", ""},
		{"2026-12-01T10:00:00 +0000", ""},
		{"2026-13-01T10:00:00Z", ""},
		{"", ""},
	}
	for _, tc := range tests {
		t.Run(tc.in, func(t *testing.T) {
			got, err := ParseExpireOn(tc.in)
			if tc.want == "" {
				require.Error(t, err)
				return
			}
			require.NoError(t, err)
			require.True(t, mustTime(t, tc.want).Equal(got), "got %s", got.Format(time.RFC3339Nano))
		})
	}
}
