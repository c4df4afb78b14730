package gcpfake_test

import (
	"context"
	"net/http"
	"testing"

	"github.com/stretchr/testify/require"
	compute "google.golang.org/api/compute/v1"
	"google.golang.org/api/googleapi"

	"github.com/ssh-pruner/ssh-pruner/gcp/gcpfake"
)

func TestUnknownZone(t *testing.T) {
	seed := demoSeed(t)
	seed.Projects[0].Instances = append(seed.Projects[0].Instances, gcpfake.Instance{Zone: "venus-north1-a", Name: "vm"})
	e := newEnv(t, seed)
	const p = "web-prod-eu"
	calls := map[string]func(zone string) error{
		"instances.get": func(zone string) error { _, err := e.compute.Instances.Get(p, zone, "web-eu-1").Do(); return err },
		"instances.list": func(zone string) error {
			_, err := e.compute.Instances.List(p, zone).Do()
			return err
		},
		"instances.setMetadata": func(zone string) error {
			_, err := e.compute.Instances.SetMetadata(p, zone, "web-eu-1", &compute.Metadata{Fingerprint: "c3RhbGU="}).Do()
			return err
		},
		"zoneOperations.get": func(zone string) error {
			_, err := e.compute.ZoneOperations.Get(p, zone, "operation-1").Do()
			return err
		},
		"zoneOperations.wait": func(zone string) error {
			_, err := e.compute.ZoneOperations.Wait(p, zone, "operation-1").Do()
			return err
		},
	}
	for name, call := range calls {
		t.Run(name, func(t *testing.T) {
			for _, zone := range []string{"mars-central1-a", "europe-west1", "moon"} {
				ge := apiErr(t, call(zone), http.StatusBadRequest)
				require.Equal(t, []string{"invalid"}, reasons(ge))
				require.Equal(t, "Invalid value for field 'zone': '"+zone+"'. Unknown zone.", ge.Message)
			}
			// A real zone, and a zone the seed brings, are known: the
			// call gets as far as the instance or operation.
			for _, zone := range []string{"asia-east1-a", "venus-north1-a"} {
				require.NotEqual(t, http.StatusBadRequest, codeOf(t, call(zone)), zone)
			}
		})
	}
}

// aggregated lists a project's instances, every page, with or without
// partial success, as "zones/Z/NAME", and the unreachables of each page.
// The client has no setter for returnPartialSuccess, hence no Pages.
func aggregated(t *testing.T, e *env, project string, partial bool, pageSize int64) (names []string, unreachables [][]string, err error) {
	t.Helper()
	token := ""
	for {
		call := e.compute.Instances.AggregatedList(project).MaxResults(pageSize).PageToken(token).Context(context.Background())
		var r *compute.InstanceAggregatedList
		if partial {
			r, err = call.Do(googleapi.QueryParameter("returnPartialSuccess", "true"))
		} else {
			r, err = call.Do()
		}
		if err != nil {
			return names, unreachables, err
		}
		for scope, s := range r.Items {
			for _, in := range s.Instances {
				names = append(names, scope+"/"+in.Name)
			}
		}
		unreachables = append(unreachables, r.Unreachables)
		if token = r.NextPageToken; token == "" {
			return names, unreachables, nil
		}
	}
}

func TestUnreachableZone(t *testing.T) {
	seed := demoSeed(t)
	var p *gcpfake.Project
	for i := range seed.Projects {
		if seed.Projects[i].ID == "web-prod-eu" {
			p = &seed.Projects[i]
		}
	}
	p.Instances = append(p.Instances, gcpfake.Instance{Zone: "europe-west1-b", Name: "web-eu-3"}, gcpfake.Instance{Zone: "europe-west1-d", Name: "web-eu-4"})
	e := newEnv(t, seed)
	all := []string{"zones/europe-west1-b/web-eu-1", "zones/europe-west1-b/web-eu-3", "zones/europe-west1-c/web-eu-2", "zones/europe-west1-d/web-eu-4"}

	names, unreachables, err := aggregated(t, e, p.ID, true, 500)
	require.NoError(t, err)
	require.ElementsMatch(t, all, names)
	require.Equal(t, [][]string{nil}, unreachables)

	e.fake.SetZoneUnreachable("europe-west1-b", true)
	e.fake.SetZoneUnreachable("us-west4-c", true) // no instances of the project there
	t.Run("partial success", func(t *testing.T) {
		names, unreachables, err := aggregated(t, e, p.ID, true, 1)
		require.NoError(t, err)
		require.ElementsMatch(t, []string{"zones/europe-west1-c/web-eu-2", "zones/europe-west1-d/web-eu-4"}, names)
		want := []string{"zones/europe-west1-b", "zones/us-west4-c"}
		require.Equal(t, [][]string{want, want}, unreachables, "named on every page")
	})
	t.Run("no partial success", func(t *testing.T) {
		_, _, err := aggregated(t, e, p.ID, false, 500)
		ge := apiErr(t, err, http.StatusServiceUnavailable)
		require.Contains(t, ge.Message, "zones/europe-west1-b")
		_, err = e.compute.Instances.AggregatedList(p.ID).Do(googleapi.QueryParameter("returnPartialSuccess", "false"))
		apiErr(t, err, http.StatusServiceUnavailable)
	})
	t.Run("zonal calls", func(t *testing.T) {
		_, err := e.compute.Instances.Get(p.ID, "europe-west1-b", "web-eu-1").Do()
		apiErr(t, err, http.StatusServiceUnavailable)
		_, err = e.compute.Instances.List(p.ID, "europe-west1-b").Do()
		apiErr(t, err, http.StatusServiceUnavailable)
		_, err = e.compute.Instances.Get(p.ID, "europe-west1-c", "web-eu-2").Do()
		require.NoError(t, err, "other zones answer")
	})
	t.Run("bad parameter", func(t *testing.T) {
		_, err := e.compute.Instances.AggregatedList(p.ID).Do(googleapi.QueryParameter("returnPartialSuccess", "maybe"))
		apiErr(t, err, http.StatusBadRequest)
	})

	e.fake.SetZoneUnreachable("europe-west1-b", false)
	e.fake.SetZoneUnreachable("us-west4-c", false)
	names, unreachables, err = aggregated(t, e, p.ID, false, 500)
	require.NoError(t, err)
	require.ElementsMatch(t, all, names)
	require.Equal(t, [][]string{nil}, unreachables)
}
