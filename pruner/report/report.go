package report

import (
	"time"

	"github.com/ssh-pruner/ssh-pruner/pruner/access"
	"github.com/ssh-pruner/ssh-pruner/pruner/plan"
)

// Outcome is how a target ended in a run.
type Outcome string

// The outcomes of a target.
const (
	OutcomeUnchanged   Outcome = "unchanged"    // nothing to remove or move
	OutcomeWouldChange Outcome = "would-change" // dry run found changes
	OutcomeChanged     Outcome = "changed"      // changes written
	OutcomeSkipped     Outcome = "skipped"      // out of reach by design: see Reason
	OutcomeFailed      Outcome = "failed"       // an error stopped it: see Error
	OutcomeInterrupted Outcome = "interrupted"  // the run was stopped while it was handled
	OutcomeNotStarted  Outcome = "not-started"  // the run was stopped before it was handled
	OutcomeHeld        Outcome = "held"         // its plan removes more than Limits allow: not written
	OutcomeStale       Outcome = "stale"        // a reviewed plan no longer fits the metadata: left alone
)

// Reasons a target is skipped.
const (
	SkipComputeDisabled = "compute-disabled"
	SkipForbidden       = "forbidden"
	SkipExcluded        = "excluded"
	SkipStatePrefix     = "state:" // followed by the project state, e.g. state:DELETE_REQUESTED
)

// TargetReport is what happened to one metadata target.
type TargetReport struct {
	plan.Target
	Windows  bool    `json:"windows,omitempty"`
	Outcome  Outcome `json:"outcome"`
	Reason   string  `json:"reason,omitempty"`
	Error    string  `json:"error,omitempty"`
	Attempts int     `json:"attempts,omitempty"` // reads of the metadata; more than one after conflicts
	Kept     int     `json:"kept"`
	Removed  int     `json:"removed"`
	Moved    int     `json:"moved"`
	// Decisions lists the keys removed or moved (for a failed write, the
	// ones it tried to remove or move), and the keys that only a
	// protection, a report-only rule or the grace keeps (Otherwise); other
	// kept keys are only counted.
	Decisions []plan.Decision `json:"decisions"`
	// Guard is the item the plan set to keep the VM closed to project
	// keys, if any.
	Guard *plan.Guard `json:"guard,omitempty"`
	// Hold says, for a held target, what the limit was.
	Hold string `json:"hold,omitempty"`
	// PlannedFrom is the metadata fingerprint the last plan was made from.
	PlannedFrom string `json:"plannedFrom,omitempty"`
}

// ProjectReport is what happened to one project: its own metadata, then
// each of its instances.
type ProjectReport struct {
	TargetReport
	// Instances has one report per instance; empty when instance pruning
	// is off or the project was not read.
	Instances []TargetReport `json:"instances"`
	// UnreachableZones names the zones whose instances could not be
	// listed: those VMs were not seen, so the project is not clean.
	UnreachableZones []string `json:"unreachableZones,omitempty"`
	// InstancesError says why the instances could not be listed at all.
	InstancesError string `json:"instancesError,omitempty"`
	// Posture sums up how the project's VMs take SSH keys; nil when the
	// instances were not seen.
	Posture *access.Posture `json:"posture,omitempty"`
}

// FolderReport is a folder of the scope that could not be listed: a gap
// in what the run saw, kept apart from the projects.
type FolderReport struct {
	Folder string `json:"folder"` // folders/N
	Reason string `json:"reason,omitempty"`
	Error  string `json:"error,omitempty"`
}

// OutcomeCounts counts targets by outcome.
type OutcomeCounts struct {
	Unchanged   int `json:"unchanged"`
	WouldChange int `json:"wouldChange"`
	Changed     int `json:"changed"`
	Skipped     int `json:"skipped"`
	Failed      int `json:"failed"`
	Interrupted int `json:"interrupted"`
	NotStarted  int `json:"notStarted"` // left when the run was interrupted
	Held        int `json:"held"`       // plans past the Limits: not written
	Stale       int `json:"stale"`      // reviewed plans that no longer fit: not written
}

func (c *OutcomeCounts) add(o Outcome) {
	switch o {
	case OutcomeUnchanged:
		c.Unchanged++
	case OutcomeWouldChange:
		c.WouldChange++
	case OutcomeChanged:
		c.Changed++
	case OutcomeSkipped:
		c.Skipped++
	case OutcomeFailed:
		c.Failed++
	case OutcomeInterrupted:
		c.Interrupted++
	case OutcomeNotStarted:
		c.NotStarted++
	case OutcomeHeld:
		c.Held++
	case OutcomeStale:
		c.Stale++
	}
}

// Totals sums a run up.
type Totals struct {
	Projects int `json:"projects"`
	OutcomeCounts
	// Instances counts the instance targets, apart from projects.
	Instances InstanceTotals `json:"instances"`
	// FoldersSkipped counts the folders the caller may not list: a gap in
	// the scope, not projects.
	FoldersSkipped int `json:"foldersSkipped"`
	// ZonesUnreachable counts the zones of projects whose instances could
	// not be listed; InstanceListingsFailed the projects whose instances
	// could not be listed at all.
	ZonesUnreachable       int `json:"zonesUnreachable"`
	InstanceListingsFailed int `json:"instanceListingsFailed"`
	KeysKept               int `json:"keysKept"`
	KeysRemoved            int `json:"keysRemoved"`
	KeysMoved              int `json:"keysMoved"`
	// KeysInGrace counts the kept keys that the grace alone keeps: each
	// goes once its grace ends.
	KeysInGrace int `json:"keysInGrace"`
	// Posture adds up the projects' postures.
	Posture access.Posture `json:"posture"`
	// APIRetries counts the calls made again after a transient error, and
	// APIThrottled the answers that said to slow down, when the store
	// counts them (CallCounter).
	APIRetries   int64 `json:"apiRetries"`
	APIThrottled int64 `json:"apiThrottled"`
}

// InstanceTotals counts instance targets by outcome.
type InstanceTotals struct {
	Total int `json:"total"`
	OutcomeCounts
}

// LabelMatch is how many projects and VMs a label of the opt-outs or
// opt-ins matched: a label's typo cannot be checked against Google, so
// the report says what it did.
type LabelMatch struct {
	Label string `json:"label"`
	// Rule is "exclude" (left alone) or "only" (opted in).
	Rule     string `json:"rule"`
	Projects int    `json:"projects"`
	VMs      int    `json:"vms"`
}

// Report is the outcome of a run.
type Report struct {
	RunID       string    `json:"runId"`
	DryRun      bool      `json:"dryRun"`
	Now         time.Time `json:"now"`
	Interrupted bool      `json:"interrupted"`
	// ScopeError says why the listing of the scope stopped partway: the
	// projects listed before were handled, the rest of the scope was not
	// seen.
	ScopeError string `json:"scopeError,omitempty"`
	// Error says why the run ended before it had anything to report: the
	// scope could not be listed at all, the state could not be opened,
	// no credentials. Projects and Folders are then empty. A --report
	// file says so, rather than keep an earlier run's report.
	Error string `json:"error,omitempty"`
	// Projects are the projects' reports, unless they went to Spool as
	// they finished: then they are written from there, after Projects.
	Projects []ProjectReport `json:"projects"`
	Spool    *Spool          `json:"-"`
	Folders  []FolderReport  `json:"folders"`
	Totals   Totals          `json:"totals"`
	// Labels says what each label of the opt-outs and opt-ins matched.
	Labels []LabelMatch `json:"labels,omitempty"`
	// State says what became of the run's memory of first-seen times;
	// nil when the run keeps none.
	State *StateReport `json:"state,omitempty"`
	// Attribution says who added the keys first seen, from the audit
	// logs; nil when the run does not attribute them.
	Attribution *AttributionReport `json:"attribution,omitempty"`
}

// AttributionReport is what a run learnt from the audit logs of who
// added the keys it settled: each key once, in the run that settles it.
type AttributionReport struct {
	// AuditLogs is the log view or resource read.
	AuditLogs string `json:"auditLogs"`
	// Queries counts the reads of the logs (each paged), Writes the
	// writes of key items they gave.
	Queries int `json:"queries"`
	Writes  int `json:"writes"`
	// Appeared counts the keys settled in this run, by result: Attributed
	// (window), OnlyWriter, Ambiguous, Unknown. Pending counts the keys
	// left to a later run, listed decisions only.
	Appeared   int `json:"appeared"`
	Attributed int `json:"attributed"`
	OnlyWriter int `json:"onlyWriter"`
	Ambiguous  int `json:"ambiguous"`
	Unknown    int `json:"unknown"`
	Pending    int `json:"pending"`
	// ClaimMismatches counts the keys whose name claims someone other
	// than the principal that added them.
	ClaimMismatches int `json:"claimMismatches"`
	// Error says why the logs could not be read: the keys it concerns
	// stay pending.
	Error string `json:"error,omitempty"`
}

// StateReport is what a run did with its state.
type StateReport struct {
	// Location is where the state lives: a directory, or gs://BUCKET/PREFIX/.
	Location string `json:"location"`
	// FirstRun tells that there was no state yet: every key's clock
	// started in this run, so nothing without expiry was removed.
	FirstRun bool `json:"firstRun,omitempty"`
	// Migrated counts the projects taken from a single-object state of
	// version 1 by this run.
	Migrated int `json:"migrated,omitempty"`
	// Grace is the policy's grace (a Go duration); "" for none.
	Grace string `json:"grace,omitempty"`
	// Keys counts the keys the state remembers of the projects the run
	// handled.
	Keys int `json:"keys"`
	// ProjectsWritten counts the projects' objects written: only those
	// whose keys changed, or whose read time was a day old.
	ProjectsWritten int `json:"projectsWritten"`
	// NotSaved names the projects whose object another run wrote after
	// this run read it.
	NotSaved []string `json:"notSaved,omitempty"`
	// Hold says why runs with this state are dry runs until a person
	// releases it, set by this run or an earlier one; "" for none.
	Hold string `json:"hold,omitempty"`
	// Warnings are what the state met that needed no person.
	Warnings []string `json:"warnings,omitempty"`
	// Saved tells that everything the run had to write of its state was
	// written; Error says what was not.
	Saved bool   `json:"saved"`
	Error string `json:"error,omitempty"`
}

// OK tells whether every target was handled and every VM seen: no
// failure, no interruption, no zone left unlisted.
func (r Report) OK() bool {
	stateOK := r.State == nil || (r.State.Error == "" && r.State.Hold == "")
	return !r.Interrupted && r.ScopeError == "" && r.Error == "" && stateOK && r.Totals.allHandled()
}

// allHandled tells whether the totals count no target failed, held,
// stale or interrupted, and nothing left unlisted.
func (t Totals) allHandled() bool {
	return t.Failed == 0 && t.Held == 0 && t.Instances.Held == 0 && t.Stale == 0 && t.Instances.Stale == 0 && t.Interrupted == 0 &&
		t.Instances.Failed == 0 && t.Instances.Interrupted == 0 &&
		t.ZonesUnreachable == 0 && t.InstanceListingsFailed == 0
}

// HasChanges tells whether the run found (or made) changes.
func (r Report) HasChanges() bool {
	t := r.Totals
	return t.WouldChange > 0 || t.Changed > 0 || t.Instances.WouldChange > 0 || t.Instances.Changed > 0
}

// Finish fills Totals and makes empty lists [] in JSON rather than null.
// With a Spool, the projects are the spool's, counted as they came in.
func (r *Report) Finish() {
	if r.Projects == nil {
		r.Projects = []ProjectReport{}
	}
	if r.Folders == nil {
		r.Folders = []FolderReport{}
	}
	var t Totals
	if r.Spool != nil {
		t = r.Spool.totals()
	}
	for i := range r.Projects {
		t.addProject(&r.Projects[i])
	}
	t.FoldersSkipped = len(r.Folders)
	r.Totals = t
}

// emptyLists makes a project's empty lists [] in JSON rather than null.
func (p *ProjectReport) emptyLists() {
	if p.Decisions == nil {
		p.Decisions = []plan.Decision{}
	}
	if p.Instances == nil {
		p.Instances = []TargetReport{}
	}
	for j := range p.Instances {
		if p.Instances[j].Decisions == nil {
			p.Instances[j].Decisions = []plan.Decision{}
		}
	}
}

// addProject counts a project and its instances, and makes its empty
// lists [] in JSON rather than null.
func (t *Totals) addProject(p *ProjectReport) {
	p.emptyLists()
	t.Projects++
	t.add(p.Outcome)
	t.addKeys(p.TargetReport)
	t.ZonesUnreachable += len(p.UnreachableZones)
	if p.Posture != nil {
		t.Posture.Add(*p.Posture)
	}
	if p.InstancesError != "" {
		t.InstanceListingsFailed++
	}
	for j := range p.Instances {
		in := &p.Instances[j]
		t.Instances.Total++
		t.Instances.add(in.Outcome)
		t.addKeys(*in)
	}
}

func (t *Totals) addKeys(tr TargetReport) {
	if tr.Outcome == OutcomeFailed || tr.Outcome == OutcomeHeld || tr.Outcome == OutcomeStale {
		return // its keys are in its report, or in its plan, not in what was done
	}
	t.KeysKept += tr.Kept
	t.KeysRemoved += tr.Removed
	t.KeysMoved += tr.Moved
	for _, d := range tr.Decisions {
		if d.Reason == plan.ReasonGrace {
			t.KeysInGrace++
		}
	}
}
