package deploy

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
	monitoring "google.golang.org/api/monitoring/v3"
	"sigs.k8s.io/yaml"

	"github.com/ssh-pruner/ssh-pruner/pruner"
)

// labelCompare is a metric label compared with a quoted value.
var labelCompare = regexp.MustCompile(`metric\.labels?\.([A-Za-z0-9_]+)\s*=\s*"([^"]*)"`)

// TestAlertPolicies decodes each deploy/monitoring/alert-*.yaml strictly
// as an AlertPolicy and checks its conditions against the metrics: each
// watches a log-based metric defined here, on the resource the CronJob's
// entries have, by labels it has and values pruner logs; and each sums
// across series, since every run's pod is a series of its own.
func TestAlertPolicies(t *testing.T) {
	files, err := filepath.Glob("monitoring/alert-*.yaml")
	require.NoError(t, err)
	require.NotEmpty(t, files)
	defined := metrics(t)
	watched := map[string]bool{}
	failedRuns := false
	for _, f := range files {
		data, err := os.ReadFile(f)
		require.NoError(t, err)
		js, err := yaml.YAMLToJSON(data)
		require.NoError(t, err, f)
		var p monitoring.AlertPolicy
		dec := json.NewDecoder(bytes.NewReader(js))
		dec.DisallowUnknownFields()
		require.NoError(t, dec.Decode(&p), f)
		require.NotEmpty(t, p.DisplayName, f)
		require.NotNil(t, p.Documentation, f)
		require.NotEmpty(t, p.Documentation.Content, f)
		require.Empty(t, p.NotificationChannels, "%s: channels are the site's, given to gcloud", f)
		require.NotEmpty(t, p.Conditions, f)
		if len(p.Conditions) > 1 {
			require.Equal(t, "OR", p.Combiner, "%s: any condition alone is worth an alert", f)
		}
		for _, c := range p.Conditions {
			where := f + ": " + c.DisplayName
			var filter string
			var aggs []*monitoring.Aggregation
			switch {
			case c.ConditionThreshold != nil && c.ConditionAbsent == nil:
				filter, aggs = c.ConditionThreshold.Filter, c.ConditionThreshold.Aggregations
				require.NotEmpty(t, c.ConditionThreshold.Comparison, where)
			case c.ConditionAbsent != nil && c.ConditionThreshold == nil:
				filter, aggs = c.ConditionAbsent.Filter, c.ConditionAbsent.Aggregations
				require.NotEmpty(t, c.ConditionAbsent.Duration, where)
			default:
				t.Fatalf("%s: one threshold or absence condition, the kinds this test checks", where)
			}
			m := userMetric.FindStringSubmatch(filter)
			require.NotNil(t, m, "%s: watches a log-based metric: %s", where, filter)
			metric, ok := defined[m[1]]
			require.True(t, ok, "%s: metric %s is not defined in monitoring/metrics", where, m[1])
			watched[m[1]] = true
			require.Contains(t, filter, `resource.type="k8s_container"`, "%s: the resource of the CronJob's entries", where)
			for _, l := range metricLabel.FindAllStringSubmatch(filter, -1) {
				require.Contains(t, metric.LabelExtractors, l[1], "%s: %s has no label %s", where, m[1], l[1])
			}
			for _, l := range labelCompare.FindAllStringSubmatch(filter, -1) {
				// Labels are named after the fields they extract.
				if values, ok := fieldValues[l[1]]; ok {
					require.True(t, values[l[2]], "%s: %s=%q: pruner never logs that value", where, l[1], l[2])
				}
				failedRuns = failedRuns || (m[1] == "ssh_pruner_runs" && l[1] == pruner.LogRunOutcome && l[2] == pruner.RunFailed)
			}
			require.Len(t, aggs, 1, where)
			require.NotEmpty(t, aggs[0].CrossSeriesReducer, "%s: sums across the runs' series", where)
			for _, g := range aggs[0].GroupByFields {
				require.True(t, strings.HasPrefix(g, "metric.label"), "%s: grouped by %s, which splits the runs' series", where, g)
			}
		}
	}
	require.True(t, watched["ssh_pruner_runs"], "an alert watches the runs")
	require.True(t, failedRuns, "an alert fires on failed runs")
}
