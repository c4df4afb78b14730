package keyparse

import (
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"

	"github.com/stretchr/testify/require"
)

func TestPrintable(t *testing.T) {
	for _, tc := range []struct {
		name, in, want string
	}{
		{"plain", "alice@example.com", "alice@example.com"},
		{"empty", "", ""},
		{"escape sequence", "evil\x1b[2J\x1b]0;pwned\a", `evil\x1b[2J\x1b]0;pwned\a`},
		{"carriage return", "ok\rroot", `ok\rroot`},
		{"backspace", "root\b\b\b\badmin", `root\b\b\b\badmin`},
		{"newline", "a\nb", `a\nb`},
		{"tab", "a\tb", `a\tb`},
		{"DEL and C1", "a\x7fb\u009bc", `a\x7fb\u009bc`},
		{"bidi override", "alice\u202egnp.exe", `alice\u202egnp.exe`},
		{"bidi isolate", "\u2066x\u2069", `\u2066x\u2069`},
		{"zero width", "ro\u200bot", `ro\u200bot`},
		{"bom", "\ufeffroot", `\ufeffroot`},
		{"no-break space", "a\u00a0b", `a\u00a0b`},
		{"line separator", "a\u2028b", `a\u2028b`},
		{"invalid utf-8", "a\xffb\xc3", `a\xffb\xc3`},
		{"backslash is escaped", `a\x1b`, `a\\x1b`},
		{"letters of other scripts stay", "Ümit-日本", "Ümit-日本"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			require.Equal(t, tc.want, Printable(tc.in))
		})
	}
}

func TestPrintableBounded(t *testing.T) {
	long := strings.Repeat("a", 10_000)
	got := Printable(long)
	require.LessOrEqual(t, len(got), MaxPrintable+40)
	require.True(t, strings.HasPrefix(got, strings.Repeat("a", MaxPrintable)))
	require.Contains(t, got, "(+9872 bytes)")

	esc := strings.Repeat("\x1b", 1000)
	got = Printable(esc)
	require.LessOrEqual(t, len(got), MaxPrintable+40)
	require.NotContains(t, got, "\x1b")
}

func TestDisplayUser(t *testing.T) {
	const blob = "AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl"
	for _, tc := range []struct {
		name, line, want string
	}{
		{"valid", "alice:ssh-ed25519 " + blob + " alice@laptop", "alice"},
		{"no user, key then colon in comment", "ssh-ed25519 " + blob + " root@host:2222", "ssh-ed25519…"},
		{"hostile valid user is escaped", "al\x1b[31mice:ssh-ed25519 " + blob, `al\x1b[31mice`},
		{"user with a space", "bad user:ssh-ed25519 " + blob, "bad…"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			l := ParseLine(tc.line)
			got := l.DisplayUser()
			require.Equal(t, tc.want, got)
			require.NotContains(t, got, blob[:20], "key material in a display username")
		})
	}
}

// FuzzPrintable checks that no output carries a rune a terminal acts on,
// and that the output stays bounded.
func FuzzPrintable(f *testing.F) {
	for _, s := range []string{"", "alice", "\x1b[2J", "a\u202eb", "\xff", strings.Repeat("x", 300)} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got := Printable(s)
		require.True(t, utf8.ValidString(got))
		require.LessOrEqual(t, len(got), MaxPrintable+4*8+30)
		for _, r := range got {
			require.True(t, r == ' ' || unicode.IsPrint(r), "rune %U in %q", r, got)
		}
	})
}
