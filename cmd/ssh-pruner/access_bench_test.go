package main

import (
	"encoding/json"
	"sync"
	"testing"
	"time"

	"github.com/ssh-pruner/ssh-pruner/gcp/gcpfake"
	"github.com/ssh-pruner/ssh-pruner/pruner/access"
)

// BenchmarkAccessMemory sets the peak RSS of `access --output json` beside
// that of a dry `run --output json`, both at the default --concurrency,
// on the organization of BenchmarkScale (scaleSeed) with 500 projects of
// 4 VMs, 50 ms a call, each on a fresh fake, as separate processes
// through the launcher:
//
//	go test -run '^$' -bench AccessMemory -benchtime 1x -timeout 30m ./cmd/ssh-pruner
//
// Reported for each of run and access: wall-s, calls/project, cpu-s and
// peak-RSS-MB; and access/run-RSS, access's peak RSS over run's (the
// goal: at most 1.5). The benchmark fails unless access sees every VM
// and reports no gap, and the run every project and VM.
func BenchmarkAccessMemory(b *testing.B) {
	bin := scaleBuild(b)
	seed := sync.OnceValue(func() *gcpfake.Seed { return scaleSeed(500, 4) })
	b.Run("projects=500/instances=4", func(b *testing.B) {
		for range b.N {
			accessVsRun(b, bin, seed(), 50*time.Millisecond)
		}
	})
}

func accessVsRun(b *testing.B, bin string, seed *gcpfake.Seed, latency time.Duration) {
	b.StopTimer()
	n, vms := len(seed.Projects), 0
	for _, p := range seed.Projects {
		vms += len(p.Instances)
	}
	calls := func(f *gcpfake.Fake) (s int) {
		for _, c := range f.CallCounts() {
			s += c
		}
		return s
	}

	fRun, url := scaleServe(b, seed, latency, nil)
	run := scaleLaunch(b, bin, "run", "--organization", seed.Organization.ID, "--api-endpoint", url, "--now", demoNow,
		"--output", "json", "--log-level", "warn", "--max-removals-per-run", "0")
	if run.err != nil {
		b.Fatalf("run: %v\n%s", run.err, run.stderr)
	}
	rep := benchReport(b, "run", run.stdout)
	if t := rep.Totals; t.Projects != n || t.Instances.Total != vms || t.Failed+t.Instances.Failed+t.InstanceListingsFailed+t.ZonesUnreachable != 0 {
		b.Fatalf("run: %+v", t)
	}

	fAccess, url := scaleServe(b, seed, latency, nil)
	b.StartTimer()
	acc := scaleLaunch(b, bin, "access", "--organization", seed.Organization.ID, "--api-endpoint", url, "--now", demoNow,
		"--output", "json")
	b.StopTimer()
	if acc.err != nil {
		b.Fatalf("access: %v\n%s", acc.err, acc.stderr)
	}
	var ar access.AccessReport
	if err := json.Unmarshal(acc.stdout, &ar); err != nil {
		b.Fatalf("access: report: %v", err)
	}
	if len(ar.VMs) != vms || len(ar.Gaps) != 0 {
		b.Fatalf("access: %d VMs (want %d), gaps %v", len(ar.VMs), vms, ar.Gaps)
	}

	for _, s := range []struct {
		name  string
		c     scaleChild
		calls int
	}{
		{"run", run, calls(fRun)},
		{"access", acc, calls(fAccess)},
	} {
		b.ReportMetric(s.c.wall.Seconds(), s.name+"-wall-s")
		b.ReportMetric(float64(s.calls)/float64(n), s.name+"-calls/project")
		b.ReportMetric(s.c.cpu().Seconds(), s.name+"-cpu-s")
		b.ReportMetric(s.c.peakRSSMB(), s.name+"-peak-RSS-MB")
	}
	b.ReportMetric(acc.peakRSSMB()/run.peakRSSMB(), "access/run-RSS")
	b.ReportMetric(float64(len(acc.stdout))/(1<<20), "access-report-MB")
	b.ReportMetric(float64(len(run.stdout))/(1<<20), "run-report-MB")
}
