package gcpfake_test

import (
	"net"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
	compute "google.golang.org/api/compute/v1"
	"google.golang.org/api/googleapi"

	"github.com/ssh-pruner/ssh-pruner/gcp/gcpfake"
)

const windowsLicense = "https://www.googleapis.com/compute/v1/projects/windows-cloud/global/licenses/windows-server-2022-dc"

func resourceSeed(t *testing.T) *gcpfake.Seed {
	t.Helper()
	seed := demoSeed(t)
	p := &seed.Projects[0]
	p.Instances = append(p.Instances,
		gcpfake.Instance{
			Zone: "europe-west1-d", Name: "win-1", Windows: true, Labels: map[string]string{"os": "windows", "team": "web"},
			NetworkIP: "10.132.0.9", NatIP: "35.195.1.2", ServiceAccount: "web@web-prod-eu.iam.gserviceaccount.com",
			Effective: &gcpfake.EffectiveMetadata{BlockProjectSSHKeys: true, EnableOSLogin: true},
		},
		gcpfake.Instance{Zone: "europe-west1-d", Name: "stopped", Status: "TERMINATED"},
		gcpfake.Instance{Zone: "europe-west1-d", Name: "stopped-static", Status: "TERMINATED", NatIP: "35.195.1.3"},
		gcpfake.Instance{Zone: "europe-west1-d", Name: "internal", NoExternalIP: true},
	)
	return seed
}

func TestInstanceResource(t *testing.T) {
	e := newEnv(t, resourceSeed(t))
	get := func(zone, name string) *compute.Instance {
		t.Helper()
		in, err := e.compute.Instances.Get("web-prod-eu", zone, name).Do()
		require.NoError(t, err)
		return in
	}
	base := e.url + "/compute/v1/projects/web-prod-eu/"

	t.Run("defaults", func(t *testing.T) {
		in := get("europe-west1-b", "web-eu-1")
		require.Equal(t, "RUNNING", in.Status)
		require.Empty(t, in.Labels)
		require.Empty(t, in.ServiceAccounts)
		require.Nil(t, in.ResourceStatus, "the seed says nothing of the effective metadata")
		require.Len(t, in.NetworkInterfaces, 1)
		nic := in.NetworkInterfaces[0]
		require.Equal(t, "compute#networkInterface", nic.Kind)
		require.Equal(t, "nic0", nic.Name)
		require.Equal(t, base+"global/networks/default", nic.Network)
		require.Equal(t, base+"regions/europe-west1/subnetworks/default", nic.Subnetwork)
		require.True(t, strings.HasPrefix(nic.NetworkIP, "10."), nic.NetworkIP)
		require.NotNil(t, net.ParseIP(nic.NetworkIP).To4(), nic.NetworkIP)
		require.Len(t, nic.AccessConfigs, 1)
		ac := nic.AccessConfigs[0]
		require.Equal(t, "compute#accessConfig", ac.Kind)
		require.Equal(t, "ONE_TO_ONE_NAT", ac.Type)
		require.Equal(t, "External NAT", ac.Name)
		require.NotNil(t, net.ParseIP(ac.NatIP).To4(), ac.NatIP)
		require.Equal(t, in.NetworkInterfaces, get("europe-west1-b", "web-eu-1").NetworkInterfaces, "stable")
		require.NotEqual(t, nic.NetworkIP, get("europe-west1-c", "web-eu-2").NetworkInterfaces[0].NetworkIP)

		require.Len(t, in.Disks, 1)
		d := in.Disks[0]
		require.True(t, d.Boot)
		require.Equal(t, base+"zones/europe-west1-b/disks/web-eu-1", d.Source)
		require.Equal(t, []string{"https://www.googleapis.com/compute/v1/projects/debian-cloud/global/licenses/debian-12-bookworm"}, d.Licenses)
		for _, f := range d.GuestOsFeatures {
			require.NotEqual(t, "WINDOWS", f.Type)
		}
	})
	t.Run("windows", func(t *testing.T) {
		in := get("europe-west1-d", "win-1")
		require.Equal(t, map[string]string{"os": "windows", "team": "web"}, in.Labels)
		require.NotEmpty(t, in.LabelFingerprint)
		require.NotEqual(t, get("europe-west1-b", "web-eu-1").LabelFingerprint, in.LabelFingerprint)
		require.Equal(t, "10.132.0.9", in.NetworkInterfaces[0].NetworkIP)
		require.Equal(t, "35.195.1.2", in.NetworkInterfaces[0].AccessConfigs[0].NatIP)
		require.Equal(t, []string{windowsLicense}, in.Disks[0].Licenses)
		var features []string
		for _, f := range in.Disks[0].GuestOsFeatures {
			features = append(features, f.Type)
		}
		require.Contains(t, features, "WINDOWS")
		require.Len(t, in.ServiceAccounts, 1)
		require.Equal(t, "web@web-prod-eu.iam.gserviceaccount.com", in.ServiceAccounts[0].Email)
		require.Equal(t, []string{"https://www.googleapis.com/auth/cloud-platform"}, in.ServiceAccounts[0].Scopes)
		require.Equal(t, &compute.ResourceStatusEffectiveInstanceMetadata{BlockProjectSshKeysMetadataValue: true, EnableOsloginMetadataValue: true},
			in.ResourceStatus.EffectiveInstanceMetadata, "as the seed says")
	})
	t.Run("stopped", func(t *testing.T) {
		in := get("europe-west1-d", "stopped")
		require.Equal(t, "TERMINATED", in.Status)
		require.Len(t, in.NetworkInterfaces[0].AccessConfigs, 1)
		require.Empty(t, in.NetworkInterfaces[0].AccessConfigs[0].NatIP, "an ephemeral address is released")
		require.Equal(t, "35.195.1.3", get("europe-west1-d", "stopped-static").NetworkInterfaces[0].AccessConfigs[0].NatIP,
			"a static address stays")
	})
	t.Run("no external address", func(t *testing.T) {
		in := get("europe-west1-d", "internal")
		require.Empty(t, in.NetworkInterfaces[0].AccessConfigs)
		require.NotEmpty(t, in.NetworkInterfaces[0].NetworkIP)
	})
	t.Run("lists carry the same resource", func(t *testing.T) {
		list, err := e.compute.Instances.List("web-prod-eu", "europe-west1-d").Do()
		require.NoError(t, err)
		require.Len(t, list.Items, 4)
		one := get("europe-west1-d", "internal")
		one.ServerResponse = googleapi.ServerResponse{}
		require.Equal(t, one, list.Items[0])
		agg, err := e.compute.Instances.AggregatedList("web-prod-eu").Do()
		require.NoError(t, err)
		require.Equal(t, list.Items, agg.Items["zones/europe-west1-d"].Instances)
	})
}
