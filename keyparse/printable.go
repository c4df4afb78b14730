package keyparse

import (
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// MaxPrintable is the most bytes of a metadata string that Printable shows.
// A project editor can put 256 KiB in one line; a terminal or a log line
// needs only enough to recognise it.
const MaxPrintable = 128

// Printable returns s in a form safe to show a person: every rune that is
// not a graphic character or the ASCII space (ESC and the other C0 and C1
// controls, DEL, CR, tabs, Unicode spaces, bidi overrides such as U+202E,
// zero-width characters) and every byte of invalid UTF-8 is written as a
// Go escape (\x1b, \u202e), a backslash as \\, and what passes
// MaxPrintable bytes is cut with a note of how much was left out.
//
// Metadata is written by anyone with edit rights on a project: no string
// from it may move an operator's cursor, rewrite a line, or reverse text.
func Printable(s string) string { return PrintableN(s, MaxPrintable) }

// PrintableN is Printable that shows up to max bytes: for messages that
// quote a file (a decoder's error), which need more room than one name.
func PrintableN(s string, max int) string {
	if safeASCII(s) && len(s) <= max {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); {
		if b.Len() >= max {
			b.WriteString("…(+")
			b.WriteString(strconv.Itoa(len(s) - i))
			b.WriteString(" bytes)")
			break
		}
		r, n := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && n == 1:
			b.WriteString(`\x`)
			b.WriteString(hex2(s[i]))
		case r == '\\':
			b.WriteString(`\\`)
		case unicode.IsPrint(r):
			b.WriteString(s[i : i+n])
		default:
			q := strconv.QuoteRuneToASCII(r) // '\x1b', '\u202e', '\t'
			b.WriteString(q[1 : len(q)-1])
		}
		i += n
	}
	return b.String()
}

func safeASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c >= 0x7f || c == '\\' {
			return false
		}
	}
	return true
}

func hex2(c byte) string {
	const digits = "0123456789abcdef"
	return string([]byte{digits[c>>4], digits[c&0xf]})
}

// DisplayUser is the username of a line in a form fit for logs and
// reports. For a line the agent accepts it is Printable(Username). For a
// rejected line the "username" is whatever stood before the first ':',
// which for "ssh-ed25519 AAAA... root@host:2222" is the whole key: only
// its first word is shown, so no key material reaches a log.
func (l Line) DisplayUser() string {
	u := l.Username
	if l.Invalid != "" {
		if i := strings.IndexFunc(u, unicode.IsSpace); i >= 0 {
			u = u[:i] + "…"
		}
	}
	return Printable(u)
}
