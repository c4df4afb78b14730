package state

import (
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"testing"
	"time"

	"github.com/ssh-pruner/ssh-pruner/pruner/attribution"
)

// BenchmarkProjectState measures the state's work for one project of 10
// VMs with 5 keys on each target (55 keys), as a run does it: decode the
// project's object, look up and record every target, make and encode the
// object to save. A run holds one of these a project under way, whatever
// the size of the organization. It reports the bytes a key costs, plain
// and with who added it.
//
//	go test ./pruner/state -run '^$' -bench BenchmarkProjectState -benchmem
func BenchmarkProjectState(b *testing.B) {
	for _, c := range []struct {
		name string
		attr *attribution.Result
	}{
		{"plain", nil},
		// Every key attributed by a window, as runs with --audit-logs keep
		// them once settled.
		{"attributed", &attribution.Result{Attribution: attribution.Window, AddedBy: "firstname.lastname@example.com",
			AddedAt: time.Date(2026, 11, 21, 11, 58, 3, 0, time.UTC), AddedVia: attribution.ViaGcloudSSH}},
	} {
		b.Run(c.name, func(b *testing.B) { projectState(b, c.attr) })
	}
}

func projectState(b *testing.B, attr *attribution.Result) {
	const vms, keys = 10, 5
	now := time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)
	targets := []string{"projects/project-00001"}
	for v := range vms {
		targets = append(targets, fmt.Sprintf("projects/project-00001/zones/europe-west1-b/instances/vm-%02d", v))
	}
	fp := func(t, k int) string {
		sum := sha256.Sum256(fmt.Appendf(nil, "%d/%d", t, k))
		return "SHA256:" + base64.RawStdEncoding.EncodeToString(sum[:])
	}
	keysOf := make([][]string, len(targets))
	sh := Shard{Project: "project-00001", Targets: map[string]Target{}}
	for i, t := range targets {
		m := map[string]Seen{}
		for k := range keys {
			f := fp(i, k)
			keysOf[i] = append(keysOf[i], f)
			m[f] = Seen{First: now.Add(-48 * time.Hour), Last: now.Add(-25 * time.Hour), Attr: attr}
		}
		sh.Targets[t] = Target{Read: now.Add(-25 * time.Hour), Keys: m}
	}
	data, err := EncodeShard(sh, now)
	if err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		got, _, err := DecodeShard(data, sh.Project, now)
		if err != nil {
			b.Fatal(err)
		}
		seen := NewSightings(got)
		for i, t := range targets {
			_ = seen.FirstSeen(t)
			seen.Record(t, keysOf[i], now)
		}
		out, changed := seen.Shard(sh.Project, now)
		if !changed {
			b.Fatal("a day old: the object is written")
		}
		if _, err := EncodeShard(out, now); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(len(data))/float64(len(targets)*keys), "bytes/key")
	b.ReportMetric(float64(len(data)), "bytes/project")
}
