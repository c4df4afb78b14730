package main

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"regexp"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/ssh-pruner/ssh-pruner/pruner"
	"github.com/ssh-pruner/ssh-pruner/pruner/plan"
)

// policyFile is the --policy file: every policy setting that flags hold,
// and the protected keys, which only the file holds. Flags (and their
// environment variables) override it. README "The policy file" documents
// it; testdata/policy-example.yaml is a commented example.
type policyFile struct {
	GoogleManagedUsers      []at[string]         `yaml:"googleManagedUsers"`
	KeepMisplacedGoogleKeys *bool                `yaml:"keepMisplacedGoogleKeys"`
	MaxKeyLifetime          *at[string]          `yaml:"maxKeyLifetime"`
	Grace                   *at[string]          `yaml:"grace"`
	Instances               *bool                `yaml:"instances"`
	Limits                  policyLimits         `yaml:"limits"`
	Exclude                 policyExclude        `yaml:"exclude"`
	OnlyLabels              []at[string]         `yaml:"onlyLabels"`
	Protected               []policyProtectedKey `yaml:"protected"`
}

type policyLimits struct {
	PerTarget *at[string] `yaml:"perTarget"` // N or P%
	PerRun    *at[int]    `yaml:"perRun"`
}

type policyExclude struct {
	Projects []at[string] `yaml:"projects"`
	Folders  []at[string] `yaml:"folders"`
	Labels   []at[string] `yaml:"labels"`
}

type policyProtectedKey struct {
	Name           at[string] `yaml:"name"`
	Username       at[string] `yaml:"username"`
	GoogleUserName at[string] `yaml:"googleUserName"`
	Fingerprint    at[string] `yaml:"fingerprint"`
	Level          at[string] `yaml:"level"`
	Item           at[string] `yaml:"item"`
	ReportOnly     bool       `yaml:"reportOnly"`
}

// at is a value of the file with the line it stands on, so that an error
// can name it.
type at[T any] struct {
	V    T
	Line int
}

func (a *at[T]) UnmarshalYAML(n *yaml.Node) error {
	a.Line = n.Line
	return n.Decode(&a.V)
}

// policyError is a bad policy file: where, and what.
func policyError(file string, line int, field, format string, args ...any) error {
	return fmt.Errorf("%s:%d: %s: %s", file, line, field, fmt.Sprintf(format, args...))
}

// readPolicyFile reads and checks a policy file; every error names the
// file, the line and the field.
func readPolicyFile(path string) (*policyFile, []plan.Protection, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, nil, err
	}
	return parsePolicyFile(path, data)
}

var fingerprintRE = regexp.MustCompile(`^SHA256:[A-Za-z0-9+/]{43}$`)

func parsePolicyFile(name string, data []byte) (*policyFile, []plan.Protection, error) {
	var pf policyFile
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(&pf); err != nil && !errors.Is(err, io.EOF) {
		var te *yaml.TypeError
		if errors.As(err, &te) {
			// "line 3: field polcy not found in type main.policyFile"
			msgs := make([]string, len(te.Errors))
			for i, m := range te.Errors {
				if i := strings.Index(m, " in type "); i >= 0 {
					m = m[:i]
				}
				msgs[i] = m
			}
			return nil, nil, fmt.Errorf("%s: %s", name, strings.Join(msgs, "; "))
		}
		return nil, nil, fmt.Errorf("%s: %v", name, strings.ReplaceAll(err.Error(), "\n", "; "))
	}
	for _, u := range pf.GoogleManagedUsers {
		if _, err := regexp.Compile(u.V); err != nil {
			return nil, nil, policyError(name, u.Line, "googleManagedUsers", "%v", err)
		}
	}
	if d := pf.MaxKeyLifetime; d != nil {
		if v, err := time.ParseDuration(d.V); err != nil || v < 0 {
			return nil, nil, policyError(name, d.Line, "maxKeyLifetime", "%q: want a duration such as 720h", d.V)
		}
	}
	if d := pf.Grace; d != nil {
		if v, err := time.ParseDuration(d.V); err != nil || v < 0 {
			return nil, nil, policyError(name, d.Line, "grace", "%q: want a duration such as 24h", d.V)
		}
	}
	for _, l := range append(append([]at[string]{}, pf.Exclude.Labels...), pf.OnlyLabels...) {
		if _, err := pruner.ParseLabel(l.V); err != nil {
			return nil, nil, policyError(name, l.Line, "labels", "%v", err)
		}
	}
	for _, f := range pf.Exclude.Folders {
		if id := strings.TrimPrefix(f.V, "folders/"); id == "" || strings.Trim(id, "0123456789") != "" {
			return nil, nil, policyError(name, f.Line, "exclude.folders", "%q: want a numeric folder id", f.V)
		}
	}
	if pt := pf.Limits.PerTarget; pt != nil {
		if _, err := (&runConfig{maxPerTarget: pt.V}).limits(); err != nil {
			return nil, nil, policyError(name, pt.Line, "limits.perTarget", "%q: want a number of keys or a percentage such as 80%%", pt.V)
		}
	}
	if pr := pf.Limits.PerRun; pr != nil && pr.V < 0 {
		return nil, nil, policyError(name, pr.Line, "limits.perRun", "%d: want 0 (no limit) or more", pr.V)
	}
	var rules []plan.Protection
	for i, p := range pf.Protected {
		field := fmt.Sprintf("protected[%d]", i)
		r := plan.Protection{Name: p.Name.V, Fingerprint: p.Fingerprint.V, ReportOnly: p.ReportOnly}
		if r.Name == "" {
			r.Name = field
		}
		for _, re := range []struct {
			v   at[string]
			f   string
			out **regexp.Regexp
		}{{p.Username, "username", &r.Username}, {p.GoogleUserName, "googleUserName", &r.GoogleUserName}} {
			if re.v.V == "" {
				continue
			}
			c, err := regexp.Compile(re.v.V)
			if err != nil {
				return nil, nil, policyError(name, re.v.Line, field+"."+re.f, "%v", err)
			}
			*re.out = c
		}
		if r.Fingerprint != "" && !fingerprintRE.MatchString(r.Fingerprint) {
			return nil, nil, policyError(name, p.Fingerprint.Line, field+".fingerprint", "%q: want SHA256: and 43 base64 characters, as ssh-keygen -l prints", r.Fingerprint)
		}
		if r.Username == nil && r.GoogleUserName == nil && r.Fingerprint == "" {
			return nil, nil, fmt.Errorf("%s: %s: give username, googleUserName or fingerprint: a rule without one would match nothing", name, field)
		}
		switch p.Level.V {
		case "", string(plan.LevelProject), string(plan.LevelInstance):
			r.Level = plan.Level(p.Level.V)
		default:
			return nil, nil, policyError(name, p.Level.Line, field+".level", "%q: want project or instance", p.Level.V)
		}
		switch p.Item.V {
		case "", plan.KeySSHKeys, plan.KeyLegacySSHKeys:
			r.Item = p.Item.V
		default:
			return nil, nil, policyError(name, p.Item.Line, field+".item", "%q: want ssh-keys or sshKeys", p.Item.V)
		}
		rules = append(rules, r)
	}
	return &pf, rules, nil
}

// applyPolicyFile sets, from --policy, every setting that no flag (nor its
// environment variable) gave.
func (c *runConfig) applyPolicyFile(given func(flag string) bool) error {
	if c.policyFile == "" {
		return nil
	}
	pf, rules, err := readPolicyFile(c.policyFile)
	if err != nil {
		return usageErrorf("--policy %v", err)
	}
	c.protected = rules
	strs := func(v []at[string]) []string {
		out := make([]string, len(v))
		for i, x := range v {
			out[i] = x.V
		}
		return out
	}
	if !given("google-managed-user") && len(pf.GoogleManagedUsers) > 0 {
		c.googleManagedUsers = strs(pf.GoogleManagedUsers)
	}
	if !given("keep-misplaced-google-keys") && pf.KeepMisplacedGoogleKeys != nil {
		c.keepMisplaced = *pf.KeepMisplacedGoogleKeys
	}
	if !given("max-key-lifetime") && pf.MaxKeyLifetime != nil {
		c.maxKeyLifetime, _ = time.ParseDuration(pf.MaxKeyLifetime.V) // checked when read
	}
	if !given("grace") && pf.Grace != nil {
		c.grace, _ = time.ParseDuration(pf.Grace.V) // checked when read
	}
	if !given("instances") && pf.Instances != nil {
		c.instances = *pf.Instances
	}
	if !given("max-removals-per-target") && pf.Limits.PerTarget != nil {
		c.maxPerTarget = pf.Limits.PerTarget.V
	}
	if !given("max-removals-per-run") && pf.Limits.PerRun != nil {
		c.maxPerRun = pf.Limits.PerRun.V
	}
	if !given("exclude-project") && len(pf.Exclude.Projects) > 0 {
		c.exclude = strs(pf.Exclude.Projects)
	}
	if !given("exclude-folder") && len(pf.Exclude.Folders) > 0 {
		c.excludeFolders = strs(pf.Exclude.Folders)
	}
	if !given("exclude-label") && len(pf.Exclude.Labels) > 0 {
		c.excludeLabels = strs(pf.Exclude.Labels)
	}
	if !given("only-label") && len(pf.OnlyLabels) > 0 {
		c.onlyLabels = strs(pf.OnlyLabels)
	}
	return nil
}
