package gcpfake

import (
	"fmt"
	"regexp"
	"strings"
	"time"
)

// The subset of the Logging query language that the fake evaluates, as
// Google documents it (cloud.google.com/logging/docs/view/logging-query-language):
//
//	comparison   FIELD OP VALUE, FIELD a dotted path of the LogEntry JSON
//	             (camelCase or snake_case, a quoted segment for a key
//	             with dots or slashes: labels."compute.googleapis.com/x"),
//	             OP one of = != < <= > >= : =~ !~, VALUE a word or a
//	             "quoted string"; FIELD:* tests that the field is there
//	value group  FIELD OP (V1 OR V2 ...), also with AND and parentheses
//	booleans     AND, OR, NOT and a leading -, parentheses; juxtaposition
//	             is AND; OR binds tighter than AND, as the documentation's
//	             example says: a OR NOT b AND NOT c OR d is
//	             (a OR (NOT b)) AND ((NOT c) OR d)
//	functions    log_id("cloudaudit.googleapis.com/activity")
//	comments     from -- to the end of the line
//
// Matching follows the documentation where it speaks: string comparisons
// ignore case (but regular expressions do not), : is a substring test, a
// comparison on a repeated field holds if it holds for an element,
// timestamps compare as times, severities by their rank. Where it does
// not, the fake chooses: a comparison on a missing field is false, !=
// and !~ included (NOT FIELD=V is true there). Global restrictions (a
// bare value), other functions (SEARCH, sample, ip_in_net, ...) are
// refused with 400 INVALID_ARGUMENT rather than answered wrongly.

// maxFilterLength is the documented limit of a filter.
const maxFilterLength = 20000

// filterNode is a parsed filter, matched against a LogEntry as JSON.
type filterNode interface {
	match(doc map[string]any) bool
}

type (
	matchAll struct{}
	andNode  []filterNode
	orNode   []filterNode
	notNode  struct{ n filterNode }
	logID    struct{ suffix string }
)

func (matchAll) match(map[string]any) bool { return true }

func (a andNode) match(doc map[string]any) bool {
	for _, n := range a {
		if !n.match(doc) {
			return false
		}
	}
	return true
}

func (o orNode) match(doc map[string]any) bool {
	for _, n := range o {
		if n.match(doc) {
			return true
		}
	}
	return false
}

func (n notNode) match(doc map[string]any) bool { return !n.n.match(doc) }

func (l logID) match(doc map[string]any) bool {
	name, _ := doc["logName"].(string)
	return strings.HasSuffix(strings.ToLower(name), l.suffix)
}

// filterError is a filter the fake refuses: Logging answers 400
// INVALID_ARGUMENT with the message.
type filterError struct{ msg string }

func (e *filterError) Error() string { return e.msg }

// syntaxError is Logging's message for a filter it cannot parse.
func syntaxError(t token) error {
	text := t.text
	if t.kind == tEOF {
		text = "<EOF>"
	}
	return &filterError{fmt.Sprintf("Unparseable filter: syntax error at line %d, column %d, token '%s'", t.line, t.col, text)}
}

func unsupported(what string, t token) error {
	return &filterError{fmt.Sprintf("Unsupported filter: %s at line %d, column %d is valid in Cloud Logging but not served by gcp-fake", what, t.line, t.col)}
}

// parseFilter parses a filter; the empty filter matches every entry.
func parseFilter(s string) (filterNode, error) {
	if len(s) > maxFilterLength {
		return nil, &filterError{fmt.Sprintf("Filter is longer than %d characters", maxFilterLength)}
	}
	toks, err := lexFilter(s)
	if err != nil {
		return nil, err
	}
	p := &filterParser{toks: toks}
	if p.peek().kind == tEOF {
		return matchAll{}, nil
	}
	n, err := p.boolExpr(p.restriction)
	if err != nil {
		return nil, err
	}
	if t := p.peek(); t.kind != tEOF {
		return nil, syntaxError(t)
	}
	return n, nil
}

type filterParser struct {
	toks []token
	i    int
}

func (p *filterParser) peek() token { return p.toks[p.i] }

func (p *filterParser) next() token {
	t := p.toks[p.i]
	if t.kind != tEOF {
		p.i++
	}
	return t
}

func isKeyword(t token, kw string) bool { return t.kind == tWord && t.text == kw }

// boolExpr parses terms joined by AND (or juxtaposition) and OR, OR
// binding tighter, with leaf parsing a term's smallest part: a
// restriction at the top, a value inside a value group.
func (p *filterParser) boolExpr(leaf func() (filterNode, error)) (filterNode, error) {
	var and andNode
	for {
		or, err := p.orExpr(leaf)
		if err != nil {
			return nil, err
		}
		and = append(and, or)
		t := p.peek()
		if t.kind == tEOF || t.kind == tRParen {
			break
		}
		if isKeyword(t, "AND") {
			p.next()
		}
	}
	if len(and) == 1 {
		return and[0], nil
	}
	return and, nil
}

func (p *filterParser) orExpr(leaf func() (filterNode, error)) (filterNode, error) {
	var or orNode
	for {
		n, err := p.unary(leaf)
		if err != nil {
			return nil, err
		}
		or = append(or, n)
		if !isKeyword(p.peek(), "OR") {
			break
		}
		p.next()
	}
	if len(or) == 1 {
		return or[0], nil
	}
	return or, nil
}

// unary parses NOT, a leading -, a parenthesised expression, or a leaf.
func (p *filterParser) unary(leaf func() (filterNode, error)) (filterNode, error) {
	t := p.peek()
	switch {
	case isKeyword(t, "NOT") || t.kind == tMinus:
		p.next()
		n, err := p.unary(leaf)
		return notNode{n}, err
	case t.kind == tWord && len(t.text) > 1 && t.text[0] == '-':
		p.toks[p.i].text, p.toks[p.i].col = t.text[1:], t.col+1
		n, err := p.unary(leaf)
		return notNode{n}, err
	case t.kind == tLParen:
		p.next()
		n, err := p.boolExpr(leaf)
		if err != nil {
			return nil, err
		}
		if c := p.next(); c.kind != tRParen {
			return nil, syntaxError(c)
		}
		return n, nil
	case isKeyword(t, "AND") || isKeyword(t, "OR") || t.kind == tEOF || t.kind == tRParen || t.kind == tOp:
		return nil, syntaxError(t)
	}
	return leaf()
}

// restriction parses FIELD OP VALUE, FIELD OP (VALUES), or a function.
func (p *filterParser) restriction() (filterNode, error) {
	t := p.next()
	if t.kind == tString {
		return nil, unsupported("a global restriction", t)
	}
	if p.peek().kind == tLParen {
		return p.function(t)
	}
	path, err := p.fieldPath(t)
	if err != nil {
		return nil, err
	}
	op := p.next()
	if op.kind != tOp {
		if op.kind == tEOF || op.kind == tWord || op.kind == tRParen {
			return nil, unsupported("a global restriction", t)
		}
		return nil, syntaxError(op)
	}
	leaf := func() (filterNode, error) { return p.value(path, op) }
	if p.peek().kind == tLParen {
		return p.unary(leaf) // a value group
	}
	return leaf()
}

// fieldPath reads a dotted path whose segments may be quoted:
// labels."compute.googleapis.com/root_trigger_id".
func (p *filterParser) fieldPath(t token) ([]string, error) {
	text := t.text
	var path []string
	for strings.HasSuffix(text, ".") && p.peek().kind == tString {
		path = append(path, splitPath(strings.TrimSuffix(text, "."))...)
		path = append(path, p.next().text)
		text = ""
		if w := p.peek(); w.kind == tWord && strings.HasPrefix(w.text, ".") {
			text = strings.TrimPrefix(p.next().text, ".")
		}
	}
	path = append(path, splitPath(text)...)
	for _, seg := range path {
		if seg == "" {
			return nil, syntaxError(t)
		}
	}
	return path, nil
}

func splitPath(s string) []string {
	if s == "" {
		return nil
	}
	return strings.Split(s, ".")
}

// value parses one value of a comparison.
func (p *filterParser) value(path []string, op token) (filterNode, error) {
	v := p.next()
	if v.kind != tWord && v.kind != tString || isKeyword(v, "AND") || isKeyword(v, "OR") || isKeyword(v, "NOT") {
		return nil, syntaxError(v)
	}
	return newComparison(path, op.text, v)
}

// function parses log_id("..."), the one function the fake serves.
func (p *filterParser) function(name token) (filterNode, error) {
	if name.text != "log_id" {
		return nil, unsupported("function "+name.text, name)
	}
	p.next() // (
	arg := p.next()
	if arg.kind != tString && arg.kind != tWord {
		return nil, syntaxError(arg)
	}
	if c := p.next(); c.kind != tRParen {
		return nil, syntaxError(c)
	}
	return logID{suffix: "/logs/" + strings.ToLower(strings.ReplaceAll(arg.text, "/", "%2f"))}, nil
}

// comparison is FIELD OP VALUE.
type comparison struct {
	path  []string
	op    string
	value string
	re    *regexp.Regexp // for =~ and !~
	ts    time.Time      // the value as a time, if it is one
	hasTS bool
}

// timeFields are the LogEntry fields whose values must be timestamps.
var timeFields = map[string]bool{"timestamp": true, "receiveTimestamp": true, "receive_timestamp": true}

func newComparison(path []string, op string, v token) (filterNode, error) {
	c := &comparison{path: path, op: op, value: v.text}
	if op == "=~" || op == "!~" {
		re, err := regexp.Compile(v.text)
		if err != nil {
			return nil, &filterError{fmt.Sprintf("Invalid regular expression %q at line %d, column %d: %v", v.text, v.line, v.col, err)}
		}
		c.re = re
		return c, nil
	}
	if ts, err := time.Parse(time.RFC3339Nano, v.text); err == nil {
		c.ts, c.hasTS = ts, true
	} else if len(path) == 1 && timeFields[path[0]] && op != ":" {
		return nil, &filterError{fmt.Sprintf("Invalid timestamp %q at line %d, column %d: want RFC 3339, such as \"2026-11-23T12:00:00Z\"", v.text, v.line, v.col)}
	}
	return c, nil
}
