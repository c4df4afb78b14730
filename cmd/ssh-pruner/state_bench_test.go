package main

import (
	"crypto/ed25519"
	"encoding/json"
	"fmt"
	"io/fs"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"path/filepath"
	"slices"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/fsouza/fake-gcs-server/fakestorage"
	"golang.org/x/crypto/ssh"

	"github.com/ssh-pruner/ssh-pruner/gcp/gcpfake"
	"github.com/ssh-pruner/ssh-pruner/pruner/report"
)

// BenchmarkStateScale measures the memory of runs with a state as the
// organization grows, and what they write of the state:
//
//	go test -run '^$' -bench 'StateScale$' -benchtime 1x -timeout 90m ./cmd/ssh-pruner
//
// (-bench 'StateScale$/^projects=100000$/' runs one case.) On the
// organization of BenchmarkScale (scaleSeed) with 10,000, 50,000 and
// 100,000 projects without VMs, and 10,000 projects of 10 VMs, every call
// to the fake taking 1 ms, it runs the binary built with -tags
// ssh_pruner_testflags as separate processes through the launcher, on
// one fake and one state directory:
//
//	ssh-pruner run --organization 900000000001 --api-endpoint URL --grace 24h --qps 0 --output json \
//	    --log-level warn --max-removals-per-run 0 --now 2026-11-23T12:00:00Z --state DIR/ --apply
//	ssh-pruner run --organization 900000000001 --api-endpoint URL --grace 24h --qps 0 --output json \
//	    --log-level warn --max-removals-per-run 0 --now 2026-11-23T13:00:00Z --state DIR/ --exit-code-on-changes
//
// The first applies, as an hourly job does, so that the state it leaves
// is the keys as the run left them (what it wrote, not what it read); the
// second is a dry run an hour later, so that nothing but the state itself
// decides what it writes: the metadata is as the first left it, no read
// time is a day old, and it must write no project's object. Both must
// end with no failure and the state saved (exit 0, or 3 for changes in
// the dry run).
//
// Reported for each run (run1, run2): wall-s, cpu-s, peak-RSS-MB, and
// written (the report's state.projectsWritten); and state-MB (the sum of
// the state's file sizes after both runs), state-objects, keys (the
// report's state.keys of the second run), bytes/key (state-MB over
// keys), and bench-RSS-MB (the benchmark process's own peak so far, fake
// and seed included: a high-water mark, which the cases after the
// largest keep). As a control, not timed, the second run is run again
// without --grace and --state: nostate-wall-s and nostate-peak-RSS-MB,
// the part of the peak that is not the state's.
func BenchmarkStateScale(b *testing.B) {
	bin := scaleBuild(b)
	for _, c := range []struct{ projects, instances int }{
		{10000, 0}, {50000, 0}, {100000, 0}, {10000, 10},
	} {
		b.Run(fmt.Sprintf("projects=%d/instances=%d", c.projects, c.instances), func(b *testing.B) {
			// Made here rather than once for all: a case's organization
			// is let go before the next case makes its own.
			seed := scaleSeed(c.projects, c.instances)
			for range b.N {
				stateScaleRun(b, bin, seed)
			}
		})
	}
}

func stateScaleRun(b *testing.B, bin string, seed *gcpfake.Seed) {
	b.StopTimer()
	_, url := scaleServe(b, seed, time.Millisecond, nil)
	dir := b.TempDir() + "/"
	r1, r2 := stateRuns(b, bin, seed, url, []string{"--state", dir}, nil)
	if r2.rep.State.ProjectsWritten != 0 {
		b.Fatalf("run 2 wrote %d projects' objects, want none: nothing changed in an hour", r2.rep.State.ProjectsWritten)
	}
	size, objects := stateDirSize(b, dir)
	if objects != len(seed.Projects)+1 {
		b.Fatalf("state: %d objects, want %d (a project's each, and run.json)", objects, len(seed.Projects)+1)
	}
	// The control, not timed: the second run again without --grace and
	// --state, on the fake as the first run left it.
	control := stateCheck(b, "control (dry, no state)", seed, 3, false, scaleLaunch(b, bin, "run",
		"--organization", seed.Organization.ID, "--api-endpoint", url, "--qps", "0", "--output", "json",
		"--log-level", "warn", "--max-removals-per-run", "0", "--exit-code-on-changes",
		"--now", mustParseTime(b, demoNow).Add(time.Hour).Format(time.RFC3339)))
	stateReport(b, r1, r2, size, objects)
	b.ReportMetric(control.c.wall.Seconds(), "nostate-wall-s")
	b.ReportMetric(control.c.peakRSSMB(), "nostate-peak-RSS-MB")
}

// BenchmarkStateGCS runs the two runs of BenchmarkStateScale on 10,000
// projects without VMs with the state in Cloud Storage:
//
//	go test -run '^$' -bench 'StateGCS$' -benchtime 1x -timeout 60m ./cmd/ssh-pruner
//
// that is, with --state gs://pruner-state/state/ --state-endpoint URL in
// place of --state DIR/, URL a proxy that counts requests in front of
// fake-gcs-server (in the benchmark's process, its memory backend):
//
//	ssh-pruner run ... --now 2026-11-23T12:00:00Z --state gs://pruner-state/state/ --state-endpoint URL --apply
//	ssh-pruner run ... --now 2026-11-23T13:00:00Z --state gs://pruner-state/state/ --state-endpoint URL --exit-code-on-changes
//
// Between the two runs a new key without expiry is added to the ssh-keys
// of 100 projects (one in 100) through gcpfake.SetProjectMetadata, as
// gcloud compute ssh would. The second run must write exactly those 100
// projects' objects: the report says 100 written, the proxy saw 100
// uploads, and listing the bucket shows a new generation on exactly
// those 100 objects and on no other (run.json included).
//
// Reported as by BenchmarkStateScale, with state-MB the bucket's objects'
// sizes, and for each run its uploads and reads (object GETs through the
// proxy). The first run's wall time is mostly fake-gcs-server's: its
// memory backend finds an object by formatting the name of every object
// of the bucket (fmt.Sprintf in findObject), so each of the 20,000 calls
// costs in proportion to the objects already written (two thirds of the
// benchmark's CPU in a profile).
func BenchmarkStateGCS(b *testing.B) {
	bin := scaleBuild(b)
	const projects, changed = 10000, 100
	b.Run(fmt.Sprintf("projects=%d/changed=%d", projects, changed), func(b *testing.B) {
		seed := scaleSeed(projects, 0)
		for range b.N {
			stateGCSRun(b, bin, seed, changed)
		}
	})
}

func stateGCSRun(b *testing.B, bin string, seed *gcpfake.Seed, changed int) {
	b.StopTimer()
	f, apiURL := scaleServe(b, seed, time.Millisecond, nil)
	gcs, err := fakestorage.NewServerWithOptions(fakestorage.Options{Scheme: "http", Host: "127.0.0.1"})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(gcs.Stop)
	gcs.CreateBucketWithOpts(fakestorage.CreateBucketOpts{Name: "pruner-state"})
	proxy := newCountingProxy(b, gcs.URL())
	const bucket, prefix = "pruner-state", "state/"

	// The projects whose keys change between the runs, one in 100.
	step := len(seed.Projects) / changed
	var want []string
	between := func() {
		pub, err := ssh.NewPublicKey(ed25519.NewKeyFromSeed(make([]byte, ed25519.SeedSize)).Public())
		if err != nil {
			b.Fatal(err)
		}
		line := "carol:" + strings.TrimSpace(string(ssh.MarshalAuthorizedKey(pub))) + " carol@laptop"
		for i := 0; i < len(seed.Projects); i += step {
			id := seed.Projects[i].ID
			want = append(want, prefix+"projects/"+id+".json")
			items, _, _ := f.ProjectMetadata(id)
			for j, it := range items {
				if it.Key == "ssh-keys" {
					v := *it.Value + line + "\n"
					items[j].Value = &v
				}
			}
			f.SetProjectMetadata(id, items)
		}
		proxy.reset()
	}
	var gens map[string]int64
	var uploads1, reads1 int64
	r1, r2 := stateRuns(b, bin, seed, apiURL,
		[]string{"--state", "gs://" + bucket + "/" + prefix, "--state-endpoint", proxy.url},
		func() {
			uploads1, reads1 = proxy.counts()
			gens = gcsGenerations(b, gcs, bucket)
			between()
		})
	uploads2, reads2 := proxy.counts()
	after := gcsGenerations(b, gcs, bucket)
	var moved []string
	for name, g := range after {
		if gens[name] != g {
			moved = append(moved, name)
		}
	}
	slices.Sort(moved)
	slices.Sort(want)
	switch {
	case r2.rep.State.ProjectsWritten != changed:
		b.Fatalf("run 2 wrote %d projects' objects, want %d", r2.rep.State.ProjectsWritten, changed)
	case uploads2 != int64(changed):
		b.Fatalf("run 2 made %d uploads, want %d", uploads2, changed)
	case !slices.Equal(moved, want):
		b.Fatalf("run 2 moved the generation of %d objects, want exactly the %d changed projects'; moved %v", len(moved), len(want), moved)
	case len(after) != len(seed.Projects)+1:
		b.Fatalf("bucket: %d objects, want %d", len(after), len(seed.Projects)+1)
	}
	var size int64
	objs, _, err := gcs.ListObjectsWithOptions(bucket, fakestorage.ListOptions{Prefix: prefix})
	if err != nil {
		b.Fatal(err)
	}
	for _, o := range objs {
		size += o.Size
	}
	stateReport(b, r1, r2, size, len(objs))
	b.ReportMetric(float64(uploads1), "run1-uploads")
	b.ReportMetric(float64(reads1), "run1-reads")
	b.ReportMetric(float64(uploads2), "run2-uploads")
	b.ReportMetric(float64(reads2), "run2-reads")
}

// stateRun is one run of a state benchmark: what the launcher saw, and
// the parts of the report the benchmark checks.
type stateRun struct {
	c   scaleChild
	rep stateBenchReport
}

// stateBenchReport is what a state benchmark reads of a report: not the
// projects, which a report of 100,000 holds.
type stateBenchReport struct {
	DryRun bool                `json:"dryRun"`
	Totals report.Totals       `json:"totals"`
	State  *report.StateReport `json:"state"`
}

// stateRuns runs `run --apply` then, an hour later by --now, a dry run,
// both with --grace 24h and the state flags given, on the fake at url;
// between, if set, runs between the two. Only the runs are timed.
func stateRuns(b *testing.B, bin string, seed *gcpfake.Seed, url string, stateFlags []string, between func()) (r1, r2 stateRun) {
	b.Helper()
	later := mustParseTime(b, demoNow).Add(time.Hour).Format(time.RFC3339)
	args := func(now string, extra ...string) []string {
		a := []string{bin, "run", "--organization", seed.Organization.ID, "--api-endpoint", url,
			"--grace", "24h", "--qps", "0", "--output", "json", "--log-level", "warn",
			"--max-removals-per-run", "0", "--now", now}
		return append(append(a, stateFlags...), extra...)
	}
	r1 = stateLaunch(b, "run 1 (--apply)", seed, 0, args(demoNow, "--apply")...)
	if between != nil {
		between()
	}
	r2 = stateLaunch(b, "run 2 (dry, an hour later)", seed, 3, args(later, "--exit-code-on-changes")...)
	return r1, r2
}

// stateLaunch runs one command, timed, and checks its report: every
// project and VM handled, none failed, the state saved. okCode is a
// further exit status taken for success (3, changes in a dry run), or 0.
func stateLaunch(b *testing.B, what string, seed *gcpfake.Seed, okCode int, args ...string) stateRun {
	b.Helper()
	b.StartTimer()
	c := scaleLaunch(b, args...)
	b.StopTimer()
	return stateCheck(b, what, seed, okCode, true, c)
}

// stateCheck checks what a run did, as stateLaunch says; withState false
// wants a report without a state.
func stateCheck(b *testing.B, what string, seed *gcpfake.Seed, okCode int, withState bool, c scaleChild) stateRun {
	b.Helper()
	if c.err != nil {
		if code := exitCodeOf(c.err); okCode == 0 || code != okCode {
			b.Fatalf("%s: %v\n%s", what, c.err, c.stderr)
		}
	}
	var rep stateBenchReport
	if err := json.Unmarshal(c.stdout, &rep); err != nil {
		b.Fatalf("%s: report: %v", what, err)
	}
	vms := 0
	for _, p := range seed.Projects {
		vms += len(p.Instances)
	}
	t := rep.Totals
	switch {
	case t.Projects != len(seed.Projects) || t.Instances.Total != vms:
		b.Fatalf("%s: %d projects and %d VMs, want %d and %d", what, t.Projects, t.Instances.Total, len(seed.Projects), vms)
	case t.Failed+t.Instances.Failed+t.InstanceListingsFailed+t.ZonesUnreachable+t.NotStarted+t.Interrupted != 0:
		b.Fatalf("%s: %+v", what, t)
	case !withState && rep.State != nil:
		b.Fatalf("%s: state %+v, want none", what, rep.State)
	case withState && (rep.State == nil || !rep.State.Saved || rep.State.Error != "" || len(rep.State.NotSaved) != 0):
		b.Fatalf("%s: state %+v", what, rep.State)
	}
	return stateRun{c: c, rep: rep}
}

// stateReport reports the metrics of a state benchmark.
func stateReport(b *testing.B, r1, r2 stateRun, size int64, objects int) {
	b.Helper()
	for _, r := range []struct {
		name string
		stateRun
	}{{"run1", r1}, {"run2", r2}} {
		b.ReportMetric(r.c.wall.Seconds(), r.name+"-wall-s")
		b.ReportMetric(r.c.cpu().Seconds(), r.name+"-cpu-s")
		b.ReportMetric(r.c.peakRSSMB(), r.name+"-peak-RSS-MB")
		b.ReportMetric(float64(r.rep.State.ProjectsWritten), r.name+"-written")
	}
	keys := r2.rep.State.Keys
	b.ReportMetric(float64(size)/1e6, "state-MB")
	b.ReportMetric(float64(objects), "state-objects")
	b.ReportMetric(float64(keys), "keys")
	if keys > 0 {
		b.ReportMetric(float64(size)/float64(keys), "bytes/key")
	}
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err == nil {
		b.ReportMetric(float64(ru.Maxrss)/1024, "bench-RSS-MB")
	}
}

// stateDirSize sums the sizes of the state's files under dir (its
// objects, not the lock), and counts them.
func stateDirSize(b *testing.B, dir string) (size int64, files int) {
	b.Helper()
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(path, ".json") {
			return err
		}
		fi, err := d.Info()
		if err != nil {
			return err
		}
		size += fi.Size()
		files++
		return nil
	})
	if err != nil {
		b.Fatal(err)
	}
	return size, files
}

// gcsGenerations gives the generation of each object of the bucket.
func gcsGenerations(b *testing.B, gcs *fakestorage.Server, bucket string) map[string]int64 {
	b.Helper()
	objs, _, err := gcs.ListObjectsWithOptions(bucket, fakestorage.ListOptions{})
	if err != nil {
		b.Fatal(err)
	}
	out := make(map[string]int64, len(objs))
	for _, o := range objs {
		out[o.Name] = o.Generation
	}
	return out
}

// countingProxy passes requests on to fake-gcs-server, counting the
// uploads (object writes) and the object reads.
type countingProxy struct {
	url            string
	uploads, reads atomic.Int64
}

func newCountingProxy(b *testing.B, target string) *countingProxy {
	b.Helper()
	to, err := url.Parse(target)
	if err != nil {
		b.Fatal(err)
	}
	p := &countingProxy{}
	rp := &httputil.ReverseProxy{Rewrite: func(r *httputil.ProxyRequest) { r.SetURL(to) }}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch {
		case r.Method == http.MethodPost && strings.HasPrefix(r.URL.Path, "/upload/storage/v1/b/"):
			p.uploads.Add(1)
		case r.Method == http.MethodGet && strings.Contains(r.URL.Path, "/o/"):
			p.reads.Add(1)
		}
		rp.ServeHTTP(w, r)
	}))
	b.Cleanup(srv.Close)
	p.url = srv.URL
	return p
}

func (p *countingProxy) counts() (uploads, reads int64) { return p.uploads.Load(), p.reads.Load() }

func (p *countingProxy) reset() { p.uploads.Store(0); p.reads.Store(0) }

func mustParseTime(b *testing.B, s string) time.Time {
	b.Helper()
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		b.Fatal(err)
	}
	return t
}

// exitCodeOf is the exit status of a command that ran, or -1.
func exitCodeOf(err error) int {
	if ee, ok := err.(interface{ ExitCode() int }); ok {
		return ee.ExitCode()
	}
	return -1
}
