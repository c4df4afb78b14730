package main

import (
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// gcloudInstanceYAML is 'gcloud compute instances describe' in gcloud's
// default format: keys sorted, sequences not indented under their key, a
// value that YAML 1.1 would read otherwise quoted ('TRUE'), and a long
// one-line value folded at 80 columns onto a continuation line.
const gcloudInstanceYAML = `cpuPlatform: Intel Broadwell
creationTimestamp: '2024-05-02T03:04:05.678-07:00'
deletionProtection: false
id: '1234567890123456789'
kind: compute#instance
machineType: https://www.googleapis.com/compute/v1/projects/web-prod-eu/zones/europe-west1-b/machineTypes/e2-small
metadata:
  fingerprint: a1b2c3d4e5f=
  items:
  - key: block-project-ssh-keys
    value: 'TRUE'
  - key: ssh-keys
    value: bob:ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIK5WmBKR8aAeFxx4lZdvE+iVh/1woSjbHPdAiVHtOV+O
      google-ssh {"userName":"bob@example.com","expireOn":"2026-12-01T10:00:00+0000"}
  kind: compute#metadata
name: web-eu-1
networkInterfaces:
- name: nic0
  network: https://www.googleapis.com/compute/v1/projects/web-prod-eu/global/networks/default
  networkIP: 10.132.0.2
status: RUNNING
tags:
  fingerprint: 42WmSpB8rSM=
zone: https://www.googleapis.com/compute/v1/projects/web-prod-eu/zones/europe-west1-b
`

// TestInspectGcloudYAML: what 'gcloud compute project-info describe'
// prints by default (YAML, testdata/project-info.yaml, whose ssh-keys and
// sshKeys are block scalars, value: |-) reads as its --format=json does,
// from a file or piped in; not as YAML lines taken for keys.
func TestInspectGcloudYAML(t *testing.T) {
	clearEnv(t)
	fromJSON, errOut, code := cli(t, context.Background(), nil, "inspect", "--now", demoNow, "../../testdata/project-info.json")
	require.Equal(t, 0, code, errOut)
	yamlData, err := os.ReadFile("../../testdata/project-info.yaml")
	require.NoError(t, err)
	require.Contains(t, string(yamlData), "value: |-", "a block scalar, as gcloud prints a value of several lines")
	for _, tc := range []struct {
		name  string
		stdin string
		args  []string
	}{
		{"file", "", []string{"inspect", "--now", demoNow, "../../testdata/project-info.yaml"}},
		{"piped", string(yamlData), []string{"inspect", "--now", demoNow}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			out, errOut, code := cli(t, context.Background(), strings.NewReader(tc.stdin), tc.args...)
			require.Equal(t, 0, code, errOut)
			require.Empty(t, errOut)
			require.Equal(t, fromJSON, out, "the YAML reads as the JSON does")
		})
	}
	out, errOut, code := cli(t, context.Background(), nil, "inspect", "--now", demoNow, "--output", "json", "../../testdata/project-info.yaml")
	require.Equal(t, 0, code, errOut)
	golden(t, "inspect-project-info.json", out)
}

// TestInspectGcloudInstanceYAML: an instance's metadata, with a one-line
// value gcloud folded over two lines, joined back into one key line.
func TestInspectGcloudInstanceYAML(t *testing.T) {
	clearEnv(t)
	out, errOut, code := cli(t, context.Background(), strings.NewReader(gcloudInstanceYAML), "inspect", "--now", demoNow, "--output", "json", "-")
	require.Equal(t, 0, code, errOut)
	var rows []inspectRow
	require.NoError(t, json.Unmarshal([]byte(out), &rows))
	require.Len(t, rows, 1, "one ssh-keys line; block-project-ssh-keys is no key item")
	r := rows[0]
	require.Equal(t, "ssh-keys", r.MetadataKey)
	require.Equal(t, "bob", r.Username)
	require.Equal(t, "bob@example.com", r.GoogleUserName)
	require.Equal(t, "expiring", r.State)
	require.NotNil(t, r.ExpireOn)
	require.Equal(t, "2026-12-01T10:00:00Z", *r.ExpireOn)
	require.NotEmpty(t, r.Fingerprint)
}

// TestInspectGcloudYAMLRefused: gcloud's YAML of a list (one document a
// resource) and broken YAML are refused in one line, exit 2.
func TestInspectGcloudYAMLRefused(t *testing.T) {
	clearEnv(t)
	for _, tc := range []struct{ name, input, want string }{
		{"a list", "---\n" + gcloudInstanceYAML + "---\n" + gcloudInstanceYAML, "several YAML documents (gcloud's list output?)"},
		{"broken", "metadata:\n  items:\n  - key: ssh-keys\n    value: \"unterminated\n", "invalid YAML: "},
		{"no metadata", "metadata:\nname: vm\n", "YAML is neither gcloud's project (commonInstanceMetadata) nor instance (metadata) description"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			out, errOut, code := cli(t, context.Background(), strings.NewReader(tc.input), "inspect")
			require.Equal(t, 2, code, errOut)
			require.Contains(t, errOut, tc.want)
			requireCleanLine(t, errOut)
			require.Empty(t, out)
		})
	}
}

// TestInspectWhatGcloudPrints pipes the installed Google Cloud CLI's own
// output, pointed at the demo organization in the fake, into inspect:
// 'gcloud compute project-info describe' in its default YAML reads as its
// --format=json does, block scalars and a long one-line value that gcloud
// folds at 80 columns included.
func TestInspectWhatGcloudPrints(t *testing.T) {
	clearEnv(t)
	gcloudPath, err := exec.LookPath("gcloud")
	if err != nil {
		t.Skip("gcloud is not on PATH")
	}
	if testing.Short() {
		t.Skip("runs gcloud, seconds a call")
	}
	_, url := demoFake(t)
	home := t.TempDir()
	env := []string{"PATH=" + os.Getenv("PATH"), "HOME=" + home, "CLOUDSDK_CONFIG=" + filepath.Join(home, "gcloud"),
		"CLOUDSDK_CORE_DISABLE_PROMPTS=1", "CLOUDSDK_CORE_DISABLE_USAGE_REPORTING=true", "CLOUDSDK_COMPONENT_MANAGER_DISABLE_UPDATE_CHECK=true",
		"CLOUDSDK_API_ENDPOINT_OVERRIDES_COMPUTE=" + url + "/compute/v1/", "CLOUDSDK_AUTH_DISABLE_CREDENTIALS=true"}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	gcloud := func(args ...string) string {
		t.Helper()
		cmd := exec.CommandContext(ctx, gcloudPath, args...)
		cmd.Env = env
		var stderr strings.Builder
		cmd.Stderr = &stderr
		out, err := cmd.Output()
		require.NoError(t, err, "gcloud %s:\n%s", strings.Join(args, " "), stderr.String())
		return string(out)
	}
	// One key on one line, longer than 80 columns: gcloud folds it.
	key := `bob:ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIK5WmBKR8aAeFxx4lZdvE+iVh/1woSjbHPdAiVHtOV+O google-ssh {"userName":"bob@example.com","expireOn":"2026-12-01T10:00:00+0000"}`
	gcloud("compute", "project-info", "add-metadata", "--project", "sandbox-alice-3e9d", "--metadata", "^#^ssh-keys="+key)
	for _, project := range []string{"web-prod-eu", "sandbox-alice-3e9d"} {
		asYAML := gcloud("compute", "project-info", "describe", "--project", project)
		asJSON := gcloud("compute", "project-info", "describe", "--project", project, "--format=json")
		require.True(t, strings.HasPrefix(asYAML, "commonInstanceMetadata:\n"), "gcloud's default is YAML:\n%s", asYAML)
		fromYAML, errOut, code := cli(t, context.Background(), strings.NewReader(asYAML), "inspect", "--now", demoNow)
		require.Equal(t, 0, code, errOut)
		fromJSON, errOut, code := cli(t, context.Background(), strings.NewReader(asJSON), "inspect", "--now", demoNow)
		require.Equal(t, 0, code, errOut)
		require.Equal(t, fromJSON, fromYAML, "%s: YAML as JSON", project)
		require.NotContains(t, fromYAML, "commonInstanceMetadata", "no YAML line taken for a key")
	}
	yamlOut := gcloud("compute", "project-info", "describe", "--project", "sandbox-alice-3e9d")
	require.Contains(t, yamlOut, "\n      google-ssh {", "gcloud folded the long value, as the test means to show")
}
