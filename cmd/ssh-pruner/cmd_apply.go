package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"regexp"
	"time"
	"unicode"
	"unicode/utf8"

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
alone. A plan older than --max-plan-age, or made by another version of
ssh-pruner, is refused.

Examples:
  ssh-pruner run --organization 123456789012 --plan-out plan.json
  ssh-pruner apply plan.json

Exit status: 0 every target written; 1 a target failed or was stale; 2
usage error, or a plan refused.
`

// planKind marks a reviewed plan file.
const planKind = "ssh-pruner-plan"

// planFile is what run --plan-out writes and apply reads. It carries no
// value of any metadata item other than what the decisions say of keys
// (user, type, fingerprint, expiry), and no key blob.
type planFile struct {
	Kind      string                  `json:"kind" yaml:"kind"`
	Version   string                  `json:"version" yaml:"version"`
	CreatedAt time.Time               `json:"createdAt" yaml:"createdAt"`
	Clock     time.Time               `json:"clock" yaml:"clock"`
	RunID     string                  `json:"runId" yaml:"runId"`
	Policy    planPolicy              `json:"policy" yaml:"policy"`
	Targets   []pruner.ReviewedTarget `json:"targets" yaml:"targets"`
}

type planPolicy struct {
	GoogleManagedUsers      []string   `json:"googleManagedUsers" yaml:"googleManagedUsers"`
	KeepMisplacedGoogleKeys bool       `json:"keepMisplacedGoogleKeys" yaml:"keepMisplacedGoogleKeys"`
	MaxKeyLifetime          string     `json:"maxKeyLifetime" yaml:"maxKeyLifetime"`
	Grace                   string     `json:"grace,omitempty" yaml:"grace,omitempty"`
	Protected               []planRule `json:"protected,omitempty" yaml:"protected,omitempty"`
}

type planRule struct {
	Name           string `json:"name" yaml:"name"`
	Username       string `json:"username,omitempty" yaml:"username,omitempty"`
	GoogleUserName string `json:"googleUserName,omitempty" yaml:"googleUserName,omitempty"`
	Fingerprint    string `json:"fingerprint,omitempty" yaml:"fingerprint,omitempty"`
	Level          string `json:"level,omitempty" yaml:"level,omitempty"`
	Item           string `json:"item,omitempty" yaml:"item,omitempty"`
	ReportOnly     bool   `json:"reportOnly,omitempty" yaml:"reportOnly,omitempty"`
}

func toPlanPolicy(p plan.Policy) planPolicy {
	pp := planPolicy{KeepMisplacedGoogleKeys: p.KeepMisplacedGoogleKeys, MaxKeyLifetime: p.MaxLifetime.String()}
	if p.Grace > 0 {
		pp.Grace = p.Grace.String()
	}
	for _, re := range p.GoogleManagedUsers {
		pp.GoogleManagedUsers = append(pp.GoogleManagedUsers, re.String())
	}
	for _, r := range p.Protected {
		pr := planRule{Name: r.Name, Fingerprint: r.Fingerprint, Level: string(r.Level), Item: r.Item, ReportOnly: r.ReportOnly}
		if r.Username != nil {
			pr.Username = r.Username.String()
		}
		if r.GoogleUserName != nil {
			pr.GoogleUserName = r.GoogleUserName.String()
		}
		pp.Protected = append(pp.Protected, pr)
	}
	return pp
}

func (pp planPolicy) policy() (plan.Policy, error) {
	p, err := plan.NewPolicy(pp.GoogleManagedUsers, pp.KeepMisplacedGoogleKeys)
	if err != nil {
		return p, err
	}
	if p.MaxLifetime, err = time.ParseDuration(pp.MaxKeyLifetime); err != nil {
		return p, fmt.Errorf("maxKeyLifetime: %w", err)
	}
	if pp.Grace != "" {
		if p.Grace, err = time.ParseDuration(pp.Grace); err != nil || p.Grace < 0 {
			return p, fmt.Errorf("grace %q: not a duration of 0 or more", pp.Grace)
		}
	}
	for _, r := range pp.Protected {
		rule := plan.Protection{Name: r.Name, Fingerprint: r.Fingerprint, Level: plan.Level(r.Level), Item: r.Item, ReportOnly: r.ReportOnly}
		for _, re := range []struct {
			s   string
			out **regexp.Regexp
		}{{r.Username, &rule.Username}, {r.GoogleUserName, &rule.GoogleUserName}} {
			if re.s != "" {
				if *re.out, err = regexp.Compile(re.s); err != nil {
					return p, fmt.Errorf("protected %s: %w", r.Name, err)
				}
			}
		}
		p.Protected = append(p.Protected, rule)
	}
	return p, nil
}

// writePlanFile writes the reviewed plan of a dry run, whole or not at all.
func writePlanFile(path string, rep report.Report, policy plan.Policy) error {
	pf := planFile{Kind: planKind, Version: version(), CreatedAt: time.Now().UTC(), Clock: rep.Now, RunID: rep.RunID,
		Policy: toPlanPolicy(policy), Targets: pruner.ReviewedTargets(rep)}
	if pf.Targets == nil {
		pf.Targets = []pruner.ReviewedTarget{}
	}
	data, err := json.MarshalIndent(pf, "", "  ")
	if err != nil {
		return fmt.Errorf("encode plan: %w", err)
	}
	return writeFileAtomic(path, append(data, '\n'))
}

func cmdApply(ctx context.Context, args []string, _ io.Reader, stdout, stderr io.Writer) error {
	cfg := &runConfig{instances: true, maxAttempts: 1, concurrency: pruner.DefaultConcurrency}
	fs := newFlagSet("apply", applyUsage, stdout)
	fs.StringVar(&cfg.apiEndpoint, "api-endpoint", "", "base `URL` of all Google APIs, e.g. a local gcp-fake; no credentials are used then")
	fs.StringVar(&cfg.impersonate, "impersonate-service-account", "", "act as this service account `EMAIL`")
	fs.StringVar(&cfg.quotaProject, "quota-project", "", "project `ID` charged for API quota")
	fs.StringVar(&cfg.output, "output", "text", "report format on stdout: text or json")
	maxAge := fs.Duration("max-plan-age", 24*time.Hour, "refuse a plan made longer ago than this `DURATION`")
	cfg.logLevel.level = 0
	fs.Var(&cfg.logLevel, "log-level", "least severity logged on stderr: debug, info, warn, error")
	addLogFlags(fs, &cfg.log)
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() != 1 {
		return usageErrorf("apply: want one PLAN file (see 'ssh-pruner apply --help')")
	}
	if err := cfg.check(); err != nil {
		return err
	}
	path := fs.Arg(0)
	pf, err := readPlanFile(path)
	if err != nil {
		return usageErrorf("apply: %s: %v", path, err)
	}
	switch age := time.Since(pf.CreatedAt); {
	case pf.Version != version():
		return usageErrorf("apply: %s was made by ssh-pruner %s, this is %s: make the plan again", path, keyparse.Printable(pf.Version), version())
	case age > *maxAge:
		return usageErrorf("apply: %s was made %s ago, past --max-plan-age %s: make the plan again", path, age.Round(time.Second), *maxAge)
	case age < -time.Minute:
		return usageErrorf("apply: %s says it was made at %s, in the future: make the plan again", path, pf.CreatedAt.Format(time.RFC3339))
	}
	policy, err := pf.Policy.policy()
	if err != nil {
		return usageErrorf("apply: %s: policy: %s", path, keyparse.Printable(err.Error()))
	}
	client, logger, closeLog, err := cfg.connect(ctx, stderr)
	if err != nil {
		return err
	}
	defer closeLog()
	r := &pruner.Reconciler{Lister: client, Store: client, Instances: client, Policy: policy, Logger: logger,
		Apply: true, RunID: pf.RunID + "-apply"}
	rep := r.ApplyReviewed(ctx, pf.Targets, pf.Clock)
	return finish(cfg, rep, stdout)
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
	for i, t := range pf.Targets {
		if err := checkReviewedTarget(t, pf.Clock); err != nil {
			return pf, fmt.Errorf("targets[%d]: %v", i, err)
		}
	}
	return pf, nil
}

// checkReviewedTarget refuses a target that run --plan-out cannot have
// written: apply would read and write a target someone typed in, and its
// report prints the plan's strings, which run --plan-out wrote escaped.
func checkReviewedTarget(t pruner.ReviewedTarget, clock time.Time) error {
	if t.Project == "" || (t.Instance == "") != (t.Zone == "") {
		return errors.New("want a project, and a zone with an instance")
	}
	if err := printableFields(map[string]string{"project": t.Project, "zone": t.Zone, "instance": t.Instance, "plannedFrom": t.PlannedFrom}); err != nil {
		return err
	}
	if g := t.Guard; g != nil {
		if err := printableFields(map[string]string{"guard.key": g.Key, "guard.value": g.Value, "guard.reason": g.Reason}); err != nil {
			return err
		}
	}
	for j, d := range t.Decisions {
		where := fmt.Sprintf("decisions[%d]", j)
		switch d.Action {
		case plan.ActionKeep, plan.ActionRemove, plan.ActionMove:
		default:
			return fmt.Errorf(`%s: action "%s"`, where, keyparse.Printable(string(d.Action)))
		}
		switch {
		case d.MetadataKey != plan.KeySSHKeys && d.MetadataKey != plan.KeyLegacySSHKeys:
			return fmt.Errorf(`%s: metadataKey "%s"`, where, keyparse.Printable(d.MetadataKey))
		case d.Fingerprint != "" && !fingerprintRE.MatchString(d.Fingerprint):
			return fmt.Errorf(`%s: fingerprint "%s"`, where, keyparse.Printable(d.Fingerprint))
		}
		if err := printableFields(map[string]string{"username": d.Username, "keyType": d.KeyType, "googleUserName": d.GoogleUserName,
			"reason": d.Reason, "rule": d.Rule, "otherwise": d.Otherwise, "expireOn": d.ExpireOn}); err != nil {
			return fmt.Errorf("%s: %v", where, err)
		}
		for name, v := range map[string]string{"firstSeen": d.FirstSeen, "graceEnds": d.GraceEnds} {
			if v == "" {
				continue
			}
			at, err := time.Parse(time.RFC3339Nano, v)
			switch {
			case err != nil:
				return fmt.Errorf(`%s: %s "%s": not a time`, where, name, keyparse.Printable(v))
			case name == "firstSeen" && at.After(clock):
				return fmt.Errorf("%s: firstSeen %s is after the plan's clock", where, v)
			}
		}
	}
	return nil
}

// maxPlanField bounds a string of a plan: run --plan-out writes them in
// keyparse.Printable form, at most a few hundred bytes.
const maxPlanField = 1024

// printableFields refuses a string that keyparse.Printable cannot have
// given: one with a control character or invalid UTF-8, or too long.
func printableFields(fields map[string]string) error {
	for name, v := range fields {
		if len(v) > maxPlanField {
			return fmt.Errorf("%s: longer than %d bytes", name, maxPlanField)
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

var errPlanOutApply = errors.New("--plan-out makes a plan for review: it is a dry run, without --apply")
