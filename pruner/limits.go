package pruner

import (
	"fmt"
	"sync"

	"github.com/ssh-pruner/ssh-pruner/pruner/internal/textfmt"
)

// Limits bound how much one run may remove, so that a first
// organization-wide --apply, or a policy mistake, cannot take every key
// away at once. A target whose plan removes more than PerTarget keys (or
// more than PerTargetPercent of its keys) is held: not written, reported
// with what it would have removed. Once the removals of the run reach
// PerRun, every further target that removes anything is held. Zero
// fields set no limit.
type Limits struct {
	PerTarget        int
	PerTargetPercent float64
	PerRun           int
}

// DefaultLimits are large for one project and small for an organization:
// a first apply across hundreds of projects stops at 1,000 removals and
// says so, and a person raises the limit knowingly.
var DefaultLimits = Limits{PerTarget: 200, PerRun: 1000}

// Reasons of a held target.
const (
	HoldTargetLimit = "target-limit"
	HoldRunLimit    = "run-limit"
)

// budget counts the removals a run has given out against Limits.PerRun.
type budget struct {
	mu   sync.Mutex
	used int
}

// hold tells whether a plan removing removed of total keys must be held,
// and why; a plan let through has its removals counted against the run.
func (b *budget) hold(l Limits, removed, total int) (reason string, limit int) {
	if b == nil || removed == 0 {
		return "", 0
	}
	if l.PerTarget > 0 && removed > l.PerTarget {
		return HoldTargetLimit, l.PerTarget
	}
	if l.PerTargetPercent > 0 && float64(removed)*100 > l.PerTargetPercent*float64(total) {
		return HoldTargetLimit, int(l.PerTargetPercent * float64(total) / 100)
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	if l.PerRun > 0 && b.used+removed > l.PerRun {
		return HoldRunLimit, l.PerRun - b.used
	}
	b.used += removed
	return "", 0
}

// release gives back removals counted for a plan that was replaced.
func (b *budget) release(n int) {
	if b == nil {
		return
	}
	b.mu.Lock()
	b.used -= n
	b.mu.Unlock()
}

func holdMessage(reason string, removed, limit int) string {
	keys := textfmt.Plural(removed, "key", "keys")
	if reason == HoldRunLimit {
		return fmt.Sprintf("would remove %d %s, past what the run may still remove (%d)", removed, keys, limit)
	}
	return fmt.Sprintf("would remove %d %s, more than a target may (%d)", removed, keys, limit)
}
