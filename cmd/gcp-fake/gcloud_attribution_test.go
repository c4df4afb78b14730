package main

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/ssh-pruner/ssh-pruner/cmd/internal/testbuild"

	"github.com/ssh-pruner/ssh-pruner/keyparse"
	"github.com/ssh-pruner/ssh-pruner/pruner/attribution"
	"github.com/ssh-pruner/ssh-pruner/pruner/report"
)

// TestGcloudAttribution: principals add keys with the installed gcloud,
// each with its own token file, against gcp-fake on the wall clock;
// between their writes the ssh-pruner binary runs with --state and
// --audit-logs on the organization sink's view. alice's gcloud compute
// ssh, to a VM that takes project keys and to one that blocks them, is
// hers via gcloud compute ssh; bob's add-metadata is his via gcloud
// add-metadata; alice and bob both writing between two runs leave both
// keys ambiguous; mallory's key named alice raises the claim; the
// pruner's own writes (it applies) never appear as a candidate.
func TestGcloudAttribution(t *testing.T) {
	gcloudPath, ctx := installedGcloud(t, 180*time.Second)
	dir := t.TempDir()

	// The demo organization on the wall clock, with mallory.
	var seed map[string]any
	data, err := os.ReadFile("../../testdata/demo-org.json")
	require.NoError(t, err)
	require.NoError(t, json.Unmarshal(data, &seed))
	delete(seed, "clock")
	seed["principals"].(map[string]any)["mallory-token"] = "mallory@example.com"
	seedFile := filepath.Join(dir, "seed.json")
	data, err = json.Marshal(seed)
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(seedFile, data, 0o600))
	url, _ := startBinary(t, "--listen", "127.0.0.1:0", "--seed", seedFile)

	pruner := testbuild.Build(t, "../ssh-pruner")

	bin := filepath.Join(dir, "bin")
	require.NoError(t, os.Mkdir(bin, 0o755))
	for _, name := range []string{"ssh", "scp", "ssh-keygen"} {
		require.NoError(t, os.WriteFile(filepath.Join(bin, name), []byte(sshStub), 0o755))
	}
	as := func(token string) func(args ...string) string {
		path := filepath.Join(dir, token)
		require.NoError(t, os.WriteFile(path, []byte(token+"\n"), 0o600))
		return gcloudRunner(t, ctx, gcloudPath,
			"PATH="+bin+string(os.PathListSeparator)+os.Getenv("PATH"),
			"HOME="+filepath.Join(dir, "home-"+token),
			"SSH_STUB_LOG="+filepath.Join(dir, "ssh.log"),
			"CLOUDSDK_API_ENDPOINT_OVERRIDES_COMPUTE="+url+"/compute/v1/",
			"CLOUDSDK_AUTH_ACCESS_TOKEN_FILE="+path,
			"CLOUDSDK_CORE_PROJECT=api-prod-7f3a",
		)
	}
	alice, bob, mallory := as("alice-token"), as("bob-token"), as("mallory-token")

	state := filepath.Join(dir, "state") + "/"
	const view = "projects/sec-audit-logs-2a7c/locations/global/buckets/org-audit/views/_AllLogs"
	run := func(extra ...string) (report.Report, string) {
		t.Helper()
		cmd := exec.CommandContext(ctx, pruner, append([]string{"run", "--project", "api-prod-7f3a", "--project", "web-prod-eu",
			"--api-endpoint", url, "--qps", "0", "--grace", "24h", "--state", state,
			"--audit-logs", view, "--audit-log-delay", "0", "--output", "json"}, extra...)...)
		var stderr strings.Builder
		cmd.Stderr = &stderr
		out, err := cmd.Output()
		if ee, ok := err.(*exec.ExitError); ok && ee.ExitCode() == 3 {
			err = nil
		}
		require.NoError(t, err, "ssh-pruner: %s", stderr.String())
		var rep report.Report
		require.NoError(t, json.Unmarshal(out, &rep))
		require.NotNil(t, rep.Attribution)
		require.Empty(t, rep.Attribution.Error)
		return rep, stderr.String()
	}
	// keyOf finds the decision of the key line of a user with the public
	// key pub on a target.
	keyOf := func(t *testing.T, rep report.Report, target, pub string) (d struct {
		Attribution, AddedBy, AddedVia, Candidates string
	}) {
		t.Helper()
		fp := keyparse.Parse("u:" + pub)[0].Fingerprint
		for _, p := range rep.Projects {
			for _, tr := range append([]report.TargetReport{p.TargetReport}, p.Instances...) {
				for _, dd := range tr.Decisions {
					if tr.Target.String() == target && dd.Fingerprint == fp {
						d.Attribution, d.AddedBy, d.AddedVia, d.Candidates = dd.Attribution, dd.AddedBy, dd.AddedVia, dd.Candidates
						return d
					}
				}
			}
		}
		t.Fatalf("no decision of %s on %s", fp, target)
		return d
	}
	const api, web = "projects/api-prod-7f3a", "projects/web-prod-eu"
	const webVM = web + "/zones/europe-west1-b/instances/web-eu-1"

	run("--apply") // first run: nothing read before, the pruner writes

	// alice: gcloud compute ssh to a VM that takes project keys (the key
	// goes to the project) and to one that blocks them (to the VM).
	keyA, pubA := newKey(t, dir, "alice-api")
	alice("compute", "ssh", "alice@api-1", "--zone", "europe-west1-d", "--project", "api-prod-7f3a", "--ssh-key-file", keyA, "--quiet")
	keyB, pubB := newKey(t, dir, "alice-web")
	alice("compute", "ssh", "alice@web-eu-1", "--zone", "europe-west1-b", "--project", "web-prod-eu", "--ssh-key-file", keyB, "--quiet")
	rep, errOut := run("--apply")
	for _, c := range []struct{ target, pub string }{{api, pubA}, {webVM, pubB}} {
		d := keyOf(t, rep, c.target, c.pub)
		require.Equal(t, attribution.Window, d.Attribution, c.target)
		require.Equal(t, "alice@example.com", d.AddedBy, c.target)
		require.Equal(t, attribution.ViaGcloudSSH, d.AddedVia, c.target)
	}
	require.NotContains(t, errOut, "claim-mismatch")

	// bob, with add-metadata, keeping the item's lines.
	_, pubC := newKey(t, dir, "bob")
	// addKey appends a line to the project's ssh-keys as a person would
	// with gcloud: describe, then add-metadata from a file (a value with
	// commas cannot go in --metadata).
	n := 0
	addKey := func(gcloud func(...string) string, line string) {
		t.Helper()
		v := strings.TrimSpace(gcloud("compute", "project-info", "describe", "--project", "api-prod-7f3a",
			`--format=value(commonInstanceMetadata.items.filter(key:ssh-keys).extract(value).flatten())`))
		n++
		file := filepath.Join(dir, fmt.Sprintf("ssh-keys-%d", n))
		require.NoError(t, os.WriteFile(file, []byte(v+"\n"+line+"\n"), 0o600))
		gcloud("compute", "project-info", "add-metadata", "--project", "api-prod-7f3a", "--metadata-from-file", "ssh-keys="+file)
	}
	addKey(bob, "bob:"+pubC+" bob")
	rep, _ = run("--apply")
	d := keyOf(t, rep, api, pubC)
	require.Equal(t, attribution.Window, d.Attribution)
	require.Equal(t, "bob@example.com", d.AddedBy)
	require.Equal(t, attribution.ViaGcloudAddMetadata, d.AddedVia)
	require.Equal(t, "alice@example.com", keyOf(t, rep, api, pubA).AddedBy, "settled once, kept")

	// alice and bob between two runs: both keys could be either's.
	_, pubD := newKey(t, dir, "alice-2")
	addKey(alice, "alice:"+pubD+" alice")
	_, pubE := newKey(t, dir, "bob-2")
	addKey(bob, "bob:"+pubE+" bob")
	rep, _ = run()
	for _, pub := range []string{pubD, pubE} {
		d = keyOf(t, rep, api, pub)
		require.Equal(t, attribution.Ambiguous, d.Attribution)
		require.Equal(t, "alice@example.com bob@example.com", d.Candidates)
	}

	// mallory adds a key that says it is alice's.
	_, pubF := newKey(t, dir, "mallory")
	addKey(mallory, "alice:"+pubF+" alice")
	rep, errOut = run()
	d = keyOf(t, rep, api, pubF)
	require.Equal(t, "mallory@example.com", d.AddedBy)
	require.Equal(t, 1, rep.Attribution.ClaimMismatches)
	require.Contains(t, errOut, "key claims another identity: alice added by mallory@example.com")

	// The pruner wrote in three runs; it is no one's candidate.
	for _, p := range rep.Projects {
		for _, tr := range append([]report.TargetReport{p.TargetReport}, p.Instances...) {
			for _, dd := range tr.Decisions {
				require.NotContains(t, dd.AddedBy+" "+dd.Candidates, "ssh-pruner@", "%s %s", tr.Target, dd.Fingerprint)
			}
		}
	}
}
