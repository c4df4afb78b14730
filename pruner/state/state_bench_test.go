package state

import (
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"runtime"
	"testing"
	"time"
)

// BenchmarkStateRun measures the state of a large organization through a
// run: 10,000 projects with 10 VMs each and 5 keys on every target
// (550,000 keys): decode, plan lookups and sightings of every target,
// then the state to save and its encoding. It reports the encoded size.
//
//	go test ./pruner/state -run '^$' -bench BenchmarkStateRun -benchmem
func BenchmarkStateRun(b *testing.B) {
	const projects, vms, keys = 10000, 10, 5
	now := time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)
	var targets []string
	for p := range projects {
		id := fmt.Sprintf("projects/project-%05d", p)
		targets = append(targets, id)
		for v := range vms {
			targets = append(targets, fmt.Sprintf("%s/zones/europe-west1-b/instances/vm-%02d", id, v))
		}
	}
	fp := func(t, k int) string {
		sum := sha256.Sum256(fmt.Appendf(nil, "%d/%d", t, k))
		return "SHA256:" + base64.RawStdEncoding.EncodeToString(sum[:])
	}
	keysOf := make([][]string, len(targets))
	st := State{Targets: map[string]map[string]Seen{}}
	for i, t := range targets {
		m := map[string]Seen{}
		for k := range keys {
			f := fp(i, k)
			keysOf[i] = append(keysOf[i], f)
			m[f] = Seen{First: now.Add(-time.Hour), Last: now.Add(-time.Hour)}
		}
		st.Targets[t] = m
	}
	data, err := EncodeState(st, now)
	if err != nil {
		b.Fatal(err)
	}
	runtime.GC()
	var base runtime.MemStats
	runtime.ReadMemStats(&base)
	var held uint64
	for b.Loop() {
		s, err := DecodeState(data, now)
		if err != nil {
			b.Fatal(err)
		}
		seen := NewSightings(s)
		for i, t := range targets {
			_ = seen.FirstSeen(t)
			seen.Record(t, keysOf[i], now)
		}
		out, err := EncodeState(seen.State(now), now)
		if err != nil {
			b.Fatal(err)
		}
		// What the run holds at the end: its memory and the bytes to
		// write, beyond the benchmark's own input.
		runtime.GC()
		var ms runtime.MemStats
		runtime.ReadMemStats(&ms)
		held = max(held, ms.HeapAlloc-min(ms.HeapAlloc, base.HeapAlloc))
		runtime.KeepAlive(seen)
		runtime.KeepAlive(out)
	}
	b.ReportMetric(float64(len(data))/1e6, "MB-state")
	b.ReportMetric(float64(held)/1e6, "MB-held")
}
