package main

import (
	"bufio"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/ssh-pruner/ssh-pruner/cmd/internal/testbuild"

	"github.com/ssh-pruner/ssh-pruner/pruner/plan"
)

// readmeCommands are the command lines of the README's sh blocks, without
// their trailing comments.
func readmeCommands(t *testing.T) []string {
	t.Helper()
	f, err := os.Open("../../README.md")
	require.NoError(t, err)
	defer f.Close()
	var cmds []string
	inSh := false
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := sc.Text()
		switch {
		case strings.HasPrefix(line, "```sh"):
			inSh = true
		case strings.HasPrefix(line, "```"):
			inSh = false
		case inSh && strings.TrimSpace(line) != "":
			if i := strings.Index(line, "  #"); i >= 0 {
				line = line[:i]
			}
			cmds = append(cmds, strings.TrimSpace(line))
		}
	}
	require.NoError(t, sc.Err())
	require.NotEmpty(t, cmds)
	return cmds
}

// coveredElsewhere maps the README commands that this test does not run to
// what exercises them. The test checks that the named test or CI step
// still exists, so the map cannot go stale silently.
var coveredElsewhere = []struct {
	prefix string
	file   string // where the exercise lives, from the repository root
	proof  string // text that file must contain
}{
	{"go test -race ./...", ".ci/run", "\ngo test -race ./...\n"},
	{"go test -run '^$' -fuzz FuzzParse", ".ci/run", "-fuzz FuzzParse"},
	{"go test -run '^$' -fuzz FuzzDecodeState", ".ci/run", "-fuzz FuzzDecodeState"},
	{"go test -run '^$' -fuzz FuzzDecodeShard", ".ci/run", "-fuzz FuzzDecodeShard"},
	// Its seed corpus runs with the tests; slow to fuzz, it is left out of CI.
	{"go test -run '^$' -fuzz FuzzParse -fuzztime 60s ./pruner/policy", "pruner/policy/load_test.go", "func FuzzParse("},
	{"go run ./cmd/gcp-fake --listen", "cmd/gcp-fake/run_test.go", "func TestRunServesAndStops("},
	{"gcloud compute project-info describe --format=json", "cmd/gcp-fake/gcloud_test.go", `"project-info", "describe"`},
	// gcloud's default YAML: testdata/project-info.yaml is written as
	// gcloud prints it, and inspect must read it as it reads the JSON.
	{"gcloud compute project-info describe", "cmd/ssh-pruner/inspect_yaml_test.go", "func TestInspectGcloudYAML("},
}

// TestReadmeCommands runs every ssh-pruner command the README shows, as
// written, against the demo organization in the fake (the README's
// organization id is the demo's), and checks every other command against
// what exercises it.
func TestReadmeCommands(t *testing.T) {
	clearEnv(t)
	_, url := demoFake(t)
	commands := readmeCommands(t)
	root, err := filepath.Abs("../..")
	require.NoError(t, err)
	// Commands run in a scratch copy of the layout they expect, so that
	// --report report.json does not land in the repository.
	dir := t.TempDir()
	require.NoError(t, os.Symlink(filepath.Join(root, "testdata"), filepath.Join(dir, "testdata")))
	t.Chdir(dir)
	t.Setenv("SSH_PRUNER_API_ENDPOINT", url)
	gcloudJSON, err := os.ReadFile(filepath.Join(root, "testdata/project-info.json"))
	require.NoError(t, err)
	gcloudYAML, err := os.ReadFile(filepath.Join(root, "testdata/project-info.yaml"))
	require.NoError(t, err)

	for _, line := range commands {
		// What a piped gcloud prints: its default YAML, or JSON when asked.
		stdin := string(gcloudYAML)
		if strings.Contains(line, "--format=json") {
			stdin = string(gcloudJSON)
		}
		t.Run(line, func(t *testing.T) {
			for _, part := range strings.Split(line, "|") {
				part = strings.TrimSpace(part)
				args, ok := strings.CutPrefix(part, "go run ./cmd/ssh-pruner ")
				switch {
				case ok:
					runReadmeCommand(t, strings.Fields(args), url, stdin)
				case strings.HasPrefix(part, "go install ./cmd/ssh-pruner"):
					if testing.Short() {
						t.Skip("builds the binary")
					}
					// With the test binary's build flags: as written, under
					// 'go test -race' it would compile every dependency
					// again without -race, for minutes.
					args := append([]string{"install"}, testbuild.Flags(t)...)
					cmd := exec.Command("go", append(args, "./cmd/ssh-pruner")...)
					cmd.Dir = root
					cmd.Env = append(os.Environ(), "GOBIN="+t.TempDir())
					out, err := cmd.CombinedOutput()
					require.NoError(t, err, "%s", out)
				default:
					requireCoveredElsewhere(t, root, part)
				}
			}
		})
	}
}

func runReadmeCommand(t *testing.T, args []string, url, stdin string) {
	t.Helper()
	ctx := context.Background()
	for i := range args {
		// The README's fake listens on a fixed port; this one on a free one.
		if i > 0 && args[i-1] == "--api-endpoint" {
			args[i] = url
		}
	}
	want := []int{0, 3}
	if args[0] == "access" {
		want = []int{0, 1} // 1: the demo organization holds a forbidden project
	}
	if args[0] == "schedule" {
		// A worker runs until stopped: stop it as Kubernetes would, and
		// expect the clean exit. The fixed port may be taken here.
		for i, a := range args {
			if strings.HasPrefix(a, ":") {
				args[i] = "127.0.0.1:0"
			}
		}
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, time.Second)
		defer cancel()
		want = []int{0}
	}
	out, errOut, code := cli(t, ctx, strings.NewReader(stdin), args...)
	require.Contains(t, want, code, "stdout:\n%s\nstderr:\n%s", out, errOut)
}

func requireCoveredElsewhere(t *testing.T, root, part string) {
	t.Helper()
	for _, c := range coveredElsewhere {
		if strings.HasPrefix(part, c.prefix) {
			data, err := os.ReadFile(filepath.Join(root, c.file))
			require.NoError(t, err)
			require.Contains(t, string(data), c.proof, "%q is exercised by %s", part, c.file)
			return
		}
	}
	t.Fatalf("README command %q is exercised by no test: run it here or add it to coveredElsewhere", part)
}

// TestReadmeFlagsTable keeps the README's flag table and the flags in
// step: every flag of run and schedule is in the table with its
// environment variable, and the table names no flag that does not exist.
func TestReadmeFlagsTable(t *testing.T) {
	data, err := os.ReadFile("../../README.md")
	require.NoError(t, err)
	row := regexp.MustCompile("(?m)^\\| `--([a-z-]+)[^`]*`[^|]*\\| `([A-Z_]+)` \\|")
	inTable := map[string]string{}
	for _, m := range row.FindAllStringSubmatch(string(data), -1) {
		inTable[m[1]] = m[2]
	}
	require.NotEmpty(t, inTable)

	flags := map[string]bool{}
	for _, args := range [][]string{{"run", "--help"}, {"schedule", "--help"}} {
		help, _, code := cli(t, context.Background(), nil, args...)
		require.Equal(t, 0, code)
		for _, m := range regexp.MustCompile(`(?m)^  --([a-z-]+)$`).FindAllStringSubmatch(help, -1) {
			flags[m[1]] = true
		}
	}
	require.NotEmpty(t, flags)
	for name := range flags {
		require.Contains(t, inTable, name, "--%s is missing from the README's flag table", name)
		require.Equal(t, envName(name), inTable[name], "--%s: environment variable", name)
	}
	for name := range inTable {
		require.True(t, flags[name], "the README lists --%s, which run and schedule do not have", name)
	}
}

// TestReadmeDemoSummary keeps the summary lines the README quotes equal to
// what the demo prints (testdata/demo.txt, itself checked by TestDemo):
// the run's summary, the posture, and the access report's last line.
func TestReadmeDemoSummary(t *testing.T) {
	readme, err := os.ReadFile("../../README.md")
	require.NoError(t, err)
	demo, err := os.ReadFile("testdata/demo.txt")
	require.NoError(t, err)
	var quoted int
	for _, l := range strings.Split(string(demo), "\n") {
		if strings.HasPrefix(l, "12 projects: ") || strings.HasPrefix(l, "Posture, as found: ") || strings.Contains(l, " can reach them ") {
			require.Contains(t, string(readme), "\n"+l+"\n")
			quoted++
		}
	}
	require.Equal(t, 3, quoted, "the demo prints the three lines the README quotes")
}

// TestPolicyIsToldTheSameEverywhere: the policy is decided in
// pruner/plan/policy.go (and guard.go); its table in policy.go's doc, the
// README's tables and run --help each name every reason it can give.
func TestPolicyIsToldTheSameEverywhere(t *testing.T) {
	src, err := os.ReadFile("../../pruner/plan/policy.go")
	require.NoError(t, err)
	doc := string(src)
	doc = doc[strings.Index(doc, "// decide applies the policy"):]
	doc = doc[:strings.Index(doc, "\nfunc ")]
	readme, err := os.ReadFile("../../README.md")
	require.NoError(t, err)
	policy := string(readme)
	policy = policy[strings.Index(policy, "## The policy"):]
	policy = policy[:strings.Index(policy, "\n## Run it against an organization")]
	reasons := []string{plan.ReasonUnexpired, plan.ReasonGoogleManaged, plan.ReasonExpired, plan.ReasonNoExpiry,
		plan.ReasonUserKeyInSSHKeys, plan.ReasonGoogleKeyMisplaced, plan.ReasonExpiryTooFar, plan.ReasonGrace, "invalid:<why>"}
	for _, r := range reasons {
		require.Contains(t, doc, r, "policy.go's table names %s", r)
		require.Contains(t, policy, "`"+r+"`", "the README's policy names %s", r)
		require.Contains(t, runUsage, r, "run --help names %s", r)
	}
	require.Contains(t, policy, "`"+plan.ReasonKeepBlocked+"`")
	require.Contains(t, runUsage, plan.ReasonKeepBlocked)
}
