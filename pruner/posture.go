package pruner

import (
	"fmt"
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

// posture is computed from the metadata as read and listed, with
// EffectiveAccess for each VM.
func posture(project Metadata, instances []Instance, now time.Time) *Posture {
	p := &Posture{VMs: len(instances)}
	if lookup(project.Items, KeyLegacySSHKeys) != "" {
		p.LegacySSHKeys++
	}
	for _, in := range instances {
		if lookup(in.Metadata.Items, KeyLegacySSHKeys) != "" {
			p.LegacySSHKeys++
		}
		a := EffectiveAccess(in.vm(project), now)
		if !in.Windows && !a.OSLogin {
			p.OSLoginOff++
		}
		if !a.BlockProjectKeys && (!in.Windows || a.WindowsSSH) && !a.OSLogin {
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

// vm is what EffectiveAccess needs of an instance and its project.
func (in Instance) vm(project Metadata) VM {
	return VM{Windows: in.Windows, Project: project.Items, Instance: in.Metadata.Items, Effective: in.Effective}
}

func (p *Posture) add(o Posture) {
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
		p.VMs, plural(p.VMs, "VM", "VMs"), p.OSLoginOff, p.TakeProjectKeys, p.LegacySSHKeys, p.ActiveKeys, p.ActiveWithoutExpiry, p.DormantKeys)
}
