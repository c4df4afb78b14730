package gcpfake_test

import (
	"context"
	"net/http"
	"slices"
	"testing"

	"github.com/stretchr/testify/require"
	compute "google.golang.org/api/compute/v1"

	"github.com/ssh-pruner/ssh-pruner/gcp/gcpfake"
)

func TestZonesListAndGet(t *testing.T) {
	seed := demoSeed(t)
	seed.Projects[0].Instances = append(seed.Projects[0].Instances, gcpfake.Instance{Zone: "venus-north1-a", Name: "vm"})
	e := newEnv(t, seed)
	ctx := context.Background()

	var names []string
	err := e.compute.Zones.List("api-prod-7f3a").MaxResults(10).Pages(ctx, func(l *compute.ZoneList) error {
		require.LessOrEqual(t, len(l.Items), 10)
		for _, z := range l.Items {
			names = append(names, z.Name)
		}
		return nil
	})
	require.NoError(t, err)
	require.True(t, slices.IsSorted(names), "zones come by name")
	require.Contains(t, names, "europe-west1-b")
	require.Contains(t, names, "venus-north1-a", "a zone of the seed's instances")
	require.Greater(t, len(names), 100)

	// gcloud compute zones list --filter=region:europe-west1
	l, err := e.compute.Zones.List("api-prod-7f3a").Filter(`region eq ".*\beurope\-west1\b.*"`).Do()
	require.NoError(t, err)
	names = nil
	for _, z := range l.Items {
		names = append(names, z.Name)
	}
	require.Equal(t, []string{"europe-west1-b", "europe-west1-c", "europe-west1-d"}, names)

	z, err := e.compute.Zones.Get("api-prod-7f3a", "europe-west1-b").Do()
	require.NoError(t, err)
	require.Equal(t, "compute#zone", z.Kind)
	require.Equal(t, "UP", z.Status)
	require.Equal(t, e.url+"/compute/v1/projects/api-prod-7f3a/regions/europe-west1", z.Region)
	require.Equal(t, e.url+"/compute/v1/projects/api-prod-7f3a/zones/europe-west1-b", z.SelfLink)

	_, err = e.compute.Zones.Get("api-prod-7f3a", "mars-central1-a").Do()
	ge := apiErr(t, err, http.StatusNotFound)
	require.Equal(t, "The resource 'projects/api-prod-7f3a/zones/mars-central1-a' was not found", ge.Message)
	_, err = e.compute.Zones.List("ml-staging-58b1").Do()
	apiErr(t, err, http.StatusForbidden)
	_, err = e.compute.Zones.List("api-prod-7f3a").Filter("region = (x").Do()
	apiErr(t, err, http.StatusBadRequest)
}
