package pruner_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/ssh-pruner/ssh-pruner/pruner"
	"github.com/ssh-pruner/ssh-pruner/pruner/inmemory"
	"github.com/ssh-pruner/ssh-pruner/pruner/policy"
	"github.com/ssh-pruner/ssh-pruner/pruner/report"
)

// logged runs r over the test organization with a debug JSON log and
// returns the report and the entries, in order.
func logged(t *testing.T, r *pruner.Reconciler) (report.Report, []map[string]any) {
	t.Helper()
	var buf bytes.Buffer
	r.Logger = slog.New(slog.NewJSONHandler(&buf, &slog.HandlerOptions{Level: slog.LevelDebug}))
	rep, err := r.Run(context.Background(), pruner.Scope{Organization: "1"})
	require.NoError(t, err)
	var entries []map[string]any
	for _, line := range strings.Split(strings.TrimSpace(buf.String()), "\n") {
		var e map[string]any
		require.NoError(t, json.Unmarshal([]byte(line), &e), line)
		entries = append(entries, e)
	}
	return rep, entries
}

// summaryOf is the one summary entry, which is the last.
func summaryOf(t *testing.T, entries []map[string]any) map[string]any {
	t.Helper()
	var found []map[string]any
	for _, e := range entries {
		if e[pruner.LogEvent] == pruner.EventSummary {
			found = append(found, e)
		}
	}
	require.Len(t, found, 1)
	require.Equal(t, entries[len(entries)-1], found[0], "the summary is the last entry")
	return found[0]
}

// TestSummaryCarriesTheOutcome: the run finished entry says whether the
// run failed (ok, as report.OK, which makes the exit status 1) and its
// outcome, both ways, so that a log-based metric can count failed runs.
func TestSummaryCarriesTheOutcome(t *testing.T) {
	for _, tc := range []struct {
		name    string
		apply   bool
		setup   func(t *testing.T, s *inmemory.Store, r *pruner.Reconciler)
		ok      bool
		outcome string
		level   string
	}{
		{name: "a dry run finds changes", ok: true, outcome: pruner.RunChanges, level: "INFO"},
		{name: "an apply makes them", apply: true, ok: true, outcome: pruner.RunChanges, level: "INFO"},
		{
			name: "nothing left to change", apply: true, ok: true, outcome: pruner.RunOK, level: "INFO",
			setup: func(t *testing.T, s *inmemory.Store, _ *pruner.Reconciler) {
				_, err := reconciler(s, true).Run(context.Background(), pruner.Scope{Organization: "1"})
				require.NoError(t, err)
			},
		},
		{
			name: "a failed write", apply: true, ok: false, outcome: pruner.RunFailed, level: "ERROR",
			setup: func(_ *testing.T, s *inmemory.Store, _ *pruner.Reconciler) {
				s.FailWrite(vm("dirty"), errors.New("HTTP 503"))
			},
		},
		{
			name: "a target held by the limits", apply: true, ok: false, outcome: pruner.RunFailed, level: "ERROR",
			setup: func(_ *testing.T, _ *inmemory.Store, r *pruner.Reconciler) {
				r.Limits = policy.Limits{PerTarget: 1}
			},
		},
		{
			name: "a dry run whose instances are not listed", ok: false, outcome: pruner.RunFailed, level: "ERROR",
			setup: func(_ *testing.T, s *inmemory.Store, _ *pruner.Reconciler) {
				s.FailList(projectID, errors.New("HTTP 500"))
			},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := org()
			r := reconciler(s, tc.apply)
			if tc.setup != nil {
				tc.setup(t, s, r)
			}
			rep, entries := logged(t, r)
			require.Equal(t, tc.ok, rep.OK())
			sum := summaryOf(t, entries)
			require.Equal(t, "run finished", sum["msg"])
			require.Equal(t, tc.ok, sum[pruner.LogOK], "ok is report.OK")
			require.Equal(t, tc.outcome, sum[pruner.LogRunOutcome])
			require.Equal(t, tc.level, sum["level"])
		})
	}
}

// TestKeyEntriesSayNoExpiry: every key entry says whether its key never
// expires, whatever was decided for it: a key without expiry in its grace
// (reason "grace") is one, which a filter on reason "no-expiry" misses.
// A line that is no valid key is none; a Google-managed key without
// expiry is one. Every entry that says so is logged at info.
func TestKeyEntriesSayNoExpiry(t *testing.T) {
	const invalid = "mallory:ssh-ed25519 not-base64"
	s := org()
	s.Set(proj(projectID), inmemory.Items("ssh-keys", strings.Join([]string{aliceOK, bobOld, erinPerm, invalid, gkeKey}, "\n")))
	r := reconciler(s, false)
	r.Instances = nil
	r.Policy.Grace = 24 * time.Hour
	_, entries := logged(t, r)

	type key struct{ reason, noExpiry, level string }
	got := map[string]key{}
	for _, e := range entries {
		if e[pruner.LogEvent] != pruner.EventKey {
			continue
		}
		require.Contains(t, e, pruner.LogNoExpiry, "every key entry says it: %v", e)
		got[e[pruner.LogUsername].(string)] = key{e[pruner.LogReason].(string), e[pruner.LogNoExpiry].(string), e["level"].(string)}
	}
	gke := strings.SplitN(gkeKey, ":", 2)[0]
	require.Equal(t, map[string]key{
		"alice":   {"unexpired", "false", "DEBUG"},
		"bob":     {"expired", "false", "INFO"},
		"erin":    {"grace", "true", "INFO"},
		"mallory": {"invalid:bad-base64", "false", "INFO"},
		gke:       {"google-key-misplaced", "true", "INFO"},
	}, got)
}

// TestOneOutcomePerTarget: each target has one entry with an outcome,
// the report's, whatever it was: a metric that counts targets not done
// counts each once. A held target's "target held" entry, which says
// why, carries none. A listing of instances that failed, wholly or for
// some zones, has an outcome of its own (event instances).
func TestOneOutcomePerTarget(t *testing.T) {
	for _, tc := range []struct {
		name      string
		setup     func(s *inmemory.Store, r *pruner.Reconciler)
		listing   string // the outcome of the instances listing; "" when none is logged
		listLevel string
	}{
		{name: "held", setup: func(_ *inmemory.Store, r *pruner.Reconciler) {
			r.Concurrency = 1
			r.Limits = policy.Limits{PerTarget: 1}
		}},
		{name: "failed", setup: func(s *inmemory.Store, _ *pruner.Reconciler) {
			s.FailWrite(vm("dirty"), errors.New("HTTP 503"))
			s.FailWrite(proj(projectID), errors.New("HTTP 503"))
		}},
		{name: "instances not listed", listing: "failed", listLevel: "ERROR", setup: func(s *inmemory.Store, _ *pruner.Reconciler) {
			s.FailList(projectID, errors.New("HTTP 500"))
		}},
		{name: "zones unreachable", listing: "failed", listLevel: "WARN", setup: func(s *inmemory.Store, _ *pruner.Reconciler) {
			s.SetUnreachable(projectID, "zones/"+zoneB)
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := org()
			r := reconciler(s, true)
			tc.setup(s, r)
			rep, entries := logged(t, r)

			want := map[string]string{} // event/target -> outcome
			p := project(t, rep, projectID)
			want["project/"+projectID] = string(p.Outcome)
			for _, in := range p.Instances {
				want["instance/"+projectID+"/"+in.Zone+"/"+in.Instance] = string(in.Outcome)
			}
			if tc.listing != "" {
				want["instances/"+projectID] = tc.listing
			}
			got := map[string]string{}
			held := 0
			for _, e := range entries {
				if strings.HasPrefix(e["msg"].(string), "target held: ") {
					held++
					require.NotContains(t, e, pruner.LogOutcome, "the hold's reason, not a second outcome")
				}
				out, ok := e[pruner.LogOutcome].(string)
				if !ok {
					continue
				}
				name := e[pruner.LogProject].(string)
				if z, ok := e[pruner.LogZone].(string); ok {
					name += "/" + z + "/" + e[pruner.LogInstance].(string)
				}
				id := e[pruner.LogEvent].(string) + "/" + name
				require.NotContains(t, got, id, "one outcome entry per target")
				got[id] = out
				if e[pruner.LogEvent] == pruner.EventInstances {
					require.Equal(t, tc.listLevel, e["level"])
				}
				if out == string(report.OutcomeHeld) {
					require.Equal(t, "WARN", e["level"], "a held target is left undone: someone must look")
				}
			}
			require.Equal(t, want, got)
			if tc.name == "held" {
				require.Contains(t, got, "project/"+projectID)
				require.Equal(t, string(report.OutcomeHeld), got["project/"+projectID])
				require.Equal(t, 1, held)
			}
		})
	}
}
