package main

import (
	"bytes"
	"crypto/ed25519"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"golang.org/x/crypto/ssh"

	"github.com/ssh-pruner/ssh-pruner/cmd/internal/testbuild"
	"github.com/ssh-pruner/ssh-pruner/gcp"
	"github.com/ssh-pruner/ssh-pruner/gcp/gcpfake"
	"github.com/ssh-pruner/ssh-pruner/pruner"
	"github.com/ssh-pruner/ssh-pruner/pruner/report"
)

// BenchmarkScale runs a full --apply over a generated organization in the
// fake, with 50 ms of latency on every call, as a separate process so that
// its CPU time and peak RSS are its own (the fake runs in the benchmark's
// process). It is slow (six and a half minutes in all on two CPUs); run it with
//
//	go test -run '^$' -bench Scale -benchtime 1x -timeout 60m ./cmd/ssh-pruner
//
// Reported per run: wall-s, calls/project, cpu-s, peak-RSS-MB, and
// wall/ideal, where ideal = calls x latency / concurrency; with instances,
// also list-calls/project (compute.instances.aggregatedList) and
// instance-writes (compute.instances.setMetadata). A run fails when it
// makes more than one list call per project per 500 instances, reads any
// instance on its own (compute.instances.get), or writes other instances
// than the dirty ones.
func BenchmarkScale(b *testing.B) {
	bin := scaleBuild(b)
	const latency = 50 * time.Millisecond
	cases := []struct {
		projects, instances int
		concurrency         []int
	}{
		{1000, 0, []int{16, 32, 64}},
		{10000, 0, []int{16, 32, 64}},
		// More than a page of instances in each project: the listing
		// must take ceil(1001/500) = 3 pages, no more.
		{10, 1001, []int{64}},
		{10000, 10, []int{32, 64}},
	}
	for _, c := range cases {
		// Made on first use, so that -bench picking some cases skips the others.
		seed := sync.OnceValue(func() *gcpfake.Seed { return scaleSeed(c.projects, c.instances) })
		for _, conc := range c.concurrency {
			b.Run(fmt.Sprintf("projects=%d/instances=%d/concurrency=%d", c.projects, c.instances, conc), func(b *testing.B) {
				for range b.N {
					scaleRun(b, bin, seed(), conc, latency, scaleOptions{})
				}
			})
		}
	}
}

// BenchmarkScaleDefaults runs the organization of 10,000 projects with the
// default flags (no --qps, no --concurrency), once as is and once against
// a fake that refuses Compute calls past 5 a second per project (403
// rateLimitExceeded, below the client's own 20) and Resource Manager past
// 20 a second: the run must slow itself and end with no failure.
//
//	go test -run '^$' -bench ScaleDefaults -benchtime 1x -timeout 60m ./cmd/ssh-pruner
func BenchmarkScaleDefaults(b *testing.B) {
	bin := scaleBuild(b)
	seed := sync.OnceValue(func() *gcpfake.Seed { return scaleSeed(10000, 0) })
	for _, tc := range []struct {
		name  string
		quota func(*gcpfake.Fake)
	}{
		{"defaults", nil},
		{"defaults/quota-429", func(f *gcpfake.Fake) {
			f.SetRateQuota("compute.googleapis.com", 5)
			f.SetRateQuota("cloudresourcemanager.googleapis.com", 20)
		}},
	} {
		b.Run(tc.name, func(b *testing.B) {
			for range b.N {
				scaleRun(b, bin, seed(), pruner.DefaultConcurrency, 50*time.Millisecond, scaleOptions{defaults: true, quota: tc.quota})
			}
		})
	}
}

// BenchmarkConcurrency runs `run --apply` over a small organization
// (scaleSeed: 100 projects of 2 VMs, 50 ms a call) at --concurrency 16,
// 32, 64 and 128, for the choice of pruner.DefaultConcurrency:
//
//	go test -run '^$' -bench Concurrency -benchtime 1x -timeout 30m ./cmd/ssh-pruner
//
// It reports and checks what BenchmarkScale does (wall-s, calls/project,
// cpu-s, peak-RSS-MB, wall/ideal, ...).
func BenchmarkConcurrency(b *testing.B) {
	bin := scaleBuild(b)
	seed := sync.OnceValue(func() *gcpfake.Seed { return scaleSeed(100, 2) })
	for _, conc := range []int{16, 32, 64, 128} {
		b.Run(fmt.Sprintf("projects=100/instances=2/concurrency=%d", conc), func(b *testing.B) {
			for range b.N {
				scaleRun(b, bin, seed(), conc, 50*time.Millisecond, scaleOptions{})
			}
		})
	}
}

// scaleOptions vary a scale run: defaults leaves --qps and --concurrency
// to their defaults; quota sets the fake's rate quotas.
type scaleOptions struct {
	defaults bool
	quota    func(*gcpfake.Fake)
}

func scaleRun(b *testing.B, bin string, seed *gcpfake.Seed, conc int, latency time.Duration, o scaleOptions) {
	b.StopTimer()
	n := len(seed.Projects)
	f, url := scaleServe(b, seed, latency, o.quota)
	args := []string{bin, "run", "--organization", seed.Organization.ID, "--apply",
		"--api-endpoint", url, "--now", demoNow, "--output", "json", "--log-level", "warn",
		// The generated organization removes thousands of keys on purpose.
		"--max-removals-per-run", "0"}
	if !o.defaults {
		args = append(args, "--qps", "0", "--concurrency", fmt.Sprint(conc))
	}
	b.StartTimer()
	c := scaleLaunch(b, args...)
	b.StopTimer()
	if c.err != nil {
		b.Fatalf("run: %v\n%s", c.err, c.stderr)
	}
	var rep report.Report
	if err := json.Unmarshal(c.stdout, &rep); err != nil {
		b.Fatalf("report: %v", err)
	}
	if rep.Totals.Projects != n || rep.Totals.Failed != 0 || rep.Totals.Instances.Failed != 0 ||
		rep.Totals.InstanceListingsFailed != 0 || rep.Totals.ZonesUnreachable != 0 {
		b.Fatalf("report: %+v", rep.Totals)
	}
	scaleCheckInstances(b, f, seed, rep)
	calls := 0
	for _, c := range f.CallCounts() {
		calls += c
	}
	ideal := time.Duration(calls) * latency / time.Duration(conc)
	b.ReportMetric(c.wall.Seconds(), "wall-s")
	b.ReportMetric(float64(calls)/float64(n), "calls/project")
	b.ReportMetric(c.cpu().Seconds(), "cpu-s")
	b.ReportMetric(c.peakRSSMB(), "peak-RSS-MB")
	b.ReportMetric(c.wall.Seconds()/ideal.Seconds(), "wall/ideal")
	b.ReportMetric(float64(rep.Totals.Changed), "changed")
	b.ReportMetric(float64(f.Calls("compute.instances.aggregatedList"))/float64(n), "list-calls/project")
	b.ReportMetric(float64(f.Calls("compute.instances.setMetadata")), "instance-writes")
	b.ReportMetric(float64(rep.Totals.APIRetries), "retries")
	b.ReportMetric(float64(rep.Totals.APIThrottled), "throttled")
}

// scaleBuild builds the ssh-pruner binary with the test flags (--now).
func scaleBuild(b *testing.B) string {
	b.Helper()
	return testbuild.Build(b, ".", "ssh_pruner_testflags")
}

// scaleServe serves a fresh fake of seed over HTTP, every call taking
// latency; quota, if set, sets its rate quotas. The server stops with b.
func scaleServe(b *testing.B, seed *gcpfake.Seed, latency time.Duration, quota func(*gcpfake.Fake)) (*gcpfake.Fake, string) {
	b.Helper()
	f, err := gcpfake.New(seed)
	if err != nil {
		b.Fatal(err)
	}
	if quota != nil {
		quota(f)
	}
	// As on the real service, a write's operation is still running when
	// the write answers, and one wait call sees it DONE.
	f.SetFaults("", "", gcpfake.Fault{Latency: latency, OperationDuration: latency})
	srv := httptest.NewServer(f)
	b.Cleanup(srv.Close)
	return f, srv.URL
}

// scaleChild is what a command run through the launcher did.
type scaleChild struct {
	stdout, stderr []byte
	err            error
	wall           time.Duration
	ru             syscall.Rusage
}

func (c scaleChild) cpu() time.Duration {
	return time.Duration(c.ru.Utime.Nano() + c.ru.Stime.Nano())
}

// peakRSSMB is the command's own peak RSS, in MiB (Linux reports KiB).
func (c scaleChild) peakRSSMB() float64 { return float64(c.ru.Maxrss) / 1024 }

// scaleLaunch runs args (the binary first) through the launcher, timing
// it; it fails b only when the launcher says nothing of the command's
// resources. A command that exits non-zero is left to the caller (err).
func scaleLaunch(b *testing.B, args ...string) scaleChild {
	b.Helper()
	usage := filepath.Join(b.TempDir(), "rusage.json")
	cmd := exec.Command(os.Args[0], append([]string{"--"}, args...)...)
	// TMPDIR: the report's spool file, past 4 MiB of reports, goes into
	// the benchmark's own temporary directory, not the system's.
	cmd.Env = []string{launcherEnv + "=" + usage, "TMPDIR=" + b.TempDir()}
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	start := time.Now()
	err := cmd.Run()
	c := scaleChild{wall: time.Since(start), err: err, stdout: out.Bytes(), stderr: errOut.Bytes()}
	data, rerr := os.ReadFile(usage)
	if rerr != nil {
		b.Fatalf("%v: %v\n%s", rerr, err, errOut.String())
	}
	if err := json.Unmarshal(data, &c.ru); err != nil {
		b.Fatal(err)
	}
	return c
}

// scaleCheckInstances fails the run on the hard limits of instance
// pruning: at most one aggregatedList call per project per 500 instances
// (a run that lists each zone, or pages by less, makes more), no read of
// a single instance (the listing carries each VM's metadata and
// fingerprint), and one write for each dirty instance, none for a clean
// one, as the report says too.
func scaleCheckInstances(b *testing.B, f *gcpfake.Fake, seed *gcpfake.Seed, rep report.Report) {
	b.Helper()
	lists, instances, dirty := 0, 0, 0
	for _, p := range seed.Projects {
		lists += max(1, (len(p.Instances)+499)/500)
		instances += len(p.Instances)
		for _, in := range p.Instances {
			if scaleDirty(in) {
				dirty++
			}
		}
	}
	if got := f.Calls("compute.instances.aggregatedList"); got > lists {
		b.Fatalf("compute.instances.aggregatedList: %d calls, want at most %d (one per project per 500 instances)", got, lists)
	}
	if got := f.Calls("compute.instances.get"); got != 0 {
		b.Fatalf("compute.instances.get: %d calls, want none: the listing carries each instance's metadata", got)
	}
	if got := f.Calls("compute.instances.setMetadata"); got != dirty {
		b.Fatalf("compute.instances.setMetadata: %d calls, want %d, one per dirty instance", got, dirty)
	}
	if t := rep.Totals.Instances; t.Total != instances || t.Changed != dirty || t.Unchanged != instances-dirty {
		b.Fatalf("report: instances %+v, want %d in all, %d changed", t, instances, dirty)
	}
}

// launcherEnv makes the test binary a launcher: it runs the command after
// "--" and writes the command's rusage to the file the variable names.
//
// The launcher is there for peak RSS. Linux records, when a process calls
// exec, the high-water RSS of the memory it had until then; a child that
// Go starts shares its parent's memory until exec (vfork), so a command
// started straight from the benchmark would report the benchmark's own
// peak, fake organization included. Started from a fresh small process,
// it reports its own (or the launcher's, a few MB, if that were higher).
const launcherEnv = "SCALE_BENCH_RUSAGE_FILE"

func TestMain(m *testing.M) {
	if path := os.Getenv(launcherEnv); path != "" {
		os.Exit(launch(path, os.Args[2:]))
	}
	if path := os.Getenv(lockHolderEnv); path != "" {
		os.Exit(holdLock(path))
	}
	// The commands run in this process retry the fake's 429s and 5xx
	// after milliseconds rather than seconds: the same attempts, doubling
	// and jitter, a smaller scale. Binaries the tests build keep Google's.
	gcp.DefaultRetry.Base, gcp.DefaultRetry.Cap = time.Millisecond, 5*time.Millisecond
	os.Exit(m.Run())
}

func launch(path string, args []string) int {
	cmd := exec.Command(args[0], args[1:]...)
	cmd.Env = []string{}
	if dir := os.Getenv("TMPDIR"); dir != "" {
		cmd.Env = append(cmd.Env, "TMPDIR="+dir)
	}
	cmd.Stdout, cmd.Stderr = os.Stdout, os.Stderr
	err := cmd.Run()
	if cmd.ProcessState == nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	data, _ := json.Marshal(cmd.ProcessState.SysUsage())
	if err := os.WriteFile(path, data, 0o644); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	return cmd.ProcessState.ExitCode()
}

// scaleZones are the zones a project's instances are spread over.
var scaleZones = []string{"europe-west1-b", "europe-west1-c", "us-central1-a", "asia-east1-a"}

// scaleSeed makes an organization of n projects in 50 folders, each with
// about 20 real ed25519 keys written as gcloud writes them; 30% of the
// projects hold keys to prune (expired, without expiry, or a user key in
// sshKeys). Each project has the given number of instances over a few
// zones, each with two or three keys of its own in ssh-keys; 30% of them,
// labelled scale=dirty, hold a key without expiry to prune. The generator
// is seeded: every run sees the same organization.
func scaleSeed(n, instances int) *gcpfake.Seed {
	r := rand.New(rand.NewPCG(1, 2))
	keys := make([]string, 500)
	for i := range keys {
		var s [ed25519.SeedSize]byte
		binary.LittleEndian.PutUint64(s[:], r.Uint64())
		binary.LittleEndian.PutUint64(s[8:], r.Uint64())
		pub, err := ssh.NewPublicKey(ed25519.NewKeyFromSeed(s[:]).Public())
		if err != nil {
			panic(err)
		}
		keys[i] = pub.Type() + " " + base64.StdEncoding.EncodeToString(pub.Marshal())
	}
	// Instances draw from their own source, so that the projects are the
	// same whatever the number of instances.
	ri := rand.New(rand.NewPCG(3, 4))
	seed := &gcpfake.Seed{Organization: gcpfake.Organization{ID: "900000000001", DisplayName: "scale.example.com"}}
	for i := range 50 {
		seed.Folders = append(seed.Folders, gcpfake.Folder{ID: fmt.Sprint(910000000000 + i), Parent: "organizations/900000000001", DisplayName: fmt.Sprint("team-", i)})
	}
	for i := range n {
		var lines []string
		dirty := i%10 < 3
		for k := range 20 {
			user := fmt.Sprintf("user%d", (i+k)%97)
			expire := fmt.Sprintf("2027-%02d-01T00:00:00+0000", 1+k%12)
			comment := fmt.Sprintf(`google-ssh {"userName":"%s@example.com","expireOn":"%s"}`, user, expire)
			if dirty && k < 3 {
				comment = []string{`google-ssh {"userName":"` + user + `@example.com","expireOn":"2026-01-01T00:00:00+0000"}`, user + "@laptop", comment}[k]
			}
			lines = append(lines, user+":"+keys[r.IntN(len(keys))]+" "+comment)
		}
		legacy := "gke-0123456789abcdef0123:" + keys[i%len(keys)] + " gke-0123456789abcdef0123@gke-node"
		if dirty {
			legacy += "\nops:" + keys[(i+1)%len(keys)] + " ops@jumphost"
		}
		seed.Projects = append(seed.Projects, gcpfake.Project{
			ID: fmt.Sprintf("scale-%05d", i), Number: fmt.Sprint(800000000000 + i),
			Parent: "folders/" + fmt.Sprint(910000000000+i%50), State: "ACTIVE",
			Services: []string{"compute.googleapis.com"},
			Metadata: []gcpfake.Item{
				gcpfake.NewItem("enable-oslogin", "FALSE"),
				gcpfake.NewItem("ssh-keys", strings.Join(lines, "\n")+"\n"),
				gcpfake.NewItem("sshKeys", legacy),
			},
			Instances: scaleInstances(ri, keys, i, instances),
		})
	}
	return seed
}

// scaleInstances makes the instances of project i: two keys with a
// google-ssh expiry after the benchmark's --now on each, and on three
// instances in ten a third key without expiry, which the policy removes.
func scaleInstances(r *rand.Rand, keys []string, i, n int) []gcpfake.Instance {
	var out []gcpfake.Instance
	for j := range n {
		dirty := j%10 < 3
		var lines []string
		for k := range 2 {
			user := fmt.Sprintf("user%d", (i+j+k)%97)
			lines = append(lines, fmt.Sprintf(`%s:%s google-ssh {"userName":"%s@example.com","expireOn":"2027-%02d-01T00:00:00+0000"}`,
				user, keys[r.IntN(len(keys))], user, 1+(j+k)%12))
		}
		label := "clean"
		if dirty {
			user := fmt.Sprintf("admin%d", j%7)
			lines = append(lines, user+":"+keys[r.IntN(len(keys))]+" "+user+"@laptop")
			label = "dirty"
		}
		out = append(out, gcpfake.Instance{
			Zone: scaleZones[j%len(scaleZones)], Name: fmt.Sprintf("vm-%04d", j),
			Labels: map[string]string{"scale": label},
			Metadata: []gcpfake.Item{
				gcpfake.NewItem("ssh-keys", strings.Join(lines, "\n")+"\n"),
				gcpfake.NewItem("startup-script", "#!/bin/sh\necho ready\n"),
			},
		})
	}
	return out
}

// scaleDirty tells whether scaleInstances made an instance to prune.
func scaleDirty(in gcpfake.Instance) bool { return in.Labels["scale"] == "dirty" }
