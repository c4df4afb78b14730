package keyparse

import "strings"

// Parse splits a metadata value into its lines, in order, and reads each
// one as the guest agent does. Lines end at "\n"; a "\r" just before it is
// part of the line ending. A value that ends with a line ending has no
// empty last line. Parse never fails: a line the agent rejects carries the
// reason in Line.Invalid.
func Parse(value string) []Line {
	lines := make([]Line, 0, strings.Count(value, "\n")+1)
	for n := 1; value != ""; n++ {
		raw, eol := value, ""
		if i := strings.IndexByte(value, '\n'); i >= 0 {
			raw, eol, value = value[:i], "\n", value[i+1:]
		} else {
			value = ""
		}
		text := raw
		if eol != "" && strings.HasSuffix(raw, "\r") {
			text, eol = raw[:len(raw)-1], "\r\n"
		}
		l := ParseLine(raw)
		l.Number, l.Text, l.EOL = n, text, eol
		lines = append(lines, l)
	}
	return lines
}

// ParseLine reads one line, without its "\n", as the guest agent does.
// Number, Text and EOL are left for the caller (Parse) to set.
func ParseLine(raw string) Line {
	var l Line
	// Blank lines are common between keys; the agent rejects them as
	// "empty key" or "unrecognized format".
	if strings.TrimSpace(raw) == "" {
		l.Invalid = ReasonBlank
		return l
	}
	user, key, reason := userKey(raw)
	l.Username = user
	if reason != "" {
		l.Invalid = reason
		return l
	}
	l.Invalid = validateUser(user)
	readKey(&l, key)
	return l
}
