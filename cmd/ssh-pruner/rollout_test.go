package main

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestRolloutPlansGolden: the dry-run plans of the rollout guardrails, as
// a reviewer reads them, against the demo organization through Google's
// clients (go test ./cmd/ssh-pruner -run TestRolloutPlansGolden -update):
// protected keys, held targets, opt-in and opt-out, and the grace before
// and after its end. None writes metadata.
func TestRolloutPlansGolden(t *testing.T) {
	clearEnv(t)
	dir := t.TempDir()
	policy := filepath.Join(dir, "policy.yaml")
	require.NoError(t, os.WriteFile(policy, []byte(`
protected:
  - name: break-glass
    username: '^bob$'
  - name: airflow-ssh-hook
    username: '^airflow$'
    level: instance
  - name: watch-sam
    username: '^sam$'
    reportOnly: true
`), 0o644))
	state := filepath.Join(dir, "state.json")

	for _, tc := range []struct {
		golden string
		args   []string
		code   int
	}{
		{"plans/protected.txt", []string{"--policy", policy}, 3},
		{"plans/held.txt", []string{"--max-removals-per-target", "50%", "--max-removals-per-run", "6", "--concurrency", "1"}, 1},
		{"plans/opt-in.txt", []string{"--only-label", "env=prod"}, 3},
		{"plans/opt-out.txt", []string{"--exclude-folder", "172058339406", "--exclude-label", "app=airflow", "--exclude-project", "analytics-staging"}, 3},
		// The first run with a state starts every clock; an hour later
		// the keys without expiry are still in their grace; a second
		// after it ends, they go.
		{"plans/grace-first-run.txt", []string{"--grace", "24h", "--state", state}, 3},
		{"plans/grace-before-end.txt", []string{"--grace", "24h", "--state", state, "--now", "2026-11-23T13:00:00Z"}, 3},
		{"plans/grace-after-end.txt", []string{"--grace", "24h", "--state", state, "--now", "2026-11-24T12:00:01Z"}, 3},
	} {
		t.Run(tc.golden, func(t *testing.T) {
			f, url := demoFake(t)
			args := append(runArgs(url, "--exit-code-on-changes"), tc.args...)
			out, errOut, code := cli(t, context.Background(), nil, args...)
			require.Equal(t, tc.code, code, errOut)
			require.Zero(t, f.Calls(setMetadata)+f.Calls(setInstanceMetadata), "a dry run writes no metadata")
			golden(t, tc.golden, strings.ReplaceAll(out, dir, "$DIR"))
		})
	}
}
