package main

import (
	"context"
	"os"
	"path/filepath"
	"slices"
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
	state := filepath.Join(dir, "state") + "/"
	grace := []string{"--grace", "24h", "--state", state}

	for _, tc := range []struct {
		golden string
		args   []string
		code   int
		// prior runs the same dry run first at each of these clocks.
		prior []string
	}{
		{"plans/protected.txt", []string{"--policy", policy}, 3, nil},
		{"plans/held.txt", []string{"--max-removals-per-target", "50%", "--max-removals-per-run", "6", "--concurrency", "1"}, 1, nil},
		{"plans/opt-in.txt", []string{"--only-label", "env=prod"}, 3, nil},
		{"plans/opt-out.txt", []string{"--exclude-folder", "172058339406", "--exclude-label", "app=airflow", "--exclude-project", "analytics-staging"}, 3, nil},
		// The first run with a state starts every clock; an hour later
		// the keys without expiry are still in their grace; a second
		// after it ends, they go.
		{"plans/grace-first-run.txt", grace, 3, nil},
		{"plans/grace-before-end.txt", slices.Concat(grace, []string{"--now", "2026-11-23T13:00:00Z"}), 3, []string{demoNow}},
		{"plans/grace-after-end.txt", slices.Concat(grace, []string{"--now", "2026-11-24T12:00:01Z"}), 3, []string{demoNow, "2026-11-23T13:00:00Z"}},
	} {
		t.Run(tc.golden, func(t *testing.T) {
			require.NoError(t, os.RemoveAll(state))
			f, url := demoFake(t)
			args := append(runArgs(url, "--exit-code-on-changes"), tc.args...)
			for _, now := range tc.prior {
				_, errOut, code := cli(t, context.Background(), nil, slices.Concat(args, []string{"--now", now})...)
				require.Equal(t, 3, code, errOut)
			}
			out, errOut, code := cli(t, context.Background(), nil, args...)
			require.Equal(t, tc.code, code, errOut)
			require.Zero(t, f.Calls(setMetadata)+f.Calls(setInstanceMetadata), "a dry run writes no metadata")
			golden(t, tc.golden, strings.ReplaceAll(out, dir, "$DIR"))
		})
	}
}
