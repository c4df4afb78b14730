package gcpfake

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net/http"
	"strconv"
	"time"
)

// Operation statuses.
const (
	statusPending = "PENDING"
	statusRunning = "RUNNING"
	statusDone    = "DONE"
)

// opShape is how an operation runs to completion: at once, or after a
// number of polls or a duration, and with success or an internal error.
// The front end draws it from a Fault; the backend only obeys it.
type opShape struct {
	polls    int
	duration time.Duration
	fail     bool
}

// operationSpec describes the change an operation makes.
type operationSpec struct {
	project  string
	zone     string // "" for a global operation
	opType   string
	target   string // relative link, e.g. projects/p or projects/p/zones/z/instances/i
	targetID string
	apply    func() *opFailure // makes the change, at completion; nil after
	audit    *auditCall        // logs the operation's first and last entries; nil for none
}

// opView is what the API shows of a Compute Engine operation; the
// backend hands out copies of it.
type opView struct {
	project, zone            string
	name, id                 string
	opType, target, targetID string
	user                     string // the principal of the call that started it
	status                   string
	insert, start, end       time.Time
	failure                  *opFailure
	polls                    int       // polls left before DONE
	doneAt                   time.Time // real time of completion, for a duration
}

// operation is the record of an operation. A write starts one; it
// applies the change when it completes, which is at once or, as its
// shape says, after a number of polls or a duration. Its fields change
// under the backend's lock.
type operation struct {
	opView
	key       string // in operations.byKey
	reqKey    string // in operations.requestIDs, "" for none
	failAtEnd bool
	apply     func() *opFailure // nil once done, to let the written items go
	audit     *auditCall        // nil once the last entry is written
}

// opHandle is an operation a caller found and may poll later without
// finding it again, as a wait call does after its sleep.
type opHandle struct{ op *operation }

// opFailure is the error body of a finished operation.
type opFailure struct {
	code, message string
	httpStatus    int
}

func failConditionNotMet() *opFailure {
	return &opFailure{code: "CONDITION_NOT_MET", message: msgFingerprintMismatch, httpStatus: http.StatusPreconditionFailed}
}

func failInternal() *opFailure {
	return &opFailure{
		code:       "INTERNAL_ERROR",
		message:    "Internal error. Please try again or contact Google Support. (Code: '-5137498341735386413')",
		httpStatus: http.StatusInternalServerError,
	}
}

// keptOperations is how many finished operations the fake keeps pollable,
// with their requestIds; older finished ones are forgotten, as the real
// service forgets old operations, so that a long run does not grow
// without bound. Unfinished operations are always kept.
const keptOperations = 4096

// operations are the operations the backend knows, under its lock.
type operations struct {
	byKey      map[string]*operation // by opKey
	order      []*operation          // the operations in byKey, oldest first
	kept       int                   // finished operations kept: keptOperations
	pruneAt    int                   // len(order) at which to prune next
	requestIDs map[string]*operation // by target and requestId
	seq        uint64
}

func newOperations() operations {
	return operations{
		byKey: map[string]*operation{}, requestIDs: map[string]*operation{},
		kept: keptOperations, pruneAt: 2 * keptOperations,
	}
}

func opKey(project, zone, name string) string { return project + "|" + zone + "|" + name }

// startOperationLocked registers an operation for a write, under the
// requestId key reqKey if not "", and, unless its shape makes it slow,
// completes it at once.
func (b *backend) startOperationLocked(shape opShape, spec operationSpec, reqKey string) *operation {
	b.ops.seq++
	now := b.now()
	sum := sha256.Sum256([]byte(spec.project + "|" + spec.zone + "|" + strconv.FormatUint(b.ops.seq, 10)))
	h := hex.EncodeToString(sum[:])
	op := &operation{
		opView: opView{
			project: spec.project, zone: spec.zone, opType: spec.opType, target: spec.target, targetID: spec.targetID,
			// Shaped like the service's: operation-1700000000000-5f5e1a2b3c4d5-6e7f8a9b-0c1d2e3f.
			name:   fmt.Sprintf("operation-%d-%s-%s-%s", now.UnixMilli(), h[0:13], h[13:21], h[21:29]),
			polls:  shape.polls,
			status: statusPending,
			insert: now,
		},
		reqKey:    reqKey,
		failAtEnd: shape.fail,
		apply:     spec.apply,
		audit:     spec.audit,
	}
	op.user = DefaultPrincipalEmail
	if spec.audit != nil {
		op.user = spec.audit.principal
	}
	op.id = derivedID(op.name)
	op.key = opKey(spec.project, spec.zone, op.name)
	if shape.duration > 0 {
		op.doneAt = time.Now().Add(shape.duration)
	}
	b.pruneOpsLocked()
	b.ops.byKey[op.key] = op
	b.ops.order = append(b.ops.order, op)
	if reqKey != "" {
		b.ops.requestIDs[reqKey] = op
	}
	if op.audit != nil {
		b.recordAudit(op.project, op.insert, op.audit.firstEntry(op.opView))
	}
	if op.polls == 0 && op.doneAt.IsZero() {
		b.completeLocked(op)
	}
	return op
}

// pruneOpsLocked forgets the oldest finished operations beyond ops.kept.
// It scans the operations once per ops.kept new ones, no more often.
func (b *backend) pruneOpsLocked() {
	o := &b.ops
	if len(o.order) < o.pruneAt {
		return
	}
	defer func() { o.pruneAt = len(o.order) + o.kept }()
	finished := 0
	for _, op := range o.order {
		if op.status == statusDone {
			finished++
		}
	}
	drop := finished - o.kept
	kept := make([]*operation, 0, len(o.order)+o.kept)
	for _, op := range o.order {
		if drop > 0 && op.status == statusDone {
			drop--
			delete(o.byKey, op.key)
			if op.reqKey != "" && o.requestIDs[op.reqKey] == op {
				delete(o.requestIDs, op.reqKey)
			}
			continue
		}
		kept = append(kept, op)
	}
	o.order = kept
}

// pollLocked moves an operation on by one get or wait call.
func (b *backend) pollLocked(op *operation) {
	if op.status == statusDone {
		return
	}
	if op.start.IsZero() {
		op.start = b.now()
	}
	switch {
	case op.polls > 0:
		op.polls--
		op.status = statusRunning
	case !op.doneAt.IsZero() && time.Now().Before(op.doneAt):
		op.status = statusRunning
	default:
		b.completeLocked(op)
	}
}

func (b *backend) completeLocked(op *operation) {
	now := b.now()
	if op.start.IsZero() {
		op.start = now
	}
	op.end = now
	op.status = statusDone
	if op.failAtEnd {
		op.failure = failInternal()
	} else {
		op.failure = op.apply()
	}
	op.apply = nil
	if op.audit != nil {
		b.recordAudit(op.project, op.end, op.audit.lastEntry(op.opView))
		op.audit = nil
	}
}

// opRef names an operation: global when zone is "", by project id.
type opRef struct{ project, zone, name string }

// findOperationLocked finds an operation as a get or wait call does: a
// zonal one's zone must be known and reachable first.
func (b *backend) findOperationLocked(ref opRef) (*operation, error) {
	if ref.zone != "" {
		if err := b.zoneErrLocked(ref.zone); err != nil {
			return nil, err
		}
	}
	op := b.ops.byKey[opKey(ref.project, ref.zone, ref.name)]
	if op == nil {
		return nil, fmt.Errorf("operation %s: %w", ref.name, errNoOperation)
	}
	return op, nil
}

// pollOperation finds an operation and moves it on by one poll.
func (b *backend) pollOperation(ref opRef) (opView, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	op, err := b.findOperationLocked(ref)
	if err != nil {
		return opView{}, err
	}
	b.pollLocked(op)
	return op.opView, nil
}

// operation finds an operation, to poll it later through its handle.
func (b *backend) operation(ref opRef) (opHandle, opView, error) {
	b.mu.RLock()
	defer b.mu.RUnlock()
	op, err := b.findOperationLocked(ref)
	if err != nil {
		return opHandle{}, opView{}, err
	}
	return opHandle{op}, op.opView, nil
}

// poll moves on by one poll an operation found before, even if it has
// been forgotten since.
func (b *backend) poll(h opHandle) opView {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.pollLocked(h.op)
	return h.op.opView
}
