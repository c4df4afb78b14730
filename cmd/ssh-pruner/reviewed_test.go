package main

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/ssh-pruner/ssh-pruner/gcp/gcpfake"
	"github.com/ssh-pruner/ssh-pruner/pruner"
	"github.com/ssh-pruner/ssh-pruner/pruner/plan"
	"github.com/ssh-pruner/ssh-pruner/pruner/report"
)

// TestReviewedPlan: a dry run writes its plan; apply writes exactly that
// plan, through Google's clients; a target that changed meanwhile is
// stale and left alone; the plan holds no key blob and no other item.
func TestReviewedPlan(t *testing.T) {
	clearEnv(t)
	f, url := demoFake(t)
	planPath := filepath.Join(t.TempDir(), "plan.json")
	_, errOut, code := cli(t, context.Background(), nil, runArgs(url, "--plan-out", planPath)...)
	require.Contains(t, []int{0, 3}, code, errOut)
	require.Zero(t, f.Calls(setMetadata), "making a plan writes nothing")
	data, err := os.ReadFile(planPath)
	require.NoError(t, err)
	require.NotContains(t, string(data), "AAAA", "no key blob in a plan")
	require.NotContains(t, string(data), "prometheus-node-exporter", "no value of another item (a startup script)")

	// Someone adds a key to web-prod-us after the review.
	items, _, _ := f.ProjectMetadata("web-prod-us")
	v := "zoe:ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAII/daCfIs7zq+Irwgs4Rxe1jF1Bw1oVuotWJJJg2HTv+ zoe"
	items = append(items, gcpfake.Item{Key: "extra", Value: &v})
	f.SetProjectMetadata("web-prod-us", items)

	out, errOut, code := cli(t, context.Background(), nil, "apply", "--api-endpoint", url, "--output", "json", planPath)
	require.Equal(t, 1, code, "a stale target fails the apply: %s", errOut)
	var rep report.Report
	require.NoError(t, json.Unmarshal([]byte(out), &rep))
	outcomes := map[string]report.Outcome{}
	for _, p := range rep.Projects {
		outcomes[p.Project] = p.Outcome
	}
	require.Equal(t, report.OutcomeStale, outcomes["web-prod-us"])
	require.Equal(t, report.OutcomeChanged, outcomes["web-prod-eu"])
	after, _, _ := f.ProjectMetadata("web-prod-us")
	require.Equal(t, items, after, "the stale target is left alone")

	// Applied once, the plan is stale everywhere it wrote.
	out, _, code = cli(t, context.Background(), nil, "apply", "--api-endpoint", url, "--output", "json", planPath)
	require.Equal(t, 1, code)
	require.NoError(t, json.Unmarshal([]byte(out), &rep))
	require.Zero(t, rep.Totals.Changed+rep.Totals.Instances.Changed, "nothing written twice")
}

func TestReviewedPlanRefused(t *testing.T) {
	clearEnv(t)
	f, url := demoFake(t)
	dir := t.TempDir()
	planPath := filepath.Join(dir, "plan.json")
	_, errOut, code := cli(t, context.Background(), nil, runArgs(url, "--plan-out", planPath)...)
	require.Contains(t, []int{0, 3}, code, errOut)
	var pf planFile
	data, err := os.ReadFile(planPath)
	require.NoError(t, err)
	require.NoError(t, json.Unmarshal(data, &pf))

	write := func(name string, edit func(*planFile)) string {
		p := pf
		edit(&p)
		b, err := json.Marshal(p)
		require.NoError(t, err)
		path := filepath.Join(dir, name)
		require.NoError(t, os.WriteFile(path, b, 0o644))
		return path
	}
	raw := func(name, body string) string {
		path := filepath.Join(dir, name)
		require.NoError(t, os.WriteFile(path, []byte(body), 0o644))
		return path
	}
	valid := string(data)
	for _, tc := range []struct{ path, want string }{
		{write("old.json", func(p *planFile) { p.CreatedAt = time.Now().Add(-25 * time.Hour) }), "past --max-plan-age"},
		{write("future.json", func(p *planFile) { p.CreatedAt = time.Now().Add(time.Hour) }), "in the future"},
		{write("other.json", func(p *planFile) { p.Version = "v0.0.0-other" }), "made by ssh-pruner v0.0.0-other"},
		{write("not.json", func(p *planFile) { p.Kind = "report" }), `kind "report": not a plan`},
		{write("hostile.json", func(p *planFile) { p.Kind = "\x1b]0;pwned\a" }), `kind "\x1b]0;pwned\a"`},
		{write("bad-regex.json", func(p *planFile) { p.Policy.GoogleManagedUsers = []string{"("} }), "policy: "},
		{write("no-project.json", func(p *planFile) { p.Targets = append(p.Targets, pruner.ReviewedTarget{}) }), "want a project"},
		{write("bad-action.json", func(p *planFile) {
			p.Targets = append(p.Targets, pruner.ReviewedTarget{Target: plan.Target{Project: "web-prod-eu"}, Decisions: []plan.Decision{{Action: "grant"}}})
		}), `action "grant"`},
		{write("hostile-user.json", func(p *planFile) {
			p.Targets = append(p.Targets, pruner.ReviewedTarget{Target: plan.Target{Project: "web-prod-eu"},
				Decisions: []plan.Decision{{Action: plan.ActionRemove, MetadataKey: "ssh-keys", Username: "\x1b]8;;http://evil\a"}}})
		}), `username "\x1b]8;;http://evil\a": not as ssh-pruner writes it`},
		{write("hostile-added-by.json", func(p *planFile) {
			p.Targets = append(p.Targets, pruner.ReviewedTarget{Target: plan.Target{Project: "web-prod-eu"},
				Decisions: []plan.Decision{{Action: plan.ActionKeep, MetadataKey: "ssh-keys",
					Added: plan.Added{Attribution: "window", AddedBy: "\x1b[2J\x1b[Hroot@example.com"}}}})
		}), `addedBy "\x1b[2J\x1b[Hroot@example.com": not as ssh-pruner writes it`},
		{write("bad-added-at.json", func(p *planFile) {
			p.Targets = append(p.Targets, pruner.ReviewedTarget{Target: plan.Target{Project: "web-prod-eu"},
				Decisions: []plan.Decision{{Action: plan.ActionKeep, MetadataKey: "ssh-keys", Added: plan.Added{AddedAt: "yesterday"}}}})
		}), `addedAt "yesterday": not a time`},
		{write("huge-field.json", func(p *planFile) {
			p.Targets = append(p.Targets, pruner.ReviewedTarget{Target: plan.Target{Project: "web-prod-eu"},
				Decisions: []plan.Decision{{Action: plan.ActionRemove, MetadataKey: strings.Repeat("k", 100000)}}})
		}), `metadataKey "kkkk`},
		{write("bad-fingerprint.json", func(p *planFile) {
			p.Targets = append(p.Targets, pruner.ReviewedTarget{Target: plan.Target{Project: "web-prod-eu"},
				Decisions: []plan.Decision{{Action: plan.ActionRemove, MetadataKey: "ssh-keys", Fingerprint: "MD5:aa"}}})
		}), `fingerprint "MD5:aa"`},
		{write("first-seen-after-clock.json", func(p *planFile) {
			p.Targets = append(p.Targets, pruner.ReviewedTarget{Target: plan.Target{Project: "web-prod-eu"},
				Decisions: []plan.Decision{{Action: plan.ActionKeep, MetadataKey: "ssh-keys", Reason: "grace", FirstSeen: "2030-01-01T00:00:00Z"}}})
		}), "after the plan's clock"},
		{write("twice.json", func(p *planFile) {
			p.Targets = append(p.Targets[:len(p.Targets):len(p.Targets)], p.Targets[0])
		}), "is named again (first at targets[0])"},
		{raw("garbage.json", "hello\n"), "not a plan of ssh-pruner run --plan-out"},
		{raw("truncated.json", valid[:len(valid)/2]), "not a plan of ssh-pruner run --plan-out"},
		{raw("unknown-field.json", strings.Replace(valid, `"kind"`, `"extra": 1, "kind"`, 1)), `unknown field "extra"`},
		{raw("two.json", valid+valid), "data after its end"},
		{raw("report.json", `{"runId":"x","dryRun":true,"projects":[]}`), "not a plan"},
		{filepath.Join(dir, "missing.json"), "no such file"},
	} {
		t.Run(filepath.Base(tc.path), func(t *testing.T) {
			_, errOut, code := cli(t, context.Background(), nil, "apply", "--api-endpoint", url, tc.path)
			require.Equal(t, 2, code, errOut)
			require.Contains(t, errOut, tc.want)
			require.Contains(t, errOut, tc.path, "the error names the plan")
			requireCleanLine(t, errOut)
		})
	}
	require.Zero(t, f.Calls(setMetadata)+f.Calls(setInstanceMetadata), "a refused plan writes nothing")
	_, errOut, code = cli(t, context.Background(), nil, runArgs(url, "--apply", "--plan-out", planPath)...)
	require.Equal(t, 2, code)
	require.True(t, strings.Contains(errOut, "--plan-out"), errOut)
}

// TestReviewedPlanWithGrace: a plan made with a grace carries the
// first-seen times it was made with, and apply plans again with them: the
// keys past their grace go, the key still in its grace stays, and nothing
// is stale.
func TestReviewedPlanWithGrace(t *testing.T) {
	clearEnv(t)
	f, url := demoFake(t)
	dir := t.TempDir()
	state, planPath := filepath.Join(dir, "state")+"/", filepath.Join(dir, "plan.json")
	grace := func(now string, extra ...string) []string {
		return append(runArgs(url, "--now", now, "--grace", "24h", "--state", state), extra...)
	}
	_, errOut, code := cli(t, context.Background(), nil, grace(demoNow)...)
	require.Equal(t, 0, code, errOut)

	// Twelve hours later someone adds a key without expiry, and a run sees it.
	zed := "zed:ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIGYGcInSdADTXpwaAMHqH8eYZtTqY9yJ0CBc8KUFQ1QA zed@laptop"
	appendKeyLine(t, f, "web-prod-eu", zed)
	_, errOut, code = cli(t, context.Background(), nil, grace("2026-11-24T00:00:00Z")...)
	require.Equal(t, 0, code, errOut)

	// A day after the first run, the plan: bob's key (first seen then)
	// goes, zed's stays until 2026-11-25T00:00:00Z.
	_, errOut, code = cli(t, context.Background(), nil, grace("2026-11-24T12:00:01Z", "--plan-out", planPath)...)
	require.Equal(t, 0, code, errOut)
	data, err := os.ReadFile(planPath)
	require.NoError(t, err)
	require.Contains(t, string(data), `"grace": "24h0m0s"`)
	require.Contains(t, string(data), `"graceEnds": "2026-11-25T00:00:00Z"`)

	out, errOut, code := cli(t, context.Background(), nil, "apply", "--api-endpoint", url, "--output", "json", planPath)
	require.Equal(t, 0, code, "nothing stale: %s", errOut)
	var rep report.Report
	require.NoError(t, json.Unmarshal([]byte(out), &rep))
	require.Zero(t, rep.Totals.Stale+rep.Totals.Instances.Stale)
	after, _, _ := f.ProjectMetadata("web-prod-eu")
	v, _ := itemValue(after, "ssh-keys")
	require.Contains(t, v, zed, "still in its grace")
	require.NotContains(t, v, "bob:", "past its grace")
}

// TestPlanShow: --plan-out says where the plan went; 'plan show' renders
// it as the dry run showed it: every removal line of the dry run's text
// is in it, under what the plan was made with; it connects to nothing.
func TestPlanShow(t *testing.T) {
	clearEnv(t)
	f, url := demoFake(t)
	planPath := filepath.Join(t.TempDir(), "plan.json")
	dry, errOut, code := cli(t, context.Background(), nil, runArgs(url, "--plan-out", planPath)...)
	require.Equal(t, 0, code, errOut)
	require.Contains(t, errOut, "plan of 13 targets to change written to "+planPath)
	require.Contains(t, errOut, "'ssh-pruner apply "+planPath+"'")
	calls := f.CallCounts()

	out, errOut, code := cli(t, context.Background(), nil, "plan", "show", planPath)
	require.Equal(t, 0, code, errOut)
	require.Equal(t, calls, f.CallCounts(), "plan show connects to nothing")
	require.Contains(t, out, "from run test-run, at its clock "+demoNow)
	var removals int
	for _, line := range strings.Split(dry, "\n") {
		if strings.HasPrefix(strings.TrimSpace(line), "remove ") || strings.HasPrefix(strings.TrimSpace(line), "move ") {
			require.Contains(t, out, strings.TrimSpace(line), "the dry run's line is in the plan shown")
			removals++
		}
	}
	require.Positive(t, removals)
	require.Contains(t, out, "would change (6 to remove, 0 to move")

	_, errOut, code = cli(t, context.Background(), nil, "plan", "show", filepath.Join(t.TempDir(), "missing.json"))
	require.Equal(t, 2, code, errOut)
	requireCleanLine(t, errOut)
}
