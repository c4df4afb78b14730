package access

import (
	"strconv"
	"strings"
	"time"

	"github.com/ssh-pruner/ssh-pruner/keyparse"
	"github.com/ssh-pruner/ssh-pruner/pruner/plan"
)

// Metadata keys that decide how a VM reads SSH keys.
const (
	KeyEnableOSLogin    = "enable-oslogin"
	KeyEnableWindowsSSH = "enable-windows-ssh"
)

// AccessState is what one key line grants on one VM, now.
type AccessState string

// The access states of a key line on a VM.
const (
	// AccessActive: the guest agent installs the key; it opens the VM.
	AccessActive AccessState = "active"
	// AccessDormant: the agent ignores metadata keys on this VM (OS Login
	// on, or Windows without enable-windows-ssh); the key comes alive if
	// that changes.
	AccessDormant AccessState = "dormant"
	// AccessBlocked: the VM does not read this key's item (a project key
	// on a VM that blocks project keys, or sshKeys on Windows).
	AccessBlocked AccessState = "blocked"
	// AccessExpired: valid, but its expireOn is past.
	AccessExpired AccessState = "expired"
	// AccessInvalid: the agent never accepts the line.
	AccessInvalid AccessState = "invalid"
)

// Why an inactive, well-formed key grants nothing on a VM.
const (
	WhyOSLogin            = "os-login"
	WhyWindowsSSHOff      = "windows-ssh-off"
	WhyProjectKeysBlocked = "project-keys-blocked"
	WhyWindowsOnlySSHKeys = "windows-reads-only-ssh-keys"
)

// VM is what decides SSH access to one instance: its own metadata, its
// project's commonInstanceMetadata, and whether it runs Windows.
type VM struct {
	Windows  bool
	Project  []plan.Item
	Instance []plan.Item
	// Effective is what Compute Engine reports the VM's metadata
	// resolves to (resourceStatus.effectiveInstanceMetadata), nil when
	// the API did not say. It can know what metadata does not: an
	// organization policy that enforces OS Login.
	Effective *EffectiveMetadata
}

// EffectiveMetadata is the part of an instance's
// resourceStatus.effectiveInstanceMetadata that decides SSH access.
type EffectiveMetadata struct {
	BlockProjectSSHKeys bool `json:"blockProjectSshKeys"`
	EnableOSLogin       bool `json:"enableOsLogin"`
}

// KeyAccess is one key line and what it grants on a VM.
type KeyAccess struct {
	Level       plan.Level
	MetadataKey string
	Line        keyparse.Line
	State       AccessState
	// Why explains a dormant or blocked key (Why* constants); "" else.
	Why string
}

// VMAccess is who may SSH into one VM through metadata keys, now.
type VMAccess struct {
	// OSLogin: the agent manages accounts through OS Login and ignores
	// metadata keys (Linux).
	OSLogin bool
	// BlockProjectKeys: the VM reads only its own keys.
	BlockProjectKeys bool
	// WindowsSSH: a Windows VM serves metadata keys to its sshd.
	WindowsSSH bool
	// Keys is every key line of both levels, instance first, each with
	// its state on this VM.
	Keys []KeyAccess
	// Disagreements name where the metadata, read the agent's way, and
	// Compute Engine's effectiveInstanceMetadata differ.
	Disagreements []string
}

// Grant is a key the agent installs: the account and the key as written
// after the colon (options and comment included, trimmed), which is what
// lands in authorized_keys.
type Grant struct {
	User string
	Key  string
}

// EffectiveAccess computes, from metadata alone, which key lines open a VM
// now, as Google's guest agent decides it. The agent's rules, and the
// functions they come from:
//
//   - Booleans are read with strconv.ParseBool ("TRUE", "true", "1", "t",
//     ...): guest-agent metadata/metadata.go Attributes.UnmarshalJSON. A
//     value that does not parse counts as unset, not as false.
//   - OS Login: the instance's enable-oslogin if it parses, else the
//     project's, else off (google_guest_agent/oslogin.go getOSLoginEnabled).
//     With it on, the Linux accounts manager is disabled
//     (non_windows_accounts.go accountsMgr.disabled; in google-guest-agent,
//     cmd/core_plugin/metadatasshkey enableMetadataSSHKey): every metadata
//     key is dormant.
//   - Linux blocks project keys when the instance's block-project-ssh-keys
//     is true, or when the instance has a non-empty legacy sshKeys
//     (Attributes.UnmarshalJSON sets BlockProjectKeys for it).
//   - Linux reads the instance's ssh-keys and sshKeys, then the project's
//     ssh-keys and sshKeys unless blocked (accountsMgr.set; metadatasshkey
//     findValidKeys), one line at a time, each validated and checked for
//     expiry (utils.ValidateKey, which keyparse follows).
//   - Windows reads only ssh-keys, the instance's then the project's
//     unless the instance's block-project-ssh-keys is true
//     (google_authorized_keys/main.go), and only when enable-windows-ssh
//     is true, the instance's value overriding the project's
//     (metadatasshkey_windows.go enableMetadataSSHKey). OS Login is not
//     consulted there.
//
// Where vm.Effective is set and says OS Login is on while metadata says
// off, it wins (an organization policy enforces OS Login without touching
// metadata) and the disagreement is recorded.
func EffectiveAccess(vm VM, now time.Time) VMAccess {
	var a VMAccess
	instanceSSHKeys := plan.Lookup(vm.Instance, plan.KeyLegacySSHKeys) != ""
	if vm.Windows {
		a.WindowsSSH = resolveBool(vm.Instance, vm.Project, KeyEnableWindowsSSH)
		a.BlockProjectKeys = plan.IsTrue(vm.Instance, plan.KeyBlockProjectKeys)
	} else {
		a.OSLogin = resolveBool(vm.Instance, vm.Project, KeyEnableOSLogin)
		a.BlockProjectKeys = plan.IsTrue(vm.Instance, plan.KeyBlockProjectKeys) || instanceSSHKeys
	}
	if e := vm.Effective; e != nil {
		if e.EnableOSLogin != a.OSLogin && !vm.Windows {
			a.Disagreements = append(a.Disagreements, "enable-oslogin: metadata reads "+strconv.FormatBool(a.OSLogin)+
				", Compute Engine reports "+strconv.FormatBool(e.EnableOSLogin))
			a.OSLogin = a.OSLogin || e.EnableOSLogin
		}
		if e.BlockProjectSSHKeys != plan.IsTrue(vm.Instance, plan.KeyBlockProjectKeys) {
			a.Disagreements = append(a.Disagreements, "block-project-ssh-keys: metadata reads "+
				strconv.FormatBool(plan.IsTrue(vm.Instance, plan.KeyBlockProjectKeys))+", Compute Engine reports "+strconv.FormatBool(e.BlockProjectSSHKeys))
		}
	}
	for _, level := range []plan.Level{plan.LevelInstance, plan.LevelProject} {
		items := vm.Instance
		if level == plan.LevelProject {
			items = vm.Project
		}
		for _, key := range []string{plan.KeySSHKeys, plan.KeyLegacySSHKeys} {
			for _, l := range keyparse.Parse(plan.Lookup(items, key)) {
				if l.Invalid == keyparse.ReasonBlank {
					continue // not a key, as in the plan
				}
				l = asDeployed(l)
				state, why := a.state(vm.Windows, level, key, l, now)
				a.Keys = append(a.Keys, KeyAccess{Level: level, MetadataKey: key, Line: l, State: state, Why: why})
			}
		}
	}
	return a
}

func (a VMAccess) state(windows bool, level plan.Level, key string, l keyparse.Line, now time.Time) (AccessState, string) {
	switch l.State(now) {
	case keyparse.StateInvalid:
		return AccessInvalid, ""
	case keyparse.StateExpired:
		return AccessExpired, ""
	}
	switch {
	case windows && key == plan.KeyLegacySSHKeys:
		return AccessBlocked, WhyWindowsOnlySSHKeys
	case level == plan.LevelProject && a.BlockProjectKeys:
		return AccessBlocked, WhyProjectKeysBlocked
	case windows && !a.WindowsSSH:
		return AccessDormant, WhyWindowsSSHOff
	case a.OSLogin:
		return AccessDormant, WhyOSLogin
	}
	return AccessActive, ""
}

// ActiveGrants is the set of keys the agent installs on the VM now.
func (a VMAccess) ActiveGrants() map[Grant]bool {
	out := map[Grant]bool{}
	for _, k := range a.Keys {
		if k.State == AccessActive {
			out[grantOf(k.Line)] = true
		}
	}
	return out
}

// grantOf is what the agent puts in authorized_keys for a line: the text
// after the first colon, trimmed (utils.ValidateKey returns key[idx+1:]
// of the trimmed line).
func grantOf(l keyparse.Line) Grant {
	_, key, _ := strings.Cut(strings.TrimSpace(l.Text), ":")
	return Grant{User: l.Username, Key: strings.TrimSpace(key)}
}

// resolveBool reads a boolean the agent's way: the instance's value if it
// parses, else the project's, else false.
func resolveBool(instance, project []plan.Item, key string) bool {
	for _, items := range [][]plan.Item{instance, project} {
		if b, err := strconv.ParseBool(plan.Lookup(items, key)); err == nil {
			return b
		}
	}
	return false
}
