package main

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"sync"
	"testing"
	"time"

	"github.com/ssh-pruner/ssh-pruner/gcp/gcpfake"
	"github.com/ssh-pruner/ssh-pruner/pruner"
	"github.com/ssh-pruner/ssh-pruner/pruner/report"
)

// BenchmarkApplyVsRun sets applying a reviewed plan beside a run that
// applies, on the organization of BenchmarkScale (scaleSeed) with 500
// projects of 4 VMs, 50 ms a call, at the default --concurrency and at 64:
//
//	go test -run '^$' -bench ApplyVsRun -benchtime 1x -timeout 30m ./cmd/ssh-pruner
//
// Each iteration runs, as separate processes through the launcher:
//
//   - run: `run --apply` on a fresh fake (checked as BenchmarkScale checks
//     its runs);
//   - plan: `run --plan-out plan.json` (a dry run) on another fresh fake;
//   - apply: `apply plan.json` on that fake as the plan left it, the part
//     the benchmark's timer measures.
//
// Reported for each of run, plan and apply: wall-s, calls/project (every
// call the fake received in that step, over the 500 projects), cpu-s and
// peak-RSS-MB; and apply/run-wall, the apply's wall time over the run's
// (the goal: at most 1). The benchmark fails unless apply writes exactly
// the dirty targets: as many compute.projects.setCommonInstanceMetadata
// calls as the run made and the plan holds projects, one
// compute.instances.setMetadata call per dirty VM, no
// compute.instances.get call, every target changed and none stale, and
// the fake left with the same metadata, item for item, as by the run.
func BenchmarkApplyVsRun(b *testing.B) {
	bin := scaleBuild(b)
	seed := sync.OnceValue(func() *gcpfake.Seed { return scaleSeed(500, 4) })
	for _, conc := range []int{0, 64} {
		name := "concurrency=default"
		if conc > 0 {
			name = fmt.Sprint("concurrency=", conc)
		}
		b.Run("projects=500/instances=4/"+name, func(b *testing.B) {
			for range b.N {
				applyVsRun(b, bin, seed(), conc, 50*time.Millisecond)
			}
		})
	}
}

// applyVsRun is one iteration of BenchmarkApplyVsRun; conc 0 leaves
// --concurrency to its default.
func applyVsRun(b *testing.B, bin string, seed *gcpfake.Seed, conc int, latency time.Duration) {
	b.StopTimer()
	n := len(seed.Projects)
	var concFlag []string
	if conc > 0 {
		concFlag = []string{"--concurrency", fmt.Sprint(conc)}
	}
	runArgs := func(url string, extra ...string) []string {
		args := []string{bin, "run", "--organization", seed.Organization.ID,
			"--api-endpoint", url, "--now", demoNow, "--output", "json", "--log-level", "warn",
			"--max-removals-per-run", "0"}
		return append(append(args, concFlag...), extra...)
	}

	// run --apply, on its own fake.
	fRun, url := scaleServe(b, seed, latency, nil)
	run := scaleLaunch(b, runArgs(url, "--apply")...)
	if run.err != nil {
		b.Fatalf("run --apply: %v\n%s", run.err, run.stderr)
	}
	runRep := benchReport(b, "run --apply", run.stdout)
	if t := runRep.Totals; t.Projects != n || t.Failed != 0 || t.Instances.Failed != 0 {
		b.Fatalf("run --apply: %+v", t)
	}
	scaleCheckInstances(b, fRun, seed, runRep)
	projectWrites := fRun.Calls("compute.projects.setCommonInstanceMetadata")

	// run --plan-out, then apply, on another fake.
	f, url := scaleServe(b, seed, latency, nil)
	planPath := filepath.Join(b.TempDir(), "plan.json")
	dry := scaleLaunch(b, runArgs(url, "--plan-out", planPath)...)
	if dry.err != nil {
		b.Fatalf("run --plan-out: %v\n%s", dry.err, dry.stderr)
	}
	planned := f.CallCounts()
	if planned["compute.projects.setCommonInstanceMetadata"]+planned["compute.instances.setMetadata"] != 0 {
		b.Fatalf("run --plan-out wrote: %v", planned)
	}
	var pf planFile
	data, err := os.ReadFile(planPath)
	if err != nil {
		b.Fatal(err)
	}
	if err := json.Unmarshal(data, &pf); err != nil {
		b.Fatal(err)
	}
	planProjects := 0
	for _, t := range pf.Targets {
		if t.Instance == "" {
			planProjects++
		}
	}

	args := append([]string{bin, "apply", "--api-endpoint", url, "--output", "json", "--log-level", "warn"}, concFlag...)
	b.StartTimer()
	apply := scaleLaunch(b, append(args, planPath)...)
	b.StopTimer()
	if apply.err != nil {
		b.Fatalf("apply: %v\n%s", apply.err, apply.stderr)
	}
	applyRep := benchReport(b, "apply", apply.stdout)
	applied := map[string]int{}
	for m, c := range f.CallCounts() {
		if d := c - planned[m]; d > 0 {
			applied[m] = d
		}
	}
	dirty := 0
	for _, p := range seed.Projects {
		for _, in := range p.Instances {
			if scaleDirty(in) {
				dirty++
			}
		}
	}
	switch t := applyRep.Totals; {
	case applied["compute.instances.get"] != 0:
		b.Fatalf("apply: %d compute.instances.get calls, want none", applied["compute.instances.get"])
	case applied["compute.projects.setCommonInstanceMetadata"] != projectWrites || planProjects != projectWrites:
		b.Fatalf("apply: %d project writes, plan has %d projects, run --apply wrote %d",
			applied["compute.projects.setCommonInstanceMetadata"], planProjects, projectWrites)
	case applied["compute.instances.setMetadata"] != dirty || len(pf.Targets)-planProjects != dirty:
		b.Fatalf("apply: %d instance writes, plan has %d VMs, want %d (the dirty VMs)",
			applied["compute.instances.setMetadata"], len(pf.Targets)-planProjects, dirty)
	case t.Changed != projectWrites || t.Instances.Changed != dirty || t.Stale+t.Instances.Stale+t.Failed+t.Instances.Failed != 0:
		b.Fatalf("apply: report %+v", t)
	}
	benchSameState(b, seed, fRun, f)

	total := func(m map[string]int) (s int) {
		for _, c := range m {
			s += c
		}
		return s
	}
	for _, s := range []struct {
		name  string
		c     scaleChild
		calls int
	}{
		{"run", run, total(fRun.CallCounts())},
		{"plan", dry, total(planned)},
		{"apply", apply, total(applied)},
	} {
		b.ReportMetric(s.c.wall.Seconds(), s.name+"-wall-s")
		b.ReportMetric(float64(s.calls)/float64(n), s.name+"-calls/project")
		b.ReportMetric(s.c.cpu().Seconds(), s.name+"-cpu-s")
		b.ReportMetric(s.c.peakRSSMB(), s.name+"-peak-RSS-MB")
	}
	b.ReportMetric(apply.wall.Seconds()/run.wall.Seconds(), "apply/run-wall")
	if conc == 0 {
		conc = pruner.DefaultConcurrency
	}
	b.ReportMetric(float64(conc), "concurrency")
	if apply.wall > run.wall {
		b.Logf("apply took %v, longer than run --apply (%v)", apply.wall, run.wall)
	}
}

// benchReport decodes the JSON report a command wrote.
func benchReport(b *testing.B, what string, out []byte) report.Report {
	b.Helper()
	var rep report.Report
	if err := json.Unmarshal(out, &rep); err != nil {
		b.Fatalf("%s: report: %v", what, err)
	}
	return rep
}

// benchSameState fails b unless the two fakes of seed hold the same
// metadata items on every project and instance.
func benchSameState(b *testing.B, seed *gcpfake.Seed, want, got *gcpfake.Fake) {
	b.Helper()
	for _, p := range seed.Projects {
		w, _, _ := want.ProjectMetadata(p.ID)
		g, _, _ := got.ProjectMetadata(p.ID)
		if !reflect.DeepEqual(w, g) {
			b.Fatalf("project %s: metadata differs from run --apply's", p.ID)
		}
		for _, in := range p.Instances {
			w, _, _ := want.InstanceMetadata(p.ID, in.Zone, in.Name)
			g, _, _ := got.InstanceMetadata(p.ID, in.Zone, in.Name)
			if !reflect.DeepEqual(w, g) {
				b.Fatalf("instance %s/%s/%s: metadata differs from run --apply's", p.ID, in.Zone, in.Name)
			}
		}
	}
}
