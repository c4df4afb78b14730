package access

import (
	"testing"
	"time"

	"github.com/ssh-pruner/ssh-pruner/pruner/plan"
	"github.com/stretchr/testify/require"
)

// Keys made with ssh-keygen -t ed25519 for these tests only.
const (
	accessKeyA = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOnSpiLgtrZ8YjS2DBrU3MZJcJSZh3jzuJy4ThKpYz2q"
	accessKeyB = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAINQqk5oU7rUOYf2hJYNiL9NmX7qZGb6F2Vs1B6Rt7OlP"
	accessKeyC = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIIaIJntc9YQdhQiH5zslJ1G5P0rqNseg8SRUMoHeOpax"
)

var accessNow = time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)

func items(kv ...string) []plan.Item {
	var out []plan.Item
	for i := 0; i+1 < len(kv); i += 2 {
		v := kv[i+1]
		out = append(out, plan.Item{Key: kv[i], Value: &v})
	}
	return out
}

// keyStates is the access state of each line, as "level/item:line=state".
func keyStates(a VMAccess) map[string]AccessState {
	out := map[string]AccessState{}
	for _, k := range a.Keys {
		out[string(k.Level)+"/"+k.MetadataKey+":"+k.Line.Username] = k.State
	}
	return out
}

// TestEffectiveAccess: each case names the agent function whose rule it
// pins (see EffectiveAccess).
func TestEffectiveAccess(t *testing.T) {
	future := ` google-ssh {"userName":"bob@example.com","expireOn":"2027-01-01T00:00:00+0000"}`
	past := ` google-ssh {"userName":"old@example.com","expireOn":"2026-11-01T00:00:00+0000"}`
	tests := []struct {
		name  string
		vm    VM
		want  map[string]AccessState
		login bool // OSLogin
		block bool // BlockProjectKeys
	}{
		{
			name: "project and instance keys both open a VM that takes project keys (accountsMgr.set)",
			vm:   VM{Project: items("ssh-keys", "alice:"+accessKeyA), Instance: items("ssh-keys", "bob:"+accessKeyB+future)},
			want: map[string]AccessState{"instance/ssh-keys:bob": AccessActive, "project/ssh-keys:alice": AccessActive},
		},
		{
			name:  "block-project-ssh-keys TRUE blocks project keys (Attributes.UnmarshalJSON, ParseBool)",
			vm:    VM{Project: items("ssh-keys", "alice:"+accessKeyA), Instance: items("block-project-ssh-keys", "TRUE", "ssh-keys", "bob:"+accessKeyB)},
			want:  map[string]AccessState{"instance/ssh-keys:bob": AccessActive, "project/ssh-keys:alice": AccessBlocked},
			block: true,
		},
		{
			name:  "1 is true too (strconv.ParseBool)",
			vm:    VM{Project: items("ssh-keys", "alice:"+accessKeyA), Instance: items("block-project-ssh-keys", "1")},
			want:  map[string]AccessState{"project/ssh-keys:alice": AccessBlocked},
			block: true,
		},
		{
			name: "yes is no boolean: unset, project keys come in (strconv.ParseBool fails)",
			vm:   VM{Project: items("ssh-keys", "alice:"+accessKeyA), Instance: items("block-project-ssh-keys", "yes")},
			want: map[string]AccessState{"project/ssh-keys:alice": AccessActive},
		},
		{
			name: "the project's block-project-ssh-keys does nothing (only the instance's is read)",
			vm:   VM{Project: items("block-project-ssh-keys", "true", "ssh-keys", "alice:"+accessKeyA)},
			want: map[string]AccessState{"project/ssh-keys:alice": AccessActive},
		},
		{
			name:  "a non-empty instance sshKeys blocks project keys (Attributes.UnmarshalJSON OldSSHKeys)",
			vm:    VM{Project: items("ssh-keys", "alice:"+accessKeyA, "sshKeys", "carol:"+accessKeyC), Instance: items("sshKeys", "bob:"+accessKeyB)},
			want:  map[string]AccessState{"instance/sshKeys:bob": AccessActive, "project/ssh-keys:alice": AccessBlocked, "project/sshKeys:carol": AccessBlocked},
			block: true,
		},
		{
			name:  "even an instance sshKeys of one newline blocks",
			vm:    VM{Project: items("ssh-keys", "alice:"+accessKeyA), Instance: items("sshKeys", "\n")},
			want:  map[string]AccessState{"project/ssh-keys:alice": AccessBlocked},
			block: true,
		},
		{
			name: "an empty instance sshKeys does not block",
			vm:   VM{Project: items("ssh-keys", "alice:"+accessKeyA), Instance: items("sshKeys", "")},
			want: map[string]AccessState{"project/ssh-keys:alice": AccessActive},
		},
		{
			name:  "project OS Login makes every key dormant (getOSLoginEnabled, accountsMgr.disabled)",
			vm:    VM{Project: items("enable-oslogin", "TRUE", "ssh-keys", "alice:"+accessKeyA), Instance: items("ssh-keys", "bob:"+accessKeyB)},
			want:  map[string]AccessState{"instance/ssh-keys:bob": AccessDormant, "project/ssh-keys:alice": AccessDormant},
			login: true,
		},
		{
			name: "the instance's enable-oslogin overrides the project's (getOSLoginEnabled)",
			vm:   VM{Project: items("enable-oslogin", "TRUE", "ssh-keys", "alice:"+accessKeyA), Instance: items("enable-oslogin", "false")},
			want: map[string]AccessState{"project/ssh-keys:alice": AccessActive},
		},
		{
			name:  "an instance enable-oslogin that does not parse leaves the project's (getOSLoginEnabled, nil pointer)",
			vm:    VM{Project: items("enable-oslogin", "true", "ssh-keys", "alice:"+accessKeyA), Instance: items("enable-oslogin", "off")},
			want:  map[string]AccessState{"project/ssh-keys:alice": AccessDormant},
			login: true,
		},
		{
			name:  "blocked wins over dormant: turning OS Login off would not open it",
			vm:    VM{Project: items("ssh-keys", "alice:"+accessKeyA), Instance: items("enable-oslogin", "t", "block-project-ssh-keys", "T")},
			want:  map[string]AccessState{"project/ssh-keys:alice": AccessBlocked},
			login: true, block: true,
		},
		{
			name: "expired and invalid lines grant nothing (utils.ValidateKey, CheckExpired)",
			vm:   VM{Project: items("ssh-keys", "old:"+accessKeyA+past+"\nbroken:ssh-ed25519 AAAA")},
			want: map[string]AccessState{"project/ssh-keys:old": AccessExpired, "project/ssh-keys:broken": AccessInvalid},
		},
		{
			name: "a \\r inside the key and Unicode spaces around it: the deployed agent's x/crypto takes the line (ParseAuthorizedKey)",
			vm:   VM{Project: items("ssh-keys", "cut:"+accessKeyA+"\rjunk\nnbsp:\u00a0"+accessKeyB+"\u00a0")},
			want: map[string]AccessState{"project/ssh-keys:cut": AccessActive, "project/ssh-keys:nbsp": AccessActive},
		},
		{
			name: "Windows without enable-windows-ssh: dormant (metadatasshkey_windows.go enableMetadataSSHKey)",
			vm:   VM{Windows: true, Project: items("ssh-keys", "alice:"+accessKeyA)},
			want: map[string]AccessState{"project/ssh-keys:alice": AccessDormant},
		},
		{
			name: "Windows with enable-windows-ssh reads only ssh-keys (google_authorized_keys main)",
			vm: VM{Windows: true, Project: items("enable-windows-ssh", "TRUE", "ssh-keys", "alice:"+accessKeyA, "sshKeys", "carol:"+accessKeyC),
				Instance: items("sshKeys", "bob:"+accessKeyB)},
			want: map[string]AccessState{"project/ssh-keys:alice": AccessActive, "project/sshKeys:carol": AccessBlocked, "instance/sshKeys:bob": AccessBlocked},
		},
		{
			name: "Windows ignores OS Login (enableMetadataSSHKey does not read it)",
			vm:   VM{Windows: true, Project: items("enable-oslogin", "TRUE", "ssh-keys", "alice:"+accessKeyA), Instance: items("enable-windows-ssh", "true")},
			want: map[string]AccessState{"project/ssh-keys:alice": AccessActive},
		},
		{
			name:  "Windows blocks project keys only by block-project-ssh-keys (google_authorized_keys main)",
			vm:    VM{Windows: true, Project: items("enable-windows-ssh", "1", "ssh-keys", "alice:"+accessKeyA), Instance: items("block-project-ssh-keys", "true")},
			want:  map[string]AccessState{"project/ssh-keys:alice": AccessBlocked},
			block: true,
		},
		{
			name: "the instance's enable-windows-ssh false overrides the project's true",
			vm:   VM{Windows: true, Project: items("enable-windows-ssh", "TRUE", "ssh-keys", "alice:"+accessKeyA), Instance: items("enable-windows-ssh", "FALSE")},
			want: map[string]AccessState{"project/ssh-keys:alice": AccessDormant},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			a := EffectiveAccess(tc.vm, accessNow)
			require.Equal(t, tc.want, keyStates(a))
			require.Equal(t, tc.login, a.OSLogin, "OSLogin")
			require.Equal(t, tc.block, a.BlockProjectKeys, "BlockProjectKeys")
		})
	}
}

func TestEffectiveAccessComparesWithComputeEngine(t *testing.T) {
	vm := VM{Project: items("ssh-keys", "alice:"+accessKeyA), Effective: &EffectiveMetadata{EnableOSLogin: true}}
	a := EffectiveAccess(vm, accessNow)
	require.True(t, a.OSLogin, "an organization policy can enforce OS Login without metadata")
	require.Equal(t, AccessDormant, a.Keys[0].State)
	require.Equal(t, []string{"enable-oslogin: metadata reads false, Compute Engine reports true"}, a.Disagreements)

	vm = VM{Instance: items("block-project-ssh-keys", "TRUE"), Effective: &EffectiveMetadata{BlockProjectSSHKeys: true}}
	require.Empty(t, EffectiveAccess(vm, accessNow).Disagreements)
}

func TestActiveGrants(t *testing.T) {
	vm := VM{
		Project:  items("ssh-keys", "alice:"+accessKeyA+" alice@laptop\r\n  bob:"+accessKeyB+"  \nold:"+accessKeyC+` google-ssh {"expireOn":"2020-01-01T00:00:00Z"}`),
		Instance: items("ssh-keys", "alice:"+accessKeyA+" alice@laptop"),
	}
	require.Equal(t, map[Grant]bool{
		{User: "alice", Key: accessKeyA + " alice@laptop"}: true,
		{User: "bob", Key: accessKeyB}:                     true,
	}, EffectiveAccess(vm, accessNow).ActiveGrants())
}

func TestPosture(t *testing.T) {
	project := items("ssh-keys", "alice:"+accessKeyA, "sshKeys", "gke-1:"+accessKeyC)
	expiring := ` google-ssh {"userName":"bob@example.com","expireOn":"2027-01-01T00:00:00+0000"}`
	vms := []VM{
		{Project: project}, // open: takes alice and gke-1 from the project
		{Project: project, Instance: items("sshKeys", "bob:"+accessKeyB+expiring)},                   // own keys
		{Project: project, Instance: items("enable-oslogin", "TRUE", "ssh-keys", "bob:"+accessKeyB)}, // OS Login
		{Project: project, Windows: true},
	}
	require.Equal(t, &Posture{
		VMs:                 4,
		OSLoginOff:          2, // open, own-keys
		TakeProjectKeys:     1, // open
		LegacySSHKeys:       2, // the project, own-keys
		DormantKeys:         3, // on os-login: bob, alice, gke-1
		ActiveKeys:          3, // open: alice, gke-1; own-keys: bob
		ActiveWithoutExpiry: 2,
	}, PostureOf(project, vms, accessNow))
}

// TestEffectiveAccessOlderAgentComments: guest-agent 20230221.00 up to
// 20231009.00 takes a line for an expiring key only when the third
// space-separated field of its key part is exactly "google-ssh"; any
// other line it installs for good. The access answer counts such lines as
// active without expiry, where keyparse (the newer agents) rejects or
// expires them; the plan, which reads keyparse alone, removes them.
func TestEffectiveAccessOlderAgentComments(t *testing.T) {
	expired := ` {"userName":"x@example.com","expireOn":"2020-01-01T00:00:00+0000"}`
	vm := VM{Project: items("ssh-keys", "foo:"+accessKeyA+" google-sshfoo\n"+
		"glued:"+accessKeyB+" google-ssh"+expired[1:]+"\n"+
		"twospaces:"+accessKeyC+"  google-ssh"+expired+"\n"+
		"gcloud:"+accessKeyA+" google-ssh"+expired+"\n"+
		"bare:"+accessKeyB+" google-ssh\n")}
	a := EffectiveAccess(vm, accessNow)
	require.Equal(t, map[string]AccessState{
		"project/ssh-keys:foo":       AccessActive,  // keyparse: google-ssh-missing-json
		"project/ssh-keys:glued":     AccessActive,  // keyparse: google-ssh-missing-json
		"project/ssh-keys:twospaces": AccessActive,  // keyparse: expired
		"project/ssh-keys:gcloud":    AccessExpired, // every agent: expired
		"project/ssh-keys:bare":      AccessInvalid, // every agent: expiration missing
	}, keyStates(a))
	for _, k := range a.Keys {
		if k.State == AccessActive {
			require.False(t, k.Line.Expires(), "%s: never expires on that agent", k.Line.Username)
		}
	}
	require.Equal(t, 3, PostureOf(vm.Project, []VM{vm}, accessNow).ActiveWithoutExpiry)
}

// TestEffectiveAccessUnicodeSpaceInUser: guest-agent refuses a user with
// whitespace by the regexp \s, ASCII only; google-guest-agent, which
// keyparse follows, by unicode.IsSpace. A user whose only spaces are
// other Unicode spaces is read as guest-agent reads it: its key counts,
// expiry included; the user's other rules still hold.
func TestEffectiveAccessUnicodeSpaceInUser(t *testing.T) {
	expired := ` google-ssh {"userName":"x@example.com","expireOn":"2020-01-01T00:00:00+0000"}`
	vm := VM{Project: items("ssh-keys", "nb\u00a0sp:"+accessKeyA+"\n"+
		"ideo\u3000sp:"+accessKeyB+expired+"\n"+
		"tab\tsp:"+accessKeyC+"\n"+
		"-\u00a0x:"+accessKeyA+"\n"+
		"bad\u00a0key:ssh-ed25519 AAAA\n")}
	a := EffectiveAccess(vm, accessNow)
	require.Equal(t, map[string]AccessState{
		"project/ssh-keys:nb\u00a0sp":   AccessActive,
		"project/ssh-keys:ideo\u3000sp": AccessExpired,
		"project/ssh-keys:tab\tsp":      AccessInvalid, // ASCII: every agent refuses it
		"project/ssh-keys:-\u00a0x":     AccessInvalid, // a leading '-': useradd would take it for an option
		"project/ssh-keys:bad\u00a0key": AccessInvalid, // the key itself is no key
	}, keyStates(a))
	require.Equal(t, map[Grant]bool{{User: "nb\u00a0sp", Key: accessKeyA}: true}, a.ActiveGrants())
}
