package policy

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
