package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	compute "google.golang.org/api/compute/v1"
	"google.golang.org/api/option"
)

// TestGcloudSSHOSLogin runs gcloud compute ssh, with ssh stubbed as in
// TestGcloudSSH, to a VM of a project with enable-oslogin=TRUE: gcloud
// reads the account's OS Login profile, imports its key there (once: the
// second connection finds it), writes no metadata, and connects as the
// POSIX username OS Login derives from the account.
func TestGcloudSSHOSLogin(t *testing.T) {
	gcloudPath, ctx := installedGcloud(t, 60*time.Second)
	url, log := startBinary(t, "--listen", "127.0.0.1:0")

	dir := t.TempDir()
	bin := filepath.Join(dir, "bin")
	require.NoError(t, os.Mkdir(bin, 0o755))
	for _, name := range []string{"ssh", "scp", "ssh-keygen"} {
		require.NoError(t, os.WriteFile(filepath.Join(bin, name), []byte(sshStub), 0o755))
	}
	sshLog := filepath.Join(dir, "ssh.log")
	gcloud := gcloudRunner(t, ctx, gcloudPath,
		"PATH="+bin+string(os.PathListSeparator)+os.Getenv("PATH"),
		"HOME="+filepath.Join(dir, "home"),
		"SSH_STUB_LOG="+sshLog,
		"CLOUDSDK_API_ENDPOINT_OVERRIDES_COMPUTE="+url+"/compute/v1/",
		"CLOUDSDK_API_ENDPOINT_OVERRIDES_OSLOGIN="+url+"/",
		"CLOUDSDK_AUTH_DISABLE_CREDENTIALS=true",
		"CLOUDSDK_CORE_ACCOUNT=tester@example.com", // the OS Login user
		"CLOUDSDK_CORE_PROJECT=ci-runners-9d02",
	)
	goClient, err := compute.NewService(ctx, option.WithEndpoint(url+"/compute/v1/"), option.WithoutAuthentication())
	require.NoError(t, err)
	project, err := goClient.Projects.Get("ci-runners-9d02").Context(ctx).Do()
	require.NoError(t, err)
	require.Equal(t, "TRUE", value(project.CommonInstanceMetadata, "enable-oslogin"))
	in, err := goClient.Instances.Get("ci-runners-9d02", "us-east1-b", "runner-1").Context(ctx).Do()
	require.NoError(t, err)

	key, _ := newKey(t, dir, "oslogin")
	for range 2 {
		gcloud("compute", "ssh", "runner-1", "--zone", "us-east1-b", "--ssh-key-file", key, "--quiet")
	}

	data, err := os.ReadFile(sshLog)
	require.NoError(t, err)
	calls := lines(string(data))
	require.Len(t, calls, 2, "one connection a run, no wait for metadata keys to propagate: %q", calls)
	for _, c := range calls {
		require.True(t, strings.HasSuffix(c, " tester_example_com@"+natIPOf(t, in)), c)
	}
	const profile = `path="/v1/users/tester@example.com/loginProfile?alt=json&projectId=ci-runners-9d02" status=200`
	require.Equal(t, 2, strings.Count(log.String(), profile), log.String())
	require.Equal(t, 1, strings.Count(log.String(), `path="/v1/users/tester@example.com:importSshPublicKey?`), "imported once")
	require.NotContains(t, log.String(), "etMetadata", "no metadata key under OS Login")
	after, err := goClient.Projects.Get("ci-runners-9d02").Context(ctx).Do()
	require.NoError(t, err)
	require.Equal(t, project.CommonInstanceMetadata.Fingerprint, after.CommonInstanceMetadata.Fingerprint)
}
