package pruner

import (
	"fmt"
	"sync"

	"github.com/ssh-pruner/ssh-pruner/pruner/internal/textfmt"
	"github.com/ssh-pruner/ssh-pruner/pruner/policy"
)

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
func (b *budget) hold(l policy.Limits, removed, total int) (reason string, limit int) {
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
