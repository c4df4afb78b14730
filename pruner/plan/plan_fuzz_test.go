package plan

import (
	"path/filepath"
	"testing"
	"time"
)

// FuzzPlan plans arbitrary ssh-keys and sshKeys values and checks the
// invariants of every plan: other items untouched and in place, kept
// lines byte for byte and in order, nothing else left in the key items,
// one pass enough. Run it with
//
//	go test -run '^$' -fuzz FuzzPlan -fuzztime 60s ./pruner
func FuzzPlan(f *testing.F) {
	inputs, err := filepath.Glob("testdata/plan/*.input.json")
	if err != nil || len(inputs) == 0 {
		f.Fatalf("seed inputs: %v", err)
	}
	for _, path := range inputs {
		in, _ := loadPlanInputF(f, path)
		var sshKeys, legacy string
		hasLegacy := false
		for _, it := range in.Metadata.Items {
			switch it.Key {
			case KeySSHKeys:
				sshKeys = Value(it)
			case KeyLegacySSHKeys:
				legacy, hasLegacy = Value(it), true
			}
		}
		f.Add(sshKeys, legacy, hasLegacy, false)
	}
	policy, err := NewPolicy(nil, false)
	if err != nil {
		f.Fatal(err)
	}
	now := time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)
	f.Fuzz(func(t *testing.T, sshKeys, legacy string, hasLegacy, legacyFirst bool) {
		other := "#!/bin/sh\necho hi\n"
		items := []Item{{Key: "startup-script", Value: &other}, {Key: KeySSHKeys, Value: &sshKeys}}
		if hasLegacy {
			l := Item{Key: KeyLegacySSHKeys, Value: &legacy}
			if legacyFirst {
				items = append([]Item{l}, items...)
			} else {
				items = append(items, l)
			}
		}
		md := Metadata{Fingerprint: "AAAAAAAAAAA=", Items: items}
		for _, in := range []Input{{Level: LevelProject}, {Level: LevelInstance}, {Level: LevelInstance, Windows: true}} {
			in.Metadata = md
			checkPlanInvariants(t, in, policy, now, Make(in, policy, now))
		}
	})
}
