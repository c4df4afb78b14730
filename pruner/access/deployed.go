package access

import (
	"strings"
	"time"
	"unicode"

	"github.com/ssh-pruner/ssh-pruner/keyparse"
)

// asDeployed reads a line as the most permissive of the deployed guest
// agents does, where they differ from keyparse (which follows the newest):
// the plan stays strict and removes or expires such a line, but the
// access answer must not miss that some VM takes it meanwhile.
//
//   - guest-agent (GoogleCloudPlatform/guest-agent utils ValidateUser)
//     refuses a user with whitespace by the regexp \s, ASCII only; a user
//     whose only spaces are other Unicode spaces (U+00A0, U+3000...) passes
//     there, and its key is read as keyparse reads a well-named user's.
//   - guest-agent 20230221.00 up to 20231009.00 never expires a line
//     whose key part's third space-separated field is not exactly
//     "google-ssh" (keyparse.OlderAgentNeverExpires): google-sshfoo, a
//     tab or two spaces between fields, options before the key type.
//     Such a line is read as a key without expiry.
//   - the x/crypto of agents built with v0.55 and older cuts the key at a
//     '\r' inside it and trims Unicode spaces around it
//     (ParseAuthorizedKey); a line that then reads as a key is taken.
func asDeployed(l keyparse.Line) keyparse.Line {
	if l.Invalid == keyparse.ReasonBlank {
		return l
	}
	if l.Invalid == keyparse.ReasonUserWhitespace {
		l = asciiSpacedUser(l)
	}
	if (!l.Valid() || l.Expires()) && keyparse.OlderAgentNeverExpires(l) {
		l.Google, l.ExpireOn, l.Invalid = nil, time.Time{}, ""
		return l
	}
	if l.Valid() {
		return l
	}
	return oldCryptoCut(l)
}

// asciiSpacedUser reads a line whose user keyparse refuses for whitespace
// as guest-agent does when that whitespace is not ASCII (\s: tab, newline,
// form feed, carriage return, space): the key part is read as keyparse
// reads it after a user it accepts, every other rule of the user kept.
func asciiSpacedUser(l keyparse.Line) keyparse.Line {
	raw := l.Text
	if l.EOL == "\r\n" {
		raw += "\r" // the agents split at "\n" only, as keyparse.Parse does
	}
	user, key, ok := strings.Cut(strings.Trim(raw, " "), ":")
	if !ok || strings.ContainsAny(user, "\t\n\f\r ") {
		return l
	}
	// Each Unicode space becomes a letter: the user's other rules
	// (no leading '-', no '/') still apply, and nothing else moves.
	stand := strings.Map(func(r rune) rune {
		if unicode.IsSpace(r) {
			return 'x'
		}
		return r
	}, user)
	d := keyparse.ParseLine(stand + ":" + key)
	d.Number, d.Text, d.EOL, d.Username = l.Number, l.Text, l.EOL, l.Username
	return d
}

// oldCryptoCut reads a line keyparse rejects as x/crypto v0.55 and older does:
// the key cut at a '\r' inside it, Unicode spaces around it trimmed.
func oldCryptoCut(l keyparse.Line) keyparse.Line {
	user, key, ok := strings.Cut(l.Text, ":")
	if !ok {
		return l
	}
	cut := key
	if i := strings.IndexByte(cut, '\r'); i >= 0 {
		cut = cut[:i]
	}
	cut = strings.TrimFunc(cut, unicode.IsSpace)
	if cut == key {
		return l
	}
	d := keyparse.ParseLine(user + ":" + cut)
	if !d.Valid() {
		return l
	}
	d.Number, d.Text, d.EOL = l.Number, l.Text, l.EOL
	return d
}
