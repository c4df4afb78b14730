package gcpfake

import (
	"context"
	"slices"
	"time"
)

// Fault is what the fake does wrong, or slowly, on purpose. SetFaults
// attaches one to a method, a project, or both.
type Fault struct {
	// Latency delays every answer; a request whose context ends first
	// gets no answer.
	Latency time.Duration
	// ErrorRates gives, per HTTP status (429, 500, 503), the probability
	// that a call is answered with that error instead of being served.
	// The draws come from a seeded generator (SetRandSeed).
	ErrorRates map[int]float64

	// The fields below shape the operations that a write
	// (setCommonInstanceMetadata, instances.setMetadata) starts.

	// OperationPolls keeps an operation PENDING, then RUNNING, for this many
	// operations get or wait calls before it is DONE. A wait call on such
	// an operation counts one poll and answers at once, as the real wait
	// does when it reaches its deadline.
	OperationPolls int
	// OperationDuration keeps an operation running for this long in real
	// time; a wait call blocks until then or its deadline (SetWaitDeadline).
	OperationDuration time.Duration
	// FailOperations makes operations end DONE with an error and no change.
	FailOperations bool
	// ConflictInOperation skips the synchronous fingerprint check: a stale
	// fingerprint is reported only inside the finished operation, as error
	// code CONDITION_NOT_MET, instead of as HTTP 412.
	ConflictInOperation bool
}

type faultKey struct{ method, project string }

// SetFaults attaches a fault to calls of method (a discovery id such as
// compute.projects.get) on project (a project id); "" stands for any. The
// most specific match wins: method and project, then method, then
// project, then neither. The zero Fault removes the entry.
func (f *Fake) SetFaults(method, project string, fl Fault) {
	f.faultMu.Lock()
	defer f.faultMu.Unlock()
	k := faultKey{method, project}
	if isZeroFault(fl) {
		delete(f.faults, k)
	} else {
		f.faults[k] = fl
	}
	f.hasFaults.Store(len(f.faults) > 0)
}

// ClearFaults removes every fault.
func (f *Fake) ClearFaults() {
	f.faultMu.Lock()
	defer f.faultMu.Unlock()
	clear(f.faults)
	f.hasFaults.Store(false)
}

func isZeroFault(fl Fault) bool {
	return fl.Latency == 0 && len(fl.ErrorRates) == 0 && fl.OperationPolls == 0 &&
		fl.OperationDuration == 0 && !fl.FailOperations && !fl.ConflictInOperation
}

// faultFor returns the fault for a call and, drawn from the seeded
// generator, the error status it must answer with (0 for none).
func (f *Fake) faultFor(method, project string) (Fault, int) {
	if !f.hasFaults.Load() {
		return Fault{}, 0
	}
	f.faultMu.Lock()
	defer f.faultMu.Unlock()
	var fl Fault
	found := false
	for _, k := range []faultKey{{method, project}, {method, ""}, {"", project}, {"", ""}} {
		if v, ok := f.faults[k]; ok {
			fl, found = v, true
			break
		}
	}
	if !found || len(fl.ErrorRates) == 0 {
		return fl, 0
	}
	codes := make([]int, 0, len(fl.ErrorRates))
	for c := range fl.ErrorRates {
		codes = append(codes, c)
	}
	slices.Sort(codes)
	draw, cum := f.rng.Float64(), 0.0
	for _, c := range codes {
		cum += fl.ErrorRates[c]
		if draw < cum {
			return fl, c
		}
	}
	return fl, 0
}

// sleepCtx waits d or until ctx ends, and tells whether it waited it all.
func sleepCtx(ctx context.Context, d time.Duration) bool {
	if d <= 0 {
		return ctx.Err() == nil
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}
