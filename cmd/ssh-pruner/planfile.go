package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/ssh-pruner/ssh-pruner/keyparse"
	"github.com/ssh-pruner/ssh-pruner/pruner"
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
}

// writePlanFile writes the reviewed plan of a dry run, whole or not at all.
func writePlanFile(path string, rep report.Report, p policy.Config) error {
	pf := planFile{Kind: planKind, Version: version(), CreatedAt: time.Now().UTC(), Clock: rep.Now, RunID: rep.RunID,
		Policy: p, Targets: pruner.ReviewedTargets(rep)}
	if pf.Targets == nil {
		pf.Targets = []pruner.ReviewedTarget{}
	}
	data, err := json.MarshalIndent(pf, "", "  ")
	if err != nil {
		return fmt.Errorf("encode plan: %w", err)
	}
	err = writeAtomic(path, func(w io.Writer) error { _, err := w.Write(append(data, '\n')); return err })
	if err != nil {
		return fmt.Errorf("write plan %s: %w", path, err)
	}
	return nil
}

// maxPlanSize bounds a plan file: a plan of every target of a large
// organization takes a few tens of megabytes.
const maxPlanSize = 512 << 20

// readPlanFile reads a plan strictly: a file that is not whole and right
// is refused, never half applied.
func readPlanFile(path string) (planFile, error) {
	var pf planFile
	f, err := os.Open(path)
	if err != nil {
		return pf, err
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, maxPlanSize+1))
	switch {
	case err != nil:
		return pf, err
	case len(data) > maxPlanSize:
		return pf, fmt.Errorf("more than %d bytes: not a plan", maxPlanSize)
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&pf); err != nil {
		return pf, fmt.Errorf("not a plan of ssh-pruner run --plan-out (%s)", keyparse.Printable(err.Error()))
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return pf, errors.New("not a plan of ssh-pruner run --plan-out (data after its end)")
	}
	switch {
	case pf.Kind != planKind:
		return pf, fmt.Errorf(`kind "%s": not a plan of ssh-pruner run --plan-out`, keyparse.Printable(pf.Kind))
	case pf.CreatedAt.IsZero() || pf.Clock.IsZero():
		return pf, errors.New("no createdAt or clock: not a plan of ssh-pruner run --plan-out")
	}
	if err := pruner.CheckReviewed(pf.Targets, pf.Clock); err != nil {
		return pf, err
	}
	return pf, nil
}
