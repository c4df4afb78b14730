// Package report is what a run did, target by target, with its totals,
// and its two renderings side by side: text for a person (text.go) and
// JSON for scripts and the --report file (json.go). The reconciler fills
// a Report; Finish computes the totals once every target is in. A large
// run hands each project's report to a Spool as the project finishes
// (spool.go), which keeps it rendered rather than whole.
package report
