package gcpfake

import (
	"fmt"
	"reflect"
	"regexp"
	"strconv"
	"strings"
)

// One term of a Compute filter, field op value, and how it reads and
// compares a field of a resource (compute_filter.go has the grammar).

// filterOps are the operators of the AIP-160 dialect, longest first, so
// that != is not read as ! and =.
var filterOps = []string{"!=", ">=", "<=", "=", ">", "<", ":"}

// term parses field op value. bare tells that it stands outside any
// parenthesis, where Google takes a regular expression only alone.
func (p *computeFilterParser) term(bare bool) (computeFilterNode, error) {
	start := p.i
	for p.i < len(p.s) && isFieldByte(p.s[p.i]) {
		p.i++
	}
	field := p.s[start:p.i]
	if field == "" {
		return nil, fmt.Errorf("want a field at %d", start)
	}
	t := term{path: strings.Split(field, ".")}
	if err := checkFilterPath(p.t, t.path); err != nil {
		return nil, err
	}
	p.space()
	if t.op = p.operator(bare); t.op == "" {
		return nil, fmt.Errorf("want an operator at %d", p.i)
	}
	p.terms++
	p.space()
	var err error
	if t.op == "eq" || t.op == "ne" {
		t.value, err = p.regexValue()
		if err == nil {
			t.re, err = regexp.Compile("^(?:" + t.value + ")$")
		}
	} else {
		t.value, err = p.aipValue()
		if err == nil {
			t.re = wildcard(t.op, t.value)
		}
	}
	return t, err
}

// operator reads eq or ne, the regular expressions' dialect, or an
// operator of AIP-160's, and notes the dialect; "" if there is none.
func (p *computeFilterParser) operator(bare bool) string {
	if p.take("eq ") || p.take("ne ") {
		p.regex, p.bareRegex = true, p.bareRegex || bare
		return p.s[p.i-3 : p.i-1]
	}
	p.aip = true
	for _, op := range filterOps {
		if p.take(op) {
			return op
		}
	}
	return ""
}

func isFieldByte(c byte) bool {
	return c == '_' || c == '.' || '0' <= c && c <= '9' || 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z'
}

// regexValue reads the pattern of eq or ne: quoted with " (\" inside, a
// valid escape in RE2 too) or ', or unquoted up to a space or to a
// parenthesis it did not open. One word: "status eq RUNNING AND name eq
// x" is three terms, which Google refuses, not a pattern with spaces.
func (p *computeFilterParser) regexValue() (string, error) {
	if p.i < len(p.s) && (p.s[p.i] == '"' || p.s[p.i] == '\'') {
		q := p.s[p.i]
		for j := p.i + 1; j < len(p.s); j++ {
			switch p.s[j] {
			case '\\':
				j++
			case q:
				v := p.s[p.i+1 : j]
				p.i = j + 1
				return v, nil
			}
		}
		return "", fmt.Errorf("unclosed quote at %d", p.i)
	}
	start, open := p.i, 0
	for ; p.i < len(p.s) && !strings.ContainsRune(" \t\n", rune(p.s[p.i])); p.i++ {
		if p.s[p.i] == '(' {
			open++
		} else if p.s[p.i] == ')' {
			if open == 0 {
				break
			}
			open--
		}
	}
	if p.i == start {
		return "", fmt.Errorf("want a value at %d", start)
	}
	return p.s[start:p.i], nil
}

// aipValue reads a value of the AIP-160 dialect: a string in double
// quotes, with \" and \\ escaped, or a run up to a space or parenthesis.
func (p *computeFilterParser) aipValue() (string, error) {
	v, next, err := scanValue(p.s, p.i)
	if err != nil {
		return "", fmt.Errorf("%w at %d", err, p.i)
	}
	p.i = next
	return v, nil
}

// wildcard compiles a value with * of = and != (whole field) and of :
// (anywhere in it); nil when the value has none, or is :*, presence.
func wildcard(op, value string) *regexp.Regexp {
	if !strings.Contains(value, "*") || op == ":" && value == "*" {
		return nil
	}
	parts := strings.Split(value, "*")
	for i := range parts {
		parts[i] = regexp.QuoteMeta(parts[i])
	}
	pattern := strings.Join(parts, ".*")
	switch op {
	case "=", "!=":
		return regexp.MustCompile("^" + pattern + "$")
	case ":":
		return regexp.MustCompile(pattern)
	}
	return nil
}

func (t term) match(get fieldGetter) bool {
	v, ok := get(t.path)
	switch t.op {
	case "eq":
		return t.re.MatchString(v)
	case "ne":
		return !t.re.MatchString(v)
	case "=":
		return ok && t.equal(v)
	case "!=":
		return !ok || !t.equal(v)
	case ":":
		switch {
		case !ok:
			return false
		case t.value == "*":
			return true
		case t.re != nil:
			return t.re.MatchString(v)
		}
		return strings.Contains(v, t.value)
	}
	return ok && ordered(v, t.value, t.op)
}

// equal compares as strings, through a wildcard, or as numbers.
func (t term) equal(v string) bool {
	if t.re != nil {
		return t.re.MatchString(v)
	}
	if v == t.value {
		return true
	}
	a, errA := strconv.ParseFloat(v, 64)
	b, errB := strconv.ParseFloat(t.value, 64)
	return errA == nil && errB == nil && a == b
}

// ordered compares numbers as numbers, anything else as strings, which
// orders Compute's timestamps of one offset in time.
func ordered(v, value, op string) bool {
	c := strings.Compare(v, value)
	a, errA := strconv.ParseFloat(v, 64)
	b, errB := strconv.ParseFloat(value, 64)
	if errA == nil && errB == nil {
		c = 0
		if a < b {
			c = -1
		} else if a > b {
			c = 1
		}
	}
	switch op {
	case "<":
		return c < 0
	case "<=":
		return c <= 0
	case ">":
		return c > 0
	}
	return c >= 0
}

// checkFilterPath checks that a path names a scalar field of type t: a
// struct's fields by JSON name, a map's by key. A list on the way, or at
// the end, is refused, as Google refuses repeated fields.
func checkFilterPath(t reflect.Type, path []string) error {
	for _, name := range path {
		t = deref(t)
		switch t.Kind() {
		case reflect.Struct:
			ft, ok := jsonFields(t)[name]
			if !ok {
				return fmt.Errorf("no field %s", name)
			}
			t = ft
		case reflect.Map:
			t = t.Elem()
		default:
			return fmt.Errorf("%s: not under an object", name)
		}
	}
	switch deref(t).Kind() {
	case reflect.String, reflect.Bool, reflect.Int, reflect.Int32, reflect.Int64, reflect.Uint64, reflect.Float64:
		return nil
	}
	return fmt.Errorf("%s is not a scalar field", strings.Join(path, "."))
}

func deref(t reflect.Type) reflect.Type {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	return t
}

// reflectGetter reads the fields of a resource by their JSON path.
func reflectGetter(resource any) fieldGetter {
	return func(path []string) (string, bool) {
		v := reflect.ValueOf(resource)
		for _, name := range path {
			if v = derefValue(v); !v.IsValid() {
				return "", false
			}
			if v.Kind() == reflect.Map {
				v = v.MapIndex(reflect.ValueOf(name))
			} else {
				v = fieldByJSON(v, name)
			}
		}
		if v = derefValue(v); !v.IsValid() {
			return "", false
		}
		switch v.Kind() {
		case reflect.String:
			return v.String(), true
		case reflect.Bool:
			return strconv.FormatBool(v.Bool()), true
		case reflect.Float64:
			return strconv.FormatFloat(v.Float(), 'g', -1, 64), true
		case reflect.Uint64:
			return strconv.FormatUint(v.Uint(), 10), true
		}
		return strconv.FormatInt(v.Int(), 10), true
	}
}

// derefValue follows pointers; a nil one, or a missing map key, is the
// invalid Value.
func derefValue(v reflect.Value) reflect.Value {
	for v.IsValid() && v.Kind() == reflect.Pointer {
		if v.IsNil() {
			return reflect.Value{}
		}
		v = v.Elem()
	}
	return v
}

// fieldByJSON is the field of a struct value that encodes as name.
func fieldByJSON(v reflect.Value, name string) reflect.Value {
	for _, f := range reflect.VisibleFields(v.Type()) {
		tag, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		if f.IsExported() && !f.Anonymous && (tag == name || tag == "" && f.Name == name) {
			return v.FieldByIndex(f.Index)
		}
	}
	return reflect.Value{}
}
