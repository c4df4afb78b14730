package gcp_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/ssh-pruner/ssh-pruner/gcp"
	"github.com/ssh-pruner/ssh-pruner/gcp/gcpfake"
	"github.com/ssh-pruner/ssh-pruner/pruner"
	"github.com/ssh-pruner/ssh-pruner/pruner/plan"
	"github.com/ssh-pruner/ssh-pruner/pruner/report"
)

// The reconciler, Google's clients and the fake together, on instances:
// what these tests see is what crosses the wire.

var e2eNow = time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)

func reconcilerOf(t *testing.T, c *gcp.Client, apply bool) *pruner.Reconciler {
	t.Helper()
	policy, err := plan.NewPolicy(nil, false)
	require.NoError(t, err)
	return &pruner.Reconciler{
		Lister: c, Store: c, Instances: c, Policy: policy, Apply: apply,
		Now: func() time.Time { return e2eNow }, Concurrency: 4, MaxAttempts: 3, RunID: "e2e",
	}
}

func instanceValue(t *testing.T, f *gcpfake.Fake, project, zone, name, key string) (string, bool) {
	t.Helper()
	items, _, ok := f.InstanceMetadata(project, zone, name)
	require.True(t, ok, "%s/%s/%s", project, zone, name)
	for _, it := range items {
		if it.Key == key && it.Value != nil {
			return *it.Value, true
		}
	}
	return "", false
}

func instanceReport(t *testing.T, rep report.Report, project, name string) report.TargetReport {
	t.Helper()
	for _, p := range rep.Projects {
		if p.Project != project {
			continue
		}
		for _, in := range p.Instances {
			if in.Instance == name {
				return in
			}
		}
	}
	t.Fatalf("no report of instance %s/%s", project, name)
	return report.TargetReport{}
}

func TestInstancesEndToEnd(t *testing.T) {
	ctx := context.Background()
	f, c := serve(t, demoSeed(t), gcp.Options{})
	const setMetadata = "compute.instances.setMetadata"

	// A dry run reads and plans every VM, and writes nothing.
	before := f.Calls(setMetadata)
	rep, err := reconcilerOf(t, c, false).Run(ctx, pruner.Scope{Organization: demoOrg})
	require.NoError(t, err)
	require.Equal(t, before, f.Calls(setMetadata), "a dry run writes nothing")
	require.Zero(t, f.Calls("compute.instances.get"), "planned from the listing: no call per VM")
	require.Equal(t, report.OutcomeWouldChange, instanceReport(t, rep, "web-prod-eu", "web-eu-1").Outcome)
	wouldChange := rep.Totals.Instances.WouldChange
	require.Positive(t, wouldChange)

	// Apply: instance keys pruned, one write per VM that changes.
	rep, err = reconcilerOf(t, c, true).Run(ctx, pruner.Scope{Organization: demoOrg})
	require.NoError(t, err)
	require.True(t, rep.OK(), rep.Summary())
	require.Equal(t, wouldChange, rep.Totals.Instances.Changed)
	require.Equal(t, before+wouldChange, f.Calls(setMetadata), "only the VMs whose plan changes are written")
	keys, _ := instanceValue(t, f, "web-prod-eu", "europe-west1-b", "web-eu-1", "ssh-keys")
	require.Contains(t, keys, "alice:", "alice's expiring key stays")
	require.NotContains(t, keys, "mallory:", "mallory's key without expiry goes")
	block, ok := instanceValue(t, f, "web-prod-eu", "europe-west1-c", "web-eu-2", "block-project-ssh-keys")
	require.True(t, ok && block == "TRUE", "web-eu-2 lost its last sshKeys line and stays closed to project keys")
	script, _ := instanceValue(t, f, "api-prod-7f3a", "europe-west1-d", "api-1", "startup-script")
	require.Equal(t, "#!/bin/sh\necho api-1 >/etc/hostname-tag\n", script, "other items untouched")

	// A second apply finds nothing and writes nothing.
	writes := f.Calls(setMetadata)
	rep, err = reconcilerOf(t, c, true).Run(ctx, pruner.Scope{Organization: demoOrg})
	require.NoError(t, err)
	require.Equal(t, writes, f.Calls(setMetadata), "a second apply writes nothing")
	require.Zero(t, rep.Totals.Instances.Changed)
}

// TestInstanceConflictIsReplanned: someone adds a key to one VM between
// the listing and the write. The write is refused (412), the VM is read
// again, planned again, and the other writer's key is judged, not lost.
func TestInstanceConflictIsReplanned(t *testing.T) {
	ctx := context.Background()
	f, c := serve(t, demoSeed(t), gcp.Options{})
	const (
		project, zone, name = "web-prod-eu", "europe-west1-b", "web-eu-1"
		newKey              = `zoe:ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOnSpiLgtrZ8YjS2DBrU3MZJcJSZh3jzuJy4ThKpYz2q google-ssh {"userName":"zoe@example.com","expireOn":"2027-01-01T00:00:00+0000"}`
	)
	f.OnInstanceMetadataReadBeforeWrite(project, zone, name, func(f *gcpfake.Fake) {
		items, _, _ := f.InstanceMetadata(project, zone, name)
		for i, it := range items {
			if it.Key == "ssh-keys" {
				v := *it.Value + "\n" + newKey
				items[i].Value = &v
			}
		}
		f.SetInstanceMetadata(project, zone, name, items)
	})
	rep, err := reconcilerOf(t, c, true).Run(ctx, pruner.Scope{Projects: []string{project}})
	require.NoError(t, err)
	tr := instanceReport(t, rep, project, name)
	require.Equal(t, report.OutcomeChanged, tr.Outcome, tr.Error)
	require.Equal(t, 2, tr.Attempts, "refused once, re-read and re-planned")
	require.Equal(t, 1, f.Calls("compute.instances.get"), "the conflict costs one read of that VM")
	keys, _ := instanceValue(t, f, project, zone, name, "ssh-keys")
	require.Contains(t, keys, "zoe:", "the concurrent writer's expiring key is kept")
	require.NotContains(t, keys, "mallory:")
}

// TestUnreachableZoneIsAGap: a zone that cannot answer is named in the
// report and fails the run; the VMs of the other zones are pruned.
func TestUnreachableZoneIsAGap(t *testing.T) {
	ctx := context.Background()
	f, c := serve(t, demoSeed(t), gcp.Options{})
	f.SetZoneUnreachable("europe-west1-c", true)
	rep, err := reconcilerOf(t, c, true).Run(ctx, pruner.Scope{Projects: []string{"web-prod-eu"}})
	require.NoError(t, err)
	require.False(t, rep.OK(), "a gap is never clean")
	require.Equal(t, 1, rep.Totals.ZonesUnreachable)
	require.Equal(t, []string{"zones/europe-west1-c"}, rep.Projects[0].UnreachableZones)
	require.Equal(t, report.OutcomeChanged, instanceReport(t, rep, "web-prod-eu", "web-eu-1").Outcome)
	for _, in := range rep.Projects[0].Instances {
		require.NotEqual(t, "web-eu-2", in.Instance, "the unreachable zone's VM was not seen")
	}
	_, ok := instanceValue(t, f, "web-prod-eu", "europe-west1-c", "web-eu-2", "block-project-ssh-keys")
	require.False(t, ok, "nothing written in the unreachable zone")
}
