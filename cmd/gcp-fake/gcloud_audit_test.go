package main

import (
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// TestGcloudAuditLog has two principals, each with its own gcloud
// configuration and token file (gcloud sends Authorization: Bearer with
// the file's token), add project metadata with gcloud, then reads the
// Admin Activity entries back with gcloud logging read, from the project
// and from the organization sink's bucket view: gcloud shows the entries
// the fake serves, unmodified, each naming its principal and gcloud's
// command in its user agent.
func TestGcloudAuditLog(t *testing.T) {
	gcloudPath, ctx := installedGcloud(t, 120*time.Second)
	url, _ := startBinary(t, "--listen", "127.0.0.1:0", "--operation-polls", "1")
	const project = "api-prod-7f3a"
	tokenFile := func(token string) string {
		path := filepath.Join(t.TempDir(), "token")
		require.NoError(t, os.WriteFile(path, []byte(token+"\n"), 0o600))
		return path
	}

	// alice's configuration is set as a user would set it.
	alice := gcloudRunner(t, ctx, gcloudPath)
	alice("config", "set", "api_endpoint_overrides/compute", url+"/compute/v1/")
	alice("config", "set", "api_endpoint_overrides/logging", url+"/")
	alice("config", "set", "auth/access_token_file", tokenFile("alice-token"))
	alice("config", "set", "core/project", project)
	// bob's, through the environment, which gcloud reads the same way.
	bob := gcloudRunner(t, ctx, gcloudPath,
		"CLOUDSDK_API_ENDPOINT_OVERRIDES_COMPUTE="+url+"/compute/v1/",
		"CLOUDSDK_AUTH_ACCESS_TOKEN_FILE="+tokenFile("bob-token"),
		"CLOUDSDK_CORE_PROJECT="+project,
	)

	alice("compute", "project-info", "add-metadata", "--metadata", "ssh-keys=alice:ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIAlice alice")
	bob("compute", "project-info", "add-metadata", "--metadata", "enable-oslogin=TRUE")

	// gcloud logging read adds a timestamp>= of its own unless the
	// filter names timestamp: the seed's clock is fixed in the past.
	filter := `timestamp>="2026-01-01T00:00:00Z" AND logName="projects/` + project + `/logs/cloudaudit.googleapis.com%2Factivity" ` +
		`AND protoPayload.methodName="v1.compute.projects.setCommonInstanceMetadata"`
	var viaGcloud []json.RawMessage
	require.NoError(t, json.Unmarshal([]byte(alice("logging", "read", filter, "--format=json")), &viaGcloud))
	served := entriesList(t, url, `{"resourceNames": ["projects/`+project+`"], "orderBy": "timestamp desc", "filter": `+quote(filter)+`}`)
	require.Len(t, served, 4, "first and last entries of two writes")
	require.Len(t, viaGcloud, len(served))
	for i := range served {
		require.JSONEq(t, string(served[i]), string(viaGcloud[i]), "entry %d", i)
	}

	var viaView []json.RawMessage
	require.NoError(t, json.Unmarshal([]byte(alice("logging", "read", filter, "--format=json",
		"--project=sec-audit-logs-2a7c", "--location=global", "--bucket=org-audit", "--view=_AllLogs")), &viaView))
	require.Len(t, viaView, 4)
	for i := range served {
		require.JSONEq(t, string(served[i]), string(viaView[i]), "entry %d through the sink's view", i)
	}

	// Newest first: bob's last and first entries, then alice's.
	for i, want := range []struct{ principal, key string }{
		{"bob@example.com", "enable-oslogin"}, {"bob@example.com", "enable-oslogin"},
		{"alice@example.com", "ssh-keys"}, {"alice@example.com", "ssh-keys"},
	} {
		var e struct {
			Operation struct {
				First, Last bool
			} `json:"operation"`
			Proto struct {
				Auth struct {
					PrincipalEmail string `json:"principalEmail"`
				} `json:"authenticationInfo"`
				RequestMetadata struct {
					UserAgent string `json:"callerSuppliedUserAgent"`
				} `json:"requestMetadata"`
				Metadata struct {
					Delta struct {
						Modified []string `json:"modifiedMetadataKeys"`
					} `json:"projectMetadataDelta"`
				} `json:"metadata"`
			} `json:"protoPayload"`
		}
		require.NoError(t, json.Unmarshal(viaGcloud[i], &e))
		require.Equal(t, want.principal, e.Proto.Auth.PrincipalEmail, "entry %d", i)
		require.Contains(t, e.Proto.RequestMetadata.UserAgent, "gcloud/", "entry %d", i)
		require.Contains(t, e.Proto.RequestMetadata.UserAgent, "command/gcloud.compute.project-info.add-metadata", "entry %d", i)
		require.Equal(t, []string{want.key}, e.Proto.Metadata.Delta.Modified, "entry %d", i)
		require.Equal(t, i%2 == 0, e.Operation.Last, "entry %d", i)
		require.Equal(t, i%2 == 1, e.Operation.First, "entry %d", i)
	}
}

// entriesList posts an entries.list request to the fake and returns the
// entries as served.
func entriesList(t *testing.T, url, body string) []json.RawMessage {
	t.Helper()
	resp, err := http.Post(url+"/v2/entries:list", "application/json", strings.NewReader(body))
	require.NoError(t, err)
	defer resp.Body.Close()
	require.Equal(t, http.StatusOK, resp.StatusCode)
	var out struct {
		Entries []json.RawMessage `json:"entries"`
	}
	require.NoError(t, json.NewDecoder(resp.Body).Decode(&out))
	return out.Entries
}

func quote(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}
