package gcpfake

import (
	"fmt"
	"reflect"
	"regexp"
	"strings"
	"unicode/utf8"
)

// The filter parameter of Compute Engine's list methods. Its reference
// describes two dialects, which one filter may not mix:
//
//	regular expressions   name eq "web-.*"   status ne TERMINATED
//	                      (status eq RUNNING)(name eq ".*\bapi\-1\b.*")
//	AIP-160               name = web-1   labels.env:*   name != "a b"
//	                      (status = RUNNING) OR (name = api-*)
//
// A regular expression (RE2) must match the whole field. gcloud sends
// only the first dialect: it turns its own --filter into eq and ne terms,
// AND'ed by parenthesising each (nested, for three or more), drops what
// it cannot express server-side (labels, OR, ~ on lists) and applies the
// whole filter again to what comes back. Google refuses explicit AND in
// that dialect ("status eq RUNNING AND name eq x" is answered 400, as a
// client library's issue tracker shows), and so does the fake.
//
// In AIP-160, = and != compare (a * in a string is a wildcard), : tests a
// substring, or presence with :*, and < > <= >= compare numbers or else
// strings; terms side by side, or joined by AND, must all hold; OR binds
// tighter than AND, as AIP-160 says; NOT and - negate.
//
// A field is a path of the resource's JSON names (labels.env,
// resourceStatus.effectiveInstanceMetadata.enableOsloginMetadataValue).
// Google refuses a repeated field (tags.items, networkInterfaces.network:
// "Invalid list filter expression", as issue trackers quote it). The fake
// checks names against the Go type the list serves, as it does for the
// fields parameter: a field Google has but the fake does not serve is
// refused too, so that a test meeting it learns the fake must serve it.
// Every refusal is Google's 400:
//
//	Invalid value for field 'filter': 'FILTER'. Invalid list filter expression.

// maxFilterDepth bounds the nesting of a filter, so that a hostile
// parameter cannot exhaust the parser's stack.
const maxFilterDepth = 32

// computeFilterNode is a parsed filter; it tells whether a resource, read by
// path through get, matches.
type computeFilterNode interface {
	match(get fieldGetter) bool
}

// fieldGetter reads a field of a resource as a string; ok is false when
// the resource has no value there.
type fieldGetter func(path []string) (value string, ok bool)

type (
	allOf []computeFilterNode
	anyOf []computeFilterNode
	notOf struct{ n computeFilterNode }
	// term is one comparison: field op value. re is the compiled pattern
	// of eq and ne, and of = != : with a wildcard.
	term struct {
		path  []string
		op    string
		value string
		re    *regexp.Regexp
	}
)

func (a allOf) match(get fieldGetter) bool {
	for _, n := range a {
		if !n.match(get) {
			return false
		}
	}
	return true
}

func (a anyOf) match(get fieldGetter) bool {
	for _, n := range a {
		if n.match(get) {
			return true
		}
	}
	return false
}

func (n notOf) match(get fieldGetter) bool { return !n.n.match(get) }

// parseComputeFilter parses a filter on resources of type t; nil for an
// empty filter.
func parseComputeFilter(filter string, t reflect.Type) (computeFilterNode, *apiError) {
	if strings.TrimSpace(filter) == "" {
		return nil, nil
	}
	p := &computeFilterParser{s: filter, t: t}
	var n computeFilterNode
	err := fmt.Errorf("not UTF-8") // and so no pattern
	if utf8.ValidString(filter) {
		n, err = p.sequence(0)
	}
	if err == nil && p.i < len(p.s) {
		err = fmt.Errorf("unexpected %q at %d", p.s[p.i], p.i)
	}
	if err == nil {
		err = p.dialectErr()
	}
	if err != nil {
		return nil, errInvalid(fmt.Sprintf("Invalid value for field 'filter': '%s'. Invalid list filter expression.", filter))
	}
	return n, nil
}

type computeFilterParser struct {
	s string
	i int
	t reflect.Type
	// What the filter used, to refuse a mix of the dialects.
	regex, aip, keywords, bareRegex bool
	terms                           int
}

// dialectErr refuses what parsed but Google does not take: both dialects
// at once, and a regular expression beside AND, OR, NOT or another term
// unless each term is in parentheses.
func (p *computeFilterParser) dialectErr() error {
	switch {
	case p.regex && p.aip:
		return fmt.Errorf("both dialects")
	case p.regex && p.keywords:
		return fmt.Errorf("AND, OR or NOT with regular expressions")
	case p.bareRegex && p.terms > 1:
		return fmt.Errorf("regular expressions not in parentheses")
	}
	return nil
}

// sequence parses terms side by side or joined by AND, until the end or
// a closing parenthesis: all must hold.
func (p *computeFilterParser) sequence(depth int) (computeFilterNode, error) {
	if depth > maxFilterDepth {
		return nil, fmt.Errorf("nested deeper than %d", maxFilterDepth)
	}
	var all allOf
	for {
		p.space()
		if p.i == len(p.s) || p.s[p.i] == ')' {
			break
		}
		if len(all) > 0 && p.keyword("AND") {
			p.space()
		}
		n, err := p.disjunction(depth)
		if err != nil {
			return nil, err
		}
		all = append(all, n)
	}
	switch len(all) {
	case 0:
		return nil, fmt.Errorf("empty expression at %d", p.i)
	case 1:
		return all[0], nil
	}
	return all, nil
}

// disjunction parses unary (OR unary)*.
func (p *computeFilterParser) disjunction(depth int) (computeFilterNode, error) {
	n, err := p.unary(depth)
	if err != nil {
		return nil, err
	}
	alts := anyOf{n}
	for {
		save := p.i
		p.space()
		if !p.keyword("OR") {
			p.i = save
			break
		}
		p.space()
		n, err := p.unary(depth)
		if err != nil {
			return nil, err
		}
		alts = append(alts, n)
	}
	if len(alts) == 1 {
		return alts[0], nil
	}
	return alts, nil
}

// unary parses [NOT | -] primary, where primary is ( sequence ) or a term.
func (p *computeFilterParser) unary(depth int) (computeFilterNode, error) {
	if p.keyword("NOT") || p.take("-") {
		p.keywords = true // a regular expression is negated with ne
		p.space()
		n, err := p.unary(depth + 1)
		if err != nil {
			return nil, err
		}
		return notOf{n}, nil
	}
	if !p.take("(") {
		return p.term(depth == 0)
	}
	n, err := p.sequence(depth + 1)
	if err != nil {
		return nil, err
	}
	p.space()
	if !p.take(")") {
		return nil, fmt.Errorf("unclosed parenthesis at %d", p.i)
	}
	return n, nil
}

// keyword consumes an upper-case keyword followed by a space or a
// parenthesis.
func (p *computeFilterParser) keyword(k string) bool {
	rest := p.s[p.i:]
	if !strings.HasPrefix(rest, k) || len(rest) == len(k) || !strings.ContainsRune(" \t\n(", rune(rest[len(k)])) {
		return false
	}
	p.i += len(k)
	p.keywords = true
	return true
}

func (p *computeFilterParser) take(s string) bool {
	if strings.HasPrefix(p.s[p.i:], s) {
		p.i += len(s)
		return true
	}
	return false
}

func (p *computeFilterParser) space() {
	for p.i < len(p.s) && strings.ContainsRune(" \t\n", rune(p.s[p.i])) {
		p.i++
	}
}
