package policy

import (
	"fmt"
	"slices"
	"strings"
)

// Label is a key=value label of a project or an instance, as the opt-out
// and opt-in rules name them (ssh-pruner=skip, ssh-pruner=enabled).
type Label struct {
	Key, Value string
}

// ParseLabel reads key=value.
func ParseLabel(s string) (Label, error) {
	k, v, ok := strings.Cut(s, "=")
	if !ok || k == "" {
		return Label{}, fmt.Errorf("label %q: want key=value", s)
	}
	return Label{Key: k, Value: v}, nil
}

func (l Label) String() string { return l.Key + "=" + l.Value }

// Skip reasons of the opt-outs, each followed by what matched.
const (
	skipFolderPrefix = "excluded-folder:" // folders/N
	skipLabelPrefix  = "excluded-label:"  // key=value
	SkipNotOptedIn   = "not-opted-in"
)

// OptOuts are the rules that leave projects and VMs alone on purpose: a
// slow rollout, folder by folder, or a team that asked to be left out.
type OptOuts struct {
	// Folders are folder ids ("folders/N" or N): the projects under them,
	// sub-folders included, are left alone.
	Folders []string
	// Labels leave alone any project or instance carrying one of them.
	Labels []Label
	// OnlyLabels, when set, prune only the projects carrying one of them
	// (opt-in).
	OnlyLabels []Label
}

// Project says why a project is left alone, or "": parent and folders
// are the resources above it ("folders/N", "organizations/N"), labels its
// labels.
func (o OptOuts) Project(parent string, folders []string, labels map[string]string) string {
	for _, f := range o.Folders {
		f = "folders/" + strings.TrimPrefix(f, "folders/")
		if parent == f || slices.Contains(folders, f) {
			return skipFolderPrefix + f
		}
	}
	if l, ok := carries(labels, o.Labels); ok {
		return skipLabelPrefix + l.String()
	}
	if len(o.OnlyLabels) > 0 {
		if _, ok := carries(labels, o.OnlyLabels); !ok {
			return SkipNotOptedIn
		}
	}
	return ""
}

// Instance says why a VM with these labels is left alone, or "".
func (o OptOuts) Instance(labels map[string]string) string {
	if l, ok := carries(labels, o.Labels); ok {
		return skipLabelPrefix + l.String()
	}
	return ""
}

func carries(labels map[string]string, any []Label) (Label, bool) {
	for _, l := range any {
		if v, ok := labels[l.Key]; ok && v == l.Value {
			return l, true
		}
	}
	return Label{}, false
}

// OptedIn is the opt-in label a project carries, when OnlyLabels are set.
func (o OptOuts) OptedIn(labels map[string]string) (Label, bool) {
	return carries(labels, o.OnlyLabels)
}

// LabelOf is the label an opt-out reason names ("excluded-label:k=v"),
// for counting what each label matched.
func LabelOf(reason string) (string, bool) {
	return strings.CutPrefix(reason, skipLabelPrefix)
}
