package main

import (
	"context"
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/ssh-pruner/ssh-pruner/pruner/access"
)

// TestAccessDemo runs the access command through Google's clients against
// the demo organization. The demo has a project and a folder the caller
// may not read: the answer names them, and exits 0, as a run does.
func TestAccessDemo(t *testing.T) {
	clearEnv(t)
	for _, tc := range []struct {
		args   []string
		golden string
	}{
		{[]string{"access", "--demo"}, "access.txt"},
		{[]string{"access", "--demo", "--by", "vm"}, "access-by-vm.txt"},
	} {
		out, errOut, code := cli(t, context.Background(), nil, tc.args...)
		require.Equal(t, 0, code, "what the caller may not read is named, no failure: %s", errOut)
		require.Contains(t, out, "incomplete, not seen:")
		require.Empty(t, errOut)
		golden(t, tc.golden, out)
	}
}

func TestAccessJSONAndWritesNothing(t *testing.T) {
	clearEnv(t)
	f, url := demoFake(t)
	before := takeSnapshot(t, f)
	out, errOut, code := cli(t, context.Background(), nil, "access", "--organization", demoOrg, "--api-endpoint", url,
		"--now", demoNow, "--output", "json", "--exclude-project", "hr-payroll")
	require.Equal(t, 0, code, errOut)
	require.Equal(t, before, takeSnapshot(t, f), "access writes nothing")
	require.Zero(t, f.Calls("compute.instances.get"), "one listing per project, no call per VM")
	var rep access.AccessReport
	require.NoError(t, json.Unmarshal([]byte(out), &rep))
	require.Equal(t, []access.AccessGap{{Resource: "folders/529384716620", Reason: "forbidden"}}, rep.Gaps)
	require.NotEmpty(t, rep.Identities)
	require.Empty(t, rep.Identities[0].Keys[0].ExpireOn, "keys without expiry first")

	// Scoped to a project that can be read whole, the answer is complete.
	_, errOut, code = cli(t, context.Background(), nil, "access", "--project", "web-prod-eu", "--api-endpoint", url, "--now", demoNow)
	require.Equal(t, 0, code, errOut)

	// A zone that cannot be listed is a failure: exit 1.
	f.SetZoneUnreachable("europe-west1-b", true)
	out, errOut, code = cli(t, context.Background(), nil, "access", "--project", "web-prod-eu", "--api-endpoint", url, "--now", demoNow)
	require.Equal(t, 1, code, errOut)
	require.Contains(t, out, "unreachable")
}

func TestAccessUsage(t *testing.T) {
	clearEnv(t)
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"access"}, "no scope"},
		{[]string{"access", "--demo", "--by", "host"}, `--by "host"`},
		{[]string{"access", "--demo", "--project", "p"}, "--demo reads the demo organization"},
		{[]string{"access", "--demo", "--output", "yaml"}, `--output "yaml"`},
	} {
		_, errOut, code := cli(t, context.Background(), nil, tc.args...)
		require.Equal(t, 2, code, "%v", tc.args)
		require.Contains(t, errOut, tc.want)
	}
}
