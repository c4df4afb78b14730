package pruner_test

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/ssh-pruner/ssh-pruner/pruner"
)

// accessEntries runs the reconciler with a debug JSON log and returns, per
// instance, the identities of its access entries, noExpiry marked with !.
func accessEntries(t *testing.T, apply bool) map[string][]string {
	t.Helper()
	var buf bytes.Buffer
	r := reconciler(org(), apply)
	r.Logger = slog.New(slog.NewJSONHandler(&buf, &slog.HandlerOptions{Level: slog.LevelDebug}))
	_, err := r.Run(context.Background(), pruner.Scope{Organization: "1"})
	require.NoError(t, err)
	out := map[string][]string{}
	for _, line := range strings.Split(strings.TrimSpace(buf.String()), "\n") {
		var e map[string]any
		require.NoError(t, json.Unmarshal([]byte(line), &e), line)
		if e[pruner.LogEvent] != pruner.EventAccess {
			continue
		}
		require.Equal(t, "key opens VM", e["msg"])
		require.NotEmpty(t, e[pruner.LogFingerprint])
		id := e[pruner.LogIdentity].(string)
		if e[pruner.LogNoExpiry] == "true" {
			id += "!"
		}
		name := e[pruner.LogInstance].(string)
		out[name] = append(out[name], id)
	}
	for k := range out {
		slices.Sort(out[k])
	}
	return out
}

// TestAccessLogFollowsTheRun: the access entries tell who can reach each
// VM as the run leaves it: in a dry run, as found; after an apply, what
// the prune left.
func TestAccessLogFollowsTheRun(t *testing.T) {
	require.Equal(t, map[string][]string{
		"clean":  {"alice@example.com", "alice@example.com", "erin!"},
		"dirty":  {"alice@example.com", "alice@example.com", "erin!", "erin!"},
		"legacy": {"erin!"},
	}, accessEntries(t, false))
	require.Equal(t, map[string][]string{
		"clean": {"alice@example.com", "alice@example.com"},
		"dirty": {"alice@example.com", "alice@example.com"},
	}, accessEntries(t, true), "after the apply only alice's expiring key opens a VM; legacy stays closed to project keys")
}
