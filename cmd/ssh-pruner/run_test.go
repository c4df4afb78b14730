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
	"github.com/ssh-pruner/ssh-pruner/keyparse"
	"github.com/ssh-pruner/ssh-pruner/pruner/plan"
	"github.com/ssh-pruner/ssh-pruner/pruner/policy"
	"github.com/ssh-pruner/ssh-pruner/pruner/report"
)

const setMetadata = "compute.projects.setCommonInstanceMetadata"

func runArgs(endpoint string, extra ...string) []string {
	return append([]string{"run", "--organization", demoOrg, "--api-endpoint", endpoint,
		"--now", demoNow, "--run-id", "test-run", "--qps", "0"}, extra...)
}

func TestRunDryRunWritesNothing(t *testing.T) {
	clearEnv(t)
	f, url := demoFake(t)
	before := takeSnapshot(t, f)

	out, errOut, code := cli(t, context.Background(), nil, runArgs(url)...)
	require.Equal(t, 0, code, errOut)
	require.Zero(t, f.Calls(setMetadata), "a dry run never writes")
	require.Empty(t, changedProjects(before, takeSnapshot(t, f)))
	golden(t, "run-dry.txt", out)

	// The log has one entry per key that would go, none with key material.
	removed := 0
	for _, line := range jsonLines(errOut) {
		var e map[string]any
		require.NoError(t, json.Unmarshal([]byte(line), &e), line)
		require.NotContains(t, line, "AAAA", "no key blob in logs")
		require.Contains(t, e, "severity")
		require.Contains(t, e, "message")
		if e["message"] == "key would be removed" {
			removed++
			for _, k := range []string{"project", "metadataKey", "action", "reason", "username", "keyType", "fingerprint", "dryRun", "runId"} {
				require.Contains(t, e, k, line)
			}
			require.Equal(t, true, e["dryRun"])
			require.Equal(t, "test-run", e["runId"])
		}
	}
	require.Positive(t, removed)
}

func TestRunApplyPrunesAndConverges(t *testing.T) {
	clearEnv(t)
	f, url := demoFake(t)
	before := takeSnapshot(t, f)
	now := mustTime(t, demoNow)

	out, errOut, code := cli(t, context.Background(), nil, runArgs(url, "--apply", "--output", "json")...)
	require.Equal(t, 0, code, errOut)
	var rep report.Report
	require.NoError(t, json.Unmarshal([]byte(out), &rep))
	require.False(t, rep.DryRun)
	require.Positive(t, rep.Totals.Changed)
	require.Zero(t, rep.Totals.Failed)

	after := takeSnapshot(t, f)
	changed := changedProjects(before, after)
	require.Len(t, changed, rep.Totals.Changed, "only projects reported changed were written")
	require.Equal(t, rep.Totals.Changed, f.Calls(setMetadata), "one write per changed project")
	for _, p := range rep.Projects {
		if p.Outcome == report.OutcomeChanged || p.Outcome == report.OutcomeUnchanged {
			requirePruned(t, p.Project, before[p.Project], after[p.Project], now)
		}
	}

	// A second apply finds nothing to do and writes nothing.
	writes := f.Calls(setMetadata)
	out, errOut, code = cli(t, context.Background(), nil, runArgs(url, "--apply")...)
	require.Equal(t, 0, code, errOut)
	require.Equal(t, writes, f.Calls(setMetadata), "second apply must not write")
	require.Empty(t, changedProjects(after, takeSnapshot(t, f)))
	require.Contains(t, out, " 0 changed,")
}

func TestRunSkipsWhatItMayNotTouch(t *testing.T) {
	clearEnv(t)
	_, url := demoFake(t)
	out, errOut, code := cli(t, context.Background(), nil, runArgs(url, "--output", "json")...)
	require.Equal(t, 0, code, errOut)
	var rep report.Report
	require.NoError(t, json.Unmarshal([]byte(out), &rep))
	got := map[string]string{}
	for _, p := range rep.Projects {
		if p.Outcome == report.OutcomeSkipped {
			got[p.Project] = p.Reason
		}
	}
	require.Equal(t, map[string]string{
		"hr-payroll":      "forbidden",
		"ml-staging-58b1": "compute-disabled",
		"legacy-crm-0417": "state:DELETE_REQUESTED",
	}, got)
	require.Equal(t, []report.FolderReport{{Folder: "folders/529384716620", Reason: "forbidden"}}, rep.Folders,
		"a folder that may not be listed is a gap of its own, not a project")
	for _, name := range []string{"hr-payroll", "ml-staging-58b1", "legacy-crm-0417"} {
		require.Contains(t, errOut, `"project":"`+name+`"`, "each skip is logged")
	}
}

func TestRunConcurrentWriterIsNeverOverwritten(t *testing.T) {
	clearEnv(t)
	f, url := demoFake(t)
	const project = "web-prod-eu"
	added := "zoe:ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIMX9vNaxIhUwbcmHLa0MxRdhuSO9Y3JkkOW5pLwaTdVo google-ssh {\"userName\":\"zoe@example.com\",\"expireOn\":\"2026-12-24T10:00:00+0000\"}"
	f.OnMetadataReadBeforeWrite(project, func(f *gcpfake.Fake) {
		items, _, _ := f.ProjectMetadata(project)
		for i, it := range items {
			if it.Key == "ssh-keys" {
				v := *it.Value + "\n" + added
				items[i].Value = &v
			}
		}
		f.SetProjectMetadata(project, items)
	})

	out, errOut, code := cli(t, context.Background(), nil, runArgs(url, "--apply", "--project", project, "--output", "json")...)
	require.Equal(t, 0, code, errOut)
	var rep report.Report
	require.NoError(t, json.Unmarshal([]byte(out), &rep))
	var pr report.ProjectReport
	for _, p := range rep.Projects {
		if p.Project == project {
			pr = p
		}
	}
	require.Equal(t, report.OutcomeChanged, pr.Outcome)
	require.Equal(t, 2, pr.Attempts, "the conflict makes it read and plan again")

	items, _, _ := f.ProjectMetadata(project)
	v, _ := itemValue(items, "ssh-keys")
	require.Contains(t, strings.Split(v, "\n"), added, "the other writer's key survives")
	require.NotContains(t, v, "bob:", "the pruned keys are gone")
	require.NotContains(t, v, "carol:")
}

func TestRunFaultsDoNotChangeTheOutcome(t *testing.T) {
	clearEnv(t)
	clean, cleanURL := demoFake(t)
	_, _, code := cli(t, context.Background(), nil, runArgs(cleanURL, "--apply")...)
	require.Equal(t, 0, code)

	faulty, faultyURL := demoFake(t)
	faulty.SetRandSeed(7)
	faulty.SetFaults("", "", gcpfake.Fault{ErrorRates: map[int]float64{429: 0.05, 503: 0.05}})
	_, errOut, code := cli(t, context.Background(), nil, runArgs(faultyURL, "--apply")...)
	require.Equal(t, 0, code, errOut)
	require.Equal(t, takeSnapshot(t, clean), takeSnapshot(t, faulty))
}

func TestRunFailingOperationFailsTheRun(t *testing.T) {
	clearEnv(t)
	f, url := demoFake(t)
	f.SetFaults(setMetadata, "web-prod-us", gcpfake.Fault{FailOperations: true})
	before := takeSnapshot(t, f)
	out, errOut, code := cli(t, context.Background(), nil, runArgs(url, "--apply", "--output", "json")...)
	require.Equal(t, 1, code, errOut)
	var rep report.Report
	require.NoError(t, json.Unmarshal([]byte(out), &rep))
	require.Equal(t, 1, rep.Totals.Failed)
	require.Positive(t, rep.Totals.Changed, "the other projects go on")
	removed := 0
	for _, p := range rep.Projects {
		switch p.Outcome {
		case report.OutcomeFailed:
			require.Equal(t, "web-prod-us", p.Project)
			require.NotEmpty(t, p.Decisions, "the report shows what the failed write tried")
		case report.OutcomeChanged:
			removed += p.Removed
		}
		for _, in := range p.Instances {
			if in.Outcome == report.OutcomeChanged {
				removed += in.Removed
			}
		}
	}
	require.Equal(t, removed, rep.Totals.KeysRemoved, "the totals count only what was done")
	after := takeSnapshot(t, f)
	require.Equal(t, before["web-prod-us"], after["web-prod-us"], "a failed operation changes nothing")
}

func TestRunExitCodesAndReport(t *testing.T) {
	clearEnv(t)
	_, url := demoFake(t)
	reportPath := filepath.Join(t.TempDir(), "report.json")

	_, errOut, code := cli(t, context.Background(), nil, runArgs(url, "--exit-code-on-changes", "--report", reportPath)...)
	require.Equal(t, 3, code, "a dry run that finds changes exits 3 when asked: %s", errOut)
	data, err := os.ReadFile(reportPath)
	require.NoError(t, err)
	var rep report.Report
	require.NoError(t, json.Unmarshal(data, &rep))
	require.True(t, rep.DryRun)
	require.Positive(t, rep.Totals.WouldChange)

	cases := []struct {
		name string
		args []string
		want string
	}{
		{"no scope", []string{"run"}, "no scope"},
		{"bad output", runArgs(url, "--output", "yaml"), `--output "yaml"`},
		{"bad concurrency", runArgs(url, "--concurrency", "0"), "--concurrency 0"},
		{"bad pattern", runArgs(url, "--google-managed-user", "("), "--google-managed-user"},
		{"bad now", runArgs(url, "--now", "soon"), `--now "soon"`},
		{"now against Google", []string{"run", "--project", "p", "--now", demoNow}, "--now is for runs against a fake"},
		{"unknown flag", []string{"run", "--organisation", "1"}, "flag provided but not defined"},
		{"stray argument", runArgs(url, "extra"), `unexpected argument "extra"`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, errOut, code := cli(t, context.Background(), nil, tc.args...)
			require.Equal(t, 2, code)
			require.Contains(t, errOut, tc.want)
		})
	}
}

func TestRunScopeFromEnvironment(t *testing.T) {
	clearEnv(t)
	f, url := demoFake(t)
	t.Setenv("SSH_PRUNER_API_ENDPOINT", url)
	t.Setenv("SSH_PRUNER_PROJECT", "web-prod-eu,web-prod-us")
	t.Setenv("SSH_PRUNER_APPLY", "true")
	out, errOut, code := cli(t, context.Background(), nil, "run", "--output", "json", "--project", "api-prod-7f3a", "--now", demoNow)
	require.Equal(t, 0, code, errOut)
	var rep report.Report
	require.NoError(t, json.Unmarshal([]byte(out), &rep))
	require.False(t, rep.DryRun, "SSH_PRUNER_APPLY applies")
	require.Len(t, rep.Projects, 1, "the flag wins over the environment")
	require.Equal(t, "api-prod-7f3a", rep.Projects[0].Project)
	require.Zero(t, f.Calls("cloudresourcemanager.folders.list"), "explicit projects need no walk")
}

// TestRunInterruptedLetsTheWriteFinish plays SIGINT in the middle of a
// write: the signal's context is cancelled by the fake while it receives
// the write. The write and its operation must finish, no project may start
// after it, and the run must report the interruption and exit 1.
func TestRunInterruptedLetsTheWriteFinish(t *testing.T) {
	clearEnv(t)
	f, url := demoFake(t)
	const first = "api-prod-7f3a" // the first project to write, walking breadth first
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	f.OnMetadataReadBeforeWrite(first, func(*gcpfake.Fake) { cancel() })
	f.SetFaults("", first, gcpfake.Fault{OperationPolls: 2})
	before := takeSnapshot(t, f)

	out, errOut, code := cli(t, ctx, nil, runArgs(url, "--apply", "--concurrency", "1", "--output", "json")...)
	require.Equal(t, 1, code, errOut)
	var rep report.Report
	require.NoError(t, json.Unmarshal([]byte(out), &rep))
	require.True(t, rep.Interrupted)
	require.Positive(t, rep.Totals.NotStarted, "no project starts after the signal")
	notStarted := 0
	for _, p := range rep.Projects {
		if p.Outcome == report.OutcomeNotStarted {
			notStarted++
		}
	}
	require.Equal(t, rep.Totals.NotStarted, notStarted, "the report names every project left out")
	require.Equal(t, 1, rep.Totals.Changed)
	require.Equal(t, []string{first}, changedProjects(before, takeSnapshot(t, f)), "the write under way finished, and only it")
	require.Equal(t, 1, f.Calls(setMetadata))
	require.GreaterOrEqual(t, f.Calls("compute.globalOperations.wait"), 2, "its operation was waited for")
	require.Contains(t, errOut, `"message":"run finished"`)
}

// TestHiddenFlagsIgnoreTheEnvironment: a leftover SSH_PRUNER_NOW must not
// move the clock of a real run.
func TestHiddenFlagsIgnoreTheEnvironment(t *testing.T) {
	clearEnv(t)
	_, url := demoFake(t)
	// A date the real clock can never show again: the test holds in any year.
	t.Setenv("SSH_PRUNER_NOW", "2001-01-01T00:00:00Z")
	out, errOut, code := cli(t, context.Background(), nil, "run", "--project", "web-prod-eu", "--api-endpoint", url, "--output", "json")
	require.Contains(t, []int{0, 3}, code, errOut)
	var rep report.Report
	require.NoError(t, json.Unmarshal([]byte(out), &rep))
	require.NotEqual(t, 2001, rep.Now.Year(), "the environment cannot set a hidden flag")
}

// TestRunNamedProjectThatCannotBeRead: a project named with --project that
// Resource Manager does not give (a typo, or no access) fails the run,
// unlike a forbidden sub-folder met while walking, which is a reported gap.
func TestRunNamedProjectThatCannotBeRead(t *testing.T) {
	clearEnv(t)
	_, url := demoFake(t)
	out, errOut, code := cli(t, context.Background(), nil, "run", "--api-endpoint", url, "--now", demoNow,
		"--project", "no-such-project", "--project", "web-prod-eu", "--output", "json")
	require.Equal(t, 1, code, errOut)
	var rep report.Report
	require.NoError(t, json.Unmarshal([]byte(out), &rep))
	require.Equal(t, 1, rep.Totals.Failed, "%+v", rep.Projects)
	require.Equal(t, "no-such-project", rep.Projects[0].Project)
	require.Equal(t, 1, rep.Totals.WouldChange, "the other project goes on")

	// Listed, but its metadata may not be read: named on purpose, it fails
	// too (a CI gate on one project must not pass for lack of access).
	out, errOut, code = cli(t, context.Background(), nil, "run", "--api-endpoint", url, "--now", demoNow,
		"--project", "hr-payroll", "--exit-code-on-changes", "--output", "json")
	require.Equal(t, 1, code, errOut)
	rep = report.Report{}
	require.NoError(t, json.Unmarshal([]byte(out), &rep))
	require.Equal(t, report.OutcomeFailed, rep.Projects[0].Outcome)
}

// TestRunInterruptedWhileListing: a signal during the walk of the
// organization still gives a report, which says so, and exit 1.
func TestRunInterruptedWhileListing(t *testing.T) {
	clearEnv(t)
	f, url := demoFake(t)
	f.SetFaults("cloudresourcemanager.folders.list", "", gcpfake.Fault{Latency: 5 * time.Second})
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	out, errOut, code := cli(t, ctx, nil, runArgs(url, "--apply", "--output", "json")...)
	require.Equal(t, 1, code, errOut)
	var rep report.Report
	require.NoError(t, json.Unmarshal([]byte(out), &rep), "a reportPath, even so")
	require.True(t, rep.Interrupted)
	require.Zero(t, f.Calls(setMetadata))
}

// TestRunMaxKeyLifetime: with --max-key-lifetime, a key that expires
// further ahead than allowed goes, one within the limit stays.
func TestRunMaxKeyLifetime(t *testing.T) {
	clearEnv(t)
	_, url := demoFake(t)
	// web-prod-us keeps erin's key (expires 2027-01-15) by default.
	out, errOut, code := cli(t, context.Background(), nil, "run", "--api-endpoint", url, "--now", demoNow,
		"--project", "web-prod-us", "--output", "json", "--max-key-lifetime", "720h")
	require.Equal(t, 0, code, errOut)
	var rep report.Report
	require.NoError(t, json.Unmarshal([]byte(out), &rep))
	reasons := map[string]string{}
	for _, d := range rep.Projects[0].Decisions {
		reasons[d.Username] = d.Reason
	}
	require.Equal(t, plan.ReasonExpiryTooFar, reasons["erin"], "53 days ahead is more than 30")

	_, errOut, code = cli(t, context.Background(), nil, "run", "--api-endpoint", url, "--project", "web-prod-us", "--max-key-lifetime", "-1h")
	require.Equal(t, 2, code)
	require.Contains(t, errOut, "--max-key-lifetime")
}

// TestRunReportFileCheckedFirst: a --report file that cannot be written is
// a usage error before anything is read or written.
func TestRunReportFileCheckedFirst(t *testing.T) {
	clearEnv(t)
	f, url := demoFake(t)
	out, errOut, code := cli(t, context.Background(), nil, runArgs(url, "--apply", "--report", filepath.Join(t.TempDir(), "missing", "r.json"))...)
	require.Equal(t, 2, code, errOut)
	require.Contains(t, errOut, "--report")
	require.Empty(t, out)
	require.Zero(t, f.Calls(setMetadata), "nothing written")
	require.Zero(t, f.Calls("compute.projects.get"), "nothing even read")
}

// TestBadInputIsAUsageError: each of these is refused in one line, exit 2,
// before any connection (the endpoint given accepts none).
func TestBadInputIsAUsageError(t *testing.T) {
	clearEnv(t)
	missing := filepath.Join(t.TempDir(), "missing", "r.json")
	dead := "http://127.0.0.1:1"
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"run", "--project", "p", "--api-endpoint", "not a url"}, `--api-endpoint "not a url"`},
		{[]string{"run", "--project", "p", "--api-endpoint", ":::"}, `--api-endpoint ":::"`},
		{[]string{"run", "--project", "p", "--api-endpoint", "http://[::1"}, `--api-endpoint "http://[::1"`},
		{[]string{"run", "--project", "p", "--api-endpoint", "ftp://host"}, "want an http:// or https:// URL"},
		{[]string{"schedule", "--cron", "@hourly", "--project", "p", "--api-endpoint", "http://"}, "no host"},
		{[]string{"run", "--project", "p", "--api-endpoint", dead, "--qps", "1e-9"}, "--qps 1e-09: want 0 (no limit) or at least 0.1"},
		{[]string{"run", "--project", "p", "--api-endpoint", dead, "--qps", "NaN"}, "--qps NaN"},
		{[]string{"run", "--project", "p", "--api-endpoint", dead, "--google-managed-user", "("}, "--google-managed-user"},
		{[]string{"demo", "--report", missing}, "--report " + missing},
		{[]string{"access", "--demo", "--qps", "1e-9"}, "--qps"},
	} {
		t.Run(strings.Join(tc.args, " "), func(t *testing.T) {
			out, errOut, code := cli(t, context.Background(), nil, tc.args...)
			require.Equal(t, 2, code, errOut)
			require.Contains(t, errOut, tc.want)
			require.Equal(t, 1, strings.Count(errOut, "\n"), "one line: %q", errOut)
			require.Empty(t, out, "nothing ran")
		})
	}
}

// TestRunLimitsHoldWhatIsPastThem: an apply that would remove more than
// the run's limit writes up to it, holds the rest, and exits 1; the flags
// are checked before anything runs.
func TestRunLimitsHoldWhatIsPastThem(t *testing.T) {
	clearEnv(t)
	f, url := demoFake(t)
	before := takeSnapshot(t, f)
	out, errOut, code := cli(t, context.Background(), nil, runArgs(url, "--apply", "--max-removals-per-run", "5", "--concurrency", "1", "--output", "json")...)
	require.Equal(t, 1, code, errOut)
	var rep report.Report
	require.NoError(t, json.Unmarshal([]byte(out), &rep))
	require.Positive(t, rep.Totals.Held+rep.Totals.Instances.Held)
	after := takeSnapshot(t, f)
	for _, p := range rep.Projects {
		if p.Outcome == report.OutcomeHeld {
			require.Equal(t, before[p.Project], after[p.Project], "held project %s is not written", p.Project)
		}
		for _, in := range p.Instances {
			if in.Outcome == report.OutcomeHeld {
				items, _, ok := f.InstanceMetadata(p.Project, in.Zone, in.Instance)
				require.True(t, ok)
				require.NotEmpty(t, in.Decisions, "a held target shows what it would have removed")
				for _, d := range in.Decisions {
					if d.Fingerprint != "" {
						require.Contains(t, lineFingerprints(items), d.Fingerprint, "held instance %s keeps its keys", in.Instance)
					}
				}
			}
		}
	}
	require.LessOrEqual(t, rep.Totals.KeysRemoved, 5)
	require.Contains(t, errOut, `"message":"target held: `)
	require.Positive(t, f.Calls(setMetadata), "what fits is written")

	for _, bad := range [][]string{{"--max-removals-per-target", "lots"}, {"--max-removals-per-target", "150%"}, {"--max-removals-per-run", "-1"}} {
		_, errOut, code := cli(t, context.Background(), nil, runArgs(url, bad...)...)
		require.Equal(t, 2, code, errOut)
		require.Contains(t, errOut, bad[0])
	}
}

// TestRunOptOuts: folders (sub-folders included) and labels leave their
// projects and VMs alone, through Google's clients; every skip says why.
func TestRunOptOuts(t *testing.T) {
	clearEnv(t)
	_, url := demoFake(t)
	out, errOut, code := cli(t, context.Background(), nil, runArgs(url, "--output", "json",
		"--exclude-folder", "172058339406", "--exclude-label", "app=airflow")...)
	require.Contains(t, []int{0, 3}, code, errOut)
	var rep report.Report
	require.NoError(t, json.Unmarshal([]byte(out), &rep))
	reasons := map[string]string{}
	for _, p := range rep.Projects {
		reasons[p.Project] = p.Reason
		for _, in := range p.Instances {
			if in.Outcome == report.OutcomeSkipped {
				reasons[in.Instance] = in.Reason
			}
		}
	}
	// folders/172058339406 (web) holds web-prod-us, and web-prod-eu in its sub-folder eu.
	require.Equal(t, "excluded-folder:folders/172058339406", reasons["web-prod-eu"])
	require.Equal(t, "excluded-folder:folders/172058339406", reasons["web-prod-us"])
	require.Equal(t, "excluded-label:app=airflow", reasons["airflow-worker-1"])
	require.Empty(t, reasons["api-prod-7f3a"])

	out, errOut, code = cli(t, context.Background(), nil, runArgs(url, "--output", "json", "--only-label", "env=prod")...)
	require.Contains(t, []int{0, 3}, code, errOut)
	require.NoError(t, json.Unmarshal([]byte(out), &rep))
	for _, p := range rep.Projects {
		switch p.Project {
		case "data-staging-41c2":
			require.Equal(t, policy.SkipNotOptedIn, p.Reason)
		case "api-prod-7f3a":
			require.NotEqual(t, report.OutcomeSkipped, p.Outcome, "labelled env=prod: opted in")
		}
	}

	_, errOut, code = cli(t, context.Background(), nil, runArgs(url, "--exclude-label", "nolabel")...)
	require.Equal(t, 2, code)
	require.Contains(t, errOut, "--exclude-label")
}

// lineFingerprints are the fingerprints of the key lines of both key items.
func lineFingerprints(items []gcpfake.Item) []string {
	var out []string
	for _, key := range []string{"ssh-keys", "sshKeys"} {
		v, _ := itemValue(items, key)
		for _, l := range keyparse.Parse(v) {
			if l.Fingerprint != "" {
				out = append(out, l.Fingerprint)
			}
		}
	}
	return out
}

// TestTypoedExclusionsStopTheRun: an excluded project or folder that does
// not exist (or may not be read) stops the run, dry or not, before any
// write: one line naming it, exit 2; so does one in a policy file.
func TestTypoedExclusionsStopTheRun(t *testing.T) {
	clearEnv(t)
	f, url := demoFake(t)
	policy := filepath.Join(t.TempDir(), "p.yaml")
	require.NoError(t, os.WriteFile(policy, []byte("exclude:\n  projects: [web-prod-ue]\n"), 0o644))
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--exclude-project", "web-prod-ue"}, "project web-prod-ue: get project web-prod-ue: "},
		{[]string{"--exclude-folder", "17205833940"}, "folder 17205833940: get folders/17205833940: "},
		{[]string{"--policy", policy}, "project web-prod-ue: "},
		{[]string{"--exclude-project", "web-prod-eu", "--exclude-project", "nope\x1b[2J"}, `project nope\x1b[2J: `},
	} {
		for _, apply := range []bool{false, true} {
			args := runArgs(url, tc.args...)
			if apply {
				args = append(args, "--apply")
			}
			_, errOut, code := cli(t, context.Background(), nil, args...)
			require.Equal(t, 2, code, errOut)
			require.Contains(t, errOut, "that name nothing readable, so nothing was written")
			require.Contains(t, errOut, tc.want)
			requireCleanLine(t, errOut)
		}
	}
	require.Zero(t, f.Calls(setMetadata)+f.Calls(setInstanceMetadata), "nothing written")
	require.Zero(t, f.Calls("compute.projects.get"), "nothing read either")

	_, errOut, code := cli(t, context.Background(), nil, "access", "--organization", demoOrg, "--api-endpoint", url, "--exclude-project", "web-prod-ue")
	require.Equal(t, 2, code, errOut)
	require.Contains(t, errOut, "project web-prod-ue: ")

	_, errOut, code = cli(t, context.Background(), nil, runArgs(url, "--exclude-project", "web-prod-eu", "--exclude-folder", "172058339406")...)
	require.Contains(t, []int{0, 1, 3}, code, "exclusions that exist run: %s", errOut)
}
