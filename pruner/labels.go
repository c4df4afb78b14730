package pruner

import (
	"sync"

	"github.com/ssh-pruner/ssh-pruner/pruner/policy"
	"github.com/ssh-pruner/ssh-pruner/pruner/report"
)

// labelMatches counts what each label of the opt-outs and opt-ins
// matched in a pass. Safe for concurrent use.
type labelMatches struct {
	mu     sync.Mutex
	counts map[[2]string]*report.LabelMatch // by rule and label
	order  []report.LabelMatch
}

// newLabelMatches starts the count of every label of o at zero, so that
// one that matched nothing is reported too: it may be a typo.
func newLabelMatches(o policy.OptOuts) *labelMatches {
	m := &labelMatches{counts: map[[2]string]*report.LabelMatch{}}
	for _, l := range o.Labels {
		m.order = append(m.order, report.LabelMatch{Label: l.String(), Rule: "exclude"})
	}
	for _, l := range o.OnlyLabels {
		m.order = append(m.order, report.LabelMatch{Label: l.String(), Rule: "only"})
	}
	for i := range m.order {
		m.counts[[2]string{m.order[i].Rule, m.order[i].Label}] = &m.order[i]
	}
	return m
}

func (m *labelMatches) add(rule, label string, projects, vms int) {
	if m == nil {
		return
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if c := m.counts[[2]string{rule, label}]; c != nil {
		c.Projects += projects
		c.VMs += vms
	}
}

// project counts what a project of the listing matched: the opt-out label
// that left it alone (reason), or the opt-in label it carries.
func (m *labelMatches) project(o policy.OptOuts, p Project, reason string) {
	if l, ok := policy.LabelOf(reason); ok {
		m.add("exclude", l, 1, 0)
		return
	}
	if l, ok := o.OptedIn(p.Labels); ok && reason == "" {
		m.add("only", l.String(), 1, 0)
	}
}

// vm counts a VM an opt-out label left alone.
func (m *labelMatches) vm(reason string) {
	if l, ok := policy.LabelOf(reason); ok {
		m.add("exclude", l, 0, 1)
	}
}

// matches are the counts, in the order the labels were given.
func (m *labelMatches) matches() []report.LabelMatch {
	if m == nil || len(m.order) == 0 {
		return nil
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	return append([]report.LabelMatch(nil), m.order...)
}
