package plan

import (
	"time"

	"github.com/ssh-pruner/ssh-pruner/keyparse"
)

// grace keeps a key that the policy removes for having no expiry while it
// has been seen for no longer than the grace: `gcloud compute ssh` and
// scripts add keys without expiry and use them at once. A key whose
// expiry passed, a misplaced key and a line that is no key are removed
// whatever their age: they do not wait on a clock. It returns when the
// grace ends for a key it keeps.
func (p Policy) grace(a Action, reason string, first, now time.Time) (Action, string, time.Time) {
	if p.Grace <= 0 || a != ActionRemove || reason != ReasonNoExpiry {
		return a, reason, time.Time{}
	}
	ends := first.Add(p.Grace)
	if now.After(ends) {
		return a, reason, time.Time{}
	}
	return ActionKeep, ReasonGrace, ends
}

// firstSeen is when the key of a line was first seen: as the run's memory
// has it, or now for a key it does not know. A time after now (another
// machine's clock ahead) is now: a key is never younger than what is
// seen of it, and no clock can hold it past its grace.
func firstSeen(known map[string]time.Time, l keyparse.Line, now time.Time) time.Time {
	if t, ok := known[l.Fingerprint]; ok && l.Fingerprint != "" && !t.After(now) {
		return t
	}
	return now
}

// stayed are the decisions whose keys a written plan leaves on the target:
// kept where they are, or moved to its sshKeys.
func Stayed(ds []Decision) []Decision {
	var out []Decision
	for _, d := range ds {
		if d.Action != ActionRemove {
			out = append(out, d)
		}
	}
	return out
}
