package plan

import (
	"regexp"

	"github.com/ssh-pruner/ssh-pruner/keyparse"
)

// Reasons of the keys that a protection keeps.
const (
	// ReasonProtected: a protection rule matched; the key is never removed
	// or moved.
	ReasonProtected = "protected"
	// ReasonReportOnly: the policy would remove the key, but a report-only
	// rule matched: it is reported and kept.
	ReasonReportOnly = "report-only"
)

// Protection names keys that the policy must leave where they are:
// service users that write keys on purpose (GKE, an Airflow SSH hook, a
// Dataproc provisioner, CI runners), or a break-glass key. Every criterion
// set must match; at least one of Username, GoogleUserName and
// Fingerprint is set.
type Protection struct {
	// Name says which rule matched, in the report and the log.
	Name           string
	Username       *regexp.Regexp // the line's username
	GoogleUserName *regexp.Regexp // its google-ssh userName
	Fingerprint    string         // "SHA256:..."
	Level          Level          // "" for both
	Item           string         // ssh-keys or sshKeys; "" for both
	// ReportOnly keeps what the policy would remove and says so (reason
	// report-only) instead of keeping it silently.
	ReportOnly bool
}

func (p Protection) matches(level Level, key string, l keyparse.Line) bool {
	if p.Username == nil && p.GoogleUserName == nil && p.Fingerprint == "" {
		return false
	}
	switch {
	case p.Level != "" && p.Level != level,
		p.Item != "" && p.Item != key,
		p.Fingerprint != "" && p.Fingerprint != l.Fingerprint,
		p.Username != nil && (l.Username == "" || !p.Username.MatchString(l.Username)),
		p.GoogleUserName != nil && (l.Google == nil || !p.GoogleUserName.MatchString(l.Google.UserName)):
		return false
	}
	return true
}

// protect applies the first matching protection to a decision: a
// protected key is kept where it is; a report-only rule keeps a key the
// policy would remove. It returns the rule's name, "" when none applied.
func (p Policy) protect(level Level, key string, l keyparse.Line, a Action, reason string) (Action, string, string) {
	for _, r := range p.Protected {
		if !r.matches(level, key, l) {
			continue
		}
		switch {
		case !r.ReportOnly:
			return ActionKeep, ReasonProtected, r.Name
		case a == ActionRemove:
			return ActionKeep, ReasonReportOnly, r.Name
		}
		return a, reason, ""
	}
	return a, reason, ""
}
