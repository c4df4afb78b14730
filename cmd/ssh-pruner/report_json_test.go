package main

import (
	"bytes"
	"encoding/json"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/ssh-pruner/ssh-pruner/pruner"
)

// TestWriteReportJSON checks that the report written a project at a time
// is byte for byte what encoding the whole report gives.
func TestWriteReportJSON(t *testing.T) {
	project := func(id string) pruner.ProjectReport {
		return pruner.ProjectReport{
			TargetReport: pruner.TargetReport{Target: pruner.Target{Project: id}, Outcome: pruner.OutcomeChanged, Kept: 2, Removed: 1,
				Decisions: []pruner.Decision{{MetadataKey: "ssh-keys", Line: 3, Action: pruner.ActionRemove, Reason: "no-expiry", Username: "<b>\x1b[31m"}}},
			Instances: []pruner.TargetReport{{Target: pruner.Target{Project: id, Zone: "europe-west1-b", Instance: "vm-1"}, Outcome: pruner.OutcomeUnchanged}},
			Posture:   &pruner.Posture{VMs: 1},
		}
	}
	now := time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)
	tests := []struct {
		name string
		rep  pruner.Report
	}{
		{"nil projects", pruner.Report{RunID: "r", Now: now}},
		{"empty projects", pruner.Report{RunID: "r", Now: now, Projects: []pruner.ProjectReport{}, Folders: []pruner.FolderReport{}}},
		{"one project", pruner.Report{RunID: "r", Now: now, Projects: []pruner.ProjectReport{project("a-project")}}},
		{"projects and folders", pruner.Report{RunID: "r\"projects\": null,", DryRun: true, Now: now, Interrupted: true,
			Projects: []pruner.ProjectReport{project("a-project"), project("b-project"), {}},
			Folders:  []pruner.FolderReport{{Folder: "folders/1", Reason: "forbidden"}}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			want, err := json.MarshalIndent(tt.rep, "", "  ")
			require.NoError(t, err)
			var got bytes.Buffer
			require.NoError(t, writeReportJSON(&got, tt.rep))
			require.Equal(t, string(want)+"\n", got.String())
		})
	}
}
