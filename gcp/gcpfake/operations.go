package gcpfake

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net/http"
	"strconv"
	"time"
)

// caller is the account the fake says started its operations.
const caller = "ssh-pruner@example.iam.gserviceaccount.com"

// Operation statuses.
const (
	statusPending = "PENDING"
	statusRunning = "RUNNING"
	statusDone    = "DONE"
)

// operation is a Compute Engine operation. A write starts one; it applies
// the change when it completes, which is at once or, under a Fault, after
// a number of polls or a duration. Its fields change under Fake.mu.
type operation struct {
	operationSpec
	name, id  string
	key       string    // in Fake.ops
	reqKey    string    // in Fake.requestIDs, "" for none
	polls     int       // polls left before DONE
	doneAt    time.Time // real time of completion, for a duration
	status    string
	insert    time.Time
	start     time.Time
	end       time.Time
	failure   *opFailure
	failAtEnd bool
}

type operationSpec struct {
	project  string
	zone     string // "" for a global operation
	opType   string
	target   string // relative link, e.g. projects/p or projects/p/zones/z/instances/i
	targetID string
	apply    func() *opFailure // makes the change, at completion; nil after
}

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

func opKey(project, zone, name string) string { return project + "|" + zone + "|" + name }

// startOperationLocked registers an operation for a write, under the
// requestId key reqKey if not "", and, unless the fault makes it slow,
// completes it at once.
func (f *Fake) startOperationLocked(fl Fault, spec operationSpec, reqKey string) *operation {
	f.opSeq++
	now := f.now()
	sum := sha256.Sum256([]byte(spec.project + "|" + spec.zone + "|" + strconv.FormatUint(f.opSeq, 10)))
	h := hex.EncodeToString(sum[:])
	op := &operation{
		operationSpec: spec,
		// Shaped like the service's: operation-1700000000000-5f5e1a2b3c4d5-6e7f8a9b-0c1d2e3f.
		name:      fmt.Sprintf("operation-%d-%s-%s-%s", now.UnixMilli(), h[0:13], h[13:21], h[21:29]),
		reqKey:    reqKey,
		polls:     fl.OperationPolls,
		status:    statusPending,
		insert:    now,
		failAtEnd: fl.FailOperations,
	}
	op.id = derivedID(op.name)
	op.key = opKey(spec.project, spec.zone, op.name)
	if fl.OperationDuration > 0 {
		op.doneAt = time.Now().Add(fl.OperationDuration)
	}
	f.pruneOpsLocked()
	f.ops[op.key] = op
	f.opOrder = append(f.opOrder, op)
	if reqKey != "" {
		f.requestIDs[reqKey] = op
	}
	if op.polls == 0 && op.doneAt.IsZero() {
		f.completeLocked(op)
	}
	return op
}

// keptOperations is how many finished operations the fake keeps pollable,
// with their requestIds; older finished ones are forgotten, as the real
// service forgets old operations, so that a long run does not grow
// without bound. Unfinished operations are always kept.
const keptOperations = 4096

// pruneOpsLocked forgets the oldest finished operations beyond f.opsKept.
// It scans the operations once per f.opsKept new ones, no more often.
func (f *Fake) pruneOpsLocked() {
	if len(f.opOrder) < f.pruneAt {
		return
	}
	defer func() { f.pruneAt = len(f.opOrder) + f.opsKept }()
	finished := 0
	for _, op := range f.opOrder {
		if op.status == statusDone {
			finished++
		}
	}
	drop := finished - f.opsKept
	kept := make([]*operation, 0, len(f.opOrder)+f.opsKept)
	for _, op := range f.opOrder {
		if drop > 0 && op.status == statusDone {
			drop--
			delete(f.ops, op.key)
			if op.reqKey != "" && f.requestIDs[op.reqKey] == op {
				delete(f.requestIDs, op.reqKey)
			}
			continue
		}
		kept = append(kept, op)
	}
	f.opOrder = kept
}

// pollLocked moves an operation on by one get or wait call.
func (f *Fake) pollLocked(op *operation) {
	if op.status == statusDone {
		return
	}
	if op.start.IsZero() {
		op.start = f.now()
	}
	switch {
	case op.polls > 0:
		op.polls--
		op.status = statusRunning
	case !op.doneAt.IsZero() && time.Now().Before(op.doneAt):
		op.status = statusRunning
	default:
		f.completeLocked(op)
	}
}

func (f *Fake) completeLocked(op *operation) {
	now := f.now()
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
	op.apply = nil // let the written items go
}

// computeOperation is the compute#operation resource.
type computeOperation struct {
	Kind                string         `json:"kind"`
	ID                  string         `json:"id"`
	Name                string         `json:"name"`
	Zone                string         `json:"zone,omitempty"`
	OperationType       string         `json:"operationType"`
	TargetLink          string         `json:"targetLink"`
	TargetID            string         `json:"targetId"`
	Status              string         `json:"status"`
	User                string         `json:"user"`
	Progress            int            `json:"progress"`
	InsertTime          string         `json:"insertTime"`
	StartTime           string         `json:"startTime,omitempty"`
	EndTime             string         `json:"endTime,omitempty"`
	Error               *operationErrs `json:"error,omitempty"`
	HTTPErrorStatusCode int            `json:"httpErrorStatusCode,omitempty"`
	HTTPErrorMessage    string         `json:"httpErrorMessage,omitempty"`
	SelfLink            string         `json:"selfLink"`
}

type operationErrs struct {
	Errors []operationErr `json:"errors"`
}

type operationErr struct {
	Code    string `json:"code"`
	Message string `json:"message"`
}

// render is the operation as the API shows it; base is the Compute base URL.
func (op *operation) render(base string) computeOperation {
	out := computeOperation{
		Kind: "compute#operation", ID: op.id, Name: op.name, OperationType: op.opType,
		TargetLink: base + op.target, TargetID: op.targetID, Status: op.status, User: caller,
		InsertTime: computeTime(op.insert),
	}
	scope := "projects/" + op.project + "/global"
	if op.zone != "" {
		scope = "projects/" + op.project + "/zones/" + op.zone
		out.Zone = base + scope
	}
	out.SelfLink = base + scope + "/operations/" + op.name
	if !op.start.IsZero() {
		out.StartTime = computeTime(op.start)
	}
	if op.status == statusDone {
		out.Progress = 100
		out.EndTime = computeTime(op.end)
	}
	if op.failure != nil {
		out.Error = &operationErrs{Errors: []operationErr{{Code: op.failure.code, Message: op.failure.message}}}
		out.HTTPErrorStatusCode = op.failure.httpStatus
		out.HTTPErrorMessage = httpErrorMessage(op.failure.httpStatus)
	}
	return out
}

// httpErrorMessage is how operations spell an HTTP status: "PRECONDITION FAILED".
func httpErrorMessage(code int) string {
	b := []byte(http.StatusText(code))
	for i, c := range b {
		if 'a' <= c && c <= 'z' {
			b[i] = c - 'a' + 'A'
		}
	}
	return string(b)
}

// operationLocked finds the operation a get or wait call names.
func (f *Fake) operationLocked(r *http.Request, c *call) (*operation, *apiError) {
	p, e := f.computeProjectLocked(r.PathValue("project"), c.method)
	if e != nil {
		return nil, e
	}
	zone, name := r.PathValue("zone"), r.PathValue("operation")
	if zone != "" {
		if e := f.zoneErrorLocked(p, zone); e != nil {
			return nil, e
		}
	}
	op := f.ops[opKey(p.ID, zone, name)]
	if op == nil {
		scope := "global"
		if zone != "" {
			scope = "zones/" + zone
		}
		return nil, errNotFound("projects/" + p.ID + "/" + scope + "/operations/" + name)
	}
	return op, nil
}

func (f *Fake) operationGet(w http.ResponseWriter, r *http.Request, c *call) {
	f.mu.Lock()
	defer f.mu.Unlock()
	op, e := f.operationLocked(r, c)
	if e != nil {
		writeError(w, e)
		return
	}
	f.pollLocked(op)
	writeJSON(w, http.StatusOK, op.render(computeBase(r)))
}

// operationWait answers when the operation is DONE or the wait deadline
// passes, whichever comes first. An operation that completes after a
// number of polls counts the wait as one poll and answers at once.
func (f *Fake) operationWait(w http.ResponseWriter, r *http.Request, c *call) {
	f.mu.Lock()
	op, e := f.operationLocked(r, c)
	var sleep time.Duration
	if e == nil && op.status != statusDone && op.polls == 0 && !op.doneAt.IsZero() {
		sleep = min(time.Until(op.doneAt), f.waitDeadline)
	}
	f.mu.Unlock()
	if e != nil {
		writeError(w, e)
		return
	}
	if !sleepCtx(r.Context(), sleep) {
		return
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.pollLocked(op)
	writeJSON(w, http.StatusOK, op.render(computeBase(r)))
}
