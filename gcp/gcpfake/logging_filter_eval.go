package gcpfake

import (
	"cmp"
	"strconv"
	"strings"
	"time"
)

// severityRank orders LogSeverity names as the enum does, so that
// severity>=WARNING holds for ERROR.
var severityRank = map[string]int{
	"DEFAULT": 0, "DEBUG": 100, "INFO": 200, "NOTICE": 300, "WARNING": 400,
	"ERROR": 500, "CRITICAL": 600, "ALERT": 700, "EMERGENCY": 800,
}

// match tells whether the entry has the field and the comparison holds
// for it, or for one of its elements if it is repeated. != and !~ hold
// when no element is equal or matches.
func (c *comparison) match(doc map[string]any) bool {
	vals := lookup(doc, c.path)
	if len(vals) == 0 {
		return false
	}
	if c.op == ":" && c.value == "*" {
		return true
	}
	positive, negate := c.op, false
	switch c.op {
	case "!=":
		positive, negate = "=", true
	case "!~":
		positive, negate = "=~", true
	}
	for _, v := range vals {
		s, ok := scalar(v)
		if ok && c.test(positive, s) {
			return !negate
		}
	}
	return negate
}

// test applies a positive operator to one scalar value of the field.
func (c *comparison) test(op, s string) bool {
	switch op {
	case "=":
		if c.hasTS {
			t, err := time.Parse(time.RFC3339Nano, s)
			return err == nil && t.Equal(c.ts)
		}
		return strings.EqualFold(s, c.value)
	case ":":
		return strings.Contains(strings.ToLower(s), strings.ToLower(c.value))
	case "=~":
		return c.re.MatchString(s)
	}
	order, ok := c.order(s)
	if !ok {
		return false
	}
	switch op {
	case "<":
		return order < 0
	case "<=":
		return order <= 0
	case ">":
		return order > 0
	default: // >=
		return order >= 0
	}
}

// order compares a value of the field with the comparison's value: as
// times, severities, numbers, or else as strings without case.
func (c *comparison) order(s string) (int, bool) {
	if c.hasTS {
		t, err := time.Parse(time.RFC3339Nano, s)
		return t.Compare(c.ts), err == nil
	}
	if len(c.path) == 1 && c.path[0] == "severity" {
		a, okA := severityRank[strings.ToUpper(s)]
		b, okB := severityRank[strings.ToUpper(c.value)]
		return cmp.Compare(a, b), okA && okB
	}
	a, errA := strconv.ParseFloat(s, 64)
	b, errB := strconv.ParseFloat(c.value, 64)
	if errA == nil && errB == nil {
		return cmp.Compare(a, b), true
	}
	return strings.Compare(strings.ToLower(s), strings.ToLower(c.value)), true
}

// scalar is a JSON value as the query language compares it; objects are
// no scalars.
func scalar(v any) (string, bool) {
	switch x := v.(type) {
	case string:
		return x, true
	case bool:
		return strconv.FormatBool(x), true
	case float64:
		return strconv.FormatFloat(x, 'f', -1, 64), true
	}
	return "", false
}

// lookup finds the values at a path of the entry's JSON, the elements of
// repeated fields flattened. A segment in snake_case finds the camelCase
// field, as Logging accepts both spellings.
func lookup(doc map[string]any, path []string) []any {
	cur := []any{doc}
	for _, seg := range path {
		var next []any
		for _, c := range cur {
			m, ok := c.(map[string]any)
			if !ok {
				continue
			}
			x, ok := m[seg]
			if !ok {
				x, ok = m[camelCase(seg)]
			}
			if !ok {
				continue
			}
			if arr, ok := x.([]any); ok {
				next = append(next, arr...)
			} else {
				next = append(next, x)
			}
		}
		cur = next
	}
	return cur
}

func camelCase(s string) string {
	parts := strings.Split(s, "_")
	for i := 1; i < len(parts); i++ {
		if p := parts[i]; p != "" {
			parts[i] = strings.ToUpper(p[:1]) + p[1:]
		}
	}
	return strings.Join(parts, "")
}
