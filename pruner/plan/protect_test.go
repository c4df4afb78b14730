package plan

import (
	"regexp"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/ssh-pruner/ssh-pruner/keyparse"
)

func TestProtections(t *testing.T) {
	const airflow = "airflow:" + accessKeyA + " airflow"
	const breakGlass = "root:" + accessKeyB + " break-glass"
	const gke = "gke-1a2b3c4d5e6f7a8b9c0d:" + accessKeyC + " gke@node"
	rules := []Protection{
		{Name: "airflow-hook", Username: regexp.MustCompile(`^airflow$`), Level: LevelInstance},
		{Name: "break-glass", Fingerprint: keyparse.ParseLine(breakGlass).Fingerprint},
		{Name: "watch-gke", Username: regexp.MustCompile(`^gke-`), ReportOnly: true},
	}
	policy, err := NewPolicy(nil, false)
	require.NoError(t, err)
	policy.Protected = rules

	plan := Make(Input{Level: LevelInstance, Metadata: Metadata{Items: items("ssh-keys", airflow+"\n"+breakGlass+"\n")}}, policy, accessNow)
	require.False(t, plan.Changed, "both protected on an instance")
	for _, d := range plan.Decisions {
		require.Equal(t, ReasonProtected, d.Reason)
		require.NotEmpty(t, d.Rule)
	}

	plan = Make(Input{Level: LevelProject, Metadata: Metadata{Items: items("ssh-keys", airflow+"\n"+gke+"\n")}}, policy, accessNow)
	require.Equal(t, ActionRemove, plan.Decisions[0].Action, "the airflow rule is for instances only")
	require.Equal(t, ActionMove, plan.Decisions[1].Action, "report-only changes nothing that would not be removed")
	require.Empty(t, plan.Decisions[1].Rule)

	policy.Protected = []Protection{{Name: "watch-all", Username: regexp.MustCompile(`.`), ReportOnly: true}}
	plan = Make(Input{Level: LevelProject, Metadata: Metadata{Items: items("ssh-keys", airflow)}}, policy, accessNow)
	require.False(t, plan.Changed)
	require.Equal(t, ReasonReportOnly, plan.Decisions[0].Reason)
	require.Equal(t, "watch-all", plan.Decisions[0].Rule)

	require.False(t, Protection{Name: "empty"}.matches(LevelProject, "ssh-keys", keyparse.ParseLine(airflow)), "a rule with no key criterion matches nothing")
}
