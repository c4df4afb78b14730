package main

import (
	"context"
	"fmt"
	"io"

	"github.com/ssh-pruner/ssh-pruner/keyparse"
	"github.com/ssh-pruner/ssh-pruner/pruner"
	"github.com/ssh-pruner/ssh-pruner/pruner/plan"
	"github.com/ssh-pruner/ssh-pruner/pruner/report"
)

const planUsage = `Usage: ssh-pruner plan show FILE

Shows a plan that 'ssh-pruner run --plan-out FILE' wrote, for the person
who reviews it before 'ssh-pruner apply FILE': each target that would
change, with the keys it would remove or move and those only a
protection, a report-only rule or the grace keeps, as the dry run showed
them, under what the plan was made with (run, clock, policy). It reads
nothing else and connects to nothing.

Example:
  ssh-pruner run --organization 123456789012 --plan-out plan.json
  ssh-pruner plan show plan.json
`

func cmdPlan(ctx context.Context, args []string, _ io.Reader, stdout, _ io.Writer) error {
	if len(args) == 1 && (args[0] == "-h" || args[0] == "--help" || args[0] == "help") {
		fmt.Fprint(stdout, planUsage)
		return nil
	}
	if len(args) != 2 || args[0] != "show" {
		return usageErrorf("plan: want 'plan show FILE' (see 'ssh-pruner plan --help')")
	}
	path := args[1]
	pf, err := readPlanFile(ctx, path)
	if err != nil {
		return usageErrorf("plan: %s: %v", keyparse.Printable(path), err)
	}
	fmt.Fprintf(stdout, "Plan %s, made %s by ssh-pruner %s from run %s, at its clock %s; grace %s, max key lifetime %s, %d protected-key rules.\n",
		keyparse.Printable(path), keyparse.FormatTime(pf.CreatedAt), keyparse.Printable(pf.Version), keyparse.Printable(pf.RunID),
		keyparse.FormatTime(pf.Clock), pf.Policy.Grace, pf.Policy.MaxKeyLifetime, len(pf.Policy.Protected))
	fmt.Fprintln(stdout, "'ssh-pruner apply' writes a target only if its metadata is still what the plan was made from.")
	fmt.Fprintln(stdout)
	rep := planReport(pf)
	if err := rep.WriteText(stdout); err != nil {
		return fmt.Errorf("write plan: %w", err)
	}
	return nil
}

// planReport is the report a plan's dry run gave of the targets it would
// change: their listed decisions, by project in the plan's order.
func planReport(pf planFile) report.Report {
	rep := report.Report{RunID: pf.RunID, DryRun: true, Now: pf.Clock}
	index := map[string]int{}
	for _, rt := range pf.Targets {
		i, ok := index[rt.Project]
		if !ok {
			i = len(rep.Projects)
			index[rt.Project] = i
			rep.Projects = append(rep.Projects, report.ProjectReport{TargetReport: report.TargetReport{
				Target: plan.Target{Project: rt.Project}, Outcome: report.OutcomeUnchanged}})
		}
		tr := reviewedReport(rt)
		if rt.Level() == plan.LevelInstance {
			rep.Projects[i].Instances = append(rep.Projects[i].Instances, tr)
		} else {
			rep.Projects[i].TargetReport = tr
		}
	}
	rep.Finish()
	return rep
}

func reviewedReport(rt pruner.ReviewedTarget) report.TargetReport {
	tr := report.TargetReport{Target: rt.Target, Windows: rt.Windows, Outcome: report.OutcomeWouldChange,
		Decisions: rt.Decisions, Guard: rt.Guard, PlannedFrom: rt.PlannedFrom}
	for _, d := range rt.Decisions {
		switch d.Action {
		case plan.ActionRemove:
			tr.Removed++
		case plan.ActionMove:
			tr.Moved++
		default:
			tr.Kept++
		}
	}
	return tr
}
