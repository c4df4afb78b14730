package gcpfake

import (
	"errors"
	"strings"
)

// Why a value of a filter or query could not be read; each parser says
// it in its API's words.
var (
	errUnclosedQuote = errors.New("unclosed quote")
	errNoValue       = errors.New("want a value")
)

// scanValue reads the value that starts at s[i], as Compute's AIP-160
// filters and Resource Manager's queries both write it: a string in
// double quotes, with \" and \\ escaped, or a run up to a space or
// parenthesis. It returns the value and the index after it.
func scanValue(s string, i int) (string, int, error) {
	if i < len(s) && s[i] == '"' {
		var b strings.Builder
		for j := i + 1; j < len(s); j++ {
			switch c := s[j]; {
			case c == '\\' && j+1 < len(s):
				j++
				b.WriteByte(s[j])
			case c == '"':
				return b.String(), j + 1, nil
			default:
				b.WriteByte(c)
			}
		}
		return "", i, errUnclosedQuote
	}
	start := i
	for i < len(s) && !strings.ContainsRune(" \t\n()", rune(s[i])) {
		i++
	}
	if i == start {
		return "", i, errNoValue
	}
	return s[start:i], i, nil
}
