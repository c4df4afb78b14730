package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/ssh-pruner/ssh-pruner/keyparse"
	"github.com/ssh-pruner/ssh-pruner/pruner"
	"github.com/ssh-pruner/ssh-pruner/pruner/inputfile"
	"github.com/ssh-pruner/ssh-pruner/pruner/policy"
	"github.com/ssh-pruner/ssh-pruner/pruner/report"
)

// planKind marks a reviewed plan file.
const planKind = "ssh-pruner-plan"

// planFile is what run --plan-out writes and apply reads. It carries no
// value of any metadata item other than what the decisions say of keys
// (user, type, fingerprint, expiry), and no key blob. Its policy is the
// policy file's schema, as the run had it.
type planFile struct {
	Kind      string                  `json:"kind"`
	Version   string                  `json:"version"`
	CreatedAt time.Time               `json:"createdAt"`
	Clock     time.Time               `json:"clock"`
	RunID     string                  `json:"runId"`
	Policy    policy.Config           `json:"policy"`
	Targets   []pruner.ReviewedTarget `json:"targets"`
	// Failed says why the run that wrote this file failed before it had
	// a plan; apply refuses such a file. It keeps an earlier plan from
	// standing at --plan-out as if this run had made it.
	Failed string `json:"failed,omitempty"`
}

// writePlanFile writes the reviewed plan of a dry run (writeOutput: whole
// or not at all when it is a file).
func writePlanFile(path string, rep report.Report, p policy.Config) error {
	pf := planFile{Kind: planKind, Version: version(), CreatedAt: time.Now().UTC(), Clock: rep.Now, RunID: rep.RunID,
		Policy: p, Targets: pruner.ReviewedTargets(rep)}
	return writePlan(path, pf)
}

// writeFailedPlan writes, at --plan-out, that the run failed (rep.Error)
// before it had a plan.
func writeFailedPlan(path string, rep report.Report) error {
	return writePlan(path, planFile{Kind: planKind, Version: version(), CreatedAt: time.Now().UTC(), Clock: rep.Now, RunID: rep.RunID,
		Policy: policy.Default(), Failed: rep.Error})
}

func writePlan(path string, pf planFile) error {
	if pf.Targets == nil {
		pf.Targets = []pruner.ReviewedTarget{}
	}
	data, err := json.MarshalIndent(pf, "", "  ")
	if err != nil {
		return fmt.Errorf("encode plan: %w", err)
	}
	err = writeOutput(path, func(w io.Writer) error { _, err := w.Write(append(data, '\n')); return err })
	if err != nil {
		return fmt.Errorf("write plan %s: %w", path, err)
	}
	return nil
}

// maxPlanSize bounds a plan file. A plan holds only the targets that
// would change, some 400 bytes a key decision: 256 MiB is room for more
// than 600,000 decisions, an organization of 100,000 VMs with five keys
// each to prune, far past what --max-removals-per-run lets through by
// default. The plan is decoded as it is read, never held whole, so what
// is no JSON (/dev/zero) is refused at its first byte.
const maxPlanSize = 256 << 20

// readPlanFile reads a plan strictly: a file that is not whole and right
// is refused, never half applied. The read gives way to ctx (SIGINT): a
// FIFO that no one writes to must not hold the command.
func readPlanFile(ctx context.Context, path string) (planFile, error) {
	var pf planFile
	in, err := inputfile.Open(ctx, path, maxPlanSize)
	if err != nil {
		return pf, err
	}
	defer in.Close()
	dec := json.NewDecoder(in)
	dec.DisallowUnknownFields()
	if err := dec.Decode(&pf); err != nil {
		return pf, notAPlan(err, keyparse.Printable(err.Error()))
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return pf, notAPlan(err, "data after its end")
	}
	switch {
	case pf.Kind != planKind:
		return pf, fmt.Errorf(`kind "%s": not a plan of ssh-pruner run --plan-out`, keyparse.Printable(pf.Kind))
	case pf.Failed != "":
		return pf, fmt.Errorf("the run that wrote it failed before it had a plan (%s): make the plan again", keyparse.Printable(pf.Failed))
	case pf.CreatedAt.IsZero() || pf.Clock.IsZero():
		return pf, errors.New("no createdAt or clock: not a plan of ssh-pruner run --plan-out")
	}
	if err := pruner.CheckReviewed(pf.Targets, pf.Clock); err != nil {
		return pf, err
	}
	return pf, nil
}

// savePlan writes the plan of a dry run and says where on stderr, with
// what to do next: a plan no one knows of is reviewed by no one.
func savePlan(s setup, rep report.Report, stderr io.Writer) error {
	if err := writePlanFile(s.planOut, rep, s.policy); err != nil {
		return err
	}
	n := len(pruner.ReviewedTargets(rep))
	fmt.Fprintf(stderr, "ssh-pruner: plan of %d targets to change written to %s: have it reviewed ('ssh-pruner plan show %s'), then 'ssh-pruner apply %s'\n",
		n, keyparse.Printable(s.planOut), keyparse.Printable(s.planOut), keyparse.Printable(s.planOut))
	return nil
}

// notAPlan says why a plan could not be read: too large, interrupted, or
// not a plan (why).
func notAPlan(err error, why string) error {
	switch {
	case errors.As(err, new(*inputfile.TooLargeError)):
		return fmt.Errorf("more than %d bytes: not a plan", maxPlanSize)
	case errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
		return fmt.Errorf("read: %w", err)
	}
	return fmt.Errorf("not a plan of ssh-pruner run --plan-out (%s)", why)
}
