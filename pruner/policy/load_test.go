package policy

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.yaml.in/yaml/v3"

	"github.com/ssh-pruner/ssh-pruner/pruner/plan"
)

func TestParseErrorsNameFileLineAndField(t *testing.T) {
	for _, tc := range []struct{ name, body, want string }{
		{"unknown field", "googleManagedUsers: [x]\npolcy: 1\n", "p.yaml: line 2: field polcy not found"},
		{"bad regex", "googleManagedUsers:\n  - '^ok$'\n  - '('\n", "p.yaml:3: googleManagedUsers[1]: error parsing regexp"},
		{"bad duration", "maxKeyLifetime: forever\n", `p.yaml:1: maxKeyLifetime: "forever": want a duration`},
		{"bad percent", "limits:\n  perTarget: 150%\n", `p.yaml:2: limits.perTarget: "150%"`},
		{"negative perRun", "limits:\n  perRun: -1\n", "p.yaml:2: limits.perRun: -1"},
		{"bad grace", "instances: true\ngrace: a day\n", `p.yaml:2: grace: "a day"`},
		{"negative grace", "grace: -1h\n", `p.yaml:1: grace: "-1h0m0s": want 0 (none) or more`},
		{"bad level", "protected:\n  - username: x\n    level: vm\n", `p.yaml:3: protected[0].level: "vm"`},
		{"bad item", "protected:\n  - username: x\n    item: keys\n", `p.yaml:3: protected[0].item: "keys"`},
		{"rule matching nothing", "protected:\n  - name: empty\n", "p.yaml:2: protected[0]: give username, googleUserName or fingerprint"},
		{"bad fingerprint", "protected:\n  - fingerprint: MD5:aa\n", "p.yaml:2: protected[0].fingerprint"},
		{"bad label", "exclude:\n  labels: [nolabel]\n", "p.yaml:2: exclude.labels[0]: "},
		{"bad opt-in label", "onlyLabels:\n  - ok=yes\n  - =no\n", "p.yaml:3: onlyLabels[1]: "},
		{"bad folder", "exclude:\n  folders: ['12', 'folders/x']\n", `p.yaml:2: exclude.folders[1]: "folders/x": want a numeric folder id`},
		{"not YAML", "protected: [\n", "p.yaml: yaml:"},
		{"two documents", "grace: 1h\n---\ngrace: 2h\n", "p.yaml:2: a second YAML document"},
		{"an int where a list goes", "googleManagedUsers: 3\n", "p.yaml: line 1: cannot unmarshal"},
		{"hostile", "protected:\n  - username: x\n    level: \"\\e]0;pwned\\a\"\n", `p.yaml:3: protected[0].level: "\x1b]0;pwned\a"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Parse("p.yaml", []byte(tc.body))
			require.Error(t, err)
			require.Contains(t, err.Error(), tc.want)
			require.NotContains(t, err.Error(), "\n", "one line")
			require.NotContains(t, err.Error(), "\x1b", "escaped")
		})
	}
}

func TestParseFillsDefaults(t *testing.T) {
	c, err := Parse("p.yaml", []byte("grace: 24h\nlimits: {perTarget: 80%}\n"))
	require.NoError(t, err)
	want := Default()
	want.Grace = Duration(24 * time.Hour)
	want.Limits.PerTarget = TargetLimit{Percent: 80}
	require.Equal(t, want, c, "what the file does not say is the default; perRun keeps its default beside perTarget")

	empty, err := Parse("empty.yaml", nil)
	require.NoError(t, err)
	require.Equal(t, Default(), empty)
}

// TestPrintedPolicyLoadsAgain: what 'policy check' prints (the YAML of a
// Config) is a policy file that gives the same policy and prints the
// same, for the example and for limits given as a share.
func TestPrintedPolicyLoadsAgain(t *testing.T) {
	example, err := os.ReadFile("../../testdata/policy-example.yaml")
	require.NoError(t, err)
	for name, body := range map[string]string{
		"example":  string(example),
		"percent":  "limits: {perTarget: 12.5%, perRun: 0}\nmaxKeyLifetime: 90m\n",
		"defaults": "",
	} {
		t.Run(name, func(t *testing.T) {
			c, err := Parse("in.yaml", []byte(body))
			require.NoError(t, err)
			out, err := yaml.Marshal(c)
			require.NoError(t, err)
			again, err := Parse("out.yaml", out)
			require.NoError(t, err, "%s", out)
			require.Equal(t, c, again)
			out2, err := yaml.Marshal(again)
			require.NoError(t, err)
			require.Equal(t, string(out), string(out2))
		})
	}
}

func TestLoadBoundsWhatItReads(t *testing.T) {
	dir := t.TempDir()
	big := filepath.Join(dir, "big.yaml")
	require.NoError(t, os.WriteFile(big, []byte("# "+strings.Repeat("x", MaxFileSize)+"\n"), 0o644))
	_, err := Load(context.Background(), big)
	require.ErrorContains(t, err, "more than")

	_, err = Load(context.Background(), filepath.Join(dir, "missing.yaml"))
	require.Error(t, err)
}

// TestLoadGivesWay: /dev/zero (read, never written) is refused at the
// bound, within a second; a FIFO that no one writes to gives way to the
// context at once, where open(2) alone would block for ever.
func TestLoadGivesWay(t *testing.T) {
	if _, err := os.Stat("/dev/zero"); err == nil {
		start := time.Now()
		_, err := Load(context.Background(), "/dev/zero")
		require.EqualError(t, err, "/dev/zero: more than 1048576 bytes: not a policy file")
		require.Less(t, time.Since(start), time.Second)
	}

	fifo := filepath.Join(t.TempDir(), "policy.yaml")
	require.NoError(t, syscall.Mkfifo(fifo, 0o600))
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	start := time.Now()
	_, err := Load(ctx, fifo)
	require.ErrorIs(t, err, context.DeadlineExceeded)
	require.Less(t, time.Since(start), time.Second)
}

func TestCompile(t *testing.T) {
	c := Default()
	c.MaxKeyLifetime = Duration(720 * time.Hour)
	c.Grace = Duration(24 * time.Hour)
	c.Exclude = Exclude{Projects: []string{"legacy"}, Folders: []string{"folders/12"}, Labels: []string{"ssh-pruner=skip"}}
	c.OnlyLabels = []string{"ssh-pruner=enabled"}
	c.Protected = []Protected{{Username: "^airflow$", Level: "instance"}, {Name: "bg", Fingerprint: "SHA256:xJg7Cd8xUiZLoj+2GCdenEMV4HakoEK/7zSmwVQ8AMY"}}
	got, err := c.Compile()
	require.NoError(t, err)
	require.Equal(t, 720*time.Hour, got.Plan.MaxLifetime)
	require.Equal(t, 24*time.Hour, got.Plan.Grace)
	require.Equal(t, Limits{PerTarget: 200, PerRun: 1000}, got.Limits)
	require.Equal(t, []string{"legacy"}, got.Exclude)
	require.Equal(t, OptOuts{Folders: []string{"folders/12"}, Labels: []Label{{"ssh-pruner", "skip"}}, OnlyLabels: []Label{{"ssh-pruner", "enabled"}}}, got.OptOuts)
	require.Len(t, got.Plan.Protected, 2)
	require.Equal(t, "protected[0]", got.Plan.Protected[0].Name, "a rule without a name is named by its place")
	require.Equal(t, plan.LevelInstance, got.Plan.Protected[0].Level)
	require.True(t, got.Instances)

	c.Limits.PerTarget = TargetLimit{Keys: 3, Percent: 50}
	_, err = c.Compile()
	require.ErrorContains(t, err, "limits.perTarget")
}

// FuzzParse: no input makes the parser panic or give an error of more
// than one line; what it accepts, it accepts again from what it prints.
//
//	go test -run '^$' -fuzz FuzzParse -fuzztime 30s ./pruner/policy
func FuzzParse(f *testing.F) {
	example, err := os.ReadFile("../../testdata/policy-example.yaml")
	if err != nil {
		f.Fatal(err)
	}
	f.Add(example)
	f.Add([]byte("protected:\n  - username: '('\n"))
	f.Add([]byte("limits: {perTarget: 80%, perRun: -1}\n"))
	f.Add([]byte("grace: 1h\n---\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		c, err := Parse("f.yaml", data)
		if err != nil {
			require.NotContains(t, err.Error(), "\n", "one line")
			return
		}
		out, err := yaml.Marshal(c)
		require.NoError(t, err)
		again, err := Parse("f.yaml", out)
		require.NoError(t, err, "%s", out)
		require.Equal(t, c, again)
	})
}
