package pruner

import (
	"errors"
	"fmt"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/ssh-pruner/ssh-pruner/keyparse"
	"github.com/ssh-pruner/ssh-pruner/pruner/plan"
)

// maxReviewedField bounds a string of a reviewed target: ReviewedTargets
// writes them in keyparse.Printable form, at most a few hundred bytes.
const maxReviewedField = 1024

// CheckReviewed checks every target of a reviewed plan (Check), and that
// none is named twice: ReviewedTargets gives each target once, and apply
// would otherwise write a project's metadata from whichever of its entries
// came last, or an instance's twice, the second time against a
// fingerprint the first write has just changed.
func CheckReviewed(targets []ReviewedTarget, clock time.Time) error {
	first := make(map[plan.Target]int, len(targets))
	for i, rt := range targets {
		if err := rt.Check(clock); err != nil {
			return fmt.Errorf("targets[%d]: %w", i, err)
		}
		if j, ok := first[rt.Target]; ok {
			return fmt.Errorf("targets[%d]: %s is named again (first at targets[%d])", i, keyparse.Printable(rt.Target.String()), j)
		}
		first[rt.Target] = i
	}
	return nil
}

// Check refuses a target that ReviewedTargets cannot have given: apply
// would read and write a target someone typed in, and its report prints
// the plan's strings, which the dry run wrote escaped. clock is the
// plan's: no key can have been first seen after it.
func (rt ReviewedTarget) Check(clock time.Time) error {
	if rt.Project == "" || (rt.Instance == "") != (rt.Zone == "") {
		return errors.New("want a project, and a zone with an instance")
	}
	if err := printableFields(map[string]string{"project": rt.Project, "zone": rt.Zone, "instance": rt.Instance, "plannedFrom": rt.PlannedFrom}); err != nil {
		return err
	}
	if g := rt.Guard; g != nil {
		if err := printableFields(map[string]string{"guard.key": g.Key, "guard.value": g.Value, "guard.reason": g.Reason}); err != nil {
			return err
		}
	}
	for j, d := range rt.Decisions {
		if err := checkDecision(d, clock); err != nil {
			return fmt.Errorf("decisions[%d]: %w", j, err)
		}
	}
	return nil
}

func checkDecision(d plan.Decision, clock time.Time) error {
	switch d.Action {
	case plan.ActionKeep, plan.ActionRemove, plan.ActionMove:
	default:
		return fmt.Errorf(`action "%s"`, keyparse.Printable(string(d.Action)))
	}
	switch {
	case d.MetadataKey != plan.KeySSHKeys && d.MetadataKey != plan.KeyLegacySSHKeys:
		return fmt.Errorf(`metadataKey "%s"`, keyparse.Printable(d.MetadataKey))
	case d.Fingerprint != "" && !keyparse.IsFingerprint(d.Fingerprint):
		return fmt.Errorf(`fingerprint "%s"`, keyparse.Printable(d.Fingerprint))
	}
	if err := printableFields(map[string]string{"username": d.Username, "keyType": d.KeyType, "googleUserName": d.GoogleUserName,
		"reason": d.Reason, "rule": d.Rule, "otherwise": d.Otherwise, "expireOn": d.ExpireOn,
		"attribution": d.Attribution, "addedBy": d.AddedBy, "addedVia": d.AddedVia, "candidates": d.Candidates,
		"attributionWhy": d.AttributionWhy}); err != nil {
		return err
	}
	for name, v := range map[string]string{"firstSeen": d.FirstSeen, "graceEnds": d.GraceEnds, "addedAt": d.AddedAt} {
		if v == "" {
			continue
		}
		at, err := time.Parse(time.RFC3339Nano, v)
		switch {
		case err != nil:
			return fmt.Errorf(`%s "%s": not a time`, name, keyparse.Printable(v))
		case name == "firstSeen" && at.After(clock):
			return fmt.Errorf("firstSeen %s is after the plan's clock", v)
		}
	}
	return nil
}

// printableFields refuses a string that keyparse.Printable cannot have
// given: one with a control character or invalid UTF-8, or too long.
func printableFields(fields map[string]string) error {
	for name, v := range fields {
		if len(v) > maxReviewedField {
			return fmt.Errorf("%s: longer than %d bytes", name, maxReviewedField)
		}
		ok := utf8.ValidString(v)
		for _, r := range v {
			ok = ok && (r == ' ' || unicode.IsPrint(r))
		}
		if !ok {
			return fmt.Errorf(`%s "%s": not as ssh-pruner writes it`, name, keyparse.Printable(v))
		}
	}
	return nil
}
