package cloudlog

import (
	"encoding/json"
	"fmt"
	"log/slog"
	"math"
	"time"
)

// groupOrAttrs is one step of a handler's WithGroup/WithAttrs chain.
type groupOrAttrs struct {
	group string      // WithGroup(group), or
	attrs []slog.Attr // WithAttrs(attrs)
}

// payload builds the JSON payload of a record: the attributes of the
// handler's chain and of the record, groups as nested objects, keyed and
// valued as slog.JSONHandler writes them, and the message as "message".
// The level and the time are fields of the entry, not of the payload, as
// Cloud Logging does with the "severity" and "time" of a container's JSON
// lines.
//
//	logger.WithGroup("g").With("a", 1).Info("hi", "b", true)
//	  -> {"message":"hi","g":{"a":1,"b":true}}
func payload(chain []groupOrAttrs, r slog.Record) map[string]any {
	root := map[string]any{"message": r.Message}
	cur := root
	for _, ga := range chain {
		if ga.group != "" {
			next := map[string]any{}
			cur[ga.group] = next
			cur = next
			continue
		}
		for _, a := range ga.attrs {
			addAttr(cur, a)
		}
	}
	r.Attrs(func(a slog.Attr) bool {
		addAttr(cur, a)
		return true
	})
	pruneEmpty(root)
	return root
}

// addAttr adds a to m by slog's rules: an empty attribute is ignored, a
// group with an empty key is inlined.
func addAttr(m map[string]any, a slog.Attr) {
	a.Value = a.Value.Resolve()
	if a.Equal(slog.Attr{}) {
		return
	}
	if a.Value.Kind() == slog.KindGroup {
		attrs := a.Value.Group()
		if len(attrs) == 0 {
			return
		}
		dst := m
		if a.Key != "" {
			sub, ok := m[a.Key].(map[string]any)
			if !ok {
				sub = map[string]any{}
				m[a.Key] = sub
			}
			dst = sub
		}
		for _, ga := range attrs {
			addAttr(dst, ga)
		}
		return
	}
	m[a.Key] = jsonValue(a.Value)
}

// jsonValue is v as slog.JSONHandler writes it, in a form that always
// marshals: a value JSON cannot hold becomes its text.
func jsonValue(v slog.Value) any {
	switch v.Kind() {
	case slog.KindString:
		return v.String()
	case slog.KindInt64:
		return v.Int64()
	case slog.KindUint64:
		return v.Uint64()
	case slog.KindFloat64:
		f := v.Float64()
		if math.IsNaN(f) || math.IsInf(f, 0) {
			return fmt.Sprint(f)
		}
		return f
	case slog.KindBool:
		return v.Bool()
	case slog.KindDuration:
		return int64(v.Duration()) // as JSONHandler: nanoseconds
	case slog.KindTime:
		return v.Time().Format(time.RFC3339Nano)
	}
	x := v.Any()
	if err, ok := x.(error); ok {
		return err.Error()
	}
	if _, err := json.Marshal(x); err != nil {
		return fmt.Sprintf("%+v", x)
	}
	return x
}

// pruneEmpty removes the groups that received no attribute, as
// slog.JSONHandler never writes them.
func pruneEmpty(m map[string]any) bool {
	for k, v := range m {
		if sub, ok := v.(map[string]any); ok && pruneEmpty(sub) {
			delete(m, k)
		}
	}
	return len(m) == 0
}

// labelValue is a top-level attribute of the payload as a label value.
func labelValue(v any) (string, bool) {
	switch v := v.(type) {
	case string:
		return v, v != ""
	case bool, int64, uint64, float64:
		return fmt.Sprint(v), true
	}
	return "", false
}
