package main

import (
	"context"
	"crypto/ed25519"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"golang.org/x/crypto/ssh"
	"golang.org/x/oauth2"
	compute "google.golang.org/api/compute/v1"
	"google.golang.org/api/option"

	"github.com/ssh-pruner/ssh-pruner/gcp/gcpfake"
	"github.com/ssh-pruner/ssh-pruner/pruner/report"
)

// BenchmarkAttribution measures what attribution adds to a run:
//
//	go test -run '^$' -bench 'Attribution$' -benchtime 1x -timeout 60m ./cmd/ssh-pruner
//
// On the organization of BenchmarkScale with 10,000 projects of 10 VMs
// (scaleSeed), every call to the fake taking 1 ms and entries.list held
// to its quota of 60 calls a minute, it runs the binary (through the
// launcher, as BenchmarkStateScale does):
//
//	run 1: ssh-pruner run --organization 900000000001 --api-endpoint URL --grace 24h --qps 0 --output json
//	    --log-level warn --max-removals-per-run 0 --now 2026-11-23T12:00:00Z --state DIR/
//	    --audit-logs projects/scale-00000/locations/global/buckets/audit/views/_AllLogs --audit-log-delay 0 --apply
//
// then writes a new key to 1,000 targets (500 projects' ssh-keys and the
// ssh-keys of one VM in each of 500 other projects) through the Compute
// API, as four principals with their own tokens, and runs the same
// command an hour later (--now) without --apply; and, as the control, the
// second run again on a copy of the state as the first left it, without
// --audit-logs.
//
// Reported: for the second run and the control, wall-s, cpu-s and
// peak-RSS-MB; for the second run queries (entries.list calls, as the
// fake counted them), reads (readings of the logs, each paged), writes
// (the writes of key items the run read), appeared, attributed, pending;
// each is also checked: every key that appeared has its one writer. Then
// a third run, an hour later with no write between, must settle every
// key the second left pending, each to its writer: run3-queries,
// run3-reads, run3-attributed, run3-wall-s, run3-peak-RSS-MB.
func BenchmarkAttribution(b *testing.B) {
	bin := scaleBuild(b)
	const projects, instances, writes = 10000, 10, 1000
	b.Run(fmt.Sprintf("projects=%d/instances=%d/writes=%d", projects, instances, writes), func(b *testing.B) {
		seed := scaleSeed(projects, instances)
		seed.Principals = map[string]gcpfake.Principal{}
		for _, p := range benchPrincipals {
			seed.Principals[p+"-token"] = gcpfake.Principal{Email: p + "@example.com"}
		}
		seed.LogSinks = []gcpfake.LogSink{{Parent: "organizations/" + seed.Organization.ID, IncludeChildren: true,
			Bucket: "projects/scale-00000/locations/global/buckets/audit"}}
		for range b.N {
			attributionRun(b, bin, seed, writes)
		}
	})
}

var benchPrincipals = []string{"alice", "bob", "carol", "dave"}

func attributionRun(b *testing.B, bin string, seed *gcpfake.Seed, writes int) {
	b.StopTimer()
	f, url := scaleServe(b, seed, time.Millisecond, nil)
	dir := b.TempDir() + "/state/"
	control := b.TempDir() + "/control/"
	flags := []string{"--audit-logs", "projects/scale-00000/locations/global/buckets/audit/views/_AllLogs", "--audit-log-delay", "0"}
	later := mustParseTime(b, demoNow).Add(time.Hour).Format(time.RFC3339)
	args := func(now, state string, extra ...string) []string {
		return append([]string{bin, "run", "--organization", seed.Organization.ID, "--api-endpoint", url,
			"--grace", "24h", "--qps", "0", "--output", "json", "--log-level", "warn",
			"--max-removals-per-run", "0", "--now", now, "--state", state}, extra...)
	}
	stateLaunch(b, "run 1 (--apply)", seed, 0, args(demoNow, dir, append(flags, "--apply")...)...)
	copyDir(b, dir, control)
	benchWrites(b, url, seed, writes)
	listed := f.Calls("logging.entries.list")

	b.StartTimer()
	c := scaleLaunch(b, args(later, dir, append(flags, "--exit-code-on-changes")...)...)
	b.StopTimer()
	r2 := stateCheck(b, "run 2 (dry, an hour later)", seed, 3, true, c)
	var rep struct {
		Attribution *report.AttributionReport `json:"attribution"`
	}
	if err := json.Unmarshal(c.stdout, &rep); err != nil || rep.Attribution == nil {
		b.Fatalf("run 2: no attribution in the report (%v)", err)
	}
	a := rep.Attribution
	queries := f.Calls("logging.entries.list") - listed
	switch {
	case a.Error != "":
		b.Fatalf("run 2: %s", a.Error)
	case a.Appeared+a.Pending != writes:
		b.Fatalf("run 2: %d keys appeared and %d pending, want %d", a.Appeared, a.Pending, writes)
	case a.Attributed != a.Appeared:
		b.Fatalf("run 2: %+v: every key settled has its one writer", *a)
	}
	ctl := stateCheck(b, "control (dry, no --audit-logs)", seed, 3, true,
		scaleLaunch(b, args(later, control, "--exit-code-on-changes")...))

	// Run 3, an hour after run 2, with no write between: it settles what
	// run 2 left pending, from one reading of the logs.
	listed = f.Calls("logging.entries.list")
	third := mustParseTime(b, later).Add(time.Hour).Format(time.RFC3339)
	c3 := scaleLaunch(b, args(third, dir, append(flags, "--exit-code-on-changes")...)...)
	r3 := stateCheck(b, "run 3 (dry, two hours later)", seed, 3, true, c3)
	var rep3 struct {
		Attribution *report.AttributionReport `json:"attribution"`
	}
	if err := json.Unmarshal(c3.stdout, &rep3); err != nil || rep3.Attribution == nil {
		b.Fatalf("run 3: no attribution in the report (%v)", err)
	}
	a3 := rep3.Attribution
	if a3.Appeared != a.Pending || a3.Attributed != a3.Appeared || a3.Pending != 0 {
		b.Fatalf("run 3: %+v: want the %d keys run 2 left pending, each attributed", *a3, a.Pending)
	}
	b.ReportMetric(float64(f.Calls("logging.entries.list")-listed), "run3-queries")
	b.ReportMetric(float64(a3.Queries), "run3-reads")
	b.ReportMetric(float64(a3.Attributed), "run3-attributed")
	b.ReportMetric(r3.c.wall.Seconds(), "run3-wall-s")
	b.ReportMetric(r3.c.peakRSSMB(), "run3-peak-RSS-MB")

	for _, r := range []struct {
		name string
		c    scaleChild
	}{{"run2", r2.c}, {"control", ctl.c}} {
		b.ReportMetric(r.c.wall.Seconds(), r.name+"-wall-s")
		b.ReportMetric(r.c.cpu().Seconds(), r.name+"-cpu-s")
		b.ReportMetric(r.c.peakRSSMB(), r.name+"-peak-RSS-MB")
	}
	b.ReportMetric(float64(queries), "queries")
	b.ReportMetric(float64(a.Queries), "reads")
	b.ReportMetric(float64(a.Writes), "writes")
	b.ReportMetric(float64(a.Appeared), "appeared")
	b.ReportMetric(float64(a.Attributed), "attributed")
	b.ReportMetric(float64(a.Pending), "pending")
}

// benchWrites adds a new key to n targets through the Compute API, as
// the principals of benchPrincipals in turn: half to projects' ssh-keys,
// half to a VM's of other projects.
func benchWrites(b *testing.B, url string, seed *gcpfake.Seed, n int) {
	b.Helper()
	ctx := context.Background()
	clients := map[string]*compute.Service{}
	for _, p := range benchPrincipals {
		c, err := compute.NewService(ctx, option.WithEndpoint(url+"/compute/v1/"), option.WithUserAgent(uaGcloudSSH),
			option.WithTokenSource(oauth2.StaticTokenSource(&oauth2.Token{AccessToken: p + "-token"})))
		if err != nil {
			b.Fatal(err)
		}
		clients[p] = c
	}
	step := len(seed.Projects) / n
	jobs := make(chan int)
	var wg sync.WaitGroup
	var mu sync.Mutex
	var failed error
	for range 16 {
		wg.Go(func() {
			for i := range jobs {
				if err := benchWrite(ctx, clients[benchPrincipals[i%len(benchPrincipals)]], seed, i, step); err != nil {
					mu.Lock()
					failed = err
					mu.Unlock()
				}
			}
		})
	}
	for i := range n {
		jobs <- i
	}
	close(jobs)
	wg.Wait()
	if failed != nil {
		b.Fatal(failed)
	}
}

func benchWrite(ctx context.Context, c *compute.Service, seed *gcpfake.Seed, i, step int) error {
	p := seed.Projects[i*step]
	line := fmt.Sprintf("new%d:%s new%d@laptop", i, benchKey(i), i)
	if i%2 == 0 || len(p.Instances) == 0 {
		return appendKeyLineVia(ctx, c, p.ID, "", "", line)
	}
	in := p.Instances[0]
	return appendKeyLineVia(ctx, c, p.ID, in.Zone, in.Name, line)
}

// benchKey is a distinct ed25519 public key for each i, as a key line
// has it after the colon: type and base64.
func benchKey(i int) string {
	var s [ed25519.SeedSize]byte
	binary.LittleEndian.PutUint64(s[:], uint64(i)+1<<40)
	pub, err := ssh.NewPublicKey(ed25519.NewKeyFromSeed(s[:]).Public())
	if err != nil {
		panic(err)
	}
	return pub.Type() + " " + base64.StdEncoding.EncodeToString(pub.Marshal())
}

func copyDir(b *testing.B, from, to string) {
	b.Helper()
	err := filepath.WalkDir(from, func(path string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(from, path)
		dst := filepath.Join(to, rel)
		if d.IsDir() {
			return os.MkdirAll(dst, 0o700)
		}
		data, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		return os.WriteFile(dst, data, 0o600)
	})
	if err != nil {
		b.Fatal(err)
	}
}
