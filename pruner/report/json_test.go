package report_test

import (
	"bytes"
	"encoding/json"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/ssh-pruner/ssh-pruner/pruner/access"
	"github.com/ssh-pruner/ssh-pruner/pruner/plan"
	"github.com/ssh-pruner/ssh-pruner/pruner/report"
)

// TestWriteReportJSON checks that the report written a project at a time
// is byte for byte what encoding the whole report gives.
func TestWriteReportJSON(t *testing.T) {
	project := func(id string) report.ProjectReport {
		return report.ProjectReport{
			TargetReport: report.TargetReport{Target: plan.Target{Project: id}, Outcome: report.OutcomeChanged, Kept: 2, Removed: 1,
				Decisions: []plan.Decision{{MetadataKey: "ssh-keys", Line: 3, Action: plan.ActionRemove, Reason: "no-expiry", Username: "<b>\x1b[31m"}}},
			Instances: []report.TargetReport{{Target: plan.Target{Project: id, Zone: "europe-west1-b", Instance: "vm-1"}, Outcome: report.OutcomeUnchanged}},
			Posture:   &access.Posture{VMs: 1},
		}
	}
	now := time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)
	tests := []struct {
		name string
		rep  report.Report
	}{
		{"nil projects", report.Report{RunID: "r", Now: now}},
		{"empty projects", report.Report{RunID: "r", Now: now, Projects: []report.ProjectReport{}, Folders: []report.FolderReport{}}},
		{"one project", report.Report{RunID: "r", Now: now, Projects: []report.ProjectReport{project("a-project")}}},
		{"projects and folders", report.Report{RunID: "r\"projects\": null,", DryRun: true, Now: now, Interrupted: true,
			Projects: []report.ProjectReport{project("a-project"), project("b-project"), {}},
			Folders:  []report.FolderReport{{Folder: "folders/1", Reason: "forbidden"}}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			want, err := json.MarshalIndent(tt.rep, "", "  ")
			require.NoError(t, err)
			var got bytes.Buffer
			require.NoError(t, tt.rep.WriteJSON(&got))
			require.Equal(t, string(want)+"\n", got.String())
		})
	}
}
