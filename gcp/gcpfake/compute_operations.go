package gcpfake

import (
	"net/http"
	"time"
)

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

// renderOperation is the operation as the API shows it; base is the
// Compute base URL.
func renderOperation(base string, op opView) computeOperation {
	out := computeOperation{
		Kind: "compute#operation", ID: op.id, Name: op.name, OperationType: op.opType,
		TargetLink: base + op.target, TargetID: op.targetID, Status: op.status, User: op.user,
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

// operationRef checks the project of an operations get or wait call and
// names the operation it asks for, with the resource a 404 names.
func (s *server) operationRef(r *http.Request, c *call) (opRef, string, *apiError) {
	p, e := s.computeProject(r.PathValue("project"), c.method)
	if e != nil {
		return opRef{}, "", e
	}
	ref := opRef{project: p.ID, zone: r.PathValue("zone"), name: r.PathValue("operation")}
	scope := "global"
	if ref.zone != "" {
		scope = "zones/" + ref.zone
	}
	return ref, "projects/" + p.ID + "/" + scope + "/operations/" + ref.name, nil
}

func (s *server) operationGet(w http.ResponseWriter, r *http.Request, c *call) {
	ref, resource, e := s.operationRef(r, c)
	if e != nil {
		writeError(w, e)
		return
	}
	op, err := s.store.pollOperation(ref)
	if err != nil {
		writeError(w, zonalError(err, ref.project, ref.zone, resource))
		return
	}
	writeJSON(w, http.StatusOK, renderOperation(computeBase(r), op))
}

// operationWait answers when the operation is DONE or the wait deadline
// passes, whichever comes first. An operation that completes after a
// number of polls counts the wait as one poll and answers at once.
func (s *server) operationWait(w http.ResponseWriter, r *http.Request, c *call) {
	ref, resource, e := s.operationRef(r, c)
	if e != nil {
		writeError(w, e)
		return
	}
	h, op, err := s.store.operation(ref)
	if err != nil {
		writeError(w, zonalError(err, ref.project, ref.zone, resource))
		return
	}
	var sleep time.Duration
	if op.status != statusDone && op.polls == 0 && !op.doneAt.IsZero() {
		sleep = min(time.Until(op.doneAt), time.Duration(s.waitDeadline.Load()))
	}
	if !sleepCtx(r.Context(), sleep) {
		return
	}
	writeJSON(w, http.StatusOK, renderOperation(computeBase(r), s.store.poll(h)))
}
