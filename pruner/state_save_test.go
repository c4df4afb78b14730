package pruner_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/ssh-pruner/ssh-pruner/pruner"
	"github.com/ssh-pruner/ssh-pruner/pruner/state"
)

// failingSave is a state that was made, and whose projects' objects can
// no longer be written.
type failingSave struct {
	state.Store
	err error
}

func (f failingSave) Save(ctx context.Context, name string, data []byte, version string) (string, error) {
	if name == state.RunObject {
		return f.Store.Save(ctx, name, data, version)
	}
	return "", f.err
}

// TestRunFinishedSaysTheStateWasNotSaved: a run whose only failure is a
// state it could not save reports it, and its summary entry is logged at
// error, after the state entry.
func TestRunFinishedSaysTheStateWasNotSaved(t *testing.T) {
	for _, tc := range []struct {
		name  string
		err   error
		level string
		saved bool
	}{
		{"saved", nil, "INFO", true},
		{"store fails", errors.New("bucket gone"), "ERROR", false},
		{"another run saved", state.ErrConflict, "ERROR", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var store state.Store = &state.Dir{Path: t.TempDir()}
			if tc.err != nil {
				store = failingSave{Store: store, err: tc.err}
			}
			st, err := state.Open(context.Background(), store, now)
			require.NoError(t, err)
			var buf bytes.Buffer
			r := reconciler(org(), true)
			r.Logger = slog.New(slog.NewJSONHandler(&buf, nil))
			r.State = st
			rep, err := r.Run(context.Background(), pruner.Scope{Organization: "1"})
			require.NoError(t, err)
			require.NotNil(t, rep.State)
			require.Equal(t, tc.saved, rep.State.Saved)
			require.Equal(t, tc.saved, rep.OK(), "an unsaved state fails the run")

			var events []string
			for _, line := range strings.Split(strings.TrimSpace(buf.String()), "\n") {
				var e map[string]any
				require.NoError(t, json.Unmarshal([]byte(line), &e))
				switch e[pruner.LogEvent] {
				case pruner.EventState:
					events = append(events, "state")
				case pruner.EventSummary:
					events = append(events, "summary")
					require.Equal(t, tc.level, e["level"])
				}
			}
			require.GreaterOrEqual(t, len(events), 2)
			require.Equal(t, []string{"state", "summary"}, events[len(events)-2:], "the state's outcome comes before the summary, which is last")
		})
	}
}
