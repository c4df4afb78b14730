package policy

import (
	"errors"
	"fmt"
	"regexp"
	"strings"
	"time"

	"github.com/ssh-pruner/ssh-pruner/keyparse"
	"github.com/ssh-pruner/ssh-pruner/pruner/plan"
)

// Compiled is the policy as the reconciler consumes it.
type Compiled struct {
	Plan    plan.Policy
	Limits  Limits
	OptOuts OptOuts
	// Exclude names the project ids left alone, their VMs included.
	Exclude   []string
	Instances bool
}

// FieldError is a setting that is not right: Field names it as the file
// does ("protected[2].username", "limits.perTarget").
type FieldError struct {
	Field string
	Err   error
}

func (e *FieldError) Error() string { return e.Field + ": " + e.Err.Error() }
func (e *FieldError) Unwrap() error { return e.Err }

func fieldErr(field, format string, args ...any) error {
	return &FieldError{Field: field, Err: fmt.Errorf(format, args...)}
}

// Validate checks every setting; the first that is wrong is a
// *FieldError. It is Compile without the result: one set of checks.
func (c Config) Validate() error {
	_, err := c.Compile()
	return err
}

// Compile checks the policy and makes what planning and the reconciler
// consume of it.
func (c Config) Compile() (Compiled, error) {
	out := Compiled{Exclude: c.Exclude.Projects, Instances: c.Instances}
	var err error
	for i, u := range c.GoogleManagedUsers {
		if _, err := regexp.Compile(u); err != nil {
			return out, fieldErr(fmt.Sprintf("googleManagedUsers[%d]", i), "%v", err)
		}
	}
	if out.Plan, err = plan.NewPolicy(c.GoogleManagedUsers, c.KeepMisplacedGoogleKeys); err != nil {
		return out, &FieldError{Field: "googleManagedUsers", Err: err}
	}
	if c.MaxKeyLifetime < 0 {
		return out, fieldErr("maxKeyLifetime", `"%s": want 0 (no limit) or more`, c.MaxKeyLifetime)
	}
	if c.Grace < 0 {
		return out, fieldErr("grace", `"%s": want 0 (none) or more`, c.Grace)
	}
	out.Plan.MaxLifetime, out.Plan.Grace = time.Duration(c.MaxKeyLifetime), time.Duration(c.Grace)
	if out.Limits, err = c.Limits.compile(); err != nil {
		return out, err
	}
	if out.OptOuts, err = c.optOuts(); err != nil {
		return out, err
	}
	for i, p := range c.Protected {
		r, err := p.compile(fmt.Sprintf("protected[%d]", i))
		if err != nil {
			return out, err
		}
		out.Plan.Protected = append(out.Plan.Protected, r)
	}
	return out, nil
}

func (l LimitConfig) compile() (Limits, error) {
	pt := l.PerTarget
	switch {
	case pt.Keys < 0 || pt.Percent < 0 || pt.Percent > 100 || (pt.Keys > 0 && pt.Percent > 0):
		return Limits{}, fieldErr("limits.perTarget", `"%s": want a number of keys or a percentage such as 80%%`, pt)
	case l.PerRun < 0:
		return Limits{}, fieldErr("limits.perRun", "%d: want 0 (no limit) or more", l.PerRun)
	}
	return Limits{PerTarget: pt.Keys, PerTargetPercent: pt.Percent, PerRun: l.PerRun}, nil
}

func (c Config) optOuts() (OptOuts, error) {
	o := OptOuts{Folders: c.Exclude.Folders}
	for i, f := range c.Exclude.Folders {
		if _, err := FolderID(f); err != nil {
			return o, &FieldError{Field: fmt.Sprintf("exclude.folders[%d]", i), Err: err}
		}
	}
	for i, v := range c.Exclude.Labels {
		l, err := ParseLabel(v)
		if err != nil {
			return o, &FieldError{Field: fmt.Sprintf("exclude.labels[%d]", i), Err: err}
		}
		o.Labels = append(o.Labels, l)
	}
	for i, v := range c.OnlyLabels {
		l, err := ParseLabel(v)
		if err != nil {
			return o, &FieldError{Field: fmt.Sprintf("onlyLabels[%d]", i), Err: err}
		}
		o.OnlyLabels = append(o.OnlyLabels, l)
	}
	return o, nil
}

// FolderID reads a folder as Resource Manager numbers it, "N" or
// "folders/N", and gives N.
func FolderID(s string) (string, error) {
	id := strings.TrimPrefix(s, "folders/")
	if id == "" || strings.Trim(id, "0123456789") != "" {
		return "", fmt.Errorf(`"%s": want a numeric folder id`, s)
	}
	return id, nil
}

func (p Protected) compile(field string) (plan.Protection, error) {
	r := plan.Protection{Name: p.Name, Fingerprint: p.Fingerprint, ReportOnly: p.ReportOnly}
	if r.Name == "" {
		r.Name = field
	}
	for _, re := range []struct {
		v, name string
		out     **regexp.Regexp
	}{{p.Username, "username", &r.Username}, {p.GoogleUserName, "googleUserName", &r.GoogleUserName}} {
		if re.v == "" {
			continue
		}
		c, err := regexp.Compile(re.v)
		if err != nil {
			return r, &FieldError{Field: field + "." + re.name, Err: err}
		}
		*re.out = c
	}
	if r.Fingerprint != "" && !keyparse.IsFingerprint(r.Fingerprint) {
		return r, fieldErr(field+".fingerprint", `"%s": want SHA256: and 43 base64 characters, as ssh-keygen -l prints`, r.Fingerprint)
	}
	if r.Username == nil && r.GoogleUserName == nil && r.Fingerprint == "" {
		return r, &FieldError{Field: field, Err: errors.New("give username, googleUserName or fingerprint: a rule without one would match nothing")}
	}
	switch p.Level {
	case "", string(plan.LevelProject), string(plan.LevelInstance):
		r.Level = plan.Level(p.Level)
	default:
		return r, fieldErr(field+".level", `"%s": want project or instance`, p.Level)
	}
	switch p.Item {
	case "", plan.KeySSHKeys, plan.KeyLegacySSHKeys:
		r.Item = p.Item
	default:
		return r, fieldErr(field+".item", `"%s": want ssh-keys or sshKeys`, p.Item)
	}
	return r, nil
}
