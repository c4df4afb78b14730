package main

import (
	"context"
	"io"
	"time"

	"github.com/ssh-pruner/ssh-pruner/keyparse"
	"github.com/ssh-pruner/ssh-pruner/pruner"
	"github.com/ssh-pruner/ssh-pruner/pruner/plan"
	"github.com/ssh-pruner/ssh-pruner/pruner/report"
)

const applyUsage = `Usage: ssh-pruner apply [flags] PLAN

Writes exactly a plan that 'ssh-pruner run --plan-out PLAN' made (a dry
run) and someone reviewed. For each target it reads the metadata again
and writes only if the fingerprint is the one the plan was made from and
planning again, with the plan's policy and clock, gives the same
decisions; a target that changed meanwhile is reported stale and left
alone. A plan older than --max-plan-age, made by another version of
ssh-pruner, written by a run that failed before it had a plan, or that
names a target twice, is refused.

Examples:
  ssh-pruner run --organization 123456789012 --plan-out plan.json
  ssh-pruner apply plan.json

Targets are applied as a run does them: --concurrency at once, each
project's VMs listed once. With --state, the keys read are remembered as
a run remembers them.

Exit status: 0 every target written; 1 a target failed or was stale; 2
usage error, or a plan refused.
`

func cmdApply(ctx context.Context, args []string, _ io.Reader, stdout, stderr io.Writer) error {
	o := newOptions("apply", applyUsage, stdout)
	o.addAPIFlags()
	o.addConcurrencyFlag()
	o.addOutputFlags()
	o.addStateFlag()
	o.addLogFlags(true)
	maxAge := o.fs.Duration("max-plan-age", 24*time.Hour, "refuse a plan made longer ago than this `DURATION`")
	if err := o.parse(args, true); err != nil {
		return err
	}
	if o.fs.NArg() != 1 {
		return usageErrorf("apply: want one PLAN file (see 'ssh-pruner apply --help')")
	}
	path := o.fs.Arg(0)
	pf, err := readPlanFile(ctx, path)
	if err != nil {
		return usageErrorf("apply: %s: %v", keyparse.Printable(path), err)
	}
	switch age := time.Since(pf.CreatedAt); {
	case pf.Version != version():
		return usageErrorf("apply: %s was made by ssh-pruner %s, this is %s: make the plan again", path, keyparse.Printable(pf.Version), version())
	case age > *maxAge:
		return usageErrorf("apply: %s was made %s ago, past --max-plan-age %s: make the plan again", path, age.Round(time.Second), *maxAge)
	case age < -time.Minute:
		return usageErrorf("apply: %s says it was made at %s, in the future: make the plan again", path, pf.CreatedAt.Format(time.RFC3339))
	}
	compiled, err := pf.Policy.Compile()
	if err != nil {
		return usageErrorf("apply: %s: policy: %s", path, keyparse.Printable(err.Error()))
	}
	// The grace of the plan is what its decisions were made with; a state
	// only remembers what apply reads. apply writes, with no flag to say
	// so: its report, a failed one included, is no dry run.
	o.apply = true
	s, err := o.build(ctx, needs{})
	if err != nil {
		return err
	}
	logOut, observer, done := s.terminal(stderr)
	defer done()
	runID := pf.RunID + "-apply"
	rep, err := s.applyPlan(ctx, pf, compiled.Plan, logOut, observer, runID)
	done()
	if err != nil {
		return s.failed(runID, err)
	}
	return s.finish(rep, stdout)
}

// applyPlan connects to Google, opens the log and the state, and applies
// a reviewed plan with its policy.
func (s setup) applyPlan(ctx context.Context, pf planFile, p plan.Policy, logOut io.Writer, observer pruner.Observer, runID string) (report.Report, error) {
	client, logger, closeLog, err := s.connectAndLog(ctx, logOut)
	if err != nil {
		return report.Report{}, err
	}
	defer closeLog()
	st, closeState, err := s.openState(ctx)
	if err != nil {
		return report.Report{}, err
	}
	defer closeState()
	r := &pruner.Reconciler{Lister: client, Store: client, Instances: client, Policy: p, Logger: logger, Now: s.clock,
		Apply: true, Concurrency: s.concurrency, MaxAttempts: 1, RunID: runID, State: st, Observer: observer, SpoolReports: true}
	return r.ApplyReviewed(ctx, pf.Targets, pf.Clock), nil
}
