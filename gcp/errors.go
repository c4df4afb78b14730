package gcp

import (
	"errors"
	"fmt"
	"net/http"
	"strings"

	"google.golang.org/api/googleapi"

	"github.com/ssh-pruner/ssh-pruner/pruner"
)

// classify maps a Google API error to pruner's sentinels, keeping the
// original in the chain for the message.
//
//	HTTP  reason / detail                          sentinel
//	412   conditionNotMet                          pruner.ErrConflict
//	403   accessNotConfigured / SERVICE_DISABLED   pruner.ErrComputeDisabled
//	403   rateLimitExceeded and other quota        none: retried, then a failure
//	403   anything else                            pruner.ErrForbidden
//	404                                            pruner.ErrNotFound
func classify(err error) error {
	var ge *googleapi.Error
	if !errors.As(err, &ge) {
		return err
	}
	if !wellFormed(ge) {
		return &mappedError{err: err} // no body to tell why: a failure, never a skip
	}
	switch ge.Code {
	case http.StatusPreconditionFailed:
		return &mappedError{sentinel: pruner.ErrConflict, err: err}
	case http.StatusForbidden:
		switch {
		case serviceDisabled(ge):
			return &mappedError{sentinel: pruner.ErrComputeDisabled, err: err}
		case rateLimited(ge):
			return &mappedError{err: err} // a quota, not a denial: the project fails, it is not skipped
		}
		return &mappedError{sentinel: pruner.ErrForbidden, err: err}
	case http.StatusNotFound:
		return &mappedError{sentinel: pruner.ErrNotFound, err: err}
	}
	return &mappedError{err: err}
}

func serviceDisabled(ge *googleapi.Error) bool {
	for _, e := range ge.Errors {
		if e.Reason == "accessNotConfigured" || e.Reason == "SERVICE_DISABLED" {
			return true
		}
	}
	if ge.Details != nil && strings.Contains(fmt.Sprint(ge.Details), "SERVICE_DISABLED") {
		return true
	}
	return false
}

// mappedError is a Google error that also matches a pruner sentinel, if
// any, and says itself in one line: googleapi.Error's own text spreads its
// details over a dozen lines, which reports and logs quote whole.
type mappedError struct {
	sentinel error // nil when none applies
	err      error
}

func (e *mappedError) Error() string {
	var ge *googleapi.Error
	if !errors.As(e.err, &ge) {
		return e.err.Error()
	}
	msg, _, _ := strings.Cut(ge.Message, "\n")
	var reasons []string
	for _, x := range ge.Errors {
		if x.Reason != "" {
			reasons = append(reasons, x.Reason)
		}
	}
	if len(reasons) == 0 {
		return fmt.Sprintf("HTTP %d: %s", ge.Code, msg)
	}
	return fmt.Sprintf("HTTP %d %s: %s", ge.Code, strings.Join(reasons, ","), msg)
}

func (e *mappedError) Unwrap() []error {
	if e.sentinel == nil {
		return []error{e.err}
	}
	return []error{e.sentinel, e.err}
}
