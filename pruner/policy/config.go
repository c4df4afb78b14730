package policy

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/ssh-pruner/ssh-pruner/pruner/plan"
)

// Config is the policy as a person writes it: the schema of the --policy
// file, of a reviewed plan's policy, and of what 'policy check' prints.
// Adding a setting is one field here, its check in Validate, what Compile
// makes of it, and a line of the README.
//
//	googleManagedUsers: ['^gke-[0-9a-f]+$']
//	keepMisplacedGoogleKeys: false
//	maxKeyLifetime: 720h        # 0s: no limit
//	grace: 24h                  # needs --state
//	instances: true
//	limits: {perTarget: 200, perRun: 1000}   # perTarget may be "80%"
//	exclude: {projects: [...], folders: [...], labels: [key=value]}
//	onlyLabels: [key=value]
//	protected: [{name, username, googleUserName, fingerprint, level, item, reportOnly}]
type Config struct {
	GoogleManagedUsers      []string    `yaml:"googleManagedUsers" json:"googleManagedUsers"`
	KeepMisplacedGoogleKeys bool        `yaml:"keepMisplacedGoogleKeys" json:"keepMisplacedGoogleKeys"`
	MaxKeyLifetime          Duration    `yaml:"maxKeyLifetime" json:"maxKeyLifetime"`
	Grace                   Duration    `yaml:"grace" json:"grace"`
	Instances               bool        `yaml:"instances" json:"instances"`
	Limits                  LimitConfig `yaml:"limits" json:"limits"`
	Exclude                 Exclude     `yaml:"exclude" json:"exclude"`
	OnlyLabels              []string    `yaml:"onlyLabels" json:"onlyLabels"`
	Protected               []Protected `yaml:"protected" json:"protected"`
}

// LimitConfig bounds what one run may remove (Limits).
type LimitConfig struct {
	PerTarget TargetLimit `yaml:"perTarget" json:"perTarget"`
	PerRun    int         `yaml:"perRun" json:"perRun"`
}

// Exclude names what is left alone: projects by id, folders by numeric id
// (sub-folders included), projects and VMs by label key=value.
type Exclude struct {
	Projects []string `yaml:"projects" json:"projects"`
	Folders  []string `yaml:"folders" json:"folders"`
	Labels   []string `yaml:"labels" json:"labels"`
}

// Protected is a rule that keeps keys whatever the policy says
// (plan.Protection): every criterion given must match.
type Protected struct {
	Name           string `yaml:"name" json:"name"`
	Username       string `yaml:"username,omitempty" json:"username,omitempty"`
	GoogleUserName string `yaml:"googleUserName,omitempty" json:"googleUserName,omitempty"`
	Fingerprint    string `yaml:"fingerprint,omitempty" json:"fingerprint,omitempty"`
	Level          string `yaml:"level,omitempty" json:"level,omitempty"`
	Item           string `yaml:"item,omitempty" json:"item,omitempty"`
	ReportOnly     bool   `yaml:"reportOnly,omitempty" json:"reportOnly,omitempty"`
}

// Default is the policy before any file or flag: Google's GKE keys
// managed, no lifetime limit, no grace, VMs pruned, and limits that are
// large for a project and small for an organization, so that a first
// apply across hundreds of projects stops at 1,000 removals and says so.
func Default() Config {
	return Config{
		GoogleManagedUsers: []string{plan.DefaultGoogleManagedUser},
		Instances:          true,
		Limits:             LimitConfig{PerTarget: TargetLimit{Keys: 200}, PerRun: 1000},
	}
}

// Duration is a time.Duration written as Go writes it ("24h0m0s"), and
// read as time.ParseDuration reads it ("24h").
type Duration time.Duration

func (d Duration) String() string { return time.Duration(d).String() }

// MarshalText writes the duration as time.Duration.String does.
func (d Duration) MarshalText() ([]byte, error) { return []byte(d.String()), nil }

// UnmarshalText reads a duration such as 24h or 90m.
func (d *Duration) UnmarshalText(b []byte) error {
	v, err := time.ParseDuration(string(b))
	if err != nil {
		return fmt.Errorf(`"%s": want a duration such as 24h`, b)
	}
	*d = Duration(v)
	return nil
}

// TargetLimit is how many keys one target may lose in a run: a number
// of keys, or a share of the target's keys ("80%"). Zero is no limit.
type TargetLimit struct {
	Keys    int
	Percent float64 // above 0 and at most 100; 0 when Keys is meant
}

func (l TargetLimit) String() string {
	if l.Percent > 0 {
		return strconv.FormatFloat(l.Percent, 'f', -1, 64) + "%"
	}
	return strconv.Itoa(l.Keys)
}

// MarshalText writes N or P%.
func (l TargetLimit) MarshalText() ([]byte, error) { return []byte(l.String()), nil }

// MarshalYAML writes a number of keys as a YAML number, so that the file
// 'policy check' prints reads as a person would write it.
func (l TargetLimit) MarshalYAML() (any, error) {
	if l.Percent > 0 {
		return l.String(), nil
	}
	return l.Keys, nil
}

// UnmarshalText reads N (keys, 0 for no limit) or P% (above 0, at most 100).
func (l *TargetLimit) UnmarshalText(b []byte) error {
	s := string(b)
	if pct, ok := strings.CutSuffix(s, "%"); ok {
		p, err := strconv.ParseFloat(pct, 64)
		if err != nil || math.IsNaN(p) || p <= 0 || p > 100 {
			return fmt.Errorf(`"%s": want a number of keys, or a percentage above 0%% and at most 100%%`, s)
		}
		*l = TargetLimit{Percent: p}
		return nil
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < 0 {
		return fmt.Errorf(`"%s": want a number of keys (0 for no limit) or a percentage such as 80%%`, s)
	}
	*l = TargetLimit{Keys: n}
	return nil
}
