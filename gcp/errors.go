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
	switch ge.Code {
	case http.StatusPreconditionFailed:
		return &mappedError{sentinel: pruner.ErrConflict, err: err}
	case http.StatusForbidden:
		switch {
		case serviceDisabled(ge):
			return &mappedError{sentinel: pruner.ErrComputeDisabled, err: err}
		case rateLimited(ge):
			return err // a quota, not a denial: the project fails, it is not skipped
		}
		return &mappedError{sentinel: pruner.ErrForbidden, err: err}
	case http.StatusNotFound:
		return &mappedError{sentinel: pruner.ErrNotFound, err: err}
	}
	return err
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

// mappedError is a Google error that also matches a pruner sentinel.
type mappedError struct {
	sentinel error
	err      error
}

func (e *mappedError) Error() string   { return e.err.Error() }
func (e *mappedError) Unwrap() []error { return []error{e.sentinel, e.err} }
