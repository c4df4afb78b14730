package plan_test

import (
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/ssh-pruner/ssh-pruner/keyparse"
	"github.com/ssh-pruner/ssh-pruner/pruner/access"
	"github.com/ssh-pruner/ssh-pruner/pruner/plan"
)

// checkNeverWiden plans the project's and the instance's metadata of vm
// and checks that no combination of the two writes (either may fail while
// the other lands) lets in a key the VM did not take before.
func checkNeverWiden(t testing.TB, vm access.VM, now time.Time) {
	t.Helper()
	for _, variant := range []struct {
		keepMisplaced bool
		grace         time.Duration
	}{{false, 0}, {true, 0}, {false, 24 * time.Hour}, {true, 24 * time.Hour}} {
		policy, err := plan.NewPolicy(nil, variant.keepMisplaced)
		if err != nil {
			t.Fatal(err)
		}
		// With a grace, about half the keys were first seen long ago (past
		// their grace) and the others are new.
		var projectSeen, instanceSeen map[string]time.Time
		if policy.Grace = variant.grace; policy.Grace > 0 {
			projectSeen, instanceSeen = halfOld(vm.Project, now), halfOld(vm.Instance, now)
		}
		project := plan.Make(plan.Input{Level: plan.LevelProject, Metadata: plan.Metadata{Items: vm.Project}, FirstSeen: projectSeen}, policy, now)
		instance := plan.Make(plan.Input{Level: plan.LevelInstance, Windows: vm.Windows, Metadata: plan.Metadata{Items: vm.Instance}, FirstSeen: instanceSeen}, policy, now)
		before := access.EffectiveAccess(vm, now).ActiveGrants()
		for _, p := range [][]plan.Item{vm.Project, project.Items} {
			for _, in := range [][]plan.Item{vm.Instance, instance.Items} {
				after := vm
				after.Project, after.Instance = p, in
				for g := range access.EffectiveAccess(after, now).ActiveGrants() {
					if !before[g] {
						t.Fatalf("the prune lets %q in with %q\nproject before: %q\nproject after: %q\ninstance before: %q\ninstance after: %q\nwindows: %v",
							g.User, g.Key, dump(vm.Project), dump(p), dump(vm.Instance), dump(in), vm.Windows)
					}
				}
			}
		}
	}
}

// halfOld makes the keys of items whose fingerprint ends in the first
// half of the alphabet first seen 48 hours before now.
func halfOld(items []plan.Item, now time.Time) map[string]time.Time {
	out := map[string]time.Time{}
	for _, it := range items {
		for _, l := range keyparse.Parse(plan.Value(it)) {
			if fp := l.Fingerprint; fp != "" && fp[len(fp)-1] < 'a' {
				out[fp] = now.Add(-48 * time.Hour)
			}
		}
	}
	return out
}

func dump(items []plan.Item) []string {
	var out []string
	for _, it := range items {
		out = append(out, it.Key+"="+plan.Value(it))
	}
	return out
}

// The pools random metadata is drawn from: every kind of line the policy
// treats apart, and booleans spelled the ways the agent does and does not
// read.
var (
	widenUsers = []string{"alice", "bob", "gke-5e0b2a9c4d7f1836ab20", "root", ""}
	widenKeys  = []string{plan.KeyA, plan.KeyB, plan.KeyC, "ssh-ed25519 AAAA", ""}
	widenTails = []string{
		"",
		" alice@laptop",
		` google-ssh {"userName":"a@example.com","expireOn":"2027-01-01T00:00:00+0000"}`,
		` google-ssh {"userName":"a@example.com","expireOn":"2026-01-01T00:00:00+0000"}`,
		` google-ssh {"expireOn":"2099-01-01T00:00:00Z"}`,
		` google-ssh {"expireOn":"not a time"}`,
		" google-ssh",
	}
	widenBools = []string{"TRUE", "true", "1", "t", "FALSE", "false", "0", "yes", "", " TRUE"}
)

func randomLines(r *rand.Rand) string {
	var b strings.Builder
	for n := r.IntN(4); n > 0; n-- {
		if r.IntN(8) == 0 {
			b.WriteString("\n") // blank line
		}
		if r.IntN(8) == 0 {
			b.WriteString("  ")
		}
		b.WriteString(widenUsers[r.IntN(len(widenUsers))] + ":" + widenKeys[r.IntN(len(widenKeys))] + widenTails[r.IntN(len(widenTails))])
		if r.IntN(6) == 0 {
			b.WriteString("\r")
		}
		if n > 1 || r.IntN(2) == 0 {
			b.WriteString("\n")
		}
	}
	return b.String()
}

func randomItems(r *rand.Rand) []plan.Item {
	var kv []string
	for _, key := range []string{plan.KeySSHKeys, plan.KeyLegacySSHKeys} {
		if r.IntN(3) > 0 {
			kv = append(kv, key, randomLines(r))
		}
	}
	for _, key := range []string{plan.KeyBlockProjectKeys, access.KeyEnableOSLogin, access.KeyEnableWindowsSSH} {
		if r.IntN(3) == 0 {
			kv = append(kv, key, widenBools[r.IntN(len(widenBools))])
		}
	}
	it := plan.ItemsOf(kv...)
	r.Shuffle(len(it), func(i, j int) { it[i], it[j] = it[j], it[i] })
	return it
}

// TestNeverWiden draws random project and instance metadata and checks
// that pruning only ever takes access away.
func TestNeverWiden(t *testing.T) {
	r := rand.New(rand.NewPCG(9, 23))
	n := 20_000
	if testing.Short() {
		n = 2_000
	}
	for range n {
		vm := access.VM{Windows: r.IntN(4) == 0, Project: randomItems(r), Instance: randomItems(r)}
		checkNeverWiden(t, vm, plan.Now)
	}
}

// TestNeverWidenCases pins the cases the guard exists for.
func TestNeverWidenCases(t *testing.T) {
	for name, vm := range map[string]access.VM{
		"instance sshKeys loses its only key": {
			Project:  plan.ItemsOf("ssh-keys", "alice:"+plan.KeyA),
			Instance: plan.ItemsOf("sshKeys", "bob:"+plan.KeyB),
		},
		"instance sshKeys of expired keys, block set to a word the agent does not read": {
			Project:  plan.ItemsOf("ssh-keys", "alice:"+plan.KeyA),
			Instance: plan.ItemsOf("block-project-ssh-keys", "yes", "sshKeys", "bob:"+plan.KeyB+` google-ssh {"expireOn":"2020-01-01T00:00:00Z"}`),
		},
		// The 2023 agent reads "google-ssh\r" as a comment that never
		// expires: a Google key moved into a CRLF sshKeys must not get a
		// "\r" it did not have, nor a last line without its ending.
		"a Google key moved into a CRLF sshKeys": {
			Project: plan.ItemsOf("sshKeys", "root:"+plan.KeyB+"\r\n", "ssh-keys", "gke-5e0b2a9c4d7f1836ab20:"+plan.KeyA+" google-ssh\n"),
		},
		"a kept last line of a CRLF sshKeys, a Google key moved in after it": {
			Project: plan.ItemsOf("sshKeys", "gke-1:"+plan.KeyB+"\r\ngke-2:"+plan.KeyA+" google-ssh", "ssh-keys", "gke-3:"+plan.KeyC),
		},
		"instance sshKeys of blank lines only": {
			Project:  plan.ItemsOf("ssh-keys", "alice:"+plan.KeyA),
			Instance: plan.ItemsOf("sshKeys", "\n\n"),
		},
	} {
		t.Run(name, func(t *testing.T) { checkNeverWiden(t, vm, plan.Now) })
	}
}

// FuzzNeverWiden is TestNeverWiden with the fuzzer choosing the values.
//
//	go test -run '^$' -fuzz FuzzNeverWiden -fuzztime 60s ./pruner
func FuzzNeverWiden(f *testing.F) {
	f.Add("alice:"+plan.KeyA, "", "", "bob:"+plan.KeyB, uint16(0), false)
	f.Add("alice:"+plan.KeyA, "gke-1:"+plan.KeyC, "bob:"+plan.KeyB, "\n", uint16(0x1ff), true)
	f.Fuzz(func(t *testing.T, projectKeys, projectLegacy, instanceKeys, instanceLegacy string, flags uint16, windows bool) {
		build := func(keys, legacy string, bits uint16) []plan.Item {
			var kv []string
			if bits&1 != 0 {
				kv = append(kv, plan.KeySSHKeys, keys)
			}
			if bits&2 != 0 {
				kv = append(kv, plan.KeyLegacySSHKeys, legacy)
			}
			for i, key := range []string{plan.KeyBlockProjectKeys, access.KeyEnableOSLogin, access.KeyEnableWindowsSSH} {
				if v := bits >> (2 + 2*i) & 3; v != 0 {
					kv = append(kv, key, widenBools[int(v)*3%len(widenBools)])
				}
			}
			return plan.ItemsOf(kv...)
		}
		vm := access.VM{Windows: windows, Project: build(projectKeys, projectLegacy, flags), Instance: build(instanceKeys, instanceLegacy, flags>>8)}
		checkNeverWiden(t, vm, plan.Now)
	})
}
