package gcpfake_test

import (
	"context"
	"fmt"
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
	require.ElementsMatch(t, []string{"zones/europe-west1-b/api-2", "zones/europe-west1-b/api-3", "zones/europe-west1-d/api-1", "zones/europe-west1-d/win-jump-1"}, got)

	_, err = e.compute.Instances.AggregatedList("api-prod-7f3a").MaxResults(501).Do()
	ge := apiErr(t, err, http.StatusBadRequest)
	require.Equal(t, []string{"invalid"}, reasons(ge))
	require.Contains(t, ge.Message, "'maxResults': '501'. Must be less than or equal to 500")
	_, err = e.compute.Instances.AggregatedList("api-prod-7f3a").MaxResults(500).Do()
	require.NoError(t, err)
}

func TestAggregatedListPagesBy500ByDefault(t *testing.T) {
	seed := demoSeed(t)
	p := &seed.Projects[0]
	for i := range 501 {
		p.Instances = append(p.Instances, gcpfake.Instance{Zone: "us-east1-b", Name: fmt.Sprintf("vm-%03d", i)})
	}
	e := newEnv(t, seed)
	var sizes []int
	err := e.compute.Instances.AggregatedList(p.ID).Pages(context.Background(), func(r *compute.InstanceAggregatedList) error {
		n := 0
		for _, s := range r.Items {
			n += len(s.Instances)
		}
		sizes = append(sizes, n)
		return nil
	})
	require.NoError(t, err)
	require.Equal(t, []int{500, 503 - 500}, sizes, "501 seeded and the demo's 2")
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
	require.Equal(t, "setMetadata", op.OperationType)
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

func TestConcurrentWriterOnAnInstance(t *testing.T) {
	const project, zone, name = "sandbox-alice-3e9d", "europe-west2-a", "dev-alice"
	e := newEnv(t, demoSeed(t))
	ran := 0
	e.fake.OnInstanceMetadataReadBeforeWrite(project, zone, name, func(f *gcpfake.Fake) {
		ran++
		its, _, _ := f.InstanceMetadata(project, zone, name)
		f.SetInstanceMetadata(project, zone, name, append(its, gcpfake.NewItem("added-by-someone", "x")))
	})
	set := func(fp string) error {
		_, err := e.compute.Instances.SetMetadata(project, zone, name, &compute.Metadata{Fingerprint: fp}).Do()
		return err
	}
	_, fp, _ := e.fake.InstanceMetadata(project, zone, name)
	require.NoError(t, set(fp), "the hook waits for a read through the API")
	require.Equal(t, 0, ran)

	in, err := e.compute.Instances.Get(project, zone, name).Do()
	require.NoError(t, err)
	require.Equal(t, 0, ran, "the hook waits for the write")
	apiErr(t, set(in.Metadata.Fingerprint), http.StatusPreconditionFailed)
	require.Equal(t, 1, ran)

	// Read again, write again: the hook ran once only.
	in, err = e.compute.Instances.Get(project, zone, name).Do()
	require.NoError(t, err)
	require.Equal(t, "added-by-someone", in.Metadata.Items[len(in.Metadata.Items)-1].Key)
	require.NoError(t, set(in.Metadata.Fingerprint))
	require.Equal(t, 1, ran)
}

func TestConcurrentWriterArmedByAggregatedList(t *testing.T) {
	const project, zone, name = "sandbox-alice-3e9d", "europe-west2-a", "dev-alice"
	e := newEnv(t, demoSeed(t))
	ran := 0
	e.fake.OnInstanceMetadataReadBeforeWrite(project, zone, name, func(f *gcpfake.Fake) {
		ran++
		f.SetInstanceMetadata(project, zone, name, nil)
	})
	list, err := e.compute.Instances.AggregatedList(project).Do()
	require.NoError(t, err)
	in := list.Items["zones/"+zone].Instances[0]
	_, err = e.compute.Instances.SetMetadata(project, zone, name, &compute.Metadata{Fingerprint: in.Metadata.Fingerprint}).Do()
	apiErr(t, err, http.StatusPreconditionFailed)
	require.Equal(t, 1, ran)
}

func TestSetInstanceMetadataMovesTheFingerprint(t *testing.T) {
	e := newEnv(t, demoSeed(t))
	before, err := e.compute.Instances.Get("web-prod-eu", "europe-west1-b", "web-eu-1").Do()
	require.NoError(t, err)
	e.fake.SetInstanceMetadata("web-prod-eu", "europe-west1-b", "web-eu-1", items("a", "1"))
	after, err := e.compute.Instances.Get("web-prod-eu", "europe-west1-b", "web-eu-1").Do()
	require.NoError(t, err)
	require.NotEqual(t, before.Metadata.Fingerprint, after.Metadata.Fingerprint)
	require.NotEqual(t, before.Fingerprint, after.Fingerprint, "the instance's own fingerprint moves too")
	require.Len(t, after.Metadata.Items, 1)
	require.Panics(t, func() { e.fake.SetInstanceMetadata("web-prod-eu", "europe-west1-b", "nope", nil) })
}
