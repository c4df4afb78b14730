package access

import (
	"cmp"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/ssh-pruner/ssh-pruner/keyparse"
	"github.com/ssh-pruner/ssh-pruner/pruner/plan"
)

// AccessReport answers who can reach which VM through metadata keys, and
// until when. It changes nothing.
type AccessReport struct {
	Now time.Time `json:"now"`
	// Identities groups the active keys by who holds them, keys without
	// expiry first.
	Identities []IdentityAccess `json:"identities"`
	// VMs lists every VM seen, with the keys that open it.
	VMs []VMReport `json:"vms"`
	// Gaps names what could not be seen: the answer is incomplete there.
	Gaps []AccessGap `json:"gaps"`
}

// Complete tells whether every project and zone of the scope was seen.
func (r AccessReport) Complete() bool { return len(r.Gaps) == 0 }

// OK tells whether everything not seen is what the caller may not read:
// the rule of every command's exit status. A folder or project the
// caller is not allowed to read is a gap the answer names, as a run
// reports it; one that failed (an error, a zone unreachable, a listing
// cut short, an interruption) is a failure.
func (r AccessReport) OK() bool {
	for _, g := range r.Gaps {
		if g.Reason != forbidden {
			return false
		}
	}
	return true
}

// forbidden is the reason of a gap the caller may not read (report.SkipForbidden).
const forbidden = "forbidden"

// AccessGap is a project, folder or zone whose VMs were not seen.
type AccessGap struct {
	Resource string `json:"resource"`
	Reason   string `json:"reason"`
}

// VMReport is one VM and the keys that open it now.
type VMReport struct {
	Project          string   `json:"project"`
	Zone             string   `json:"zone"`
	Name             string   `json:"name"`
	Status           string   `json:"status,omitempty"`
	Windows          bool     `json:"windows"`
	OSLogin          bool     `json:"osLogin"`
	BlockProjectKeys bool     `json:"blockProjectKeys"`
	WindowsSSH       bool     `json:"windowsSsh,omitempty"`
	Active           []VMKey  `json:"active"`
	Dormant          int      `json:"dormant"`
	Disagreements    []string `json:"disagreements,omitempty"`
}

// VMKey is a key line that opens a VM.
type VMKey struct {
	// Identity is the google-ssh userName, else the username.
	Identity       string `json:"identity"`
	Username       string `json:"username"`
	GoogleUserName string `json:"googleUserName,omitempty"`
	KeyType        string `json:"keyType"`
	Fingerprint    string `json:"fingerprint"`
	// ExpireOn is "" for a key that never expires (keyparse.FormatTime).
	ExpireOn    string     `json:"expireOn,omitempty"`
	Level       plan.Level `json:"level"`
	MetadataKey string     `json:"metadataKey"`
	// Added is who added the key, as the state remembers it (access
	// --state): empty without a state, or for a key no run attributed.
	plan.Added
}

// IdentityAccess is what one identity can reach.
type IdentityAccess struct {
	Identity string        `json:"identity"`
	Keys     []IdentityKey `json:"keys"`
}

// IdentityKey is one key of an identity and the VMs it opens.
type IdentityKey struct {
	// AddedBy names the principals that added the key, where a run
	// attributed it (window or only-writer), sorted.
	AddedBy     []string `json:"addedBy,omitempty"`
	Username    string   `json:"username"`
	KeyType     string   `json:"keyType"`
	Fingerprint string   `json:"fingerprint"`
	ExpireOn    string   `json:"expireOn,omitempty"`
	Projects    []string `json:"projects"`
	// VMs are named project/zone/name.
	VMs []string `json:"vms"`
}

// Place names a VM in the access report, as the instance listing does.
type Place struct {
	Project, Zone, Name string
	Status              string // RUNNING, TERMINATED, ...
}

// VMReportOf is the access report of one VM.
func VMReportOf(at Place, vm VM, now time.Time) VMReport {
	a := EffectiveAccess(vm, now)
	vr := VMReport{
		Project: at.Project, Zone: at.Zone, Name: at.Name, Status: at.Status, Windows: vm.Windows,
		OSLogin: a.OSLogin, BlockProjectKeys: a.BlockProjectKeys, WindowsSSH: a.WindowsSSH,
		Disagreements: a.Disagreements,
	}
	active := 0
	for _, k := range a.Keys {
		if k.State == AccessActive {
			active++
		}
	}
	// Of the exact size: an organization's report holds one per key per VM.
	vr.Active = make([]VMKey, 0, active)
	for _, k := range a.Keys {
		switch k.State {
		case AccessDormant:
			vr.Dormant++
		case AccessActive:
			vr.Active = append(vr.Active, vmKey(k))
		}
	}
	return vr
}

// Strings keeps one copy of each string that the VM reports of a scan
// repeat: the same key opens every VM of its project that takes project
// keys, and often VMs of other projects, and each VM's report would
// otherwise hold its own fingerprint and expiry text, and substrings that
// keep alive the whole metadata value they were parsed from. Safe for
// concurrent use; the zero value is ready.
type Strings struct {
	mu sync.Mutex
	m  map[string]string
}

// Share makes vr hold the shared copies of its strings.
func (s *Strings) Share(vr *VMReport) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.m == nil {
		s.m = map[string]string{}
	}
	vr.Zone, vr.Status = s.of(vr.Zone), s.of(vr.Status)
	for i := range vr.Active {
		k := &vr.Active[i]
		k.Identity, k.Username, k.GoogleUserName = s.of(k.Identity), s.of(k.Username), s.of(k.GoogleUserName)
		k.KeyType, k.Fingerprint, k.ExpireOn = s.of(k.KeyType), s.of(k.Fingerprint), s.of(k.ExpireOn)
		k.AddedBy, k.AddedVia, k.Attribution = s.of(k.AddedBy), s.of(k.AddedVia), s.of(k.Attribution)
	}
}

func (s *Strings) of(v string) string {
	if v == "" {
		return ""
	}
	if c, ok := s.m[v]; ok {
		return c
	}
	c := strings.Clone(v)
	s.m[c] = c
	return c
}

func vmKey(k KeyAccess) VMKey {
	l := k.Line
	vk := VMKey{
		Username: l.DisplayUser(), KeyType: keyparse.Printable(l.KeyType), Fingerprint: l.Fingerprint,
		Level: k.Level, MetadataKey: k.MetadataKey,
	}
	if l.Google != nil {
		vk.GoogleUserName = keyparse.Printable(l.Google.UserName)
	}
	if l.Expires() {
		vk.ExpireOn = keyparse.FormatTime(l.ExpireOn)
	}
	vk.Identity = cmp.Or(vk.GoogleUserName, vk.Username)
	return vk
}

// Finish sorts the VMs and gaps and groups the active keys by identity:
// identities holding a key without expiry first, then by name; within one,
// keys without expiry first, then by expiry.
func (r *AccessReport) Finish() {
	slices.SortFunc(r.VMs, func(a, b VMReport) int {
		return cmp.Or(cmp.Compare(a.Project, b.Project), cmp.Compare(a.Zone, b.Zone), cmp.Compare(a.Name, b.Name))
	})
	slices.SortFunc(r.Gaps, func(a, b AccessGap) int { return cmp.Compare(a.Resource, b.Resource) })
	if r.VMs == nil {
		r.VMs = []VMReport{}
	}
	if r.Gaps == nil {
		r.Gaps = []AccessGap{}
	}

	type keyID struct{ identity, username, fingerprint, expireOn string }
	byKey := map[keyID]*IdentityKey{}
	byIdentity := map[string][]*IdentityKey{}
	for _, vm := range r.VMs {
		name := vm.Project + "/" + vm.Zone + "/" + vm.Name
		for _, k := range vm.Active {
			id := keyID{k.Identity, k.Username, k.Fingerprint, k.ExpireOn}
			ik := byKey[id]
			if ik == nil {
				ik = &IdentityKey{Username: k.Username, KeyType: k.KeyType, Fingerprint: k.Fingerprint, ExpireOn: k.ExpireOn}
				byKey[id] = ik
				byIdentity[k.Identity] = append(byIdentity[k.Identity], ik)
			}
			ik.VMs = appendNew(ik.VMs, name)
			ik.Projects = appendNew(ik.Projects, vm.Project)
			if k.AddedBy != "" {
				ik.AddedBy = appendNew(ik.AddedBy, k.AddedBy)
				slices.Sort(ik.AddedBy)
			}
		}
	}
	r.Identities = []IdentityAccess{}
	for identity, keys := range byIdentity {
		ia := IdentityAccess{Identity: identity}
		for _, k := range keys {
			ia.Keys = append(ia.Keys, *k)
		}
		slices.SortFunc(ia.Keys, func(a, b IdentityKey) int {
			return cmp.Or(expiryOrder(a.ExpireOn, b.ExpireOn), cmp.Compare(a.Fingerprint, b.Fingerprint), cmp.Compare(a.Username, b.Username))
		})
		r.Identities = append(r.Identities, ia)
	}
	slices.SortFunc(r.Identities, func(a, b IdentityAccess) int {
		pa, pb := a.Keys[0].ExpireOn == "", b.Keys[0].ExpireOn == ""
		switch {
		case pa && !pb:
			return -1
		case pb && !pa:
			return 1
		}
		return cmp.Compare(a.Identity, b.Identity)
	})
}

// appendNew appends v to list unless list holds it already.
func appendNew(list []string, v string) []string {
	if slices.Contains(list, v) {
		return list
	}
	return append(list, v)
}

// expiryOrder puts "" (never) first, then the expiries in time order.
// FormatTime's text sorts as time within years 0..9999; a year before
// carries a "-", one after a "+".
func expiryOrder(a, b string) int {
	switch {
	case a == b:
		return 0
	case a == "":
		return -1
	case b == "":
		return 1
	}
	return cmp.Or(cmp.Compare(yearRank(a), yearRank(b)), cmp.Compare(a, b))
}

func yearRank(s string) int {
	switch s[0] {
	case '-':
		return 0
	case '+':
		return 2
	}
	return 1
}
