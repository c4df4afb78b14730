package gcpfake

import (
	"math/rand/v2"
	"slices"
	"sync"
	"sync/atomic"
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

// faults is the table of injected faults and the generator that draws
// their errors. It is apart from the backend, with its own lock, because
// a fault is how the API misbehaves, not a state of the resources: a
// test sets or clears one without touching, or waiting on, the state.
type faults struct {
	mu    sync.Mutex
	byKey map[faultKey]Fault
	rng   *rand.Rand
	// active spares every call the lock while no fault is set.
	active atomic.Bool
}

func newFaults() *faults {
	return &faults{byKey: map[faultKey]Fault{}, rng: rand.New(rand.NewPCG(1, 2))}
}

// SetFaults attaches a fault to calls of method (a discovery id such as
// compute.projects.get) on project (a project id); "" stands for any. The
// most specific match wins: method and project, then method, then
// project, then neither. The zero Fault removes the entry.
func (f *Fake) SetFaults(method, project string, fl Fault) { f.api.faults.set(method, project, fl) }

// ClearFaults removes every fault.
func (f *Fake) ClearFaults() { f.api.faults.clear() }

// SetRandSeed reseeds the generator that draws injected errors, so that a
// run of calls in the same order meets the same errors.
func (f *Fake) SetRandSeed(seed uint64) { f.api.faults.reseed(seed) }

func (t *faults) set(method, project string, fl Fault) {
	t.mu.Lock()
	defer t.mu.Unlock()
	k := faultKey{method, project}
	if isZeroFault(fl) {
		delete(t.byKey, k)
	} else {
		t.byKey[k] = fl
	}
	t.active.Store(len(t.byKey) > 0)
}

func (t *faults) clear() {
	t.mu.Lock()
	defer t.mu.Unlock()
	clear(t.byKey)
	t.active.Store(false)
}

func (t *faults) reseed(seed uint64) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.rng = rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
}

func isZeroFault(fl Fault) bool {
	return fl.Latency == 0 && len(fl.ErrorRates) == 0 && fl.OperationPolls == 0 &&
		fl.OperationDuration == 0 && !fl.FailOperations && !fl.ConflictInOperation
}

// forCall returns the fault for a call and, drawn from the seeded
// generator, the error status it must answer with (0 for none).
func (t *faults) forCall(method, project string) (Fault, int) {
	if !t.active.Load() {
		return Fault{}, 0
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	var fl Fault
	found := false
	for _, k := range []faultKey{{method, project}, {method, ""}, {"", project}, {"", ""}} {
		if v, ok := t.byKey[k]; ok {
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
	draw, cum := t.rng.Float64(), 0.0
	for _, c := range codes {
		cum += fl.ErrorRates[c]
		if draw < cum {
			return fl, c
		}
	}
	return fl, 0
}
