package gcpfake

import (
	"fmt"
	"strings"
	"unicode"
)

// The lexer of the Logging query language (see logging_filter.go).

// Token kinds.
const (
	tEOF = iota
	tLParen
	tRParen
	tOp     // = != < <= > >= : =~ !~
	tWord   // bare word, keyword, field path or value
	tString // "quoted", unquoted in text
	tMinus  // a - before ( or ", meaning NOT
)

type token struct {
	kind      int
	text      string
	line, col int
}

// lexFilter splits a filter into tokens.
func lexFilter(s string) ([]token, error) {
	var toks []token
	line, lineStart := 1, 0
	for i := 0; i < len(s); {
		c := s[i]
		at := token{line: line, col: i - lineStart + 1}
		switch {
		case c == '\n':
			line, lineStart = line+1, i+1
			i++
		case c == ' ' || c == '\t' || c == '\r':
			i++
		case strings.HasPrefix(s[i:], "--"):
			for i < len(s) && s[i] != '\n' {
				i++
			}
		case c == '(' || c == ')':
			at.kind, at.text = tLParen, string(c)
			if c == ')' {
				at.kind = tRParen
			}
			toks, i = append(toks, at), i+1
		case c == '"':
			str, n, err := lexString(s[i:], at)
			if err != nil {
				return nil, err
			}
			at.kind, at.text = tString, str
			toks, i = append(toks, at), i+n
		default:
			n := lexOther(s[i:], &at)
			if n == 0 {
				at.text = string(c)
				return nil, syntaxError(at)
			}
			toks, i = append(toks, at), i+n
		}
	}
	return append(toks, token{kind: tEOF, line: line, col: len(s) - lineStart + 1}), nil
}

// lexOther reads an operator, a - that negates, or a word; 0 if none.
func lexOther(s string, at *token) int {
	for _, op := range []string{"!=", "<=", ">=", "=~", "!~", "=", "<", ">", ":"} {
		if strings.HasPrefix(s, op) {
			at.kind, at.text = tOp, op
			return len(op)
		}
	}
	if s[0] == '-' && len(s) > 1 && (s[1] == '(' || s[1] == '"') {
		at.kind, at.text = tMinus, "-"
		return 1
	}
	n := 0
	for n < len(s) && isWordByte(s[n]) {
		n++
	}
	at.kind, at.text = tWord, s[:n]
	return n
}

func isWordByte(c byte) bool {
	return !unicode.IsSpace(rune(c)) && !strings.ContainsRune(`()"=!<>:`, rune(c))
}

// lexString reads a quoted string with backslash escapes and returns its
// value and its length in s.
func lexString(s string, at token) (string, int, error) {
	var b strings.Builder
	for i := 1; i < len(s); i++ {
		switch s[i] {
		case '"':
			return b.String(), i + 1, nil
		case '\\':
			if i+1 == len(s) {
				break
			}
			i++
			b.WriteByte(unescape(s[i]))
		default:
			b.WriteByte(s[i])
		}
	}
	return "", 0, &filterError{fmt.Sprintf("Unparseable filter: unterminated string at line %d, column %d", at.line, at.col)}
}

func unescape(c byte) byte {
	switch c {
	case 'n':
		return '\n'
	case 't':
		return '\t'
	}
	return c
}
