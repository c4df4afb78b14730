package main

import (
	"context"
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/ssh-pruner/ssh-pruner/pruner/report"
)

func TestDemo(t *testing.T) {
	clearEnv(t)
	cases := []struct {
		name   string
		args   []string
		golden string
	}{
		{"dry run", []string{"demo"}, "demo.txt"},
		{"apply then check", []string{"demo", "--apply"}, "demo-apply.txt"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			out, errOut, code := cli(t, context.Background(), nil, tc.args...)
			require.Equal(t, 0, code, errOut)
			require.Empty(t, errOut, "the demo logs only errors by default")
			golden(t, tc.golden, out)
		})
	}
}

func TestDemoJSON(t *testing.T) {
	clearEnv(t)
	out, errOut, code := cli(t, context.Background(), nil, "demo", "--output", "json", "--log-level", "info")
	require.Equal(t, 0, code, errOut)
	var rep report.Report
	require.NoError(t, json.Unmarshal([]byte(out), &rep), "stdout is one JSON document")
	require.True(t, rep.DryRun)
	// 13 in the organization, one of them under a folder the caller may
	// not list: 12 seen, and the folder reported.
	require.Equal(t, 12, rep.Totals.Projects)
	require.Equal(t, 1, rep.Totals.FoldersSkipped)
	require.Positive(t, rep.Totals.KeysRemoved)
	require.NotEmpty(t, jsonLines(errOut), "--log-level info brings the structured log back")
}
