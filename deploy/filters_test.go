package deploy

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/ssh-pruner/ssh-pruner/pruner"
	"github.com/ssh-pruner/ssh-pruner/pruner/attribution"
	"github.com/ssh-pruner/ssh-pruner/pruner/inmemory"
	"github.com/ssh-pruner/ssh-pruner/pruner/plan"
	"github.com/ssh-pruner/ssh-pruner/pruner/policy"
	"github.com/ssh-pruner/ssh-pruner/pruner/state"
)

// Keys of the runs below, made with ssh-keygen (pruner's test keys).
const (
	keyExpiring = `alice:ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAID4HA5BHwR5AoSPKRkXOWloD3mzvgx8wyG2sVJFoIZrN google-ssh {"userName":"alice@example.com","expireOn":"2026-12-01T10:00:00+0000"}`
	keyExpired  = `bob:ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIIpiyAOT3jvHIrWjbMjPpDEIF5cyz6w8k3Xi8g4UF9Gb google-ssh {"userName":"bob@example.com","expireOn":"2026-11-01T10:00:00+0000"}`
	keyNoExpiry = `erin:ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOBmW4mj97/g/VhkrK2oOQnDYeL60BCCie3SPPb+LZtt erin@host`
)

// term is one restriction of the filters here: logName:"...", or a payload
// field equal to a quoted value, to one of a list of them, or to a bool.
var term = regexp.MustCompile(`^(?:logName:"[^"]*"|jsonPayload\.([A-Za-z0-9_]+)\s*=\s*(?:"([^"]*)"|\(([^)]*)\)|(true|false)))$`)

// matches evaluates a Cloud Logging filter made of terms joined by AND on
// an entry as pruner logs it. A filter in any other form fails the test: it would need an
// evaluator of its own before its counts can be checked.
func matches(t *testing.T, filter string, e map[string]any) bool {
	t.Helper()
	joined := strings.Join(strings.Fields(filter), " ")
	for _, part := range strings.Split(joined, " AND ") {
		m := term.FindStringSubmatch(strings.TrimSpace(part))
		require.NotNil(t, m, "filter term %q: not one this test evaluates", part)
		if m[1] == "" {
			continue // logName: every entry here is of the ssh-pruner log
		}
		v, ok := e[m[1]]
		if !ok {
			return false
		}
		if m[4] != "" {
			if b, isBool := v.(bool); !isBool || b != (m[4] == "true") {
				return false
			}
			continue
		}
		want := []string{m[2]}
		if m[3] != "" {
			want = anyOfValues(t, m[3])
		}
		if s, isString := v.(string); !isString || !slices.Contains(want, s) {
			return false
		}
	}
	return true
}

// anyOfValues are the values of a list ("a" OR "b").
func anyOfValues(t *testing.T, list string) []string {
	t.Helper()
	var out []string
	for i, item := range strings.Split(list, " OR ") {
		item = strings.TrimSpace(item)
		require.True(t, len(item) > 1 && item[0] == '"' && item[len(item)-1] == '"', "item %d of (%s)", i, list)
		out = append(out, item[1:len(item)-1])
	}
	return out
}

// run runs pruner over a store at info level, since what these metrics
// count must not need --log-level debug, and returns its entries.
func run(t *testing.T, s *inmemory.Store, apply bool, setup func(r *pruner.Reconciler)) []map[string]any {
	t.Helper()
	pol, err := plan.NewPolicy(nil, false)
	require.NoError(t, err)
	var buf bytes.Buffer
	r := &pruner.Reconciler{
		Lister: s, Store: s, Instances: s, Policy: pol, Apply: apply, RunID: "filters",
		Now:    func() time.Time { return time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC) },
		Logger: slog.New(slog.NewJSONHandler(&buf, nil)), Concurrency: 1, MaxAttempts: 3,
	}
	if setup != nil {
		setup(r)
	}
	_, err = r.Run(context.Background(), pruner.Scope{Organization: "1"})
	require.NoError(t, err)
	var entries []map[string]any
	for _, line := range strings.Split(strings.TrimSpace(buf.String()), "\n") {
		var e map[string]any
		require.NoError(t, json.Unmarshal([]byte(line), &e), line)
		entries = append(entries, e)
	}
	return entries
}

// counted is what a log-based metric counts in entries: one point per
// entry its filter matches, by the values of the labels named.
func counted(t *testing.T, metric string, entries []map[string]any, labels ...string) []string {
	t.Helper()
	m, ok := metrics(t)[metric]
	require.True(t, ok, metric)
	var out []string
	for _, e := range entries {
		if !matches(t, m.Filter, e) {
			continue
		}
		var vals []string
		for _, l := range labels {
			require.Contains(t, m.LabelExtractors, l)
			v, _ := json.Marshal(e[l])
			vals = append(vals, strings.Trim(string(v), `"`))
		}
		out = append(out, strings.Join(vals, " "))
	}
	return out
}

// TestMetricsCountWhatTheyName runs pruner and counts its entries as the
// metrics' filters would: keys without expiry, kept by the grace
// included; targets not done, each once, held ones and a listing that
// failed included; and runs, by outcome.
func TestMetricsCountWhatTheyName(t *testing.T) {
	const project = "web-prod"
	vm := pruner.Instance{Project: project, Zone: "europe-west1-b", Name: "vm"}
	newStore := func() *inmemory.Store {
		s := inmemory.New()
		s.AddProject(project, inmemory.Items("ssh-keys", keyExpiring+"\n"+keyExpired+"\n"+keyNoExpiry+"\n"))
		s.AddInstance(vm, inmemory.Items("ssh-keys", keyNoExpiry))
		return s
	}

	t.Run("keys in their grace", func(t *testing.T) {
		entries := run(t, newStore(), true, func(r *pruner.Reconciler) { r.Policy.Grace = 24 * time.Hour })
		require.Equal(t, []string{project + " erin grace", project + " erin grace"},
			counted(t, "ssh_pruner_keys_without_expiry", entries, "project", "username", "reason"),
			"erin's key, on the project and on the VM, kept by the grace")
		require.Empty(t, counted(t, "ssh_pruner_targets_not_done", entries))
		require.Equal(t, []string{"changes false"}, counted(t, "ssh_pruner_runs", entries, "runOutcome", "dryRun"), "bob's expired key removed")
	})
	t.Run("keys removed", func(t *testing.T) {
		entries := run(t, newStore(), false, nil)
		require.Equal(t, []string{project + " erin no-expiry true", project + " erin no-expiry true"},
			counted(t, "ssh_pruner_keys_without_expiry", entries, "project", "username", "reason", "dryRun"))
		require.Equal(t, []string{"changes true"}, counted(t, "ssh_pruner_runs", entries, "runOutcome", "dryRun"))
	})
	t.Run("held by the limits", func(t *testing.T) {
		entries := run(t, newStore(), true, func(r *pruner.Reconciler) { r.Limits = policy.Limits{PerTarget: 1} })
		require.Equal(t, []string{project + " project held target-limit"},
			counted(t, "ssh_pruner_targets_not_done", entries, "project", "event", "outcome", "reason"), "once, not twice")
		require.Equal(t, []string{"failed"}, counted(t, "ssh_pruner_runs", entries, "runOutcome"))
	})
	t.Run("a VM whose write failed, instances not listed", func(t *testing.T) {
		s := newStore()
		s.FailWrite(plan.Target{Project: project, Zone: vm.Zone, Instance: vm.Name}, errors.New("HTTP 503"))
		entries := run(t, s, true, nil)
		require.Equal(t, []string{project + " instance failed"}, counted(t, "ssh_pruner_targets_not_done", entries, "project", "event", "outcome"))

		s = newStore()
		s.FailList(project, errors.New("HTTP 500"))
		entries = run(t, s, true, nil)
		require.Equal(t, []string{project + " instances failed"}, counted(t, "ssh_pruner_targets_not_done", entries, "project", "event", "outcome"))
		require.Equal(t, []string{"failed"}, counted(t, "ssh_pruner_runs", entries, "runOutcome"))
	})
	t.Run("nothing to change", func(t *testing.T) {
		s := newStore()
		run(t, s, true, nil)
		entries := run(t, s, true, nil)
		require.Empty(t, counted(t, "ssh_pruner_keys_without_expiry", entries))
		require.Equal(t, []string{"ok"}, counted(t, "ssh_pruner_runs", entries, "runOutcome"))
	})
}

// loggedWrites are the audit log's writes of key items, as package gcp
// reads them: data for the reconciler's attribution, served by time.
type loggedWrites []attribution.Write

func (l loggedWrites) MetadataWrites(_ context.Context, _ string, since, until time.Time) ([]attribution.Write, error) {
	var out []attribution.Write
	for _, w := range l {
		if w.At.After(since) && !w.At.After(until) {
			out = append(out, w)
		}
	}
	return out, nil
}

// TestAttributionMetricsCount runs pruner twice with a state and audit
// logs, and counts its entries as the metrics' filters would: between the
// runs mallory@ adds a key named alice to the project (attributed, and a
// claim mismatch, once), and bob@ and mallory@ both write the VM's keys,
// where bob's key appears (ambiguous).
func TestAttributionMetricsCount(t *testing.T) {
	const project = "web-prod"
	vm := pruner.Instance{Project: project, Zone: "europe-west1-b", Name: "vm"}
	s := inmemory.New()
	s.AddProject(project, inmemory.Items("ssh-keys", keyExpiring+"\n"))
	s.AddInstance(vm, inmemory.Items("ssh-keys", keyExpiring))
	dir := t.TempDir()
	wall := time.Date(2026, 12, 6, 9, 0, 0, 0, time.UTC)
	var writes loggedWrites
	withAttribution := func(r *pruner.Reconciler) {
		st, err := state.Open(context.Background(), &state.Dir{Path: dir}, r.Now())
		require.NoError(t, err)
		r.State = st
		r.Attribution = &pruner.Attribution{Reader: writes, Resource: "projects/sec/locations/global/buckets/b/views/v",
			Wall: func() time.Time { return wall }}
	}
	run(t, s, false, withAttribution)

	wall = wall.Add(time.Hour)
	const mallory, bob = "mallory@example.com", "bob@example.com"
	claimed := `alice:ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOBmW4mj97/g/VhkrK2oOQnDYeL60BCCie3SPPb+LZtt google-ssh {"userName":"alice@example.com","expireOn":"2027-01-01T00:00:00+0000"}`
	s.Set(plan.Target{Project: project}, inmemory.Items("ssh-keys", keyExpiring+"\n"+claimed))
	bobs := `bob:ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIIpiyAOT3jvHIrWjbMjPpDEIF5cyz6w8k3Xi8g4UF9Gb google-ssh {"userName":"bob@example.com","expireOn":"2027-01-01T00:00:00+0000"}`
	s.Set(plan.Target{Project: project, Zone: vm.Zone, Instance: vm.Name}, inmemory.Items("ssh-keys", keyExpiring+"\n"+bobs))
	vmTarget := "projects/" + project + "/zones/" + vm.Zone + "/instances/" + vm.Name
	writes = loggedWrites{
		{Target: "projects/" + project, At: wall.Add(-30 * time.Minute), Principal: mallory, Via: attribution.ViaGcloudAddMetadata, Operation: "op-1"},
		{Target: vmTarget, At: wall.Add(-20 * time.Minute), Principal: bob, Via: attribution.ViaGcloudSSH, Operation: "op-2"},
		{Target: vmTarget, At: wall.Add(-10 * time.Minute), Principal: mallory, Via: attribution.ViaConsole, Operation: "op-3"},
	}
	entries := run(t, s, false, withAttribution)

	require.Equal(t, []string{"mallory@example.com window gcloud add-metadata", " ambiguous "},
		counted(t, "ssh_pruner_keys_appeared", entries, "addedBy", "attribution", "addedVia"))
	require.Equal(t, []string{"web-prod mallory@example.com alice alice@example.com"},
		counted(t, "ssh_pruner_claim_mismatches", entries, "project", "addedBy", "username", "googleUserName"),
		"the key named alice that mallory@ added, once")
	for _, e := range entries {
		if e[pruner.LogEvent] == pruner.EventKeyAppeared && e[pruner.LogAttribution] == attribution.Ambiguous {
			require.Equal(t, "bob@example.com mallory@example.com", e[pruner.LogCandidates])
		}
	}
}
