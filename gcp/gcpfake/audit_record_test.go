package gcpfake_test

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
	compute "google.golang.org/api/compute/v1"

	"github.com/ssh-pruner/ssh-pruner/gcp/gcpfake"
)

// auditEntry is what the tests read of an entry: the fields Google's
// Compute audit entries carry, decoded from what entries.list serves.
type auditEntry struct {
	LogName   string `json:"logName"`
	InsertID  string `json:"insertId"`
	Severity  string `json:"severity"`
	Timestamp string `json:"timestamp"`
	Resource  struct {
		Type   string            `json:"type"`
		Labels map[string]string `json:"labels"`
	} `json:"resource"`
	Operation *struct {
		ID       string `json:"id"`
		Producer string `json:"producer"`
		First    bool   `json:"first"`
		Last     bool   `json:"last"`
	} `json:"operation"`
	Proto struct {
		Type string `json:"@type"`
		Auth struct {
			PrincipalEmail string `json:"principalEmail"`
			Delegation     []struct {
				First struct {
					PrincipalEmail string `json:"principalEmail"`
				} `json:"firstPartyPrincipal"`
			} `json:"serviceAccountDelegationInfo"`
		} `json:"authenticationInfo"`
		RequestMetadata struct {
			CallerIP  string `json:"callerIp"`
			UserAgent string `json:"callerSuppliedUserAgent"`
		} `json:"requestMetadata"`
		ServiceName  string         `json:"serviceName"`
		MethodName   string         `json:"methodName"`
		ResourceName string         `json:"resourceName"`
		Request      map[string]any `json:"request"`
		Status       *struct {
			Code    int    `json:"code"`
			Message string `json:"message"`
		} `json:"status"`
		Metadata struct {
			Type    string `json:"@type"`
			Project *delta `json:"projectMetadataDelta"`
			Inst    *delta `json:"instanceMetadataDelta"`
		} `json:"metadata"`
	} `json:"protoPayload"`
}

type delta struct {
	Added    []string `json:"addedMetadataKeys"`
	Modified []string `json:"modifiedMetadataKeys"`
	Deleted  []string `json:"deletedMetadataKeys"`
}

// recorded decodes the audit entries of a project's log.
func recorded(t *testing.T, f *gcpfake.Fake, project string) []auditEntry {
	t.Helper()
	var out []auditEntry
	for _, raw := range f.AuditEntries(project) {
		var e auditEntry
		require.NoError(t, json.Unmarshal(raw, &e))
		out = append(out, e)
	}
	return out
}

func setProjectKeys(ctx context.Context, e *env, project, fingerprint string) (*compute.Operation, error) {
	return e.compute.Projects.SetCommonInstanceMetadata(project, &compute.Metadata{
		Fingerprint: fingerprint, Items: computeItems(items("ssh-keys", "alice:ssh-ed25519 AAAA alice")),
	}).Context(ctx).Do()
}

// TestAuditRecordsOutcomes shows what each outcome of a write leaves in
// the audit log: an operation's first entry at the call and its last at
// the end, ERROR entries with a status for what Compute refuses or fails,
// and nothing for what never reached it.
func TestAuditRecordsOutcomes(t *testing.T) {
	ctx := context.Background()
	const project = "api-prod-7f3a"
	fresh := func(t *testing.T) *env {
		t.Helper()
		return newEnv(t, demoSeed(t))
	}
	fp := func(t *testing.T, e *env, project string) string {
		t.Helper()
		_, fp, ok := e.fake.ProjectMetadata(project)
		require.True(t, ok)
		return fp
	}

	t.Run("no token is the default principal", func(t *testing.T) {
		e := fresh(t)
		op, err := setProjectKeys(ctx, e, project, fp(t, e, project))
		require.NoError(t, err)
		require.Equal(t, gcpfake.DefaultPrincipalEmail, op.User)
		got := recorded(t, e.fake, project)
		require.Len(t, got, 2)
		require.Equal(t, gcpfake.DefaultPrincipalEmail, got[0].Proto.Auth.PrincipalEmail)
		require.Empty(t, got[0].Proto.Auth.Delegation)
	})

	t.Run("operation still running logs only its first entry", func(t *testing.T) {
		e := fresh(t)
		e.fake.SetFaults("compute.projects.setCommonInstanceMetadata", "", gcpfake.Fault{OperationPolls: 2})
		op, err := setProjectKeys(ctx, e, project, fp(t, e, project))
		require.NoError(t, err)
		require.Len(t, recorded(t, e.fake, project), 1)
		for range 2 {
			_, err = e.compute.GlobalOperations.Get(project, op.Name).Context(ctx).Do()
			require.NoError(t, err)
			require.Len(t, recorded(t, e.fake, project), 1)
		}
		_, err = e.compute.GlobalOperations.Get(project, op.Name).Context(ctx).Do()
		require.NoError(t, err)
		got := recorded(t, e.fake, project)
		require.Len(t, got, 2)
		require.True(t, got[1].Operation.Last)
		require.Equal(t, "NOTICE", got[1].Severity)
	})

	t.Run("stale fingerprint: one ERROR entry, FAILED_PRECONDITION", func(t *testing.T) {
		e := fresh(t)
		_, err := setProjectKeys(ctx, e, project, "AAAAAAAAAAA=")
		apiErr(t, err, http.StatusPreconditionFailed)
		got := recorded(t, e.fake, project)
		require.Len(t, got, 1)
		require.Equal(t, "ERROR", got[0].Severity)
		require.Nil(t, got[0].Operation)
		require.Equal(t, 9, got[0].Proto.Status.Code)
		require.Equal(t, "Supplied fingerprint does not match current metadata fingerprint.", got[0].Proto.Status.Message)
		require.Nil(t, got[0].Proto.Metadata.Project, "nothing changed")
	})

	t.Run("IAM refusal: one ERROR entry, PERMISSION_DENIED", func(t *testing.T) {
		e := fresh(t)
		_, err := setProjectKeys(ctx, e, "hr-payroll", "AAAAAAAAAAA=")
		apiErr(t, err, http.StatusForbidden)
		got := recorded(t, e.fake, "hr-payroll")
		require.Len(t, got, 1)
		require.Equal(t, 7, got[0].Proto.Status.Code)
		require.Equal(t, "projects/hr-payroll/logs/cloudaudit.googleapis.com%2Factivity", got[0].LogName)
	})

	t.Run("operation that fails: its last entry is an ERROR", func(t *testing.T) {
		e := fresh(t)
		e.fake.SetFaults("compute.projects.setCommonInstanceMetadata", "", gcpfake.Fault{FailOperations: true})
		_, err := setProjectKeys(ctx, e, project, fp(t, e, project))
		require.NoError(t, err)
		got := recorded(t, e.fake, project)
		require.Len(t, got, 2)
		require.Equal(t, "NOTICE", got[0].Severity)
		require.Equal(t, "ERROR", got[1].Severity)
		require.Equal(t, 13, got[1].Proto.Status.Code)
	})

	t.Run("conflict found by the operation: FAILED_PRECONDITION at the end", func(t *testing.T) {
		e := fresh(t)
		e.fake.SetFaults("compute.projects.setCommonInstanceMetadata", "", gcpfake.Fault{ConflictInOperation: true})
		_, err := setProjectKeys(ctx, e, project, "AAAAAAAAAAA=")
		require.NoError(t, err)
		got := recorded(t, e.fake, project)
		require.Len(t, got, 2)
		require.Equal(t, 9, got[1].Proto.Status.Code)
	})

	t.Run("calls Compute never served log nothing", func(t *testing.T) {
		e := fresh(t)
		_, err := setProjectKeys(ctx, e, "no-such-project", "AAAAAAAAAAA=")
		apiErr(t, err, http.StatusNotFound)
		_, err = setProjectKeys(ctx, e, "legacy-crm-0417", "AAAAAAAAAAA=") // being deleted
		apiErr(t, err, http.StatusForbidden)
		_, err = e.compute.Instances.SetMetadata(project, "europe-west1-d", "no-such-vm", &compute.Metadata{}).Context(ctx).Do()
		apiErr(t, err, http.StatusNotFound)
		e.fake.SetProjectMetadata(project, items("ssh-keys", "x"))
		for _, p := range e.fake.Projects() {
			require.Empty(t, e.fake.AuditEntries(p), p)
		}
	})
}

// TestAuditNeverLogsValues writes a distinctive value and finds it in no
// entry: the metadata portion of the request is redacted.
func TestAuditNeverLogsValues(t *testing.T) {
	e := newEnv(t, demoSeed(t))
	_, fp, _ := e.fake.ProjectMetadata("web-prod-eu")
	_, err := e.compute.Projects.SetCommonInstanceMetadata("web-prod-eu", &compute.Metadata{
		Fingerprint: fp, Items: computeItems(items("ssh-keys", "zed:ssh-ed25519 SECRETVALUE zed")),
	}).Context(context.Background()).Do()
	require.NoError(t, err)
	entries := e.fake.AuditEntries("web-prod-eu")
	require.Len(t, entries, 2)
	for _, raw := range entries {
		require.False(t, strings.Contains(string(raw), "SECRETVALUE"), "%s", raw)
	}
}
