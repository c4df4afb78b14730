package gcpfake_test

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
	compute "google.golang.org/api/compute/v1"

	"github.com/ssh-pruner/ssh-pruner/gcp/gcpfake"
)

func TestInstancesGetAndList(t *testing.T) {
	e := newEnv(t, demoSeed(t))
	in, err := e.compute.Instances.Get("web-prod-eu", "europe-west1-b", "web-eu-1").Do()
	require.NoError(t, err)
	require.Equal(t, "compute#instance", in.Kind)
	require.Equal(t, uint64(4817263540918273645), in.Id)
	require.Equal(t, e.url+"/compute/v1/projects/web-prod-eu/zones/europe-west1-b", in.Zone)
	require.Equal(t, "block-project-ssh-keys", in.Metadata.Items[0].Key)
	require.NotEmpty(t, in.Metadata.Fingerprint)

	list, err := e.compute.Instances.List("web-prod-eu", "europe-west1-c").Do()
	require.NoError(t, err)
	require.Len(t, list.Items, 1)
	require.Equal(t, "web-eu-2", list.Items[0].Name)
	empty, err := e.compute.Instances.List("web-prod-eu", "us-east1-b").Do()
	require.NoError(t, err)
	require.Empty(t, empty.Items)

	_, err = e.compute.Instances.Get("web-prod-eu", "europe-west1-b", "nope").Do()
	require.Equal(t, []string{"notFound"}, reasons(apiErr(t, err, http.StatusNotFound)))
	_, err = e.compute.Instances.List("web-prod-eu", "moon").Do()
	apiErr(t, err, http.StatusNotFound)
}

func TestInstancesAggregatedList(t *testing.T) {
	seed := demoSeed(t)
	for i := range seed.Projects {
		if seed.Projects[i].ID == "api-prod-7f3a" {
			for _, n := range []string{"api-2", "api-3"} {
				seed.Projects[i].Instances = append(seed.Projects[i].Instances, gcpfake.Instance{Zone: "europe-west1-b", Name: n})
			}
		}
	}
	e := newEnv(t, seed)
	var got []string
	pages := 0
	err := e.compute.Instances.AggregatedList("api-prod-7f3a").MaxResults(2).Pages(context.Background(), func(r *compute.InstanceAggregatedList) error {
		pages++
		for scope, s := range r.Items {
			require.True(t, strings.HasPrefix(scope, "zones/"), scope)
			if len(s.Instances) == 0 {
				require.Equal(t, "NO_RESULTS_ON_PAGE", s.Warning.Code)
			}
			for _, in := range s.Instances {
				require.Equal(t, scope, "zones/"+in.Zone[strings.LastIndex(in.Zone, "/")+1:])
				got = append(got, scope+"/"+in.Name)
			}
		}
		return nil
	})
	require.NoError(t, err)
	require.Equal(t, 2, pages)
	require.ElementsMatch(t, []string{"zones/europe-west1-b/api-2", "zones/europe-west1-b/api-3", "zones/europe-west1-d/api-1"}, got)

	_, err = e.compute.Instances.AggregatedList("api-prod-7f3a").MaxResults(501).Do()
	apiErr(t, err, http.StatusBadRequest)
}

func TestInstanceSetMetadata(t *testing.T) {
	e := newEnv(t, demoSeed(t))
	e.fake.SetFaults("compute.instances.setMetadata", "", gcpfake.Fault{OperationPolls: 1})
	in, err := e.compute.Instances.Get("sandbox-alice-3e9d", "europe-west2-a", "dev-alice").Do()
	require.NoError(t, err)

	md := &compute.Metadata{Fingerprint: "c3RhbGU=", Items: computeItems(items("a", "1"))}
	_, err = e.compute.Instances.SetMetadata("sandbox-alice-3e9d", "europe-west2-a", "dev-alice", md).Do()
	require.Equal(t, []string{"conditionNotMet"}, reasons(apiErr(t, err, http.StatusPreconditionFailed)))

	md.Fingerprint = in.Metadata.Fingerprint
	op, err := e.compute.Instances.SetMetadata("sandbox-alice-3e9d", "europe-west2-a", "dev-alice", md).Do()
	require.NoError(t, err)
	require.Equal(t, "PENDING", op.Status)
	require.Equal(t, e.url+"/compute/v1/projects/sandbox-alice-3e9d/zones/europe-west2-a", op.Zone)
	require.Equal(t, e.url+"/compute/v1/projects/sandbox-alice-3e9d/zones/europe-west2-a/instances/dev-alice", op.TargetLink)
	for op.Status != "DONE" {
		op, err = e.compute.ZoneOperations.Wait("sandbox-alice-3e9d", "europe-west2-a", op.Name).Do()
		require.NoError(t, err)
	}
	op, err = e.compute.ZoneOperations.Get("sandbox-alice-3e9d", "europe-west2-a", op.Name).Do()
	require.NoError(t, err)
	require.Nil(t, op.Error)
	got, fp, ok := e.fake.InstanceMetadata("sandbox-alice-3e9d", "europe-west2-a", "dev-alice")
	require.True(t, ok)
	require.Equal(t, items("a", "1"), got)
	require.NotEqual(t, in.Metadata.Fingerprint, fp)

	_, err = e.compute.ZoneOperations.Get("sandbox-alice-3e9d", "europe-west1-b", op.Name).Do()
	apiErr(t, err, http.StatusNotFound)
	require.Equal(t, 2, e.fake.Calls("compute.zoneOperations.get"))
	require.Equal(t, 2, e.fake.Calls("compute.zoneOperations.wait"), "one poll RUNNING, then DONE")
}
