package main

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/fsouza/fake-gcs-server/fakestorage"
	"github.com/stretchr/testify/require"

	"github.com/ssh-pruner/ssh-pruner/gcp"
	"github.com/ssh-pruner/ssh-pruner/gcp/gcpfake"
	"github.com/ssh-pruner/ssh-pruner/keyparse"
	"github.com/ssh-pruner/ssh-pruner/pruner/plan"
	"github.com/ssh-pruner/ssh-pruner/pruner/report"
	"github.com/ssh-pruner/ssh-pruner/pruner/state"
)

const setInstanceMetadata = "compute.instances.setMetadata"

// testKey is a key made with ssh-keygen -t ed25519 for these tests only.
const testKey = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIPaWRQ055ZJIf+fv3ixxEx8hVax1uiav3kkap5fhVQ7H"

// stateOf is what a state remembers of every project, flat: keys by
// target, as read back through the state package.
func stateOf(t *testing.T, store state.Store, projects []string, now string) state.State {
	t.Helper()
	out := state.State{Targets: map[string]map[string]state.Seen{}}
	for _, p := range projects {
		sh, _, _, err := state.ReadProject(context.Background(), store, p, mustTime(t, now))
		require.NoError(t, err)
		for name, tg := range sh.Targets {
			out.Targets[name] = tg.Keys
		}
	}
	return out
}

// dirProjects are the projects a state directory has objects of.
func dirProjects(t *testing.T, dir string) []string {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(dir, "projects", "*.json"))
	require.NoError(t, err)
	var out []string
	for _, f := range files {
		out = append(out, strings.TrimSuffix(filepath.Base(f), ".json"))
	}
	return out
}

func stateOfDir(t *testing.T, dir, now string) state.State {
	t.Helper()
	return stateOf(t, &state.Dir{Path: dir}, dirProjects(t, dir), now)
}

func decisionsByReason(rep report.Report, reason string) []plan.Decision {
	var out []plan.Decision
	add := func(tr report.TargetReport) {
		for _, d := range tr.Decisions {
			if d.Reason == reason {
				out = append(out, d)
			}
		}
	}
	for _, p := range rep.Projects {
		add(p.TargetReport)
		for _, in := range p.Instances {
			add(in)
		}
	}
	return out
}

// TestRunGraceRemembers: with --grace and a state file, a key without
// expiry stays until it has been seen for longer than the grace, across
// runs, through Google's clients against the fake; the first run starts
// every clock and says so; the state holds no key material.
func TestRunGraceRemembers(t *testing.T) {
	clearEnv(t)
	f, url := demoFake(t)
	state := filepath.Join(t.TempDir(), "state") + "/"
	args := func(now string, extra ...string) []string {
		return append(runArgs(url, "--now", now, "--grace", "24h", "--state", state, "--output", "json"), extra...)
	}

	// First run, a dry run: no state yet.
	out, errOut, code := cli(t, context.Background(), nil, args(demoNow)...)
	require.Contains(t, []int{0, 3}, code, errOut)
	var rep report.Report
	require.NoError(t, json.Unmarshal([]byte(out), &rep))
	require.NotNil(t, rep.State)
	require.True(t, rep.State.FirstRun)
	require.True(t, rep.State.Saved, rep.State.Error)
	require.Empty(t, decisionsByReason(rep, plan.ReasonNoExpiry), "nothing without expiry goes before its grace")
	inGrace := decisionsByReason(rep, plan.ReasonGrace)
	require.NotEmpty(t, inGrace)
	require.Equal(t, len(inGrace), rep.Totals.KeysInGrace)
	for _, d := range inGrace {
		require.Equal(t, "2026-11-24T12:00:00Z", d.GraceEnds, d.Username)
		require.Equal(t, demoNow, d.FirstSeen)
	}
	require.Contains(t, errOut, "no state yet: first run")
	for _, p := range dirProjects(t, state) {
		data, err := os.ReadFile(filepath.Join(state, "projects", p+".json"))
		require.NoError(t, err)
		require.NotContains(t, string(data), "AAAA", "no key material in the state")
	}
	first := stateOfDir(t, state, demoNow)
	require.Equal(t, rep.State.Keys, first.Keys())
	require.Equal(t, rep.State.ProjectsWritten, len(dirProjects(t, state)), "one object a project the run read")

	// Text says so too.
	text, _, _ := cli(t, context.Background(), nil, runArgs(url, "--now", demoNow, "--grace", "24h", "--state", state)...)
	require.NotContains(t, text, "(seen for", "seen at the same instant: no age to tell")
	require.Contains(t, text, "grace until 2026-11-24T12:00:00Z")
	require.Contains(t, text, "State: "+state+" saved")

	// An hour later, an apply: the keys in grace stay, and their age shows.
	later := "2026-11-23T13:00:00Z"
	out, errOut, code = cli(t, context.Background(), nil, args(later, "--apply")...)
	require.Equal(t, 0, code, errOut)
	rep = report.Report{}
	require.NoError(t, json.Unmarshal([]byte(out), &rep))
	require.False(t, rep.State.FirstRun)
	require.Len(t, decisionsByReason(rep, plan.ReasonGrace), len(inGrace))
	require.Empty(t, decisionsByReason(rep, plan.ReasonNoExpiry))
	require.Contains(t, errOut, `"firstSeen":"`+demoNow+`"`, "the log carries firstSeen")
	text, _, _ = cli(t, context.Background(), nil, runArgs(url, "--now", later, "--grace", "24h", "--state", state)...)
	require.Contains(t, text, "grace until 2026-11-24T12:00:00Z (seen for 1h)")

	// Past the grace: they go, and the state forgets them.
	past := "2026-11-24T12:00:01Z"
	writes := f.Calls(setMetadata) + f.Calls(setInstanceMetadata)
	out, errOut, code = cli(t, context.Background(), nil, args(past, "--apply")...)
	require.Equal(t, 0, code, errOut)
	rep = report.Report{}
	require.NoError(t, json.Unmarshal([]byte(out), &rep))
	require.Empty(t, decisionsByReason(rep, plan.ReasonGrace))
	removed := decisionsByReason(rep, plan.ReasonNoExpiry)
	require.Len(t, removed, len(inGrace), "each key that waited is removed once its grace is over")
	require.Greater(t, f.Calls(setMetadata)+f.Calls(setInstanceMetadata), writes)

	// The keys removed are forgotten at once: bob's, added again by his
	// next gcloud compute ssh, has a grace of its own.
	st := stateOfDir(t, state, past)
	for key := range removedKeys(rep) {
		target, fp, _ := strings.Cut(key, " ")
		require.NotContains(t, st.Targets[target], fp, "%s: a key the run removed is not remembered", key)
	}
	bobLine := ""
	for line := range lineTexts(demoItems(t, "web-prod-eu"), "ssh-keys") {
		if strings.HasPrefix(line, "bob:") {
			bobLine = line
		}
	}
	require.NotEmpty(t, bobLine)
	appendKeyLine(t, f, "web-prod-eu", bobLine)
	again := "2026-11-24T13:00:00Z"
	out, errOut, code = cli(t, context.Background(), nil, args(again)...)
	require.Equal(t, 0, code, errOut)
	rep = report.Report{}
	require.NoError(t, json.Unmarshal([]byte(out), &rep))
	var bob []plan.Decision
	for _, d := range decisionsByReason(rep, plan.ReasonGrace) {
		if d.Username == "bob" {
			bob = append(bob, d)
		}
	}
	require.Len(t, bob, 1, "bob's key, back, is in a grace of its own")
	require.Equal(t, again, bob[0].FirstSeen)
	require.Equal(t, "2026-11-25T13:00:00Z", bob[0].GraceEnds)
}

// demoItems is a project's metadata as the demo organization seeds it.
func demoItems(t *testing.T, project string) []gcpfake.Item {
	t.Helper()
	f, _ := demoFake(t)
	items, _, ok := f.ProjectMetadata(project)
	require.True(t, ok, project)
	return items
}

// TestRunRefusesABadState: a run object that is not whole and right
// stops the run before anything is written: one line naming it, exit 2,
// metadata and state untouched. A project's object that is not is that
// project's failure alone: it is left alone, its object too, and the
// others are pruned.
func TestRunRefusesABadState(t *testing.T) {
	clearEnv(t)
	f, url := demoFake(t)
	dir := t.TempDir()
	for _, tc := range []struct{ name, data, want string }{
		{"garbage", "not json\n", "not a state"},
		{"truncated", `{"kind":"ssh-pruner-state","version":2,"written":1`, "not a state"},
		{"written in the future", `{"kind":"ssh-pruner-state","version":2,"written":4070908800}`, "in the future"},
		{"a field twice", `{"kind":"ssh-pruner-state","version":2,"written":1,"written":2}`, `"written" twice`},
		{"hostile", `{"kind":"\u001b]0;pwned\u0007","version":2,"written":1}`, `kind "\x1b]0;pwned\a"`},
		{"raw escape", "{\"kind\":\"\x1b]0;pwned\x07\"}", `invalid character '\x1b'`},
		{"version 1 in its place", `{"kind":"ssh-pruner-state","version":1,"targets":{}}`, "move it to state.json beside it"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			state := filepath.Join(dir, tc.name) + "/"
			require.NoError(t, os.MkdirAll(state, 0o700))
			require.NoError(t, os.WriteFile(state+"run.json", []byte(tc.data), 0o600))
			_, errOut, code := cli(t, context.Background(), nil, runArgs(url, "--apply", "--grace", "24h", "--state", state)...)
			require.Equal(t, 2, code, errOut)
			require.Contains(t, errOut, "state "+state+"run.json: ")
			require.Contains(t, errOut, tc.want)
			requireCleanLine(t, errOut)
			require.Zero(t, f.Calls(setMetadata)+f.Calls(setInstanceMetadata), "nothing written")
			data, err := os.ReadFile(state + "run.json")
			require.NoError(t, err)
			require.Equal(t, tc.data, string(data), "the state is left as it was")
		})
	}

	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--grace", "24h"}, "grace 24h0m0s (--grace, or grace: of --policy) needs --state"},
		{[]string{"--grace", "-1h", "--state", filepath.Join(dir, "s")}, `--grace "-1h0m0s": want 0 (none) or more`},
		{[]string{"--state", "gs://bucket"}, "ending with a slash"},
		{[]string{"--state", "gs://bucket/state.json"}, "ending with a slash"},
		{[]string{"--state", "gs://bucket/o/"}, "needs a fake Cloud Storage too (--state-endpoint)"},
		{[]string{"--state", "s3://bucket/o"}, "want a directory or gs://BUCKET/PREFIX/"},
		{[]string{"--state", filepath.Join(dir, "no-such-dir", "s")}, "--state "},
		{[]string{"--state", filepath.Join(dir, "garbage", "run.json")}, "is a file: the state is now a directory"},
		{[]string{"--state-endpoint", "http://127.0.0.1:1"}, "--state-endpoint is for a --state gs://"},
	} {
		_, errOut, code := cli(t, context.Background(), nil, runArgs(url, tc.args...)...)
		require.Equal(t, 2, code, errOut)
		require.Contains(t, errOut, tc.want)
	}
	require.Zero(t, f.Calls(setMetadata)+f.Calls(setInstanceMetadata))
}

// TestRunWithABadProjectObject: a project whose object in the state is
// not whole and right fails alone, named, and is not written; its object
// is left for a person; the other projects are pruned.
func TestRunWithABadProjectObject(t *testing.T) {
	clearEnv(t)
	f, url := demoFake(t)
	state := filepath.Join(t.TempDir(), "state") + "/"
	_, errOut, code := cli(t, context.Background(), nil, runArgs(url, "--grace", "24h", "--state", state)...)
	require.Contains(t, []int{0, 3}, code, errOut)
	bad := "{\"kind\":\"ssh-pruner-project-state\",\"version\":2,\"project\":\"web-prod-eu\",\"written\":1,\"targets\":{\"projects/web-prod-eu\":{\"read\":1,\"keys\":{\"\u009b31m\":{\"f\":1,\"l\":1}}}}}"
	path := filepath.Join(state, "projects", "web-prod-eu.json")
	require.NoError(t, os.WriteFile(path, []byte(bad), 0o600))
	before, _, ok := f.ProjectMetadata("web-prod-eu")
	require.True(t, ok)

	out, errOut, code := cli(t, context.Background(), nil, runArgs(url, "--apply", "--grace", "24h", "--state", state, "--output", "json")...)
	require.Equal(t, 1, code, errOut)
	var rep report.Report
	require.NoError(t, json.Unmarshal([]byte(out), &rep))
	for _, p := range rep.Projects {
		if p.Project == "web-prod-eu" {
			require.Equal(t, report.OutcomeFailed, p.Outcome)
			require.Contains(t, p.Error, "projects/web-prod-eu.json")
			require.Contains(t, p.Error, `\u009b31m`)
			require.Empty(t, p.Instances, "its VMs are left alone too")
		}
	}
	require.Positive(t, rep.Totals.Changed, "the other projects are pruned")
	after, _, _ := f.ProjectMetadata("web-prod-eu")
	require.Equal(t, before, after, "the project is not written")
	data, err := os.ReadFile(path)
	require.NoError(t, err)
	require.Equal(t, bad, string(data), "left for a person")
	require.NotContains(t, errOut, "\u009b", "escaped in the log")
}

// TestRunStateRaceOnGCS: two runs race on a project's object in Cloud
// Storage, through cloud.google.com/go/storage against fake-gcs-server.
// An apply reads the project's object, then, before it writes the
// project, a dry run runs whole and saves it. The apply's save of that
// project then fails under the generation precondition: it exits 1 naming
// the project, its metadata writes stand, and the object holds the dry
// run's state, in which no first-seen time of the state before them is
// lost. The projects no other run wrote are saved.
func TestRunStateRaceOnGCS(t *testing.T) {
	clearEnv(t)
	f, url := demoFake(t)
	gcs := fakeGCS(t)
	const prefix = "gs://pruner-state/org-123456789012/"
	args := func(endpoint, now string, extra ...string) []string {
		return append(runArgs(endpoint, "--now", now, "--grace", "24h", "--state", prefix, "--state-endpoint", gcs.URL(), "--output", "json"), extra...)
	}
	store, err := gcp.NewStatePrefix(context.Background(), gcp.Options{StorageEndpoint: gcs.URL()}, prefix)
	require.NoError(t, err)
	t.Cleanup(func() { _ = store.Close() })
	projects := []string{"web-prod-eu", "web-prod-us", "api-prod-7f3a", "analytics-staging", "sandbox-alice-3e9d", "billing-prod-2291"}

	// A first run makes the state; a key added since changes web-prod-eu
	// for both runs.
	_, errOut, code := cli(t, context.Background(), nil, args(url, demoNow)...)
	require.Contains(t, []int{0, 3}, code, errOut)
	before := stateOf(t, store, projects, demoNow)
	require.Positive(t, before.Keys())
	appendKeyLine(t, f, "web-prod-eu", "carol:"+testKey)

	// The apply goes through a proxy that lets the dry run run whole when
	// the apply first writes web-prod-eu: it has read its object by then.
	later := "2026-11-23T13:00:00Z"
	var once sync.Once
	var dry struct {
		out, errOut string
		code        int
	}
	proxy := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.Contains(r.URL.Path, "/projects/web-prod-eu/setCommonInstanceMetadata") {
			once.Do(func() {
				dry.out, dry.errOut, dry.code = cli(t, context.Background(), nil, args(url, later, "--run-id", "laptop")...)
			})
		}
		f.ServeHTTP(w, r)
	}))
	t.Cleanup(proxy.Close)
	// One worker: while it waits on the dry run, the apply saves nothing else.
	out, errOut, code := cli(t, context.Background(), nil, args(proxy.URL, later, "--apply", "--run-id", "cronjob", "--concurrency", "1")...)

	require.Contains(t, []int{0, 3}, dry.code, dry.errOut)
	require.Equal(t, 1, code, "the run whose state is not saved fails: %s", errOut)
	var rep report.Report
	require.NoError(t, json.Unmarshal([]byte(out), &rep))
	require.False(t, rep.State.Saved)
	require.Equal(t, []string{"web-prod-eu"}, rep.State.NotSaved)
	require.Contains(t, rep.State.Error, "another run saved 1 projects' state after this run read it (web-prod-eu)")
	require.Contains(t, errOut, `"message":"state not saved"`)
	require.Positive(t, rep.Totals.Changed+rep.Totals.Instances.Changed, "its metadata writes stand")
	require.Positive(t, f.Calls(setMetadata))

	var dryRep report.Report
	require.NoError(t, json.Unmarshal([]byte(dry.out), &dryRep))
	require.True(t, dryRep.State.Saved, dryRep.State.Error)
	after := stateOf(t, store, projects, later)
	for target, keys := range before.Targets {
		for fp, seen := range keys {
			got, ok := after.Targets[target][fp]
			if !ok {
				continue // removed by the apply, and forgotten
			}
			require.Equal(t, seen.First, got.First, "%s %s: first-seen time changed", target, fp)
		}
	}
	carol := keyparse.ParseLine("carol:" + testKey).Fingerprint
	require.Equal(t, mustTime(t, later), after.Targets["projects/web-prod-eu"][carol].First, "web-prod-eu holds the dry run's sightings")
}

// TestRunInterruptedSavesTheState: an interrupted run still saves what it
// saw, after the write under way finished; targets it never read keep what
// the state had.
func TestRunInterruptedSavesTheState(t *testing.T) {
	clearEnv(t)
	f, url := demoFake(t)
	state := filepath.Join(t.TempDir(), "state") + "/"
	_, errOut, code := cli(t, context.Background(), nil, runArgs(url, "--grace", "24h", "--state", state)...)
	require.Contains(t, []int{0, 3}, code, errOut)
	before := stateOfDir(t, state, demoNow)

	const first = "api-prod-7f3a" // the first project to write, walking breadth first
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	f.OnMetadataReadBeforeWrite(first, func(*gcpfake.Fake) { cancel() })
	later := "2026-11-23T13:00:00Z"
	out, errOut, code := cli(t, ctx, nil, runArgs(url, "--now", later, "--apply", "--concurrency", "1", "--grace", "24h", "--state", state, "--output", "json")...)
	require.Equal(t, 1, code, errOut)
	var rep report.Report
	require.NoError(t, json.Unmarshal([]byte(out), &rep))
	require.True(t, rep.Interrupted)
	require.True(t, rep.State.Saved, rep.State.Error)

	after := stateOfDir(t, state, later)
	require.Equal(t, mustTime(t, later), after.Targets["projects/"+first][fpOf(t, after, first)].Last, "what the run saw is saved")
	removed := removedKeys(rep)
	require.NotEmpty(t, removed)
	for target, keys := range before.Targets {
		for fp, seen := range keys {
			got, ok := after.Targets[target][fp]
			if !ok {
				require.True(t, removed[target+" "+fp], "%s %s: forgotten, but not removed", target, fp)
				continue
			}
			require.Equal(t, seen.First, got.First, "%s %s", target, fp)
		}
	}
}

// removedKeys are "target fingerprint" of the keys the run removed from
// targets it wrote, and no longer has there.
func removedKeys(rep report.Report) map[string]bool {
	out := map[string]bool{}
	add := func(tr report.TargetReport) {
		if tr.Outcome != report.OutcomeChanged {
			return
		}
		stays := map[string]bool{}
		for _, d := range tr.Decisions {
			if d.Action != plan.ActionRemove {
				stays[d.Fingerprint] = true
			}
		}
		for _, d := range tr.Decisions {
			if d.Action == plan.ActionRemove && !stays[d.Fingerprint] {
				out[tr.Target.String()+" "+d.Fingerprint] = true
			}
		}
	}
	for _, p := range rep.Projects {
		add(p.TargetReport)
		for _, in := range p.Instances {
			add(in)
		}
	}
	return out
}

// fpOf is a fingerprint the state remembers on a project.
func fpOf(t *testing.T, s state.State, project string) string {
	t.Helper()
	for fp := range s.Targets["projects/"+project] {
		return fp
	}
	t.Fatalf("the state remembers no key of %s", project)
	return ""
}

// TestRunStateOnGCSRefused: a state in a bucket that does not exist stops
// the run before it writes metadata, instead of every run passing for a
// first one; so does a run object that is not a state.
func TestRunStateOnGCSRefused(t *testing.T) {
	clearEnv(t)
	f, url := demoFake(t)
	gcs := fakeGCS(t)
	_, errOut, code := cli(t, context.Background(), nil, runArgs(url, "--apply", "--grace", "24h",
		"--state", "gs://no-such-bucket/state/", "--state-endpoint", gcs.URL())...)
	require.Equal(t, 1, code, errOut)
	require.Contains(t, errOut, "create state gs://no-such-bucket/state/: ")
	require.Zero(t, f.Calls(setMetadata)+f.Calls(setInstanceMetadata), "nothing written")

	// A run object that is not a state: one line naming it, exit 2,
	// nothing written, the object left as it was.
	gcs.CreateObject(fakestorage.Object{ObjectAttrs: fakestorage.ObjectAttrs{BucketName: "pruner-state", Name: "state/run.json"}, Content: []byte(`{"kind":"ssh-pruner-state","version":2,`)})
	_, errOut, code = cli(t, context.Background(), nil, runArgs(url, "--apply", "--grace", "24h",
		"--state", "gs://pruner-state/state/", "--state-endpoint", gcs.URL())...)
	require.Equal(t, 2, code, errOut)
	require.Contains(t, errOut, "state gs://pruner-state/state/run.json: not a state")
	requireCleanLine(t, errOut)
	require.Zero(t, f.Calls(setMetadata)+f.Calls(setInstanceMetadata), "nothing written")
	obj, err := gcs.GetObject("pruner-state", "state/run.json")
	require.NoError(t, err)
	require.Equal(t, `{"kind":"ssh-pruner-state","version":2,`, string(obj.Content))
}

// requireCleanLine checks that an error is one line without a control
// character: what a terminal shows of it is what it says.
func requireCleanLine(t *testing.T, errOut string) {
	t.Helper()
	require.Equal(t, 1, strings.Count(errOut, "\n"), "one line: %q", errOut)
	for _, r := range strings.TrimSuffix(errOut, "\n") {
		require.False(t, r < 0x20 || r == 0x7f || (r >= 0x80 && r < 0xa0), "control %U in %q", r, errOut)
	}
}

// fakeGCS serves fake-gcs-server over HTTP, with the bucket pruner-state.
func fakeGCS(t *testing.T) *fakestorage.Server {
	t.Helper()
	gcs, err := fakestorage.NewServerWithOptions(fakestorage.Options{Scheme: "http", Host: "127.0.0.1"})
	require.NoError(t, err)
	t.Cleanup(gcs.Stop)
	gcs.CreateBucketWithOpts(fakestorage.CreateBucketOpts{Name: "pruner-state"})
	return gcs
}

// appendKeyLine adds a line to a project's ssh-keys in the fake, as
// gcloud compute ssh would.
func appendKeyLine(t *testing.T, f *gcpfake.Fake, project, line string) {
	t.Helper()
	items, _, ok := f.ProjectMetadata(project)
	require.True(t, ok, project)
	for i, it := range items {
		if it.Key == "ssh-keys" {
			v := *it.Value + "\n" + line
			items[i].Value = &v
		}
	}
	f.SetProjectMetadata(project, items)
}
