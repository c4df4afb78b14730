package pruner

import (
	"context"
	"sync"
)

// An adapter's write starts an operation that the audit log names. The
// run keeps the names of its own writes so that attribution never takes
// the pruner for who added a key; the adapters tell it through the
// context of the write, which keeps MetadataStore's methods as they are
// for stores that have no operations.

type operationsKey struct{}

type operations struct {
	mu    sync.Mutex
	names []string
}

// WithOperations gives a context whose writes' operations are noted, and
// the function that lists them.
func WithOperations(ctx context.Context) (context.Context, func() []string) {
	ops := &operations{}
	return context.WithValue(ctx, operationsKey{}, ops), ops.list
}

// NoteOperation tells the run that the write made with ctx started the
// operation named name, as the audit log will name it. Adapters call it
// once the operation is done; without a run listening it does nothing.
func NoteOperation(ctx context.Context, name string) {
	ops, ok := ctx.Value(operationsKey{}).(*operations)
	if !ok || name == "" {
		return
	}
	ops.mu.Lock()
	ops.names = append(ops.names, name)
	ops.mu.Unlock()
}

func (o *operations) list() []string {
	o.mu.Lock()
	defer o.mu.Unlock()
	return append([]string(nil), o.names...)
}
