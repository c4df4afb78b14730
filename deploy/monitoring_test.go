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
	logging "google.golang.org/api/logging/v2"
	monitoring "google.golang.org/api/monitoring/v1"
	"sigs.k8s.io/yaml"

	"github.com/ssh-pruner/ssh-pruner/pruner"
	"github.com/ssh-pruner/ssh-pruner/pruner/attribution"
)

// logName is how every filter selects ssh-pruner's entries: the log the
// Cloud Logging destination writes, not the container's stderr.
const logName = `logName:"/logs/ssh-pruner"`

var (
	// payloadField is a jsonPayload field in a logging filter or extractor.
	payloadField = regexp.MustCompile(`jsonPayload\.([A-Za-z0-9_]+)`)
	// payloadCompare is a comparison of a field with a quoted string.
	payloadCompare = regexp.MustCompile(`jsonPayload\.([A-Za-z0-9_]+)\s*[=:]\s*"([^"]*)"`)
	// payloadAnyOf is a comparison of a field with a parenthesized list:
	// jsonPayload.outcome=("failed" OR "held").
	payloadAnyOf = regexp.MustCompile(`jsonPayload\.([A-Za-z0-9_]+)\s*[=:]\s*\(([^)]*)\)`)
	// anyOfItem is one quoted value of such a list, with the OR before it.
	anyOfItem = regexp.MustCompile(`^\s*(?:OR\s+)?"([^"]*)"`)
	// extractor is the only label extractor used: a field taken whole.
	extractor = regexp.MustCompile(`^EXTRACT\(jsonPayload\.([A-Za-z0-9_]+)\)$`)
	// userMetric is a log-based metric in a Monitoring filter.
	userMetric = regexp.MustCompile(`metric\.type\s*=\s*"logging\.googleapis\.com/user/([^"]+)"`)
	// metricLabel is a metric label in a Monitoring filter or groupByFields.
	metricLabel = regexp.MustCompile(`metric\.labels?\.([A-Za-z0-9_]+)`)
)

// checkLogFilter checks a Cloud Logging filter against pruner's log
// entries: every field it names is a key pruner logs (logFields), and every
// value it compares an enumerated field with is one pruner logs there
// (fieldValues).
func checkLogFilter(t *testing.T, where, filter string) {
	t.Helper()
	require.Contains(t, filter, logName, "%s: selects the ssh-pruner log", where)
	for _, m := range payloadField.FindAllStringSubmatch(filter, -1) {
		require.True(t, logFields[m[1]], "%s: jsonPayload.%s is no field of pruner's entries", where, m[1])
	}
	for _, m := range payloadCompare.FindAllStringSubmatch(filter, -1) {
		if values, ok := fieldValues[m[1]]; ok {
			require.True(t, values[m[2]], "%s: jsonPayload.%s=%q: pruner never logs that value", where, m[1], m[2])
		}
	}
	for _, m := range payloadAnyOf.FindAllStringSubmatch(filter, -1) {
		values, ok := fieldValues[m[1]]
		for rest := m[2]; strings.TrimSpace(rest) != ""; {
			// Only quoted values joined by OR: anything else is a filter
			// this check would pass without reading.
			item := anyOfItem.FindStringSubmatch(rest)
			require.NotNil(t, item, "%s: jsonPayload.%s=(%s): a list of quoted values joined by OR", where, m[1], m[2])
			require.True(t, !ok || values[item[1]], "%s: jsonPayload.%s=%q: pruner never logs that value", where, m[1], item[1])
			rest = rest[len(item[0]):]
		}
	}
}

func metricFiles(t *testing.T) []string {
	t.Helper()
	files, err := filepath.Glob("monitoring/metrics/*.yaml")
	require.NoError(t, err)
	require.NotEmpty(t, files)
	return files
}

// metrics decodes every metric file strictly and returns the metrics by name.
func metrics(t *testing.T) map[string]*logging.LogMetric {
	t.Helper()
	out := make(map[string]*logging.LogMetric)
	for _, f := range metricFiles(t) {
		data, err := os.ReadFile(f)
		require.NoError(t, err)
		js, err := yaml.YAMLToJSON(data)
		require.NoError(t, err, f)
		var m logging.LogMetric
		dec := json.NewDecoder(bytes.NewReader(js))
		dec.DisallowUnknownFields()
		require.NoError(t, dec.Decode(&m), f)
		require.Equal(t, strings.TrimSuffix(filepath.Base(f), ".yaml"), m.Name, "%s: name is the file name", f)
		out[m.Name] = &m
	}
	return out
}

func TestLogMetrics(t *testing.T) {
	for name, m := range metrics(t) {
		t.Run(name, func(t *testing.T) {
			require.NotEmpty(t, m.Description)
			checkLogFilter(t, name, m.Filter)
			d := m.MetricDescriptor
			require.NotNil(t, d)
			require.Equal(t, "DELTA", d.MetricKind)
			require.Equal(t, "INT64", d.ValueType)
			require.LessOrEqual(t, len(d.Labels), 10, "a log-based metric has at most 10 labels")
			declared := make(map[string]bool)
			for _, l := range d.Labels {
				require.Equal(t, "STRING", l.ValueType, "label %s", l.Key)
				declared[l.Key] = true
			}
			require.Len(t, m.LabelExtractors, len(declared), "one extractor per label")
			for label, ex := range m.LabelExtractors {
				require.True(t, declared[label], "extractor of undeclared label %s", label)
				sub := extractor.FindStringSubmatch(ex)
				require.NotNil(t, sub, "label %s: extractor %q", label, ex)
				require.Equal(t, label, sub[1], "label %s is named after its field", label)
				require.True(t, logFields[sub[1]], "label %s: no field jsonPayload.%s", label, sub[1])
			}
			if strings.Contains(m.Filter, `jsonPayload.event="summary"`) {
				// The summary is the run's: it has no project.
				require.NotContains(t, declared, "project")
			} else {
				require.Contains(t, declared, "project", "every metric of targets and keys is by project")
			}
		})
	}
	// The metrics the issue asks for.
	all := metrics(t)
	for _, want := range []struct{ name, label string }{
		{"ssh_pruner_keys_removed", "username"},
		{"ssh_pruner_keys_removed", "googleUserName"},
		{"ssh_pruner_keys_kept", "username"},
		{"ssh_pruner_keys_kept", "googleUserName"},
		{"ssh_pruner_keys_without_expiry", "username"},
		{"ssh_pruner_keys_without_expiry", "googleUserName"},
		{"ssh_pruner_keys_without_expiry", "reason"},
		{"ssh_pruner_targets_not_done", "project"},
		{"ssh_pruner_targets_not_done", "event"},
		{"ssh_pruner_targets_not_done", "outcome"},
		{"ssh_pruner_runs", "runOutcome"},
		{"ssh_pruner_runs", "dryRun"},
		// Issue 19: who creates keys, by the principal of the audit logs;
		// and a key named alice added by mallory@.
		{"ssh_pruner_keys_appeared", "addedBy"},
		{"ssh_pruner_keys_appeared", "addedVia"},
		{"ssh_pruner_keys_appeared", "attribution"},
		{"ssh_pruner_claim_mismatches", "addedBy"},
		{"ssh_pruner_claim_mismatches", "username"},
		{"ssh_pruner_claim_mismatches", "googleUserName"},
	} {
		require.Contains(t, all, want.name)
		require.Contains(t, all[want.name].LabelExtractors, want.label, want.name)
	}
}

// TestDashboard decodes the dashboard strictly and checks that every metric
// it charts, and every label it uses, is defined in deploy/monitoring/metrics.
func TestDashboard(t *testing.T) {
	data, err := os.ReadFile("monitoring/dashboard.json")
	require.NoError(t, err)
	var d monitoring.Dashboard
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	require.NoError(t, dec.Decode(&d))
	require.NotEmpty(t, d.DisplayName)
	require.NotNil(t, d.MosaicLayout, "a mosaic layout")

	defined := metrics(t)
	charted := make(map[string]bool)
	// rows are what each row of tiles charts: "metric by label", one for
	// each label a tile groups by.
	rows := make(map[int64]map[string]bool)
	var row int64
	checkQuery := func(title string, q *monitoring.TimeSeriesQuery) {
		require.NotNil(t, q, title)
		require.Empty(t, q.TimeSeriesQueryLanguage, "%s: MQL is not checked here; use a filter", title)
		require.Empty(t, q.PrometheusQuery, "%s: PromQL is not checked here; use a filter", title)
		f := q.TimeSeriesFilter
		require.NotNil(t, f, "%s: a timeSeriesFilter", title)
		m := userMetric.FindStringSubmatch(f.Filter)
		require.NotNil(t, m, "%s: charts a log-based metric: %s", title, f.Filter)
		metric, ok := defined[m[1]]
		require.True(t, ok, "%s: metric %s is not defined in monitoring/metrics", title, m[1])
		charted[m[1]] = true
		labels := f.Filter
		if f.Aggregation != nil {
			labels += " " + strings.Join(f.Aggregation.GroupByFields, " ")
			if rows[row] == nil {
				rows[row] = make(map[string]bool)
			}
			for _, g := range f.Aggregation.GroupByFields {
				rows[row][m[1]+" by "+strings.TrimPrefix(g, "metric.label.")] = true
			}
		}
		for _, l := range metricLabel.FindAllStringSubmatch(labels, -1) {
			require.Contains(t, metric.LabelExtractors, l[1], "%s: %s has no label %s", title, m[1], l[1])
		}
	}

	claimPanel := false
	cols := d.MosaicLayout.Columns
	require.Positive(t, cols)
	for _, tile := range d.MosaicLayout.Tiles {
		w := tile.Widget
		require.NotNil(t, w)
		require.NotEmpty(t, w.Title)
		require.LessOrEqual(t, tile.XPos+tile.Width, cols, "%s fits in the columns", w.Title)
		row = tile.YPos
		switch {
		case w.XyChart != nil:
			require.NotEmpty(t, w.XyChart.DataSets, w.Title)
			for _, ds := range w.XyChart.DataSets {
				checkQuery(w.Title, ds.TimeSeriesQuery)
			}
		case w.TimeSeriesTable != nil:
			require.NotEmpty(t, w.TimeSeriesTable.DataSets, w.Title)
			for _, ds := range w.TimeSeriesTable.DataSets {
				checkQuery(w.Title, ds.TimeSeriesQuery)
			}
		case w.Scorecard != nil:
			checkQuery(w.Title, w.Scorecard.TimeSeriesQuery)
		case w.LogsPanel != nil:
			checkLogFilter(t, w.Title, w.LogsPanel.Filter)
			claimPanel = claimPanel || strings.Contains(w.LogsPanel.Filter, `jsonPayload.event="`+pruner.EventClaim+`"`)
		default:
			t.Fatalf("widget %q: a kind this test does not check", w.Title)
		}
	}
	// The views the issues ask for.
	for _, m := range []string{"ssh_pruner_keys_seen", "ssh_pruner_keys_removed", "ssh_pruner_keys_without_expiry", "ssh_pruner_targets_not_done", "ssh_pruner_runs",
		"ssh_pruner_keys_appeared", "ssh_pruner_claim_mismatches"} {
		require.True(t, charted[m], "the dashboard charts %s", m)
	}
	// Who creates keys (the principal, from the audit logs) stands in one
	// row beside the names the keys give themselves; the keys that claim
	// another identity have a tile of their own, and their entries a panel.
	beside := false
	for _, r := range rows {
		beside = beside || r["ssh_pruner_keys_appeared by "+pruner.LogAddedBy] &&
			r["ssh_pruner_keys_seen by "+pruner.LogUsername] && r["ssh_pruner_keys_seen by "+pruner.LogGoogleUserName]
	}
	require.True(t, beside, "a row charts keys appeared by addedBy beside keys seen by username and by googleUserName")
	claims := false
	for _, r := range rows {
		claims = claims || r["ssh_pruner_claim_mismatches by "+pruner.LogAddedBy] &&
			(r["ssh_pruner_claim_mismatches by "+pruner.LogUsername] || r["ssh_pruner_claim_mismatches by "+pruner.LogGoogleUserName])
	}
	require.True(t, claims, "a tile counts claim mismatches by addedBy and the name claimed")
	require.True(t, claimPanel, "a logs panel lists the claim-mismatch entries")
}

// TestSavedQueries checks the Logs Explorer queries of deploy/README.md:
// the fenced blocks marked "query".
func TestSavedQueries(t *testing.T) {
	data, err := os.ReadFile("README.md")
	require.NoError(t, err)
	blocks := regexp.MustCompile("(?s)```query\n(.*?)```").FindAllStringSubmatch(string(data), -1)
	require.GreaterOrEqual(t, len(blocks), 4, "saved queries in README.md")
	for i, b := range blocks {
		checkLogFilter(t, "README.md query "+string(rune('1'+i)), b[1])
	}
	// Wanted by issue 19: the keys that claim another identity, and the
	// ambiguous ones.
	all := make([]string, len(blocks))
	for i, b := range blocks {
		all[i] = b[1]
	}
	for _, want := range []string{
		`jsonPayload.event="` + pruner.EventClaim + `"`,
		`jsonPayload.attribution="` + attribution.Ambiguous + `"`,
		`jsonPayload.event="` + pruner.EventAuditLogs + `"`,
	} {
		require.Contains(t, strings.Join(all, "\n"), want, "a saved query")
	}
}

// TestSavedAuditQueries checks the queries of README.md on the audit log
// view (fenced blocks marked "audit-query"): each selects what the sink
// routes, term for term as audit-sink-filter.txt says it, so that the
// writes it lists are those attribution read.
func TestSavedAuditQueries(t *testing.T) {
	data, err := os.ReadFile("README.md")
	require.NoError(t, err)
	blocks := regexp.MustCompile("(?s)```audit-query\n(.*?)```").FindAllStringSubmatch(string(data), -1)
	require.NotEmpty(t, blocks, "a query of the candidates' writes, for ambiguous keys")
	for i, b := range blocks {
		lines := map[string]bool{}
		for _, l := range strings.Split(b[1], "\n") {
			lines[strings.TrimSpace(l)] = true
		}
		for _, term := range strings.Split(auditSinkFilter(t), "\n") {
			term = strings.TrimPrefix(strings.TrimSpace(term), "AND ")
			require.True(t, lines[term], "README.md audit query %d: a line %s", i+1, term)
		}
	}
}
