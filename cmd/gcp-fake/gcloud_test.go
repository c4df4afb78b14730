package main

import (
	"bufio"
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	compute "google.golang.org/api/compute/v1"
	"google.golang.org/api/option"

	"github.com/ssh-pruner/ssh-pruner/cmd/internal/testbuild"
)

// TestGcloud points the installed Google Cloud CLI at a gcp-fake process
// and shows that it reads and writes project metadata as the Go client
// sees it. gcloud waits on the write's operation, which the fake keeps
// running for one poll.
func TestGcloud(t *testing.T) {
	gcloudPath, ctx := installedGcloud(t, 50*time.Second)

	url, log := startBinary(t, "--listen", "127.0.0.1:0", "--operation-polls", "1")
	gcloud := gcloudRunner(t, ctx, gcloudPath)
	gcloud("config", "set", "api_endpoint_overrides/compute", url+"/compute/v1/")
	gcloud("config", "set", "api_endpoint_overrides/cloudresourcemanager", url+"/")
	gcloud("config", "set", "api_endpoint_overrides/serviceusage", url+"/")
	gcloud("config", "set", "auth/disable_credentials", "true")
	gcloud("config", "set", "core/project", "api-prod-7f3a")

	goClient, err := compute.NewService(ctx, option.WithEndpoint(url+"/compute/v1/"), option.WithoutAuthentication())
	require.NoError(t, err)
	describe := func() *compute.Project {
		var p compute.Project
		require.NoError(t, json.Unmarshal([]byte(gcloud("compute", "project-info", "describe", "--project", "api-prod-7f3a", "--format=json")), &p))
		return &p
	}
	viaGo := func() *compute.Project {
		p, err := goClient.Projects.Get("api-prod-7f3a").Context(ctx).Do()
		require.NoError(t, err)
		return p
	}

	before := describe()
	require.Equal(t, "api-prod-7f3a", before.Name)
	requireSameMetadata(t, viaGo().CommonInstanceMetadata, before.CommonInstanceMetadata)
	require.Equal(t, "FALSE", value(before.CommonInstanceMetadata, "enable-oslogin"))

	gcloud("compute", "project-info", "add-metadata", "--project", "api-prod-7f3a", "--metadata", "enable-oslogin=TRUE")

	after := viaGo()
	require.Equal(t, "TRUE", value(after.CommonInstanceMetadata, "enable-oslogin"))
	require.NotEqual(t, before.CommonInstanceMetadata.Fingerprint, after.CommonInstanceMetadata.Fingerprint)
	require.Equal(t, value(before.CommonInstanceMetadata, "ssh-keys"), value(after.CommonInstanceMetadata, "ssh-keys"),
		"gcloud rewrote the other items unchanged")
	requireSameMetadata(t, after.CommonInstanceMetadata, describe().CommonInstanceMetadata)

	require.Contains(t, log.String(), `path="/compute/v1/projects/api-prod-7f3a/setCommonInstanceMetadata?alt=json" status=200`)
	require.Regexp(t, `path="/compute/v1/projects/api-prod-7f3a/global/operations/operation-[-0-9a-f]+/wait\?alt=json" status=200`, log.String(),
		"gcloud waited for the operation")
}

func value(md *compute.Metadata, key string) string {
	for _, it := range md.Items {
		if it.Key == key && it.Value != nil {
			return *it.Value
		}
	}
	return ""
}

func requireSameMetadata(t *testing.T, want, got *compute.Metadata) {
	t.Helper()
	require.Equal(t, want.Fingerprint, got.Fingerprint)
	require.Equal(t, len(want.Items), len(got.Items))
	for i := range want.Items {
		require.Equal(t, want.Items[i].Key, got.Items[i].Key)
		require.Equal(t, *want.Items[i].Value, *got.Items[i].Value)
	}
}

// startBinary builds gcp-fake, runs it with args, and returns the URL it
// printed and its stderr. The process is stopped with SIGTERM at the end
// of the test, and must then exit cleanly.
// installedGcloud is the path of the installed gcloud, and a context
// that bounds the test's use of it: the test is skipped where gcloud is
// not on PATH.
func installedGcloud(t *testing.T, timeout time.Duration) (string, context.Context) {
	t.Helper()
	path, err := exec.LookPath("gcloud")
	if err != nil {
		t.Skip("gcloud is not on PATH")
	}
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	t.Cleanup(cancel)
	return path, ctx
}

func startBinary(t *testing.T, args ...string) (string, *syncBuffer) {
	t.Helper()
	bin := testbuild.Build(t, ".")

	// Not CommandContext: the process must outlive the test's context,
	// until the cleanup stops it with SIGTERM.
	cmd := exec.Command(bin, args...)
	stdout, err := cmd.StdoutPipe()
	require.NoError(t, err)
	stderr := &syncBuffer{}
	cmd.Stderr = stderr
	require.NoError(t, cmd.Start())
	exited := make(chan error, 1)
	t.Cleanup(func() {
		_ = cmd.Process.Signal(syscall.SIGTERM)
		require.NoError(t, <-exited, "gcp-fake stderr:\n%s", stderr)
		require.Contains(t, stderr.String(), "msg=stopped")
	})
	sc := bufio.NewScanner(stdout)
	ok := sc.Scan()
	url := sc.Text()
	go func() {
		for sc.Scan() {
		}
		exited <- cmd.Wait()
	}()
	require.True(t, ok, "gcp-fake printed no URL; stderr:\n%s", stderr)
	return url, stderr
}

// gcloudRunner runs gcloud in a configuration of its own and returns its
// stdout, failing the test on a non-zero exit. extraEnv (KEY=VALUE) is
// added to, or replaces, the environment it runs in.
func gcloudRunner(t *testing.T, ctx context.Context, path string, extraEnv ...string) func(args ...string) string {
	config := t.TempDir()
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "CLOUDSDK_") {
			env = append(env, kv)
		}
	}
	env = append(env,
		"CLOUDSDK_CONFIG="+config,
		"CLOUDSDK_CORE_DISABLE_PROMPTS=1",
		"CLOUDSDK_CORE_DISABLE_USAGE_REPORTING=true",
		"CLOUDSDK_COMPONENT_MANAGER_DISABLE_UPDATE_CHECK=true",
	)
	env = append(env, extraEnv...) // exec keeps the last of duplicate keys
	return func(args ...string) string {
		t.Helper()
		cmd := exec.CommandContext(ctx, path, args...)
		cmd.Env = env
		var stderr strings.Builder
		cmd.Stderr = &stderr
		started := time.Now()
		out, err := cmd.Output()
		t.Logf("gcloud %s: %v", strings.Join(args, " "), time.Since(started).Round(time.Millisecond))
		require.NoError(t, err, "gcloud %s:\n%s", strings.Join(args, " "), stderr.String())
		return string(out)
	}
}
