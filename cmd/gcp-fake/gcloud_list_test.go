package main

import (
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// TestGcloudLists runs the installed gcloud's list and describe commands
// against gcp-fake: the filters gcloud sends server-side are applied
// (gcloud applies its own --filter again to what comes back, so only the
// fake's log shows that the server filtered), Compute's zones are
// served, and Resource Manager's v1 projects and v2 folders, which gcloud
// reaches through api_endpoint_overrides/cloudresourcemanager: gcloud
// 528 has no resourcemanager override.
func TestGcloudLists(t *testing.T) {
	gcloudPath, ctx := installedGcloud(t, 90*time.Second)

	url, log := startBinary(t, "--listen", "127.0.0.1:0")
	gcloud := gcloudRunner(t, ctx, gcloudPath)
	gcloud("config", "set", "api_endpoint_overrides/compute", url+"/compute/v1/")
	gcloud("config", "set", "api_endpoint_overrides/cloudresourcemanager", url+"/")
	gcloud("config", "set", "auth/disable_credentials", "true")
	gcloud("config", "set", "core/project", "api-prod-7f3a")
	values := func(args ...string) []string {
		t.Helper()
		return lines(gcloud(args...))
	}
	served := func(path string) string {
		t.Helper()
		re := regexp.MustCompile(`path="` + regexp.QuoteMeta(path) + `\?([^"]*)" status=200`)
		m := re.FindAllStringSubmatch(log.String(), -1)
		require.NotEmpty(t, m, "no 200 for %s in the fake's log:\n%s", path, log)
		return m[len(m)-1][1]
	}

	t.Run("instances, filtered server-side", func(t *testing.T) {
		require.Equal(t, []string{"api-1"}, values("compute", "instances", "list", "--zones", "europe-west1-d",
			"--filter", "status=RUNNING AND name=api-1", "--format", "value(name)"))
		require.Contains(t, served("/compute/v1/projects/api-prod-7f3a/zones/europe-west1-d/instances"),
			"filter=%28status+eq+RUNNING%29%28name+eq+%22.%2A%5Cbapi%5C-1%5Cb.%2A%22%29")
	})
	t.Run("zones", func(t *testing.T) {
		require.Equal(t, []string{"europe-west1-b", "europe-west1-c", "europe-west1-d"},
			values("compute", "zones", "list", "--filter", "region:europe-west1", "--format", "value(name)"))
		require.Contains(t, served("/compute/v1/projects/api-prod-7f3a/zones"), "filter=region+eq+")
		require.Equal(t, []string{"europe-west1"}, values("compute", "zones", "describe", "europe-west1-b", "--format", "value(region.basename())"))
	})
	t.Run("projects", func(t *testing.T) {
		require.Equal(t, []string{"web-prod-eu", "web-prod-us"},
			values("projects", "list", "--filter", "labels.team=web", "--format", "value(projectId)"))
		require.Contains(t, served("/v1/projects"), "filter=lifecycleState%3AACTIVE+AND+%28labels.team%3Dweb%29")
		require.Equal(t, []string{"Web prod EU"}, values("projects", "describe", "web-prod-eu", "--format", "value(name)"))
	})
	t.Run("folders", func(t *testing.T) {
		got := values("resource-manager", "folders", "list", "--organization", "123456789012", "--format", "value(displayName)")
		require.ElementsMatch(t, []string{"prod", "restricted", "sandbox", "staging"}, got)
		require.Equal(t, "alt=json&parent=organizations%2F123456789012", served("/v2/folders"))
	})
	require.False(t, strings.Contains(log.String(), "status=4"), "no call refused:\n%s", log)
}
