package main

import (
	"bytes"
	"debug/buildinfo"
	"flag"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// dockerfile is what image_test reads of the Dockerfile: the stages' base
// images, the ENV of the build stage, its go build command, and the final
// stage's user and entrypoint.
type dockerfile struct {
	from       []string
	env        []string // KEY=value, build stage
	build      []string // the go build command, split as the shell would
	user       string
	entrypoint string
}

// parseDockerfile reads the instructions this test relies on. It knows
// only the forms the Dockerfile uses: one instruction per line, ENV
// KEY=value, a RUN whose words are plain or double-quoted.
func parseDockerfile(t *testing.T, path string) dockerfile {
	t.Helper()
	data, err := os.ReadFile(path)
	require.NoError(t, err)
	var d dockerfile
	for _, line := range strings.Split(strings.ReplaceAll(string(data), "\\\n", " "), "\n") {
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		instr, rest, _ := strings.Cut(line, " ")
		rest = strings.TrimSpace(rest)
		switch strings.ToUpper(instr) {
		case "FROM":
			d.from = append(d.from, strings.Fields(rest)[0])
		case "ENV":
			if len(d.from) == 1 {
				d.env = append(d.env, strings.Fields(rest)...)
			}
		case "RUN":
			if strings.HasPrefix(rest, "go build ") {
				d.build = shellWords(t, rest)
			}
		case "USER":
			d.user = rest
		case "ENTRYPOINT":
			d.entrypoint = rest
		}
	}
	return d
}

// shellWords splits s into words, with double quotes.
func shellWords(t *testing.T, s string) []string {
	t.Helper()
	var words []string
	var cur strings.Builder
	inWord, quoted := false, false
	for _, r := range s {
		switch {
		case r == '"':
			quoted, inWord = !quoted, true
		case (r == ' ' || r == '\t') && !quoted:
			if inWord {
				words = append(words, cur.String())
				cur.Reset()
				inWord = false
			}
		default:
			cur.WriteRune(r)
			inWord = true
		}
	}
	require.False(t, quoted, "unbalanced quote in %q", s)
	if inWord {
		words = append(words, cur.String())
	}
	return words
}

// TestDockerfile checks what the Dockerfile says: a pinned Go builder, a
// distroless final stage running as nonroot, a static build.
func TestDockerfile(t *testing.T) {
	checkDockerfile(t, parseDockerfile(t, filepath.Join(mustAbs(t, "../.."), "Dockerfile")))
}

func checkDockerfile(t *testing.T, d dockerfile) {
	t.Helper()
	require.Len(t, d.from, 2, "a build stage and a final stage")
	require.Regexp(t, `^golang:1\.26\.[0-9]+-bookworm$`, d.from[0], "a pinned Go builder, the go.mod version")
	require.Regexp(t, `^gcr\.io/distroless/static(-debian[0-9]+)?:nonroot$`, d.from[1])
	require.Equal(t, "nonroot:nonroot", d.user)
	require.Equal(t, `["/ssh-pruner"]`, d.entrypoint)
	require.Contains(t, d.env, "CGO_ENABLED=0")
	require.Contains(t, d.build, "-trimpath")
	require.Equal(t, "./cmd/ssh-pruner", d.build[len(d.build)-1])
}

// imageTest runs TestImage. Its build cannot share the build cache of
// 'go test -race': CGO_ENABLED=0 and -trimpath change how every package
// compiles, so it compiles the whole dependency tree again, which took
// five to seven minutes of a cold 'go test -race ./...' on two cores.
// .ci/run runs it as a step of its own.
var imageTest = flag.Bool("image", false, "run TestImage: build the binary as the Dockerfile does (a build of its own, minutes cold) and run it as the image would")

// TestImage builds the binary as the Dockerfile does and runs it as the
// image would: no environment, an empty working directory, nothing beside
// the binary. It runs with -image (.ci/run passes it):
//
//	go test -race -run '^TestImage$' ./cmd/ssh-pruner -image
func TestImage(t *testing.T) {
	if !*imageTest {
		t.Skip("builds the binary as the Dockerfile does: run with -image (.ci/run does)")
	}
	root := mustAbs(t, "../..")
	d := parseDockerfile(t, filepath.Join(root, "Dockerfile"))
	checkDockerfile(t, d)

	// The build line, with the version given and the output redirected.
	const stamp = "v9.9.9-image-test"
	bin := filepath.Join(t.TempDir(), "ssh-pruner")
	args := make([]string, len(d.build))
	for i, a := range d.build {
		args[i] = strings.ReplaceAll(a, "${VERSION}", stamp)
		if i > 0 && d.build[i-1] == "-o" {
			args[i] = bin
		}
	}
	require.Equal(t, "go", args[0])
	build := exec.Command("go", args[1:]...)
	build.Dir = root
	build.Env = append(os.Environ(), d.env...)
	out, err := build.CombinedOutput()
	require.NoError(t, err, "%s", out)

	info, err := buildinfo.ReadFile(bin)
	require.NoError(t, err)
	settings := map[string]string{}
	for _, s := range info.Settings {
		settings[s.Key] = s.Value
	}
	require.Equal(t, "0", settings["CGO_ENABLED"], "a static binary")
	require.Equal(t, "true", settings["-trimpath"])
	// -trimpath keeps -ldflags out of the build info: the version subtest
	// shows the stamp.

	empty := t.TempDir()
	runBin := func(args ...string) (string, string, error) {
		cmd := exec.Command(bin, args...)
		cmd.Env = []string{}
		cmd.Dir = empty
		var stdout, stderr bytes.Buffer
		cmd.Stdout, cmd.Stderr = &stdout, &stderr
		err := cmd.Run()
		return stdout.String(), stderr.String(), err
	}

	t.Run("version", func(t *testing.T) {
		stdout, stderr, err := runBin("version")
		require.NoError(t, err, stderr)
		require.Equal(t, "ssh-pruner "+stamp+"\n", stdout)
	})
	t.Run("demo", func(t *testing.T) {
		stdout, stderr, err := runBin("demo")
		require.NoError(t, err, stderr)
		require.NotEmpty(t, stdout)
		require.Regexp(t, regexp.MustCompile(`(?i)remove`), stdout, "the demo shows keys to remove")
	})
	entries, err := os.ReadDir(empty)
	require.NoError(t, err)
	require.Empty(t, entries, "the binary wrote nothing in its working directory")
}
