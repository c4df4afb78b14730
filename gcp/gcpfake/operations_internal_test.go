package gcpfake

import (
	"fmt"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestFinishedOperationsArePruned(t *testing.T) {
	f, err := New(nil)
	require.NoError(t, err)
	f.opsKept, f.pruneAt = 2, 4
	f.mu.Lock()
	defer f.mu.Unlock()
	spec := operationSpec{project: "p", opType: "setMetadata", target: "projects/p"}
	start := func(fl Fault, reqKey string) *operation {
		s := spec
		s.apply = func() *opFailure { return nil }
		return f.startOperationLocked(fl, s, reqKey)
	}
	slow := start(Fault{OperationPolls: 1}, "")
	var done []*operation
	for i := range 6 {
		done = append(done, start(Fault{}, fmt.Sprintf("projects/p|req-%d", i)))
	}
	kept := func() []*operation {
		var out []*operation
		for _, op := range f.opOrder {
			require.Same(t, op, f.ops[op.key])
			out = append(out, op)
		}
		require.Len(t, f.ops, len(out))
		return out
	}
	require.Equal(t, []*operation{slow, done[3], done[4], done[5]}, kept(),
		"the unfinished operation stays; the oldest finished ones go")
	for i, op := range done {
		_, ok := f.requestIDs[op.reqKey]
		require.Equal(t, i >= 3, ok, "request id of operation %d", i)
	}
	require.Nil(t, done[5].apply, "a finished operation lets its items go")
}
