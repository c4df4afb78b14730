package gcpfake

import (
	"bytes"
	"fmt"
	"maps"
	"net/http"
	"reflect"
	"slices"
	"strings"
)

// Partial responses: the fields parameter, which every Google REST API
// takes on every method ("Performance tips", partial response), selects
// the parts of the answer the caller wants; the rest is never sent:
//
//	fields=a,b          the fields a and b
//	fields=a/b          the field b of the object a (a/b/c deeper)
//	fields=a(b,c)       the fields b and c of a; nests: a(b(c),d/e)
//	fields=*            every field of that level; under a map
//	                    (items of an aggregatedList, keyed by zone) every
//	                    key: items/*/instances(name)
//
// A selection under an array applies to each element. A field selected
// but absent from the full answer is absent from the partial one; an
// object selected for some of its fields stays, maybe empty, as a
// protobuf FieldMask merge would leave it (Google's documentation does
// not say). Only success bodies are cut: errors are sent whole.
//
// A selection Google cannot apply is refused with 400 "Invalid field
// selection ...": bad syntax, and a name the resource has no field of
// (case counts: nextpagetoken is refused). The fake checks names against
// the Go type each route declares it answers with, so a field Google has
// but the fake does not serve is refused too: a test that meets it
// learns that the fake must serve it, where accepting any name would let
// a typo through that fails against Google. It also refuses what it
// cannot check: * with a sub-selection anywhere but under a map, map
// keys with characters other than letters, digits, - and _, spaces, and
// selections nested deeper than maxFieldsDepth.

// selection is a parsed fields parameter: the names selected at one
// level, each with the selection under it; nil under a name selects the
// whole value.
type selection map[string]selection

// maxFieldsDepth bounds the nesting of a selection, so that a hostile
// parameter cannot exhaust the parser's stack.
const maxFieldsDepth = 32

// parseFields parses a fields parameter; it fails on bad syntax.
func parseFields(s string) (selection, error) {
	p := fieldsParser{s: s}
	sel, err := p.list(0)
	if err == nil && p.i < len(s) {
		err = fmt.Errorf("unexpected %q at %d", s[p.i], p.i)
	}
	return sel, err
}

type fieldsParser struct {
	s string
	i int
}

// list parses item (',' item)*.
func (p *fieldsParser) list(depth int) (selection, error) {
	if depth > maxFieldsDepth {
		return nil, fmt.Errorf("nested deeper than %d", maxFieldsDepth)
	}
	out := selection{}
	for {
		if err := p.item(out, depth); err != nil {
			return nil, err
		}
		if !p.skip(',') {
			return out, nil
		}
	}
}

// item parses name ('/' name)* ['(' list ')'] into out.
func (p *fieldsParser) item(out selection, depth int) error {
	var path []string
	for {
		name := p.name()
		if name == "" {
			return fmt.Errorf("a field name is missing at %d", p.i)
		}
		path = append(path, name)
		if !p.skip('/') {
			break
		}
	}
	var sub selection
	if p.skip('(') {
		var err error
		if sub, err = p.list(depth + 1); err != nil {
			return err
		}
		if !p.skip(')') {
			return fmt.Errorf("unclosed ( before %d", p.i)
		}
	}
	for j := len(path) - 1; j > 0; j-- {
		sub = selection{path[j]: sub}
	}
	out.add(path[0], sub)
	return nil
}

// name reads "*" or a run of letters, digits, '-' and '_'.
func (p *fieldsParser) name() string {
	if p.skip('*') {
		return "*"
	}
	start := p.i
	for p.i < len(p.s) && isNameByte(p.s[p.i]) {
		p.i++
	}
	return p.s[start:p.i]
}

func isNameByte(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '-'
}

func (p *fieldsParser) skip(c byte) bool {
	if p.i < len(p.s) && p.s[p.i] == c {
		p.i++
		return true
	}
	return false
}

// add merges sub under name: a whole field absorbs any part of it, and
// two parts of one field are their union (a/b,a/c is a(b,c)).
func (s selection) add(name string, sub selection) {
	have, ok := s[name]
	switch {
	case !ok:
		s[name] = sub
	case have == nil || sub == nil:
		s[name] = nil
	default:
		for k, v := range sub {
			have.add(k, v)
		}
	}
}

// pick is what s selects of the key k: under k, under *, or both merged.
func (s selection) pick(k string) (selection, bool) {
	named, isNamed := s[k]
	return s.orStar(named, isNamed)
}

// orStar merges what s selects under a key, named (if isNamed), with
// what it selects under *.
func (s selection) orStar(named selection, isNamed bool) (selection, bool) {
	star, isStar := s["*"]
	switch {
	case isNamed && isStar:
		if named == nil || star == nil {
			return nil, true
		}
		both := selection{}
		for _, part := range []selection{named, star} {
			for n, v := range part {
				both.add(n, v)
			}
		}
		return both, true
	case isNamed:
		return named, true
	case isStar:
		return star, true
	}
	return nil, false
}

// check returns the first selected path (a/b) that values of type t have
// no field for, "" if every name is one of t's.
func (s selection) check(t reflect.Type, at string) string {
	for t.Kind() == reflect.Pointer || t.Kind() == reflect.Slice || t.Kind() == reflect.Array {
		t = t.Elem() // a pointer is its value; an array each element
	}
	names := slices.Sorted(maps.Keys(s))
	switch t.Kind() {
	case reflect.Interface:
		return "" // free-form JSON: anything may be there
	case reflect.Map:
		for _, n := range names {
			if bad := s[n].checkUnder(t.Elem(), at+n); bad != "" {
				return bad
			}
		}
		return ""
	case reflect.Struct:
		return s.checkStruct(t, names, at)
	}
	return at + names[0] // a scalar has no fields
}

// checkStruct checks the names against the fields of a struct type.
func (s selection) checkStruct(t reflect.Type, names []string, at string) string {
	fields := jsonFields(t)
	for _, n := range names {
		ft, ok := fields[n]
		switch {
		case n == "*" && s[n] != nil:
			return at + n // * under an object selects whole fields only
		case n == "*":
		case !ok:
			return at + n
		default:
			if bad := s[n].checkUnder(ft, at+n); bad != "" {
				return bad
			}
		}
	}
	return ""
}

// checkUnder checks the selection under a field, which may be whole.
func (s selection) checkUnder(t reflect.Type, at string) string {
	if s == nil {
		return ""
	}
	return s.check(t, at+"/")
}

// jsonFields are the fields a struct type encodes to, by JSON name.
func jsonFields(t reflect.Type) map[string]reflect.Type {
	out := map[string]reflect.Type{}
	for _, f := range reflect.VisibleFields(t) {
		if !f.IsExported() {
			continue
		}
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		switch {
		case name == "-":
		case f.Anonymous && name == "":
			// Embedded: its fields are promoted, and VisibleFields lists them.
		case name == "":
			out[f.Name] = f.Type
		default:
			out[name] = f.Type
		}
	}
	return out
}

// partial reads the fields parameter of a request to a method that
// answers with values of type answer: nil when there is none, the error
// to answer when it cannot be applied.
func partial(r *http.Request, method string, answer reflect.Type) (selection, *apiError) {
	v := r.URL.Query().Get("fields")
	if v == "" {
		return nil, nil
	}
	sel, err := parseFields(v)
	if err != nil {
		return nil, errFieldSelection(method, v)
	}
	if bad := sel.check(answer, ""); bad != "" {
		return nil, errFieldSelection(method, bad)
	}
	return sel, nil
}

// partialWriter holds a handler's answer back, to send only the
// selected fields of a success.
type partialWriter struct {
	http.ResponseWriter
	sel    selection
	answer reflect.Type // what the route declares it answers with
	code   int
	body   bytes.Buffer
}

func (p *partialWriter) WriteHeader(code int) {
	if p.code == 0 {
		p.code = code
	}
}

func (p *partialWriter) Write(b []byte) (int, error) {
	p.WriteHeader(http.StatusOK)
	return p.body.Write(b)
}

// finish sends what the handler answered, cut to the selection if it
// is a success.
func (p *partialWriter) finish() {
	if p.code == 0 {
		return // the handler wrote nothing: the caller went away
	}
	body := p.body.Bytes()
	if p.code >= 200 && p.code < 300 && len(body) > 0 {
		cut, err := p.sel.cut(body)
		if err != nil {
			writeError(p.ResponseWriter, simpleError(http.StatusInternalServerError, "global", "backendError", "fake: cut fields: "+err.Error()))
			return
		}
		body = cut
	}
	p.ResponseWriter.WriteHeader(p.code)
	_, _ = p.ResponseWriter.Write(body)
}
