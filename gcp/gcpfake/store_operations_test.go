package gcpfake

import (
	"fmt"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestFinishedOperationsArePruned(t *testing.T) {
	b := newBackend(&Seed{Organization: Organization{ID: "123456789012"}})
	b.ops.kept, b.ops.pruneAt = 2, 4
	b.mu.Lock()
	defer b.mu.Unlock()
	spec := operationSpec{project: "p", opType: "setMetadata", target: "projects/p"}
	start := func(shape opShape, reqKey string) *operation {
		s := spec
		s.apply = func() *opFailure { return nil }
		return b.startOperationLocked(shape, s, reqKey)
	}
	slow := start(opShape{polls: 1}, "")
	var done []*operation
	for i := range 6 {
		done = append(done, start(opShape{}, fmt.Sprintf("projects/p|req-%d", i)))
	}
	kept := func() []*operation {
		var out []*operation
		for _, op := range b.ops.order {
			require.Same(t, op, b.ops.byKey[op.key])
			out = append(out, op)
		}
		require.Len(t, b.ops.byKey, len(out))
		return out
	}
	require.Equal(t, []*operation{slow, done[3], done[4], done[5]}, kept(),
		"the unfinished operation stays; the oldest finished ones go")
	for i, op := range done {
		_, ok := b.ops.requestIDs[op.reqKey]
		require.Equal(t, i >= 3, ok, "request id of operation %d", i)
	}
	require.Nil(t, done[5].apply, "a finished operation lets its items go")
}
