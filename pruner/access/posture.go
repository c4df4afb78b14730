package access

import (
	"fmt"
	"github.com/ssh-pruner/ssh-pruner/pruner/internal/textfmt"
	"github.com/ssh-pruner/ssh-pruner/pruner/plan"
	"time"
)

// Posture sums up, for one project, how its VMs take SSH keys from
// metadata, as found before the run changed anything: what a security
// team looks at first.
type Posture struct {
	// VMs counts the instances seen.
	VMs int `json:"vms"`
	// OSLoginOff counts the Linux VMs where OS Login is off: metadata
	// keys grant access there.
	OSLoginOff int `json:"osLoginOff"`
	// TakeProjectKeys counts the VMs that accept the project's keys.
	TakeProjectKeys int `json:"takeProjectKeys"`
	// LegacySSHKeys counts the targets (the project and its instances)
	// with a non-empty legacy sshKeys item.
	LegacySSHKeys int `json:"legacySshKeys"`
	// DormantKeys counts, over the VMs, the key lines that grant nothing
	// only because OS Login is on: they come alive if it is turned off.
	DormantKeys int `json:"dormantKeys"`
	// ActiveKeys counts, over the VMs, the key lines that grant access now.
	ActiveKeys int `json:"activeKeys"`
	// ActiveWithoutExpiry counts those of them that never expire.
	ActiveWithoutExpiry int `json:"activeWithoutExpiry"`
}

// PostureOf sums up a project from its metadata and its VMs as read and
// listed, with EffectiveAccess for each VM.
func PostureOf(project []plan.Item, vms []VM, now time.Time) *Posture {
	p := &Posture{VMs: len(vms)}
	if plan.Lookup(project, plan.KeyLegacySSHKeys) != "" {
		p.LegacySSHKeys++
	}
	for _, vm := range vms {
		if plan.Lookup(vm.Instance, plan.KeyLegacySSHKeys) != "" {
			p.LegacySSHKeys++
		}
		a := EffectiveAccess(vm, now)
		if !vm.Windows && !a.OSLogin {
			p.OSLoginOff++
		}
		if !a.BlockProjectKeys && (!vm.Windows || a.WindowsSSH) && !a.OSLogin {
			p.TakeProjectKeys++
		}
		for _, k := range a.Keys {
			switch {
			case k.State == AccessActive:
				p.ActiveKeys++
				if !k.Line.Expires() {
					p.ActiveWithoutExpiry++
				}
			case k.State == AccessDormant && k.Why == WhyOSLogin:
				p.DormantKeys++
			}
		}
	}
	return p
}

// Add adds o to p.
func (p *Posture) Add(o Posture) {
	p.VMs += o.VMs
	p.OSLoginOff += o.OSLoginOff
	p.TakeProjectKeys += o.TakeProjectKeys
	p.LegacySSHKeys += o.LegacySSHKeys
	p.DormantKeys += o.DormantKeys
	p.ActiveKeys += o.ActiveKeys
	p.ActiveWithoutExpiry += o.ActiveWithoutExpiry
}

// String is the posture in a phrase, for the text report.
func (p Posture) String() string {
	return fmt.Sprintf("%d %s (OS Login off: %d, taking project keys: %d), legacy sshKeys: %d; keys active: %d (without expiry: %d), dormant under OS Login: %d",
		p.VMs, textfmt.Plural(p.VMs, "VM", "VMs"), p.OSLoginOff, p.TakeProjectKeys, p.LegacySSHKeys, p.ActiveKeys, p.ActiveWithoutExpiry, p.DormantKeys)
}
