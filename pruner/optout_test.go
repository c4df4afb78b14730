package pruner_test

import (
	"context"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/ssh-pruner/ssh-pruner/pruner"
	"github.com/ssh-pruner/ssh-pruner/pruner/inmemory"
	"github.com/ssh-pruner/ssh-pruner/pruner/plan"
	"github.com/ssh-pruner/ssh-pruner/pruner/policy"
	"github.com/ssh-pruner/ssh-pruner/pruner/report"
)

func TestOptOuts(t *testing.T) {
	build := func() *inmemory.Store {
		s := org()
		s.SetPlace(projectID, []string{"organizations/1", "folders/10", "folders/11"}, map[string]string{"team": "web"})
		s.AddProject("opted-in", inmemory.Items("ssh-keys", erinPerm))
		s.SetPlace("opted-in", []string{"organizations/1", "folders/20"}, map[string]string{"ssh-pruner": "enabled"})
		s.AddInstance(pruner.Instance{Project: projectID, Zone: zoneB, Name: "pet", Labels: map[string]string{"ssh-pruner": "skip"}}, inmemory.Items("ssh-keys", erinPerm))
		return s
	}
	skip := policy.Label{Key: "ssh-pruner", Value: "skip"}
	enabled := policy.Label{Key: "ssh-pruner", Value: "enabled"}
	tests := []struct {
		name    string
		optOuts policy.OptOuts
		want    map[string]string // target -> skip reason; others not skipped
	}{
		{"none", policy.OptOuts{}, map[string]string{}},
		{"a folder above, sub-folders included", policy.OptOuts{Folders: []string{"10"}}, map[string]string{projectID: "excluded-folder:folders/10"}},
		{"instance label", policy.OptOuts{Labels: []policy.Label{skip}}, map[string]string{"pet": "excluded-label:ssh-pruner=skip"}},
		{"project label", policy.OptOuts{Labels: []policy.Label{{Key: "team", Value: "web"}}}, map[string]string{projectID: "excluded-label:team=web"}},
		{"opt-in", policy.OptOuts{OnlyLabels: []policy.Label{enabled}}, map[string]string{projectID: policy.SkipNotOptedIn}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := build()
			r := reconciler(s, true)
			r.OptOuts = tc.optOuts
			rep, err := r.Run(context.Background(), pruner.Scope{Organization: "1"})
			require.NoError(t, err)
			got := map[string]string{}
			for _, p := range rep.Projects {
				if p.Outcome == report.OutcomeSkipped {
					got[p.Project] = p.Reason
					require.Empty(t, p.Instances, "a project left alone leaves its VMs alone")
				}
				for _, in := range p.Instances {
					if in.Outcome == report.OutcomeSkipped {
						got[in.Instance] = in.Reason
					}
				}
			}
			require.Equal(t, tc.want, got)
			items := s.Get(plan.Target{Project: projectID, Zone: zoneB, Instance: "pet"})
			v, _ := itemValue(items, "ssh-keys")
			if _, left := tc.want["pet"]; left {
				require.Equal(t, erinPerm, v, "a VM left alone is not written")
			}
		})
	}
}

// TestLabelMatches: the report says what each label matched, and names
// one that matched nothing, which may be a typo.
func TestLabelMatches(t *testing.T) {
	s := org()
	s.SetPlace(projectID, []string{"organizations/1"}, map[string]string{"team": "web", "ssh-pruner": "enabled"})
	s.AddProject("other", inmemory.Items("ssh-keys", erinPerm))
	s.SetPlace("other", []string{"organizations/1"}, map[string]string{"team": "data"})
	s.AddInstance(pruner.Instance{Project: projectID, Zone: zoneB, Name: "pet", Labels: map[string]string{"ssh-pruner": "skip"}}, inmemory.Items("ssh-keys", erinPerm))
	r := reconciler(s, false)
	r.OptOuts = policy.OptOuts{
		Labels:     []policy.Label{{Key: "ssh-pruner", Value: "skip"}, {Key: "team", Value: "data"}, {Key: "tema", Value: "web"}},
		OnlyLabels: []policy.Label{{Key: "ssh-pruner", Value: "enabled"}, {Key: "team", Value: "data"}},
	}
	rep, err := r.Run(context.Background(), pruner.Scope{Organization: "1"})
	require.NoError(t, err)
	require.Equal(t, []report.LabelMatch{
		{Label: "ssh-pruner=skip", Rule: "exclude", VMs: 1},
		{Label: "team=data", Rule: "exclude", Projects: 1},
		{Label: "tema=web", Rule: "exclude"},
		{Label: "ssh-pruner=enabled", Rule: "only", Projects: 1},
		{Label: "team=data", Rule: "only"}, // excluded first: not opted in
	}, rep.Labels)
	var b strings.Builder
	require.NoError(t, rep.WriteText(&b))
	require.Contains(t, b.String(), "Labels: exclude ssh-pruner=skip left alone 0 projects, 1 VM; exclude team=data left alone 1 project, 0 VMs; exclude tema=web matched nothing (a typo?)")
}
