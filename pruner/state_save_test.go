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

// failingSave is a state store that reads a state and cannot write one.
type failingSave struct{ err error }

func (f failingSave) String() string { return "failing" }
func (f failingSave) Load(context.Context) ([]byte, string, error) {
	data, err := state.EncodeState(state.State{}, now)
	return data, "v1", err
}
func (f failingSave) Save(context.Context, []byte, string) (string, error) { return "", f.err }

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
			var store state.Store = failingSave{err: tc.err}
			if tc.err == nil {
				store = state.File{Path: t.TempDir() + "/s.json"}
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
