package keyparse

import (
	"strings"
	"time"
)

// Line is one line of a metadata value, as written and as the guest agent
// reads it.
type Line struct {
	// Number is the 1-based position of the line in the value.
	Number int
	// Text is the line exactly as written, without its line ending.
	Text string
	// EOL is the line ending that followed Text: "\n", "\r\n", or "" for
	// a last line without one.
	EOL string

	// Username is the text before the first ':' (after trimming spaces).
	Username string
	// Options are the authorized_keys options before the key type, as
	// written (restrict,pty or command="...").
	Options string
	// KeyType is the declared key type, such as ssh-ed25519.
	KeyType string
	// Blob is the base64 text of the key as written.
	Blob string
	// Comment is what follows the blob, trimmed.
	Comment string
	// Fingerprint is "SHA256:" and the unpadded base64 of the key's
	// SHA-256, as ssh-keygen -l -E sha256 prints it; "" when the blob is
	// not a public key.
	Fingerprint string

	// Google is the decoded JSON of a google-ssh comment; nil when the
	// comment does not start with google-ssh or its JSON does not decode.
	Google *GoogleSSH
	// ExpireOn is the instant Google.ExpireOn names; zero when there is none.
	ExpireOn time.Time

	// Invalid says why the guest agent rejects the line whatever the time;
	// "" when the line grants access (until ExpireOn, if set).
	Invalid Reason
}

// GoogleSSH is the JSON of a google-ssh comment. Field names match
// case-insensitively and unknown fields are ignored, as in the agent.
type GoogleSSH struct {
	UserName string `json:"userName"`
	ExpireOn string `json:"expireOn"`
}

// Valid tells whether the guest agent accepts the line at some instant:
// it is well formed, and its expiry, if any, is readable.
func (l Line) Valid() bool { return l.Invalid == "" }

// Expires tells whether the line carries an expiry that the agent reads.
// It is not ExpireOn.IsZero: "0001-01-01T00:00:00Z" is Go's zero instant
// and a valid expiry, long past, that the agent's time.Before calls
// expired. Taking it for "no expiry" would call the key permanent.
func (l Line) Expires() bool { return l.Google != nil && l.Invalid != ReasonBadExpireOn }

// State is what a line grants at an instant.
type State string

// States of a line at an instant.
const (
	// StateExpiring: grants access until an expiry after now.
	StateExpiring State = "expiring"
	// StateExpired: was valid, but its expiry is before now.
	StateExpired State = "expired"
	// StatePermanent: grants access and never expires.
	StatePermanent State = "permanent"
	// StateInvalid: the agent never grants access with this line.
	StateInvalid State = "invalid"
)

// State tells what the line grants at now. A key whose expiry is exactly
// now is not yet expired, as in the agent (time.Before).
func (l Line) State(now time.Time) State {
	switch {
	case !l.Valid():
		return StateInvalid
	case !l.Expires():
		return StatePermanent
	case l.ExpireOn.Before(now):
		return StateExpired
	default:
		return StateExpiring
	}
}

// GrantsAccess tells whether the guest agent would accept the line at now.
func (l Line) GrantsAccess(now time.Time) bool {
	s := l.State(now)
	return s == StateExpiring || s == StatePermanent
}

// Format is the inverse of Parse: it joins the lines with their own
// line endings, giving back the parsed value byte for byte.
func Format(lines []Line) string {
	n := 0
	for _, l := range lines {
		n += len(l.Text) + len(l.EOL)
	}
	var b strings.Builder
	b.Grow(n)
	for _, l := range lines {
		b.WriteString(l.Text)
		b.WriteString(l.EOL)
	}
	return b.String()
}
