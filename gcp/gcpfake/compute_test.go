package gcpfake_test

import (
	"context"
	"encoding/base64"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	compute "google.golang.org/api/compute/v1"

	"github.com/ssh-pruner/ssh-pruner/gcp/gcpfake"
)

func TestProjectsGet(t *testing.T) {
	e := newEnv(t, demoSeed(t))
	p, err := e.compute.Projects.Get("web-prod-eu").Context(context.Background()).Do()
	require.NoError(t, err)
	require.Equal(t, "compute#project", p.Kind)
	require.Equal(t, "web-prod-eu", p.Name)
	require.Equal(t, uint64(482910375561), p.Id)
	require.Equal(t, e.url+"/compute/v1/projects/web-prod-eu", p.SelfLink)
	md := p.CommonInstanceMetadata
	require.Equal(t, "compute#metadata", md.Kind)
	fp, err := base64.StdEncoding.DecodeString(md.Fingerprint)
	require.NoError(t, err)
	require.Len(t, fp, 8)
	var keys []string
	for _, it := range md.Items {
		keys = append(keys, it.Key)
	}
	require.Equal(t, []string{"enable-oslogin", "ssh-keys", "startup-script", "sshKeys"}, keys)

	items, fingerprint, ok := e.fake.ProjectMetadata("web-prod-eu")
	require.True(t, ok)
	require.Equal(t, md.Fingerprint, fingerprint)
	require.Equal(t, *md.Items[1].Value, *items[1].Value)
	require.Equal(t, 1, e.fake.Calls("compute.projects.get"))
}

// setMetadata writes items with a fingerprint and waits for the operation.
func setMetadata(t *testing.T, e *env, project, fingerprint string, its []gcpfake.Item) (*compute.Operation, error) {
	t.Helper()
	md := &compute.Metadata{Fingerprint: fingerprint, Items: computeItems(its), ForceSendFields: []string{"Items"}}
	return e.compute.Projects.SetCommonInstanceMetadata(project, md).Context(context.Background()).Do()
}

func TestSetCommonInstanceMetadata(t *testing.T) {
	e := newEnv(t, demoSeed(t))
	_, fp, _ := e.fake.ProjectMetadata("api-prod-7f3a")

	op, err := setMetadata(t, e, "api-prod-7f3a", fp, items("enable-oslogin", "TRUE"))
	require.NoError(t, err)
	require.Equal(t, "compute#operation", op.Kind)
	require.Equal(t, "DONE", op.Status)
	require.Equal(t, int64(100), op.Progress)
	require.Equal(t, "setCommonInstanceMetadata", op.OperationType)
	require.Equal(t, e.url+"/compute/v1/projects/api-prod-7f3a", op.TargetLink)
	require.Equal(t, e.url+"/compute/v1/projects/api-prod-7f3a/global/operations/"+op.Name, op.SelfLink)
	require.True(t, strings.HasPrefix(op.Name, "operation-"), op.Name)
	require.Nil(t, op.Error)
	require.NotEmpty(t, op.InsertTime)
	require.NotEmpty(t, op.EndTime)

	// The write replaced the whole list and moved the fingerprint.
	got, fp2, _ := e.fake.ProjectMetadata("api-prod-7f3a")
	require.Equal(t, items("enable-oslogin", "TRUE"), got)
	require.NotEqual(t, fp, fp2)

	// The operation can be read back, and waited on.
	again, err := e.compute.GlobalOperations.Get("api-prod-7f3a", op.Name).Do()
	require.NoError(t, err)
	require.Equal(t, "DONE", again.Status)
	waited, err := e.compute.GlobalOperations.Wait("api-prod-7f3a", op.Name).Do()
	require.NoError(t, err)
	require.Equal(t, "DONE", waited.Status)
	_, err = e.compute.GlobalOperations.Get("api-prod-7f3a", "operation-nope").Do()
	ge := apiErr(t, err, http.StatusNotFound)
	require.Equal(t, []string{"notFound"}, reasons(ge))

	// An empty list clears the metadata.
	_, err = setMetadata(t, e, "api-prod-7f3a", fp2, nil)
	require.NoError(t, err)
	got, _, _ = e.fake.ProjectMetadata("api-prod-7f3a")
	require.Empty(t, got)
}

func TestStaleOrMissingFingerprint(t *testing.T) {
	e := newEnv(t, demoSeed(t))
	before, fp, _ := e.fake.ProjectMetadata("web-prod-us")
	e.fake.SetProjectMetadata("web-prod-us", before) // an outside writer: same items, new fingerprint

	for name, fingerprint := range map[string]string{"stale": fp, "missing": ""} {
		t.Run(name, func(t *testing.T) {
			_, err := setMetadata(t, e, "web-prod-us", fingerprint, items("a", "b"))
			ge := apiErr(t, err, http.StatusPreconditionFailed)
			require.Equal(t, "Supplied fingerprint does not match current metadata fingerprint.", ge.Message)
			require.Equal(t, []string{"conditionNotMet"}, reasons(ge))
		})
	}
	after, _, _ := e.fake.ProjectMetadata("web-prod-us")
	require.Equal(t, before, after)
}

func TestConcurrentWriterBetweenReadAndWrite(t *testing.T) {
	e := newEnv(t, demoSeed(t))
	ran := 0
	e.fake.OnMetadataReadBeforeWrite("data-staging-41c2", func(f *gcpfake.Fake) {
		ran++
		its, _, _ := f.ProjectMetadata("data-staging-41c2")
		f.SetProjectMetadata("data-staging-41c2", append(its, gcpfake.NewItem("added-by-someone", "x")))
	})
	p, err := e.compute.Projects.Get("data-staging-41c2").Do()
	require.NoError(t, err)
	require.Equal(t, 0, ran, "the hook waits for the write")

	_, err = setMetadata(t, e, "data-staging-41c2", p.CommonInstanceMetadata.Fingerprint, nil)
	apiErr(t, err, http.StatusPreconditionFailed)
	require.Equal(t, 1, ran)

	// Read again, write again: the hook ran once only.
	p, err = e.compute.Projects.Get("data-staging-41c2").Do()
	require.NoError(t, err)
	require.Equal(t, "added-by-someone", p.CommonInstanceMetadata.Items[len(p.CommonInstanceMetadata.Items)-1].Key)
	_, err = setMetadata(t, e, "data-staging-41c2", p.CommonInstanceMetadata.Fingerprint, nil)
	require.NoError(t, err)
	require.Equal(t, 1, ran)
}

func TestAsyncOperations(t *testing.T) {
	e := newEnv(t, demoSeed(t))
	e.fake.SetFaults("compute.projects.setCommonInstanceMetadata", "sandbox-alice-3e9d", gcpfake.Fault{OperationPolls: 3})
	_, fp, _ := e.fake.ProjectMetadata("sandbox-alice-3e9d")

	op, err := setMetadata(t, e, "sandbox-alice-3e9d", fp, items("k", "v"))
	require.NoError(t, err)
	require.Equal(t, "PENDING", op.Status)
	_, still, _ := e.fake.ProjectMetadata("sandbox-alice-3e9d")
	require.Equal(t, fp, still, "the change lands when the operation is done")

	var statuses []string
	for range 3 {
		// wait answers before DONE, as the real one does at its deadline.
		w, err := e.compute.GlobalOperations.Wait("sandbox-alice-3e9d", op.Name).Do()
		require.NoError(t, err)
		statuses = append(statuses, w.Status)
	}
	got, err := e.compute.GlobalOperations.Get("sandbox-alice-3e9d", op.Name).Do()
	require.NoError(t, err)
	statuses = append(statuses, got.Status)
	require.Equal(t, []string{"RUNNING", "RUNNING", "RUNNING", "DONE"}, statuses)
	require.Nil(t, got.Error)
	its, _, _ := e.fake.ProjectMetadata("sandbox-alice-3e9d")
	require.Equal(t, items("k", "v"), its)
}

func TestWaitReturnsAtItsDeadline(t *testing.T) {
	e := newEnv(t, demoSeed(t))
	e.fake.SetWaitDeadline(time.Millisecond)
	e.fake.SetFaults("", "ci-runners-9d02", gcpfake.Fault{OperationDuration: time.Hour})
	_, fp, _ := e.fake.ProjectMetadata("ci-runners-9d02")
	op, err := setMetadata(t, e, "ci-runners-9d02", fp, nil)
	require.NoError(t, err)
	w, err := e.compute.GlobalOperations.Wait("ci-runners-9d02", op.Name).Do()
	require.NoError(t, err)
	require.Equal(t, "RUNNING", w.Status)

	// A short operation is DONE within one wait.
	e.fake.SetWaitDeadline(time.Minute)
	e.fake.SetFaults("", "ci-runners-9d02", gcpfake.Fault{OperationDuration: time.Millisecond})
	_, fp, _ = e.fake.ProjectMetadata("ci-runners-9d02")
	op, err = setMetadata(t, e, "ci-runners-9d02", fp, nil)
	require.NoError(t, err)
	w, err = e.compute.GlobalOperations.Wait("ci-runners-9d02", op.Name).Do()
	require.NoError(t, err)
	require.Equal(t, "DONE", w.Status)
}

func TestFailingOperations(t *testing.T) {
	tests := []struct {
		name       string
		fault      gcpfake.Fault
		stale      bool
		wantCode   string
		wantStatus int64
	}{
		{"failed", gcpfake.Fault{FailOperations: true}, false, "INTERNAL_ERROR", 500},
		{"failed after polls", gcpfake.Fault{FailOperations: true, OperationPolls: 1}, false, "INTERNAL_ERROR", 500},
		{"conflict inside operation", gcpfake.Fault{ConflictInOperation: true}, true, "CONDITION_NOT_MET", 412},
		{"conflict inside async operation", gcpfake.Fault{ConflictInOperation: true, OperationPolls: 2}, true, "CONDITION_NOT_MET", 412},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t, demoSeed(t))
			e.fake.SetFaults("compute.projects.setCommonInstanceMetadata", "", tt.fault)
			before, fp, _ := e.fake.ProjectMetadata("billing-prod-2291")
			if tt.stale {
				e.fake.SetProjectMetadata("billing-prod-2291", before)
				_, fp2, _ := e.fake.ProjectMetadata("billing-prod-2291")
				require.NotEqual(t, fp, fp2)
			}
			op, err := setMetadata(t, e, "billing-prod-2291", fp, nil)
			require.NoError(t, err, "the call itself is accepted")
			for op.Status != "DONE" {
				op, err = e.compute.GlobalOperations.Wait("billing-prod-2291", op.Name).Do()
				require.NoError(t, err)
			}
			require.NotNil(t, op.Error)
			require.Equal(t, tt.wantCode, op.Error.Errors[0].Code)
			require.Equal(t, tt.wantStatus, op.HttpErrorStatusCode)
			after, _, _ := e.fake.ProjectMetadata("billing-prod-2291")
			require.Equal(t, before, after, "a failed operation changes nothing")
		})
	}
}

func TestRequestIDMakesWritesIdempotent(t *testing.T) {
	e := newEnv(t, demoSeed(t))
	_, fp, _ := e.fake.ProjectMetadata("api-prod-7f3a")
	md := &compute.Metadata{Fingerprint: fp, Items: computeItems(items("a", "1"))}
	const id = "5d1c8f3e-0b7a-4c2d-9e6f-1a2b3c4d5e6f"
	op1, err := e.compute.Projects.SetCommonInstanceMetadata("api-prod-7f3a", md).RequestId(id).Do()
	require.NoError(t, err)
	op2, err := e.compute.Projects.SetCommonInstanceMetadata("api-prod-7f3a", md).RequestId(id).Do()
	require.NoError(t, err, "a retry with the same request id is not a stale write")
	require.Equal(t, op1.Name, op2.Name)

	// The same id on a write to another resource is another request.
	in, err := e.compute.Instances.Get("api-prod-7f3a", "europe-west1-d", "api-1").Do()
	require.NoError(t, err)
	imd := &compute.Metadata{Fingerprint: in.Metadata.Fingerprint, Items: computeItems(items("b", "2"))}
	op3, err := e.compute.Instances.SetMetadata("api-prod-7f3a", "europe-west1-d", "api-1", imd).RequestId(id).Do()
	require.NoError(t, err)
	require.NotEqual(t, op1.Name, op3.Name)
	require.Equal(t, e.url+"/compute/v1/projects/api-prod-7f3a/zones/europe-west1-d/instances/api-1", op3.TargetLink)
	got, _, _ := e.fake.InstanceMetadata("api-prod-7f3a", "europe-west1-d", "api-1")
	require.Equal(t, items("b", "2"), got)
}

func TestComputeErrors(t *testing.T) {
	e := newEnv(t, demoSeed(t))
	ctx := context.Background()

	t.Run("unknown project", func(t *testing.T) {
		_, err := e.compute.Projects.Get("no-such-project").Context(ctx).Do()
		ge := apiErr(t, err, http.StatusNotFound)
		require.Equal(t, []string{"notFound"}, reasons(ge))
		require.Equal(t, "The resource 'projects/no-such-project' was not found", ge.Message)
	})
	t.Run("compute disabled", func(t *testing.T) {
		_, err := e.compute.Projects.Get("ml-staging-58b1").Context(ctx).Do()
		ge := apiErr(t, err, http.StatusForbidden)
		require.Equal(t, []string{"accessNotConfigured"}, reasons(ge))
		require.Contains(t, ge.Message, "Compute Engine API has not been used in project 264801937157 before or it is disabled")
		require.NotEmpty(t, ge.Details)
		info := ge.Details[0].(map[string]any)
		require.Equal(t, "type.googleapis.com/google.rpc.ErrorInfo", info["@type"])
		require.Equal(t, "SERVICE_DISABLED", info["reason"])
		require.Equal(t, map[string]any{
			"service": "compute.googleapis.com", "consumer": "projects/264801937157",
			"serviceTitle": "Compute Engine API", "containerInfo": "264801937157",
			"activationUrl": "https://console.developers.google.com/apis/api/compute.googleapis.com/overview?project=264801937157",
		}, info["metadata"])

		_, err = setMetadata(t, e, "ml-staging-58b1", "", nil)
		apiErr(t, err, http.StatusForbidden)
	})
	t.Run("forbidden project", func(t *testing.T) {
		_, err := e.compute.Projects.Get("hr-payroll").Context(ctx).Do()
		ge := apiErr(t, err, http.StatusForbidden)
		require.Equal(t, []string{"forbidden"}, reasons(ge))
		require.Equal(t, "Required 'compute.projects.get' permission for 'projects/hr-payroll'", ge.Message)
		_, err = e.compute.Instances.AggregatedList("hr-payroll").Context(ctx).Do()
		ge = apiErr(t, err, http.StatusForbidden)
		require.Equal(t, "Required 'compute.instances.list' permission for 'projects/hr-payroll'", ge.Message)

		// Resource Manager still lists it under its parent.
		list, err := e.crm.Projects.List().Parent("organizations/123456789012").Context(ctx).Do()
		require.NoError(t, err)
		require.Equal(t, "hr-payroll", list.Projects[0].ProjectId)
	})
	t.Run("project being deleted", func(t *testing.T) {
		_, err := e.compute.Projects.Get("legacy-crm-0417").Context(ctx).Do()
		ge := apiErr(t, err, http.StatusForbidden)
		require.Contains(t, ge.Message, "scheduled for deletion")
	})
	t.Run("unknown route", func(t *testing.T) {
		resp, err := http.Get(e.url + "/compute/v1/projects/web-prod-eu/global/networks")
		require.NoError(t, err)
		require.NoError(t, resp.Body.Close())
		require.Equal(t, http.StatusNotFound, resp.StatusCode)
	})
}

// TestURLSafeFingerprint: gcloud (apitools) sends the bytes of the
// fingerprint back in URL-safe base64; the service compares bytes.
func TestURLSafeFingerprint(t *testing.T) {
	e := newEnv(t, demoSeed(t))
	_, fp, _ := e.fake.ProjectMetadata("web-prod-us")
	for !strings.ContainsAny(fp, "+/") {
		e.fake.SetProjectMetadata("web-prod-us", nil)
		_, fp, _ = e.fake.ProjectMetadata("web-prod-us")
	}
	urlSafe := strings.NewReplacer("+", "-", "/", "_").Replace(fp)
	_, err := setMetadata(t, e, "web-prod-us", urlSafe, items("a", "b"))
	require.NoError(t, err)
	_, err = setMetadata(t, e, "web-prod-us", "not base64!", items("a", "b"))
	apiErr(t, err, http.StatusPreconditionFailed)
}
