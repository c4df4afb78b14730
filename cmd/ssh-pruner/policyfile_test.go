package main

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/ssh-pruner/ssh-pruner/pruner/plan"
	"github.com/ssh-pruner/ssh-pruner/pruner/report"
)

func TestPolicyFileErrorsNameFileLineAndField(t *testing.T) {
	clearEnv(t)
	for _, tc := range []struct{ name, body, want string }{
		{"unknown field", "googleManagedUsers: [x]\npolcy: 1\n", "p.yaml: line 2: field polcy not found"},
		{"bad regex", "googleManagedUsers:\n  - '^ok$'\n  - '('\n", "p.yaml:3: googleManagedUsers[1]: error parsing regexp"},
		{"bad duration", "maxKeyLifetime: forever\n", `p.yaml:1: maxKeyLifetime: "forever"`},
		{"bad percent", "limits:\n  perTarget: 150%\n", "p.yaml:2: limits.perTarget"},
		{"bad grace", "instances: true\ngrace: a day\n", `p.yaml:2: grace: "a day"`},
		{"negative grace", "grace: -1h\n", `p.yaml:1: grace: "-1h0m0s": want 0 (none) or more`},
		{"bad level", "protected:\n  - username: x\n    level: vm\n", `p.yaml:3: protected[0].level: "vm"`},
		{"rule matching nothing", "protected:\n  - name: empty\n", "p.yaml:2: protected[0]: give username, googleUserName or fingerprint"},
		{"bad fingerprint", "protected:\n  - fingerprint: MD5:aa\n", "p.yaml:2: protected[0].fingerprint"},
		{"bad label", "exclude:\n  labels: [nolabel]\n", "p.yaml:2: exclude.labels[0]: "},
		{"not YAML", "protected: [\n", "p.yaml: yaml:"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "p.yaml")
			require.NoError(t, os.WriteFile(path, []byte(tc.body), 0o644))
			for _, args := range [][]string{{"policy", "check", path}, {"run", "--project", "p", "--api-endpoint", "http://127.0.0.1:1", "--policy", path}} {
				out, errOut, code := cli(t, context.Background(), nil, args...)
				require.Equal(t, 2, code, errOut)
				require.Contains(t, errOut, tc.want)
				require.Equal(t, 1, strings.Count(errOut, "\n"), "one line: %q", errOut)
				require.Empty(t, out)
			}
		})
	}
}

func TestPolicyCheckPrintsTheExample(t *testing.T) {
	clearEnv(t)
	out, errOut, code := cli(t, context.Background(), nil, "policy", "check", "../../testdata/policy-example.yaml")
	require.Equal(t, 0, code, errOut)
	require.Contains(t, out, "name: airflow-ssh-hook")
	require.Contains(t, out, "maxKeyLifetime: 720h0m0s")
	require.Contains(t, out, "grace: 24h0m0s")

	// The CronJob's own policy (deploy/base) is valid too.
	out, errOut, code = cli(t, context.Background(), nil, "policy", "check", "../../deploy/base/policy.yaml")
	require.Equal(t, 0, code, errOut)
	require.Contains(t, out, "name: airflow-ssh-hook")
	require.Contains(t, out, "grace: 24h0m0s")

	// A grace from the file needs a state, as the flag does.
	_, errOut, code = cli(t, context.Background(), nil, "run", "--project", "p", "--api-endpoint", "http://127.0.0.1:1", "--policy", "../../testdata/policy-example.yaml")
	require.Equal(t, 2, code, errOut)
	require.Contains(t, errOut, "grace 24h0m0s (--grace, or grace: of --policy) needs --state")
}

// TestRunWithPolicyFile: the file's protected keys are kept and its
// settings apply, flags override it.
func TestRunWithPolicyFile(t *testing.T) {
	clearEnv(t)
	_, url := demoFake(t)
	path := filepath.Join(t.TempDir(), "p.yaml")
	require.NoError(t, os.WriteFile(path, []byte(`
exclude:
  projects: [api-prod-7f3a]
protected:
  - name: bob-for-now
    username: '^bob$'
    reportOnly: true
  - name: airflow
    username: '^airflow$'
    level: instance
`), 0o644))
	out, errOut, code := cli(t, context.Background(), nil, runArgs(url, "--policy", path, "--output", "json")...)
	require.Contains(t, []int{0, 3}, code, errOut)
	var rep report.Report
	require.NoError(t, json.Unmarshal([]byte(out), &rep))
	rules := map[string]string{}
	for _, p := range rep.Projects {
		if p.Project == "api-prod-7f3a" {
			require.Equal(t, report.SkipExcluded, p.Reason, "exclude.projects applies")
		}
		for _, tr := range append([]report.TargetReport{p.TargetReport}, p.Instances...) {
			for _, d := range tr.Decisions {
				if d.Rule != "" {
					rules[d.Username] = d.Reason + " " + d.Rule
					require.Equal(t, plan.ActionKeep, d.Action)
				}
			}
			if tr.Instance == "airflow-worker-1" {
				require.Equal(t, report.OutcomeUnchanged, tr.Outcome, "the airflow key is protected")
			}
		}
	}
	require.Equal(t, "report-only bob-for-now", rules["bob"])
	require.Contains(t, errOut, `"rule":"airflow"`, "protected keys are logged at info with their rule")

	// A flag overrides the file.
	out, _, _ = cli(t, context.Background(), nil, runArgs(url, "--policy", path, "--output", "json", "--exclude-project", "hr-payroll")...)
	require.NoError(t, json.Unmarshal([]byte(out), &rep))
	for _, p := range rep.Projects {
		if p.Project == "api-prod-7f3a" {
			require.NotEqual(t, report.SkipExcluded, p.Reason, "--exclude-project replaced the file's list")
		}
	}
}

// TestPolicyCheckOutputLoadsAgain: policy check FILE > out.yaml && policy
// check out.yaml succeeds and prints the same, limits as a number and as
// a share; a file of two YAML documents is refused with the line of the
// second.
func TestPolicyCheckOutputLoadsAgain(t *testing.T) {
	clearEnv(t)
	dir := t.TempDir()
	for name, in := range map[string]string{
		"example": "../../testdata/policy-example.yaml",
		"deploy":  "../../deploy/base/policy.yaml",
	} {
		t.Run(name, func(t *testing.T) {
			first, errOut, code := cli(t, context.Background(), nil, "policy", "check", in)
			require.Equal(t, 0, code, errOut)
			out := filepath.Join(dir, name+".yaml")
			require.NoError(t, os.WriteFile(out, []byte(first), 0o644))
			second, errOut, code := cli(t, context.Background(), nil, "policy", "check", out)
			require.Equal(t, 0, code, errOut)
			require.Equal(t, first, second)
			require.Contains(t, first, "perRun: 1000", "a number, not a string")
		})
	}
	share := filepath.Join(dir, "share.yaml")
	require.NoError(t, os.WriteFile(share, []byte("limits: {perTarget: 80%}\n"), 0o644))
	first, errOut, code := cli(t, context.Background(), nil, "policy", "check", share)
	require.Equal(t, 0, code, errOut)
	require.Contains(t, first, "perTarget: 80%")
	out := filepath.Join(dir, "share-out.yaml")
	require.NoError(t, os.WriteFile(out, []byte(first), 0o644))
	second, _, code := cli(t, context.Background(), nil, "policy", "check", out)
	require.Equal(t, 0, code)
	require.Equal(t, first, second)

	two := filepath.Join(dir, "two.yaml")
	require.NoError(t, os.WriteFile(two, []byte("grace: 1h\n---\ngrace: 2h\n"), 0o644))
	for _, args := range [][]string{{"policy", "check", two}, {"run", "--project", "p", "--api-endpoint", "http://127.0.0.1:1", "--policy", two}} {
		_, errOut, code = cli(t, context.Background(), nil, args...)
		require.Equal(t, 2, code)
		require.Contains(t, errOut, "two.yaml:2: a second YAML document")
		require.Equal(t, 1, strings.Count(errOut, "\n"))
	}
}
