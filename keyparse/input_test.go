package keyparse

import (
	"flag"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// maxValue is the largest metadata value the Compute API accepts.
const maxValue = 256 << 10

// TestParseValues covers whole values: line endings, blank and comment
// lines, whitespace, odd bytes. Each case lists the lines it expects as
// text, ending and verdict.
func TestParseValues(t *testing.T) {
	type want struct {
		text   string
		eol    string
		user   string
		reason Reason
	}
	a, b := "alice:"+edKey, "bob:"+ecKey+" "+gcloud("2027-01-01T00:00:00+0000")
	tests := []struct {
		name  string
		value string
		lines []want
	}{
		{"empty", "", nil},
		{"one line, no newline", a, []want{{a, "", "alice", ""}}},
		{"one line, LF", a + "\n", []want{{a, "\n", "alice", ""}}},
		{"one line, CRLF", a + "\r\n", []want{{a, "\r\n", "alice", ""}}},
		{"LF", a + "\n" + b + "\n", []want{{a, "\n", "alice", ""}, {b, "\n", "bob", ""}}},
		{"CRLF", a + "\r\n" + b + "\r\n", []want{{a, "\r\n", "alice", ""}, {b, "\r\n", "bob", ""}}},
		{"mixed endings, none last", a + "\r\n" + b + "\n" + a, []want{{a, "\r\n", "alice", ""}, {b, "\n", "bob", ""}, {a, "", "alice", ""}}},
		{"extra trailing newline", a + "\n\n", []want{{a, "\n", "alice", ""}, {"", "\n", "", ReasonBlank}}},
		{"only newlines", "\n\r\n\n", []want{{"", "\n", "", ReasonBlank}, {"", "\r\n", "", ReasonBlank}, {"", "\n", "", ReasonBlank}}},
		{"blank lines between", a + "\n\n  \n\t\n" + b, []want{{a, "\n", "alice", ""}, {"", "\n", "", ReasonBlank}, {"  ", "\n", "", ReasonBlank}, {"\t", "\n", "", ReasonBlank}, {b, "", "bob", ""}}},
		{"lone CR is not a line end", a + "\r" + b, []want{{a + "\r" + b, "", "alice", ReasonBadBase64}}},
		{"CR before CRLF stays in text", a + "\r\r\n", []want{{a + "\r", "\r\n", "alice", ""}}},
		{"CR line", "\r", []want{{"\r", "", "", ReasonBlank}}},
		{"leading and trailing whitespace", "  " + a + " \t\n", []want{{"  " + a + " \t", "\n", "alice", ""}}},
		{"tab indented", "\t" + a, []want{{"\t" + a, "", "\talice", ReasonUserWhitespace}}},
		{"comment lines", "# keys for prod\n" + a + "\n#" + b, []want{{"# keys for prod", "\n", "", ReasonNoColon}, {a, "\n", "alice", ""}, {"#" + b, "", "#bob", ""}}},
		{"non-UTF-8 bytes", "\xff\xfe\n" + a + " \xc3\x28\n", []want{{"\xff\xfe", "\n", "", ReasonNoColon}, {a + " \xc3\x28", "\n", "alice", ""}}},
		{"NUL bytes", "al\x00ice:" + edKey + "\x00", []want{{"al\x00ice:" + edKey + "\x00", "", "al\x00ice", ReasonBadBase64}}},
		{"UTF-8 BOM", "\ufeff" + a, []want{{"\ufeff" + a, "", "\ufeffalice", ""}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			lines := Parse(tc.value)
			requireWellFormed(t, tc.value, lines)
			require.Len(t, lines, len(tc.lines))
			for i, w := range tc.lines {
				l := lines[i]
				require.Equal(t, w.text, l.Text, "line %d text", i+1)
				require.Equal(t, w.eol, l.EOL, "line %d EOL", i+1)
				require.Equal(t, w.user, l.Username, "line %d user", i+1)
				require.Equal(t, w.reason, l.Invalid, "line %d reason", i+1)
			}
		})
	}
}

// TestParseLarge covers the API's largest values: one 256 KiB line, and
// 256 KiB of keys.
func TestParseLarge(t *testing.T) {
	t.Run("one 256 KiB line", func(t *testing.T) {
		// Valid base64 (of zeros) that is no key.
		v := "alice:ssh-ed25519 " + strings.Repeat("A", (maxValue-len("alice:ssh-ed25519 "))&^3)
		lines := Parse(v)
		requireWellFormed(t, v, lines)
		require.Len(t, lines, 1)
		require.Equal(t, ReasonBadKey, lines[0].Invalid)
	})
	t.Run("one 256 KiB comment", func(t *testing.T) {
		v := "alice:" + edKey + " " + strings.Repeat("x", maxValue-len(edKey)-7)
		lines := Parse(v)
		requireWellFormed(t, v, lines)
		require.Len(t, lines, 1)
		require.Equal(t, StatePermanent, lines[0].State(now))
	})
	t.Run("256 KiB of newlines", func(t *testing.T) {
		v := strings.Repeat("\n", maxValue)
		lines := Parse(v)
		requireWellFormed(t, v, lines)
		require.Len(t, lines, maxValue)
	})
	t.Run("256 KiB of keys", func(t *testing.T) {
		v := benchValue(maxValue)
		lines := Parse(v)
		requireWellFormed(t, v, lines)
		counts := map[State]int{}
		for _, l := range lines {
			counts[l.State(now)]++
		}
		require.Zero(t, counts[StateInvalid], "invalid lines")
		require.Equal(t, len(lines), counts[StateExpiring]+counts[StateExpired]+counts[StatePermanent])
		require.NotZero(t, counts[StateExpiring])
		require.NotZero(t, counts[StateExpired])
		require.NotZero(t, counts[StatePermanent])
	})
}

var update = flag.Bool("update", false, "rewrite testdata/*.golden")

// TestExample reads testdata/example.txt, a mixed value, and compares one
// row per line with testdata/example.golden (go test -update rewrites it).
func TestExample(t *testing.T) {
	raw, err := os.ReadFile("testdata/example.txt")
	require.NoError(t, err)
	value := string(raw)
	lines := Parse(value)
	requireWellFormed(t, value, lines)

	var b strings.Builder
	for _, l := range lines {
		expire := "-"
		if l.Expires() {
			expire = l.ExpireOn.UTC().Format(time.RFC3339)
		}
		fmt.Fprintf(&b, "%d\t%q\t%s\t%s\t%s\t%s\t%s\n",
			l.Number, l.Username, or(l.KeyType), or(l.Fingerprint), expire, l.State(now), or(string(l.Invalid)))
	}
	const golden = "testdata/example.golden"
	if *update {
		require.NoError(t, os.WriteFile(golden, []byte(b.String()), 0o644))
	}
	want, err := os.ReadFile(golden)
	require.NoError(t, err)
	require.Equal(t, string(want), b.String())
}

func or(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// requireWellFormed checks what holds for every value: Format gives it
// back, lines are numbered 1..n, Text holds no '\n', only the last line
// may lack an ending, and State agrees with Valid. It runs on values of
// 256 Ki lines, so it checks with plain ifs and fails on the first fault.
func requireWellFormed(t testing.TB, value string, lines []Line) {
	t.Helper()
	require.Equal(t, value, Format(lines), "Format(Parse(v)) != v")
	for i, l := range lines {
		var fault string
		switch {
		case l.Number != i+1:
			fault = fmt.Sprintf("number %d", l.Number)
		case strings.Contains(l.Text, "\n"):
			fault = "newline in Text"
		case l.EOL == "" && i != len(lines)-1:
			fault = "no line ending, not last"
		case l.EOL != "" && l.EOL != "\n" && l.EOL != "\r\n":
			fault = fmt.Sprintf("EOL %q", l.EOL)
		case l.EOL == "\n" && strings.HasSuffix(l.Text, "\r"):
			fault = "CR before LF left in Text"
		case l.Valid() != (l.State(now) != StateInvalid):
			fault = fmt.Sprintf("Valid() %v, State %s", l.Valid(), l.State(now))
		case l.GrantsAccess(now) != (l.State(now) == StateExpiring || l.State(now) == StatePermanent):
			fault = "GrantsAccess disagrees with State"
		case l.Valid() != (l.Invalid == ""):
			fault = "Valid disagrees with Invalid"
		}
		if fault != "" {
			t.Fatalf("line %d of %d (%q): %s", i+1, len(lines), l.Text, fault)
		}
	}
}
