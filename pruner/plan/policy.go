package plan

import (
	"fmt"
	"regexp"
	"time"

	"github.com/ssh-pruner/ssh-pruner/keyparse"
)

// DefaultGoogleManagedUser matches the users whose keys GKE adds to
// project sshKeys for its SSH tunnels (gke-<hex>).
const DefaultGoogleManagedUser = `^gke-[0-9a-f]+$`

// Policy says which keys stay.
type Policy struct {
	// GoogleManagedUsers match a key's username or its google-ssh userName;
	// a match makes the key Google-managed: never deleted.
	GoogleManagedUsers []*regexp.Regexp
	// KeepMisplacedGoogleKeys leaves Google-managed keys found in ssh-keys
	// where they are instead of moving them to sshKeys.
	KeepMisplacedGoogleKeys bool
	// MaxLifetime, when set, removes a user key whose expiry lies further
	// than this after now: an expireOn in year 9999 is a permanent key.
	MaxLifetime time.Duration
	// Protected keys are never removed or moved (protect.go).
	Protected []Protection
	// Grace keeps a key without expiry until it has been seen for longer
	// than this (grace.go); 0 removes it at once.
	Grace time.Duration
}

// NewPolicy compiles the Google-managed user patterns. With none given, it
// uses DefaultGoogleManagedUser.
func NewPolicy(googleManagedUsers []string, keepMisplacedGoogleKeys bool) (Policy, error) {
	if len(googleManagedUsers) == 0 {
		googleManagedUsers = []string{DefaultGoogleManagedUser}
	}
	p := Policy{KeepMisplacedGoogleKeys: keepMisplacedGoogleKeys}
	for _, expr := range googleManagedUsers {
		re, err := regexp.Compile(expr)
		if err != nil {
			return Policy{}, fmt.Errorf("google-managed user pattern %q: %w", expr, err)
		}
		p.GoogleManagedUsers = append(p.GoogleManagedUsers, re)
	}
	return p, nil
}

// googleManaged tells whether a line carries one of Google's own keys.
func (p Policy) googleManaged(l keyparse.Line) bool {
	for _, re := range p.GoogleManagedUsers {
		if l.Username != "" && re.MatchString(l.Username) {
			return true
		}
		if l.Google != nil && l.Google.UserName != "" && re.MatchString(l.Google.UserName) {
			return true
		}
	}
	return false
}

// Action is what happens to a key line.
type Action string

// The actions of a Decision.
const (
	ActionKeep   Action = "keep"
	ActionRemove Action = "remove"
	ActionMove   Action = "move" // from ssh-keys to sshKeys
)

// Reasons of decisions. Invalid lines have the reason "invalid:" followed by
// the keyparse reason, such as "invalid:bad-key".
const (
	ReasonUnexpired          = "unexpired"
	ReasonGoogleManaged      = "google-managed"
	ReasonExpired            = "expired"
	ReasonNoExpiry           = "no-expiry"
	ReasonUserKeyInSSHKeys   = "user-key-in-sshKeys"
	ReasonGoogleKeyMisplaced = "google-key-misplaced"
	ReasonExpiryTooFar       = "expiry-too-far"
	ReasonGrace              = "grace"
	reasonInvalidPrefix      = "invalid:"
)

// decide applies the policy to one non-blank line of item key at a level.
//
//	level     item      line                          action  reason
//	project   ssh-keys  Google-managed                move    google-key-misplaced (keep, google-managed, with KeepMisplacedGoogleKeys)
//	project   sshKeys   Google-managed                keep    google-managed
//	instance  either    Google-managed                keep    google-managed: never moved between items or levels
//	any       any       cannot grant access           remove  invalid:<why>
//	project   sshKeys   any other key                 remove  user-key-in-sshKeys
//	any       ssh-keys  expiry before now             remove  expired
//	instance  sshKeys   expiry before now             remove  expired
//	...       ...       no google-ssh expiry          remove  no-expiry (keep, grace, while seen for no longer than Grace: grace.go)
//	...       ...       expiry after now+MaxLifetime  remove  expiry-too-far (with MaxLifetime)
//	...       ...       expiry after now              keep    unexpired
//
// An instance's sshKeys is where gcloud writes a user's key when the
// instance already has that item, so a user key with a future expiry is
// legitimate there; in the project's sshKeys only Google's keys belong.
// Google-managed keys are never removed, valid or not: they are Google's
// to manage. At instance level they stay where they are: moving one into
// an instance's sshKeys would block the project's keys on that VM.
func (p Policy) decide(level Level, key string, l keyparse.Line, now time.Time) (Action, string) {
	google := p.googleManaged(l)
	switch {
	case google && (level == LevelInstance || key == KeyLegacySSHKeys || p.KeepMisplacedGoogleKeys):
		return ActionKeep, ReasonGoogleManaged
	case google:
		return ActionMove, ReasonGoogleKeyMisplaced
	case !l.Valid():
		return ActionRemove, reasonInvalidPrefix + string(l.Invalid)
	case level == LevelProject && key == KeyLegacySSHKeys:
		return ActionRemove, ReasonUserKeyInSSHKeys
	}
	switch l.State(now) {
	case keyparse.StateExpiring:
		if p.MaxLifetime > 0 && l.ExpireOn.After(now.Add(p.MaxLifetime)) {
			return ActionRemove, ReasonExpiryTooFar
		}
		return ActionKeep, ReasonUnexpired
	case keyparse.StateExpired:
		return ActionRemove, ReasonExpired
	default:
		return ActionRemove, ReasonNoExpiry
	}
}
