package pruner

import "github.com/ssh-pruner/ssh-pruner/pruner/report"

// Observer hears of a run's progress as it happens, so that a terminal can
// show how far the run is. Calls come from the reconciler's workers,
// concurrently: an implementation must be safe for concurrent use and
// return quickly.
type Observer interface {
	// Found says that n more targets (projects and instances) are known
	// and will be handled.
	Found(n int)
	// Finished says that one target has been handled, with its outcome.
	Finished(o report.Outcome)
}
