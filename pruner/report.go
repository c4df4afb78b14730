package pruner

import (
	"strings"
	"time"
)

// Outcome is how a project ended in a run.
type Outcome string

// The outcomes of a project.
const (
	OutcomeUnchanged   Outcome = "unchanged"    // nothing to remove or move
	OutcomeWouldChange Outcome = "would-change" // dry run found changes
	OutcomeChanged     Outcome = "changed"      // changes written
	OutcomeSkipped     Outcome = "skipped"      // out of reach by design: see Reason
	OutcomeFailed      Outcome = "failed"       // an error stopped it: see Error
	OutcomeInterrupted Outcome = "interrupted"  // the run was stopped while it was handled
	OutcomeNotStarted  Outcome = "not-started"  // the run was stopped before it was handled
)

// Reasons a project is skipped.
const (
	SkipComputeDisabled = "compute-disabled"
	SkipForbidden       = "forbidden"
	SkipExcluded        = "excluded"
	skipStatePrefix     = "state:" // followed by the project state, e.g. state:DELETE_REQUESTED
)

// ProjectReport is what happened to one project (or to a folder that could
// not be listed, named "folders/N").
type ProjectReport struct {
	Project  string  `json:"project"`
	Outcome  Outcome `json:"outcome"`
	Reason   string  `json:"reason,omitempty"`
	Error    string  `json:"error,omitempty"`
	Attempts int     `json:"attempts,omitempty"` // reads of the metadata; more than one after conflicts
	Kept     int     `json:"kept"`
	Removed  int     `json:"removed"`
	Moved    int     `json:"moved"`
	// Decisions lists the keys removed or moved (for a failed write, the
	// ones it tried to remove or move); kept keys are only counted.
	Decisions []Decision `json:"decisions"`
}

// Totals sums a run up.
type Totals struct {
	Projects    int `json:"projects"`
	Unchanged   int `json:"unchanged"`
	WouldChange int `json:"wouldChange"`
	Changed     int `json:"changed"`
	Skipped     int `json:"skipped"`
	Failed      int `json:"failed"`
	Interrupted int `json:"interrupted"`
	NotStarted  int `json:"notStarted"` // left when the run was interrupted
	// FoldersSkipped counts the folders the caller may not list: a gap in
	// the scope, not projects.
	FoldersSkipped int `json:"foldersSkipped"`
	KeysKept       int `json:"keysKept"`
	KeysRemoved    int `json:"keysRemoved"`
	KeysMoved      int `json:"keysMoved"`
}

// Report is the outcome of a run.
type Report struct {
	RunID       string          `json:"runId"`
	DryRun      bool            `json:"dryRun"`
	Now         time.Time       `json:"now"`
	Interrupted bool            `json:"interrupted"`
	Projects    []ProjectReport `json:"projects"`
	Totals      Totals          `json:"totals"`
}

// OK tells whether every project was handled: no failure, no interruption.
func (r Report) OK() bool {
	return !r.Interrupted && r.Totals.Failed == 0 && r.Totals.Interrupted == 0
}

// HasChanges tells whether the run found (or made) changes.
func (r Report) HasChanges() bool {
	return r.Totals.WouldChange > 0 || r.Totals.Changed > 0
}

func (r *Report) total() {
	var t Totals
	for _, p := range r.Projects {
		if strings.HasPrefix(p.Project, "folders/") {
			t.FoldersSkipped++
			continue
		}
		t.Projects++
		switch p.Outcome {
		case OutcomeUnchanged:
			t.Unchanged++
		case OutcomeWouldChange:
			t.WouldChange++
		case OutcomeChanged:
			t.Changed++
		case OutcomeSkipped:
			t.Skipped++
		case OutcomeFailed:
			t.Failed++
		case OutcomeInterrupted:
			t.Interrupted++
		case OutcomeNotStarted:
			t.NotStarted++
		}
		if p.Outcome == OutcomeFailed {
			continue // its keys are in its report, not in what was done
		}
		t.KeysKept += p.Kept
		t.KeysRemoved += p.Removed
		t.KeysMoved += p.Moved
	}
	r.Totals = t
}
