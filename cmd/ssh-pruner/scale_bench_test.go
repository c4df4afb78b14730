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
	"syscall"
	"testing"
	"time"

	"golang.org/x/crypto/ssh"

	"github.com/ssh-pruner/ssh-pruner/gcp/gcpfake"
	"github.com/ssh-pruner/ssh-pruner/pruner"
)

// BenchmarkScale runs a full --apply over a generated organization in the
// fake, with 50 ms of latency on every call, as a separate process so that
// its CPU time and peak RSS are its own (the fake runs in the benchmark's
// process). It is slow (about three minutes in all); run it with
//
//	go test -run '^$' -bench Scale -benchtime 1x ./cmd/ssh-pruner
//
// Reported per run: wall-s, calls/project, cpu-s, peak-RSS-MB, and
// wall/ideal, where ideal = calls x latency / concurrency.
func BenchmarkScale(b *testing.B) {
	bin := filepath.Join(b.TempDir(), "ssh-pruner")
	build := exec.Command("go", "build", "-o", bin, ".")
	build.Stderr = os.Stderr
	if err := build.Run(); err != nil {
		b.Fatalf("build: %v", err)
	}
	const latency = 50 * time.Millisecond
	for _, n := range []int{1000, 10000} {
		seed := scaleSeed(n)
		for _, conc := range []int{16, 32, 64} {
			b.Run(fmt.Sprintf("projects=%d/concurrency=%d", n, conc), func(b *testing.B) {
				for range b.N {
					scaleRun(b, bin, seed, n, conc, latency)
				}
			})
		}
	}
}

func scaleRun(b *testing.B, bin string, seed *gcpfake.Seed, n, conc int, latency time.Duration) {
	b.StopTimer()
	f, err := gcpfake.New(seed)
	if err != nil {
		b.Fatal(err)
	}
	// As on the real service, a write's operation is still running when
	// the write answers, and one wait call sees it DONE.
	f.SetFaults("", "", gcpfake.Fault{Latency: latency, OperationDuration: latency})
	srv := httptest.NewServer(f)
	defer srv.Close()
	usage := filepath.Join(b.TempDir(), "rusage.json")
	cmd := exec.Command(os.Args[0], "--", bin, "run", "--organization", seed.Organization.ID, "--apply",
		"--api-endpoint", srv.URL, "--qps", "0", "--concurrency", fmt.Sprint(conc),
		"--now", demoNow, "--output", "json", "--log-level", "warn")
	cmd.Env = []string{launcherEnv + "=" + usage}
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	b.StartTimer()
	start := time.Now()
	err = cmd.Run()
	wall := time.Since(start)
	b.StopTimer()
	if err != nil {
		b.Fatalf("run: %v\n%s", err, errOut.String())
	}
	var rep pruner.Report
	if err := json.Unmarshal(out.Bytes(), &rep); err != nil {
		b.Fatalf("report: %v", err)
	}
	if rep.Totals.Projects != n || rep.Totals.Failed != 0 {
		b.Fatalf("report: %+v", rep.Totals)
	}
	calls := 0
	for _, c := range f.CallCounts() {
		calls += c
	}
	data, err := os.ReadFile(usage)
	if err != nil {
		b.Fatal(err)
	}
	var ru syscall.Rusage
	if err := json.Unmarshal(data, &ru); err != nil {
		b.Fatal(err)
	}
	cpu := time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
	ideal := time.Duration(calls) * latency / time.Duration(conc)
	b.ReportMetric(wall.Seconds(), "wall-s")
	b.ReportMetric(float64(calls)/float64(n), "calls/project")
	b.ReportMetric(cpu.Seconds(), "cpu-s")
	b.ReportMetric(float64(ru.Maxrss)/1024, "peak-RSS-MB") // Linux reports KiB
	b.ReportMetric(wall.Seconds()/ideal.Seconds(), "wall/ideal")
	b.ReportMetric(float64(rep.Totals.Changed), "changed")
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
	os.Exit(m.Run())
}

func launch(path string, args []string) int {
	cmd := exec.Command(args[0], args[1:]...)
	cmd.Env = []string{}
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

// scaleSeed makes an organization of n projects in 50 folders, each with
// about 20 real ed25519 keys written as gcloud writes them; 30% of the
// projects hold keys to prune (expired, without expiry, or a user key in
// sshKeys). The generator is seeded: every run sees the same organization.
func scaleSeed(n int) *gcpfake.Seed {
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
		})
	}
	return seed
}
