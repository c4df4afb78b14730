package gcpfake_test

import (
	"net/http"
	"testing"

	"github.com/stretchr/testify/require"
	compute "google.golang.org/api/compute/v1"
)

// TestRequestIDMustBeAUUID: the reference of every Compute write says the
// request ID must be a valid UUID, other than the zero one.
func TestRequestIDMustBeAUUID(t *testing.T) {
	e := newEnv(t, demoSeed(t))
	// fingerprints are those of the project's and the instance's metadata.
	fingerprints := func() (project, instance string) {
		_, project, _ = e.fake.ProjectMetadata("api-prod-7f3a")
		in, err := e.compute.Instances.Get("api-prod-7f3a", "europe-west1-d", "api-1").Do()
		require.NoError(t, err)
		return project, in.Metadata.Fingerprint
	}
	writes := map[string]func(id, projectFP, instanceFP string) (*compute.Operation, error){
		"setCommonInstanceMetadata": func(id, fp, _ string) (*compute.Operation, error) {
			md := &compute.Metadata{Fingerprint: fp, Items: computeItems(items("a", "1"))}
			return e.compute.Projects.SetCommonInstanceMetadata("api-prod-7f3a", md).RequestId(id).Do()
		},
		"instances.setMetadata": func(id, _, fp string) (*compute.Operation, error) {
			md := &compute.Metadata{Fingerprint: fp, Items: computeItems(items("b", "2"))}
			return e.compute.Instances.SetMetadata("api-prod-7f3a", "europe-west1-d", "api-1", md).RequestId(id).Do()
		},
	}
	for name, write := range writes {
		t.Run(name, func(t *testing.T) {
			projectFP, instanceFP := fingerprints()
			for _, id := range []string{
				"retry-1", "5d1c8f3e0b7a4c2d9e6f1a2b3c4d5e6f", "{5d1c8f3e-0b7a-4c2d-9e6f-1a2b3c4d5e6f}",
				"5d1c8f3e-0b7a-4c2d-9e6f-1a2b3c4d5e6", "00000000-0000-0000-0000-000000000000",
			} {
				_, err := write(id, projectFP, instanceFP)
				ge := apiErr(t, err, http.StatusBadRequest)
				require.Equal(t, []string{"invalid"}, reasons(ge))
				require.Contains(t, ge.Message, "Invalid value for field 'requestId': '"+id+"'. The request ID must be a valid UUID")
			}
			p, i := fingerprints()
			require.Equal(t, []string{projectFP, instanceFP}, []string{p, i}, "a refused write changes nothing")

			// Upper case is a UUID too; the retry is the same operation.
			const id = "5D1C8F3E-0B7A-4C2D-9E6F-1A2B3C4D5E6F"
			op1, err := write(id, projectFP, instanceFP)
			require.NoError(t, err)
			op2, err := write(id, projectFP, instanceFP)
			require.NoError(t, err, "a retry is not a stale write")
			require.Equal(t, op1.Name, op2.Name)
		})
	}
}
