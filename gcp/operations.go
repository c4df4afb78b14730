package gcp

import (
	"context"
	"fmt"
	"strings"
	"time"

	compute "google.golang.org/api/compute/v1"

	"github.com/ssh-pruner/ssh-pruner/pruner"
)

// operationFields are what is read of an operation: its name, to wait
// on it (waitDone), its status, and the code and message of its errors
// (operationError).
const operationFields = "name,status,error/errors(code,message)"

// waitGlobal waits for a global operation to be DONE.
func (c *Client) waitGlobal(ctx context.Context, projectID string, op *compute.Operation) error {
	return waitDone(ctx, op, func(name string) (op *compute.Operation, err error) {
		err = c.call(ctx, globalOperationsWait, projectID, func(ctx context.Context) (err error) {
			op, err = c.compute.GlobalOperations.Wait(projectID, name).Fields(operationFields).Context(ctx).Do()
			return present(op, err)
		})
		return op, err
	})
}

// waitZone waits for a zonal operation to be DONE.
func (c *Client) waitZone(ctx context.Context, projectID, zone string, op *compute.Operation) error {
	return waitDone(ctx, op, func(name string) (op *compute.Operation, err error) {
		err = c.call(ctx, zoneOperationsWait, projectID, func(ctx context.Context) (err error) {
			op, err = c.compute.ZoneOperations.Wait(projectID, zone, name).Fields(operationFields).Context(ctx).Do()
			return present(op, err)
		})
		return op, err
	})
}

// waitDone calls wait until the operation is DONE, then returns its error.
// The wait call returns early (after about two minutes on the real
// service) with the operation still running, so it is called again.
func waitDone(ctx context.Context, op *compute.Operation, wait func(name string) (*compute.Operation, error)) error {
	for op.Status != "DONE" {
		name, start := op.Name, time.Now()
		next, err := wait(name)
		if err == nil {
			op = next
			err = pauseIfEarly(ctx, op, start)
		}
		if err != nil {
			return fmt.Errorf("wait for operation %s: %w", name, err)
		}
	}
	return operationError(op)
}

// minWaitRound is the least time between two waits of one operation. The
// real wait blocks for up to two minutes; a server that answers at once
// with the operation still running must not make us spin.
const minWaitRound = 250 * time.Millisecond

func pauseIfEarly(ctx context.Context, op *compute.Operation, start time.Time) error {
	if op.Status == "DONE" {
		return nil
	}
	if d := minWaitRound - time.Since(start); d > 0 {
		return sleepCtx(ctx, d)
	}
	return nil
}

// OperationError is an operation that finished with errors.
type OperationError struct {
	Name   string
	Errors []*compute.OperationErrorErrors
}

// Error lists the operation's errors, code and message.
func (e *OperationError) Error() string {
	var msgs []string
	for _, x := range e.Errors {
		msgs = append(msgs, x.Code+": "+x.Message)
	}
	return fmt.Sprintf("operation %s failed: %s", e.Name, strings.Join(msgs, "; "))
}

// Unwrap lets errors.Is find pruner.ErrConflict when the operation says
// the fingerprint was stale by the time it ran.
func (e *OperationError) Unwrap() error {
	for _, x := range e.Errors {
		if x.Code == "CONDITION_NOT_MET" {
			return pruner.ErrConflict
		}
	}
	return nil
}

func operationError(op *compute.Operation) error {
	if op.Error == nil || len(op.Error.Errors) == 0 {
		return nil
	}
	return &OperationError{Name: op.Name, Errors: op.Error.Errors}
}
