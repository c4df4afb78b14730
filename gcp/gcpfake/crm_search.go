package gcpfake

import (
	"fmt"
	"strings"
)

// The query language of projects:search, as crmProjectsSearch documents it.

type searchTerm struct{ field, value string }

func parseSearchQuery(q string) ([]searchTerm, error) {
	var terms []searchTerm
	for tok := range strings.FieldsSeq(q) {
		if strings.EqualFold(tok, "OR") || strings.EqualFold(tok, "AND") {
			continue
		}
		field, value, ok := strings.Cut(tok, ":")
		if !ok || field == "" || value == "" {
			return nil, fmt.Errorf("Invalid query term %q: want field:value.", tok)
		}
		terms = append(terms, searchTerm{strings.ToLower(field), strings.ToLower(strings.Trim(value, `"`))})
	}
	return terms, nil
}

func matchesAny(p *Project, terms []searchTerm) bool {
	for _, t := range terms {
		if matches(p, t) {
			return true
		}
	}
	return false
}

func matches(p *Project, t searchTerm) bool {
	kind, id, _ := strings.Cut(p.Parent, "/")
	var got string
	switch t.field {
	case "parent":
		got = p.Parent
	case "parent.type":
		got = strings.TrimSuffix(kind, "s")
	case "parent.id":
		got = id
	case "id", "projectid":
		got = p.ID
	case "name", "displayname":
		got = p.DisplayName
	case "state", "lifecyclestate":
		got = p.State
	default:
		key, ok := strings.CutPrefix(t.field, "labels.")
		if !ok {
			return false
		}
		v, present := p.Labels[key]
		if !present {
			return false
		}
		got = v
	}
	got = strings.ToLower(got)
	if prefix, ok := strings.CutSuffix(t.value, "*"); ok {
		return strings.HasPrefix(got, prefix)
	}
	return got == t.value
}
