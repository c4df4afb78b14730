package access

import (
	"bytes"
	"encoding/json"
	"testing"
	"unsafe"

	"github.com/stretchr/testify/require"

	"github.com/ssh-pruner/ssh-pruner/pruner/plan"
)

// TestWriteJSON checks that the report written an identity and a VM at a
// time is byte for byte what a json.Encoder indenting the whole report
// writes (as access wrote it before).
func TestWriteJSON(t *testing.T) {
	vm := func(project, name string) VMReport {
		return VMReport{Project: project, Zone: "europe-west1-b", Name: name, Status: "RUNNING",
			Active: []VMKey{
				{Identity: "alice@example.com", Username: "alice", GoogleUserName: "alice@example.com", KeyType: "ssh-ed25519",
					Fingerprint: "SHA256:abc", ExpireOn: "2027-01-01T00:00:00Z", Level: plan.LevelProject, MetadataKey: "ssh-keys"},
				{Identity: "<b>\x1b[31m\"vms\": null,", Username: "<b>", KeyType: "ssh-rsa", Fingerprint: "SHA256:def", Level: plan.LevelInstance, MetadataKey: "sshKeys"},
			},
			Dormant: 1, Disagreements: []string{"enable-oslogin: metadata reads false, Compute Engine reports true"}}
	}
	full := AccessReport{Now: accessNow, VMs: []VMReport{vm("a-project", "vm-1"), vm("b-project", "vm-2"), {}},
		Gaps: []AccessGap{{Resource: "projects/c-project", Reason: "forbidden"}}}
	full.Finish()
	noVMs := AccessReport{Now: accessNow, Gaps: []AccessGap{{Resource: "folders/1", Reason: "forbidden"}}}
	noVMs.Finish()
	tests := []struct {
		name string
		rep  AccessReport
	}{
		{"zero", AccessReport{}},
		{"finished, nothing seen", noVMs},
		{"VMs without identities", AccessReport{Now: accessNow, VMs: []VMReport{vm("a-project", "vm-1")}}},
		{"identities without VMs", AccessReport{Now: accessNow, Identities: full.Identities}},
		{"full", full},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var want, got bytes.Buffer
			enc := json.NewEncoder(&want)
			enc.SetIndent("", "  ")
			require.NoError(t, enc.Encode(tt.rep))
			require.NoError(t, tt.rep.WriteJSON(&got))
			require.Equal(t, want.String(), got.String())
		})
	}
}

// TestStringsShare: a shared report says the same, and the reports of
// two VMs hold one copy of the strings they repeat.
func TestStringsShare(t *testing.T) {
	vm := func(name string) VMReport {
		project := items("ssh-keys", "alice:"+accessKeyA+` google-ssh {"userName":"alice@example.com","expireOn":"2027-01-01T00:00:00+0000"}`)
		return VMReportOf(Place{Project: "p", Zone: "europe-west1-b", Name: name, Status: "RUNNING"}, VM{Project: project}, accessNow)
	}
	a, b := vm("vm-1"), vm("vm-2")
	wantA, wantB := vm("vm-1"), vm("vm-2")
	require.NotSame(t, unsafe.StringData(a.Active[0].Fingerprint), unsafe.StringData(b.Active[0].Fingerprint))
	var s Strings
	s.Share(&a)
	s.Share(&b)
	require.Equal(t, wantA, a)
	require.Equal(t, wantB, b)
	ka, kb := a.Active[0], b.Active[0]
	for _, pair := range [][2]string{{ka.Fingerprint, kb.Fingerprint}, {ka.ExpireOn, kb.ExpireOn}, {ka.Username, kb.Username},
		{ka.GoogleUserName, kb.GoogleUserName}, {ka.KeyType, kb.KeyType}, {a.Zone, b.Zone}} {
		require.Same(t, unsafe.StringData(pair[0]), unsafe.StringData(pair[1]), pair[0])
	}
}
