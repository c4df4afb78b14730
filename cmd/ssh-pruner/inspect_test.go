package main

import (
	"context"
	"encoding/json"
	"io"
	"os"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

const demoNow = "2026-11-23T12:00:00Z"

func TestInspectGolden(t *testing.T) {
	clearEnv(t)
	sshKeys, err := os.ReadFile("../../testdata/ssh-keys.txt")
	require.NoError(t, err)
	cases := []struct {
		name   string
		stdin  string
		args   []string
		golden string
	}{
		{"text from file", "", []string{"inspect", "--now", demoNow, "../../testdata/ssh-keys.txt"}, "inspect-ssh-keys.txt"},
		{"json from file", "", []string{"inspect", "--now", demoNow, "--output", "json", "../../testdata/ssh-keys.txt"}, "inspect-ssh-keys.json"},
		{"gcloud project json", "", []string{"inspect", "--now", demoNow, "--output", "json", "../../testdata/project-info.json"}, "inspect-project-info.json"},
		{"stdin dash", string(sshKeys), []string{"inspect", "--now", demoNow, "-"}, "inspect-ssh-keys.txt"},
		{"stdin implied", string(sshKeys), []string{"inspect", "--now", demoNow}, "inspect-ssh-keys.txt"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			out, errOut, code := cli(t, context.Background(), strings.NewReader(tc.stdin), tc.args...)
			require.Equal(t, 0, code, errOut)
			require.Empty(t, errOut)
			golden(t, tc.golden, out)
		})
	}
}

// TestInspectJSONContract pins the --output json fields: exactly these, in
// these types, whatever the golden files say.
func TestInspectJSONContract(t *testing.T) {
	clearEnv(t)
	out, errOut, code := cli(t, context.Background(), nil, "inspect", "--now", demoNow, "--output", "json", "../../testdata/project-info.json")
	require.Equal(t, 0, code, errOut)
	var rows []map[string]any
	require.NoError(t, json.Unmarshal([]byte(out), &rows))
	require.NotEmpty(t, rows)
	keys := map[string]bool{}
	states := map[string]int{}
	for _, r := range rows {
		require.ElementsMatch(t, []string{"metadataKey", "line", "username", "keyType", "fingerprint", "googleUserName", "expireOn", "state", "reason"}, mapKeys(r))
		keys[r["metadataKey"].(string)] = true
		states[r["state"].(string)]++
		if r["expireOn"] != nil {
			require.True(t, strings.HasSuffix(r["expireOn"].(string), "Z"), "expireOn in UTC: %v", r["expireOn"])
		}
		if r["state"] == "invalid" {
			require.NotEmpty(t, r["reason"])
		} else {
			require.Empty(t, r["reason"])
			require.True(t, strings.HasPrefix(r["fingerprint"].(string), "SHA256:"))
		}
	}
	require.Equal(t, map[string]bool{"ssh-keys": true, "sshKeys": true}, keys, "both key items of gcloud's JSON are read")
	require.Positive(t, states["expiring"])
	require.Positive(t, states["expired"])
	require.Positive(t, states["permanent"])
}

func mapKeys(m map[string]any) []string {
	var ks []string
	for k := range m {
		ks = append(ks, k)
	}
	return ks
}

func TestInspectErrors(t *testing.T) {
	clearEnv(t)
	dir := t.TempDir()
	notGcloud := dir + "/other.json"
	require.NoError(t, os.WriteFile(notGcloud, []byte(`{"kind":"compute#zone","name":"europe-west1-b"}`), 0o644))
	broken := dir + "/broken.json"
	require.NoError(t, os.WriteFile(broken, []byte(`{"commonInstanceMetadata": {`), 0o644))
	cases := []struct {
		name string
		args []string
		code int
		want string // in the one line on stderr
	}{
		{"missing file", []string{"inspect", dir + "/nope.txt"}, 2, "nope.txt: no such file or directory"},
		{"json of another kind", []string{"inspect", notGcloud}, 2, "neither gcloud's project"},
		{"broken json", []string{"inspect", broken}, 2, "invalid JSON"},
		{"bad now", []string{"inspect", "--now", "yesterday", "-"}, 2, `--now "yesterday"`},
		{"bad output", []string{"inspect", "--output", "yaml", "-"}, 2, `--output "yaml"`},
		{"two files", []string{"inspect", "a", "b"}, 2, "at most one FILE"},
		{"flag after file", []string{"inspect", "a", "--output", "json"}, 2, `flags go before FILE: "--output" came after it`},
		{"empty input", []string{"inspect", "-"}, 2, "stdin: empty input"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			out, errOut, code := cli(t, context.Background(), nil, tc.args...)
			require.Equal(t, tc.code, code)
			require.Contains(t, errOut, tc.want)
			if tc.code == 2 {
				require.Empty(t, out)
				require.Equal(t, 1, strings.Count(errOut, "\n"), "one line: %q", errOut)
				require.True(t, strings.HasPrefix(errOut, "ssh-pruner: inspect"), errOut)
			}
		})
	}
}

// TestInspectHostileInput: whoever can edit a project's metadata chooses
// these bytes. Neither output lets a terminal escape through, and an
// expiry beyond year 9999 (reachable with a zone offset) still prints.
func TestInspectHostileInput(t *testing.T) {
	clearEnv(t)
	const key = "AAAAC3NzaC1lZDI1NTE5AAAAII/daCfIs7zq+Irwgs4Rxe1jF1Bw1oVuotWJJJg2HTv+"
	value := "\x1b]0;owned\x07root:ssh-ed25519 " + key + " \x1b[31mred\n" +
		"eve:ssh-ed25519 " + key + ` google-ssh {"userName":"\u001b[2J@x","expireOn":"9999-12-31T23:59:59-0100"}` + "\n"
	for _, output := range []string{"text", "json"} {
		out, errOut, code := cli(t, context.Background(), strings.NewReader(value), "inspect", "--now", demoNow, "--output", output, "-")
		require.Equal(t, 0, code, errOut)
		require.NotContains(t, out, "\x1b", "%s output carries a raw ESC", output)
		require.NotContains(t, out, "\x07")
		require.Contains(t, out, "+10000-01-01T00:59:59Z", "%s output", output)
	}
}

// TestInspectRefusesWhatIsNoKeyList: input that is no key list says what
// it got, exit 2, rather than a table of "invalid" lines.
func TestInspectRefusesWhatIsNoKeyList(t *testing.T) {
	clearEnv(t)
	for _, tc := range []struct{ name, input, want string }{
		{"BOM", "\xef\xbb\xbfalice:ssh-ed25519 AAAA\n", "byte order mark"},
		{"UTF-16", "\xff\xfea\x00l\x00i\x00c\x00e\x00", "UTF-16"},
		{"binary", "\x7fELF\x02\x01\x01\x00\x00\x00", "binary data"},
		{"Latin-1", "jos\xe9:ssh-ed25519 AAAA\n", "not UTF-8"},
		{"gcloud list", `[{"commonInstanceMetadata": {"items": []}}]`, "a JSON array"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			out, errOut, code := cli(t, context.Background(), strings.NewReader(tc.input), "inspect", "-")
			require.Equal(t, 2, code, errOut)
			require.Contains(t, errOut, "stdin: ")
			require.Contains(t, errOut, tc.want)
			require.Empty(t, out)
		})
	}
}

// TestInspectGivesWayToAnInterrupt: stdin that never ends (a terminal, a
// FIFO) does not hold the command once it is interrupted.
func TestInspectGivesWayToAnInterrupt(t *testing.T) {
	clearEnv(t)
	r, w := io.Pipe()
	defer w.Close()
	ctx, cancel := context.WithCancel(context.Background())
	go func() {
		_, _ = w.Write([]byte("alice:ssh-ed25519 AAAA")) // and then nothing, ever
		cancel()
	}()
	_, errOut, code := cli(t, ctx, r, "inspect", "-")
	require.Equal(t, 2, code)
	require.Contains(t, errOut, "read stdin: context canceled")
}
