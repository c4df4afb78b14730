package gcpfake

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// filterDoc is an audit entry as filters see it.
func filterDoc(t *testing.T) map[string]any {
	t.Helper()
	const raw = `{
	  "protoPayload": {
	    "@type": "type.googleapis.com/google.cloud.audit.AuditLog",
	    "authenticationInfo": {"principalEmail": "Alice@example.com"},
	    "methodName": "v1.compute.instances.setMetadata",
	    "resourceName": "projects/p-1/zones/europe-west1-d/instances/vm-1",
	    "metadata": {"instanceMetadataDelta": {"modifiedMetadataKeys": ["ssh-keys", "startup-script"]}}
	  },
	  "resource": {"type": "gce_instance", "labels": {"project_id": "p-1", "zone": "europe-west1-d"}},
	  "timestamp": "2026-11-23T12:00:00.5Z",
	  "severity": "NOTICE",
	  "labels": {"compute.googleapis.com/root_trigger_id": "abc-123"},
	  "logName": "projects/p-1/logs/cloudaudit.googleapis.com%2Factivity",
	  "operation": {"id": "operation-1", "first": true}
	}`
	var doc map[string]any
	require.NoError(t, json.Unmarshal([]byte(raw), &doc))
	return doc
}

func TestFilterMatches(t *testing.T) {
	doc := filterDoc(t)
	tests := []struct {
		filter string
		want   bool
	}{
		{``, true},
		{`logName="projects/p-1/logs/cloudaudit.googleapis.com%2Factivity"`, true},
		{`log_id("cloudaudit.googleapis.com/activity")`, true},
		{`log_id("cloudaudit.googleapis.com/data_access")`, false},
		{`resource.type=gce_instance`, true},
		{`resource.type = "gce_project"`, false},
		{`resource.type=("gce_project" OR "gce_instance")`, true},
		{`protoPayload.methodName=("v1.compute.projects.setCommonInstanceMetadata" OR "v1.compute.instances.setMetadata")`, true},
		{`protoPayload.methodName:"setMetadata"`, true},
		{`protoPayload.methodName:"SETMETADATA"`, true},
		{`protoPayload.methodName:"insert"`, false},
		{`protoPayload.authenticationInfo.principalEmail="alice@example.com"`, true},
		{`proto_payload.authentication_info.principal_email="alice@example.com"`, true},
		{`protoPayload.resourceName:"instances/vm-1"`, true},
		{`protoPayload.metadata.instanceMetadataDelta.modifiedMetadataKeys="ssh-keys"`, true},
		{`protoPayload.metadata.instanceMetadataDelta.modifiedMetadataKeys!="ssh-keys"`, false},
		{`protoPayload.metadata.instanceMetadataDelta.addedMetadataKeys:*`, false},
		{`NOT protoPayload.metadata.instanceMetadataDelta.addedMetadataKeys:*`, true},
		{`protoPayload."@type"="type.googleapis.com/google.cloud.audit.AuditLog"`, true},
		{`labels."compute.googleapis.com/root_trigger_id"="abc-123"`, true},
		{`timestamp>="2026-11-23T12:00:00Z"`, true},
		{`timestamp>"2026-11-23T12:00:00.5Z"`, false},
		{`timestamp<"2026-11-23T13:00:00+01:00"`, false},
		{`timestamp<="2026-11-23T12:00:00.500Z" timestamp>="2026-11-23T12:00:00.5Z"`, true},
		{`severity>=NOTICE AND severity<ERROR`, true},
		{`severity>=WARNING`, false},
		{`operation.first=true`, true},
		{`operation.last=true`, false},
		{`protoPayload.methodName=~"^v1\\.compute\\.(projects|instances)\\."`, true},
		{`protoPayload.methodName!~"instances"`, false},
		{`-resource.type=gce_project`, true},
		{`-(resource.type=gce_instance)`, false},
		{`resource.type=gce_project OR severity=NOTICE`, true},
		// OR binds tighter than AND: (false OR true) AND (true OR false).
		{`resource.type=gce_project OR severity=NOTICE AND operation.first=true OR operation.last=true`, true},
		// and so NOT a AND b OR c is (NOT a) AND (b OR c).
		{`NOT operation.first=true AND severity=NOTICE OR resource.type=gce_instance`, false},
		{"resource.type=gce_instance -- a comment\nAND severity=NOTICE", true},
		{`(resource.type=gce_instance AND (severity=ERROR OR severity=NOTICE))`, true},
		{`resource.labels.zone:"europe-west1"`, true},
		{`missing.field="x"`, false},
		{`missing.field!="x"`, false},
	}
	for _, tt := range tests {
		t.Run(tt.filter, func(t *testing.T) {
			f, err := parseFilter(tt.filter)
			require.NoError(t, err)
			require.Equal(t, tt.want, f.match(doc))
		})
	}
}

func TestFilterRefused(t *testing.T) {
	tests := []struct{ filter, want string }{
		{`resource.type=`, "syntax error at line 1, column 15, token '<EOF>'"},
		{`(resource.type=gce_instance`, "syntax error at line 1, column 28"},
		{`resource.type=gce_instance)`, "token ')'"},
		{`AND severity=ERROR`, "token 'AND'"},
		{`severity=ERROR OR`, "token '<EOF>'"},
		{"severity=ERROR AND\n  = x", "line 2, column 3, token '='"},
		{`resource.type="gce`, "unterminated string"},
		{`"ssh-keys"`, "a global restriction"},
		{`ssh-keys`, "a global restriction"},
		{`SEARCH("ssh-keys")`, "function SEARCH"},
		{`sample(insertId, 0.1)`, "function sample"},
		{`timestamp>="yesterday"`, "Invalid timestamp"},
		{`protoPayload.methodName=~"("`, "Invalid regular expression"},
		{`severity=ERROR AND OR x`, "column 20, token 'OR'"},
		{strings.Repeat("a", maxFilterLength+1), "longer than"},
	}
	for _, tt := range tests {
		t.Run(tt.filter, func(t *testing.T) {
			_, err := parseFilter(tt.filter)
			var fe *filterError
			require.True(t, errors.As(err, &fe), "want a filterError, got %v", err)
			require.Contains(t, fe.msg, tt.want)
		})
	}
}

func FuzzParseFilter(f *testing.F) {
	f.Add(`logName="projects/p/logs/x" AND protoPayload.methodName=("a" OR "b") timestamp>="2026-01-01T00:00:00Z"`)
	f.Add(`-(a:b) NOT c!~"d" labels."x/y".z=1`)
	doc := map[string]any{"a": []any{"b", map[string]any{"c": 1.0}}}
	f.Fuzz(func(t *testing.T, s string) {
		n, err := parseFilter(s)
		if err != nil {
			var fe *filterError
			if !errors.As(err, &fe) {
				t.Fatalf("parseFilter(%q): %v is no filterError", s, err)
			}
			return
		}
		n.match(doc)
	})
}
