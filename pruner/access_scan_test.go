package pruner_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/ssh-pruner/ssh-pruner/pruner"
	"github.com/ssh-pruner/ssh-pruner/pruner/access"
	"github.com/ssh-pruner/ssh-pruner/pruner/inmemory"
	"github.com/ssh-pruner/ssh-pruner/pruner/plan"
)

// scanner reads for the access answer as ssh-pruner access does: no
// policy, no writes, two at a time.
func scanner(s *inmemory.Store) *pruner.Reconciler {
	return &pruner.Reconciler{Lister: s, Store: s, Instances: s, Concurrency: 2}
}

func TestAccessScan(t *testing.T) {
	s := org()
	s.AddProject("locked", inmemory.Items("ssh-keys", erinPerm))
	s.AddInstance(pruner.Instance{Project: "locked", Zone: zoneB, Name: "os-login"}, inmemory.Items("enable-oslogin", "TRUE"))
	s.AddProject("gone", nil)
	s.FailList("gone", errors.New("boom"))
	s.AddProject("partial", nil)
	s.SetUnreachable("partial", "zones/us-east1-b")
	s.AddSkipped("folders/42", pruner.ErrForbidden)
	writes := s.Writes()

	rep, err := scanner(s).Access(context.Background(), pruner.Scope{Organization: "1"}, now)
	require.NoError(t, err)
	require.Equal(t, writes, s.Writes(), "a scan writes nothing")
	require.False(t, rep.Complete())
	require.Equal(t, []access.AccessGap{
		{Resource: "folders/42", Reason: "forbidden"},
		{Resource: "projects/gone", Reason: rep.Gaps[1].Reason},
		{Resource: "projects/partial/zones/us-east1-b", Reason: "unreachable"},
	}, rep.Gaps)
	require.Contains(t, rep.Gaps[1].Reason, "boom")

	var names []string
	for _, vm := range rep.VMs {
		names = append(names, vm.Project+"/"+vm.Name)
	}
	require.Equal(t, []string{"locked/os-login", "web-prod/clean", "web-prod/dirty", "web-prod/legacy"}, names)
	osLogin := rep.VMs[0]
	require.True(t, osLogin.OSLogin)
	require.Empty(t, osLogin.Active)
	require.Equal(t, 1, osLogin.Dormant, "erin's project key sleeps under OS Login")

	legacy := rep.VMs[3]
	require.True(t, legacy.BlockProjectKeys, "its sshKeys blocks the project's keys")
	require.Len(t, legacy.Active, 1)
	require.Equal(t, "erin", legacy.Active[0].Identity)

	// By identity: erin (no expiry) first; alice's google-ssh userName
	// names her; bob's key is expired and opens nothing.
	var ids []string
	for _, ia := range rep.Identities {
		ids = append(ids, ia.Identity)
	}
	require.Equal(t, []string{"erin", "alice@example.com"}, ids)
	erin := rep.Identities[0]
	require.Len(t, erin.Keys, 1)
	require.Empty(t, erin.Keys[0].ExpireOn)
	require.Equal(t, []string{"web-prod/europe-west1-b/clean", "web-prod/europe-west1-b/dirty", "web-prod/europe-west1-b/legacy"}, erin.Keys[0].VMs)
	require.Equal(t, []string{"web-prod"}, erin.Keys[0].Projects)
	require.Equal(t, "2026-12-01T10:00:00Z", rep.Identities[1].Keys[0].ExpireOn)
}

func TestAccessScanExcludesAndSkips(t *testing.T) {
	s := org()
	s.AddProject("deleted", inmemory.Items("ssh-keys", erinPerm))
	s.SetState("deleted", "DELETE_REQUESTED")
	s.AddProject("no-compute", nil)
	s.FailRead(plan.Target{Project: "no-compute"}, pruner.ErrComputeDisabled)
	sc := scanner(s)
	sc.Exclude = []string{projectID}
	rep, err := sc.Access(context.Background(), pruner.Scope{Organization: "1"}, now)
	require.NoError(t, err)
	require.True(t, rep.Complete(), "%+v", rep.Gaps)
	require.Empty(t, rep.VMs)
	require.Empty(t, rep.Identities)
}

// TestAccessTextHostileStrings: names from metadata and from the API
// reach the access views escaped, and a rejected line's "username" (the
// whole key, for a line without a colon before it) never shows.
func TestAccessTextHostileStrings(t *testing.T) {
	s := inmemory.New()
	hostile := "\x1b[2Jroot\u202e:" + erinPerm[len("erin:"):]
	s.AddProject("p", inmemory.Items("ssh-keys", hostile+"\n"))
	s.AddInstance(pruner.Instance{Project: "p", Zone: "z\x1b]0;x\x07", Name: "vm\r1"}, nil)
	rep, err := scanner(s).Access(context.Background(), pruner.Scope{Organization: "1"}, now)
	require.NoError(t, err)
	require.Len(t, rep.Identities, 1)
	for _, write := range []func(*strings.Builder) error{
		func(b *strings.Builder) error { return rep.WriteText(b) },
		func(b *strings.Builder) error { return rep.WriteTextByVM(b) },
	} {
		var b strings.Builder
		require.NoError(t, write(&b))
		out := b.String()
		for _, bad := range []string{"\x1b", "\x07", "\r", "\u202e"} {
			require.NotContains(t, out, bad)
		}
		require.Contains(t, out, `\x1b[2Jroot\u202e`)
	}
}
