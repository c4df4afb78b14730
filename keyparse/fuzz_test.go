package keyparse

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
	"time"
	"unicode"

	"golang.org/x/crypto/ssh"
)

// FuzzParse checks, on any value: Parse never panics; the lines are well
// formed and give the value back (requireWellFormed); and each line's
// verdict equals agentGrants, a plain model of the agent built on
// ssh.ParseAuthorizedKey and json.Unmarshal, so that the shortcuts of
// parseAuthorizedKey, decodeGoogleSSH and blobFingerprint change nothing.
// Seeds: testdata/fuzz/FuzzParse.
func FuzzParse(f *testing.F) {
	f.Fuzz(func(t *testing.T, v string) {
		lines := Parse(v)
		requireWellFormed(t, v, lines)
		for _, l := range lines {
			raw := l.Text
			if l.EOL == "\r\n" {
				raw += "\r" // the agent splits at '\n' only
			}
			for _, at := range []time.Time{now, l.ExpireOn, l.ExpireOn.Add(time.Nanosecond)} {
				if got, want := l.GrantsAccess(at), agentGrants(raw, at); got != want {
					t.Fatalf("line %d %q at %s: GrantsAccess %v, agent %v (reason %q)", l.Number, raw, at, got, want, l.Invalid)
				}
			}
			checkKeyPart(t, l, raw)
		}
	})
}

// agentGrants is our plain model of the agent's decision for one line:
// GetUserKey, ValidateUser, then CheckExpiredKey and CheckExpired at now.
func agentGrants(line string, now time.Time) bool {
	user, key, ok := strings.Cut(strings.Trim(line, " "), ":")
	if !ok || user == "" || key == "" {
		return false
	}
	if strings.IndexFunc(user, unicode.IsSpace) >= 0 || user[0] == '-' ||
		strings.Contains(user, "/") || user == "." || user == ".." {
		return false
	}
	key = strings.Trim(key, " ")
	if key == "" {
		return false
	}
	_, comment, _, _, err := ssh.ParseAuthorizedKey([]byte(key))
	if err != nil {
		return false
	}
	if !strings.HasPrefix(comment, "google-ssh") {
		return true
	}
	_, obj, ok := strings.Cut(comment, " ")
	if !ok {
		return false
	}
	var g struct{ ExpireOn, UserName string }
	if json.Unmarshal([]byte(obj), &g) != nil {
		return false
	}
	t, err := time.Parse(time.RFC3339, g.ExpireOn)
	if err != nil {
		if t, err = time.Parse("2006-01-02T15:04:05-0700", g.ExpireOn); err != nil {
			return false
		}
	}
	return !t.Before(now)
}

// checkKeyPart compares the line's key fields with x/crypto's reading of
// the same key part, and the google-ssh fields with encoding/json's.
func checkKeyPart(t *testing.T, l Line, raw string) {
	_, key, ok := strings.Cut(strings.Trim(raw, " "), ":")
	if !ok || strings.Trim(key, " ") == "" {
		return
	}
	key = strings.Trim(key, " ")
	pub, comment, _, _, err := ssh.ParseAuthorizedKey([]byte(key))
	k, ok := parseAuthorizedKey(key)
	if ok != (err == nil) {
		t.Fatalf("line %d: parseAuthorizedKey ok=%v, ssh.ParseAuthorizedKey err=%v", l.Number, ok, err)
	}
	if !ok {
		return
	}
	if k.comment != comment || !bytes.Equal(k.pub.Marshal(), pub.Marshal()) {
		t.Fatalf("line %d: read %q %q, x/crypto %q %q", l.Number, k.comment, k.keyType, comment, pub.Type())
	}
	if got, want := blobFingerprint(k.pub, k.raw), fingerprint(pub); got != want {
		t.Fatalf("line %d: fingerprint %s, want %s", l.Number, got, want)
	}
	if l.Valid() && l.Fingerprint != fingerprint(pub) {
		t.Fatalf("line %d: Fingerprint %s, want %s", l.Number, l.Fingerprint, fingerprint(pub))
	}
	if _, obj, ok := strings.Cut(comment, " "); ok && strings.HasPrefix(comment, "google-ssh") {
		var want GoogleSSH
		wantErr := json.Unmarshal([]byte(obj), &want)
		got, ok := decodeGoogleSSH(obj)
		if ok != (wantErr == nil) || (ok && got != want) {
			t.Fatalf("line %d: decodeGoogleSSH(%q) = %+v %v, json: %+v %v", l.Number, obj, got, ok, want, wantErr)
		}
	}
}
