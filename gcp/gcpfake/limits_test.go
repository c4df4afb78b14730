package gcpfake_test

import (
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/ssh-pruner/ssh-pruner/gcp/gcpfake"
)

// maxValue is Compute Engine's documented limit on a metadata value, in bytes.
const maxValue = 262144

func TestMetadataLimits(t *testing.T) {
	big := strings.Repeat("x", maxValue)
	tests := []struct {
		name    string
		items   []gcpfake.Item
		wantMsg string // empty: accepted
	}{
		{"value at the limit", items("k", big), ""},
		{"value over the limit", items("a", "1", "k", big+"x"),
			"Value for field 'resource.items[1].value' is too large: maximum size 262144 character(s); actual size 262145."},
		{"total at the limit", items("a", big[:maxValue-1], "b", big[:maxValue-1]), ""},
		{"total over the limit", items("a", big, "b", big), "Metadata total size 524290 exceeds the limit of 524288 bytes."},
		{"duplicate key", items("ssh-keys", "a", "x", "1", "ssh-keys", "b"), "Metadata has duplicate keys: ssh-keys"},
		{"key of 127 bytes", items(strings.Repeat("k", 127), "v"), ""},
		{"key of 128 bytes", items(strings.Repeat("k", 128), "v"),
			"Invalid value for field 'resource.items[0].key': '" + strings.Repeat("k", 128) + "'. Must be a match of regex '[a-zA-Z0-9-_]{1,128}'"},
		{"empty key", items("", "v"), "Invalid value for field 'resource.items[0].key': ''."},
		{"key with a dot", items("ok", "1", "ssh.keys", "v"), "Invalid value for field 'resource.items[1].key': 'ssh.keys'."},
		{"key with a space", items("ssh keys", "v"), "Invalid value for field 'resource.items[0].key': 'ssh keys'."},
		{"key with a non-ASCII letter", items("clé", "v"), "Invalid value for field 'resource.items[0].key': 'clé'."},
		{"all allowed characters", items("aZ09-_", "v"), ""},
		{"item without a value", []gcpfake.Item{{Key: "flag"}}, ""},
	}
	e := newEnv(t, demoSeed(t))
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before, fp, _ := e.fake.ProjectMetadata("shared-vpc-host-01")
			_, err := setMetadata(t, e, "shared-vpc-host-01", fp, tt.items)
			if tt.wantMsg == "" {
				require.NoError(t, err)
				got, _, _ := e.fake.ProjectMetadata("shared-vpc-host-01")
				require.Equal(t, tt.items, got)
				return
			}
			ge := apiErr(t, err, http.StatusBadRequest)
			require.Equal(t, []string{"invalid"}, reasons(ge))
			require.Contains(t, ge.Message, tt.wantMsg)
			after, fp2, _ := e.fake.ProjectMetadata("shared-vpc-host-01")
			require.Equal(t, before, after)
			require.Equal(t, fp, fp2)
		})
	}
}

// TestErrorBodyShape reads an error as raw JSON, fields the Go client drops
// included.
func TestErrorBodyShape(t *testing.T) {
	e := newEnv(t, demoSeed(t))
	resp, err := http.Post(e.url+"/compute/v1/projects/web-prod-eu/setCommonInstanceMetadata", "application/json",
		strings.NewReader(`{"fingerprint": "AAAAAAAAAAA=", "items": []}`))
	require.NoError(t, err)
	defer resp.Body.Close()
	require.Equal(t, http.StatusPreconditionFailed, resp.StatusCode)
	require.Equal(t, "application/json; charset=UTF-8", resp.Header.Get("Content-Type"))
	body, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	require.JSONEq(t, `{"error": {
		"code": 412,
		"message": "Supplied fingerprint does not match current metadata fingerprint.",
		"status": "FAILED_PRECONDITION",
		"errors": [{"message": "Supplied fingerprint does not match current metadata fingerprint.",
		            "domain": "global", "reason": "conditionNotMet", "location": "If-Match", "locationType": "header"}]}}`, string(body))

	resp, err = http.Post(e.url+"/compute/v1/projects/web-prod-eu/setCommonInstanceMetadata", "application/json",
		strings.NewReader(`{"fingerprint": "x", "itemz": []}`))
	require.NoError(t, err)
	defer resp.Body.Close()
	require.Equal(t, http.StatusBadRequest, resp.StatusCode)
	var got struct {
		Error struct {
			Message string `json:"message"`
			Status  string `json:"status"`
		} `json:"error"`
	}
	require.NoError(t, json.NewDecoder(resp.Body).Decode(&got))
	require.Equal(t, "INVALID_ARGUMENT", got.Error.Status)
	require.Contains(t, got.Error.Message, `unknown field "itemz"`)
}

func TestMetadataWriteBody(t *testing.T) {
	e := newEnv(t, demoSeed(t))
	_, fp, _ := e.fake.ProjectMetadata("web-prod-eu")
	tests := []struct {
		name, body string
		wantCode   int
		wantMsg    string
	}{
		{"empty", ``, http.StatusBadRequest, "Required field 'resource' not specified"},
		{"not an object", `[]`, http.StatusBadRequest, "Invalid JSON payload received."},
		{"trailing object", `{"fingerprint": "` + fp + `", "items": []} {}`, http.StatusBadRequest, "Unexpected token"},
		{"trailing garbage", `{"fingerprint": "` + fp + `", "items": []}x`, http.StatusBadRequest, "Unexpected token"},
		{"invalid key", `{"fingerprint": "` + fp + `", "items": [{"key": "a b"}]}`, http.StatusBadRequest, "resource.items[0].key"},
		{"trailing white space", `{"fingerprint": "` + fp + `", "items": []}` + " \n", http.StatusOK, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp, err := http.Post(e.url+"/compute/v1/projects/web-prod-eu/setCommonInstanceMetadata", "application/json", strings.NewReader(tt.body))
			require.NoError(t, err)
			defer resp.Body.Close()
			require.Equal(t, tt.wantCode, resp.StatusCode)
			var got struct {
				Error struct {
					Message string `json:"message"`
				} `json:"error"`
			}
			require.NoError(t, json.NewDecoder(resp.Body).Decode(&got))
			require.Contains(t, got.Error.Message, tt.wantMsg)
		})
	}
}
