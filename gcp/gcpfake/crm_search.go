package gcpfake

import (
	"errors"
	"fmt"
	"regexp"
	"strings"
	"unicode/utf8"
)

// The query of projects:search (v3) and the filter of projects.list (v1),
// which their references describe alike: terms field:value (or
// field=value), case-insensitive, a * a wildcard (name:how* starts with
// "how"), a value in double quotes when it has spaces. "If multiple
// fields are included in the query, then it will return results that
// match any of the fields": terms side by side match any, so
// "labels.color:red labels.size:big" is the projects with either label.
// gcloud projects list sends AND, OR, NOT and parentheses
// ("lifecycleState:ACTIVE AND (( labels.env=prod OR labels.env=staging
// ))"), which the fake honours, AND binding loosest. Fields:
//
//	name, displayName        the display name
//	parent                   folders/123, organizations/* (v3)
//	parent.type, parent.id   folder or organization; 123
//	id, projectId            the project id
//	state, lifecycleState    ACTIVE, DELETE_REQUESTED
//	labels                   a label's key or value
//	labels.KEY               the value of label KEY; labels.KEY:* has it
//
// Another field, or a term that does not parse, is refused with 400
// INVALID_ARGUMENT; Google's message is not documented, the fake's says
// what is wrong.

type crmQuery interface {
	match(p *Project) bool
}

type (
	crmAll  []crmQuery
	crmAny  []crmQuery
	crmNot  struct{ q crmQuery }
	crmTerm struct {
		field string         // lower case
		value *regexp.Regexp // the value, whole, case-insensitive
	}
)

func (a crmAll) match(p *Project) bool {
	for _, q := range a {
		if !q.match(p) {
			return false
		}
	}
	return true
}

func (a crmAny) match(p *Project) bool {
	for _, q := range a {
		if q.match(p) {
			return true
		}
	}
	return false
}

func (n crmNot) match(p *Project) bool { return !n.q.match(p) }

// crmFields are the fields a query may name, less labels.KEY.
var crmFields = map[string]bool{
	"name": true, "displayname": true, "parent": true, "parent.type": true, "parent.id": true,
	"id": true, "projectid": true, "state": true, "lifecyclestate": true, "labels": true,
}

func (t crmTerm) match(p *Project) bool {
	kind, id, _ := strings.Cut(p.Parent, "/")
	switch t.field {
	case "parent":
		return t.value.MatchString(p.Parent)
	case "parent.type":
		return t.value.MatchString(strings.TrimSuffix(kind, "s"))
	case "parent.id":
		return t.value.MatchString(id)
	case "id", "projectid":
		return t.value.MatchString(p.ID)
	case "name", "displayname":
		return t.value.MatchString(p.DisplayName)
	case "state", "lifecyclestate":
		return t.value.MatchString(p.State)
	case "labels":
		for k, v := range p.Labels {
			if t.value.MatchString(k) || t.value.MatchString(v) {
				return true
			}
		}
		return false
	}
	v, ok := p.Labels[strings.TrimPrefix(t.field, "labels.")]
	return ok && t.value.MatchString(v)
}

// parseSearchQuery parses a query or filter; nil matches every project.
func parseSearchQuery(q string) (crmQuery, error) {
	if !utf8.ValidString(q) { // and so no pattern
		return nil, fmt.Errorf("Invalid query %q: not UTF-8.", q)
	}
	p := &crmParser{s: q}
	p.space()
	if p.i == len(p.s) {
		return nil, nil
	}
	out, err := p.conjunction(0)
	if err == nil && p.i < len(p.s) {
		err = fmt.Errorf("Invalid query %q: unexpected %q at %d.", q, p.s[p.i], p.i)
	}
	if err != nil {
		return nil, err
	}
	return out, nil
}

type crmParser struct {
	s string
	i int
}

// conjunction parses disjunction (AND disjunction)*, up to the end or a
// closing parenthesis.
func (p *crmParser) conjunction(depth int) (crmQuery, error) {
	if depth > maxFilterDepth {
		return nil, fmt.Errorf("Invalid query %q: nested deeper than %d.", p.s, maxFilterDepth)
	}
	var all crmAll
	for {
		q, err := p.disjunction(depth)
		if err != nil {
			return nil, err
		}
		all = append(all, q)
		if !p.keyword("AND") {
			break
		}
	}
	if len(all) == 1 {
		return all[0], nil
	}
	return all, nil
}

// disjunction parses unary terms side by side or joined by OR: any.
func (p *crmParser) disjunction(depth int) (crmQuery, error) {
	var alts crmAny
	for {
		q, err := p.unary(depth)
		if err != nil {
			return nil, err
		}
		alts = append(alts, q)
		if p.keyword("OR") {
			continue
		}
		if p.i == len(p.s) || p.s[p.i] == ')' || p.peekKeyword("AND") {
			break
		}
	}
	if len(alts) == 1 {
		return alts[0], nil
	}
	return alts, nil
}

// unary parses NOT unary, -unary, ( conjunction ) or a term.
func (p *crmParser) unary(depth int) (crmQuery, error) {
	if p.keyword("NOT") || p.take('-') {
		q, err := p.unary(depth + 1)
		return crmNot{q}, err
	}
	if !p.take('(') {
		return p.term()
	}
	p.space()
	q, err := p.conjunction(depth + 1)
	if err != nil {
		return nil, err
	}
	if !p.take(')') {
		return nil, fmt.Errorf("Invalid query %q: unclosed parenthesis.", p.s)
	}
	return q, nil
}

// term parses field:value or field=value.
func (p *crmParser) term() (crmQuery, error) {
	start := p.i
	for p.i < len(p.s) && isFieldByte(p.s[p.i]) {
		p.i++
	}
	field := strings.ToLower(p.s[start:p.i])
	if !crmFields[field] && (!strings.HasPrefix(field, "labels.") || field == "labels.") {
		return nil, fmt.Errorf("Invalid query %q: unknown field %q at %d.", p.s, p.s[start:p.i], start)
	}
	p.space()
	if !p.take(':') && !p.take('=') {
		return nil, fmt.Errorf("Invalid query %q: want field:value at %d.", p.s, start)
	}
	value, err := p.value()
	if err != nil {
		return nil, err
	}
	p.space()
	return crmTerm{field: field, value: crmPattern(value)}, nil
}

// value reads a value in double quotes, \" and \\ escaped inside, or one
// up to a space or parenthesis.
func (p *crmParser) value() (string, error) {
	v, next, err := scanValue(p.s, p.i)
	switch {
	case errors.Is(err, errUnclosedQuote):
		return "", fmt.Errorf("Invalid query %q: unclosed quote.", p.s)
	case err != nil:
		return "", fmt.Errorf("Invalid query %q: want a value at %d.", p.s, p.i)
	}
	p.i = next
	return v, nil
}

// crmPattern matches a whole value, case-insensitively, * matching any
// run: how* starts with how, * is any value.
func crmPattern(value string) *regexp.Regexp {
	parts := strings.Split(value, "*")
	for i := range parts {
		parts[i] = regexp.QuoteMeta(parts[i])
	}
	return regexp.MustCompile("(?is)^" + strings.Join(parts, ".*") + "$")
}

// keyword consumes an upper-case keyword and the spaces after it.
func (p *crmParser) keyword(k string) bool {
	if !p.peekKeyword(k) {
		return false
	}
	p.i += len(k)
	p.space()
	return true
}

// peekKeyword tells whether k comes next, as a word of its own.
func (p *crmParser) peekKeyword(k string) bool {
	rest := p.s[p.i:]
	return strings.HasPrefix(rest, k) && (len(rest) == len(k) || strings.ContainsRune(" \t\n(", rune(rest[len(k)])))
}

// take consumes c and the spaces after it.
func (p *crmParser) take(c byte) bool {
	if p.i < len(p.s) && p.s[p.i] == c {
		p.i++
		p.space()
		return true
	}
	return false
}

func (p *crmParser) space() {
	for p.i < len(p.s) && strings.ContainsRune(" \t\n", rune(p.s[p.i])) {
		p.i++
	}
}
