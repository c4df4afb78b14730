package report_test

import (
	"bytes"
	"encoding/json"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/ssh-pruner/ssh-pruner/pruner/report"
)

// TestFailedRunReport: the report of a run that failed before it had one
// is not OK, says why in JSON ("error", empty lists rather than null) and
// in text.
func TestFailedRunReport(t *testing.T) {
	rep := report.Report{RunID: "r1", DryRun: true, Now: time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC), Error: "enumerate scope: boom"}
	rep.Finish()
	require.False(t, rep.OK())

	var buf bytes.Buffer
	require.NoError(t, rep.WriteJSON(&buf))
	var got map[string]any
	require.NoError(t, json.Unmarshal(buf.Bytes(), &got))
	require.Equal(t, "enumerate scope: boom", got["error"])
	require.Equal(t, []any{}, got["projects"])
	require.Equal(t, []any{}, got["folders"])

	buf.Reset()
	require.NoError(t, rep.WriteText(&buf))
	require.Contains(t, buf.String(), "run failed: enumerate scope: boom")
	require.Contains(t, buf.String(), "(failed)")

	ok := report.Report{}
	ok.Finish()
	require.True(t, ok.OK())
	buf.Reset()
	require.NoError(t, ok.WriteJSON(&buf))
	require.NotContains(t, buf.String(), `"error"`, "omitted when the run did not fail")
}
