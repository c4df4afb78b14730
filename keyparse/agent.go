package keyparse

import (
	"encoding/base64"
	"strings"
	"time"
	"unicode"

	"golang.org/x/crypto/ssh"
)

// The functions of this file follow the Linux guest agent, which decides
// which lines of ssh-keys grant access on a VM:
// GoogleCloudPlatform/google-guest-agent internal/utils/ssh (GetUserKey,
// ValidateUser, CheckExpiredKey, CheckExpired) and its predecessor
// GoogleCloudPlatform/guest-agent utils/ssh.go. Where the agent calls
// time.Now(), the caller passes now instead (Line.State).

// userKey splits a line into user and key, as the agent's GetUserKey:
// trim spaces (only ' '), split at the first ':', both parts non-empty.
func userKey(raw string) (user, key string, invalid Reason) {
	line := strings.Trim(raw, " ")
	if line == "" {
		return "", "", ReasonBlank
	}
	i := strings.IndexByte(line, ':')
	if i < 0 {
		return "", "", ReasonNoColon
	}
	user, key = line[:i], line[i+1:]
	if user == "" {
		return "", "", ReasonNoUser
	}
	if key == "" {
		return user, "", ReasonNoKey
	}
	return user, key, ""
}

// validateUser is the agent's ValidateUser: no whitespace of any kind (its
// tests reject U+00A0, U+2000, U+3000...), and, as the older agent adds,
// no leading '-' (useradd would take it for an option) and no path
// separator or "."/".." (the name becomes /home/<user>).
func validateUser(user string) Reason {
	if strings.IndexFunc(user, unicode.IsSpace) >= 0 {
		return ReasonUserWhitespace
	}
	if strings.HasPrefix(user, "-") {
		return ReasonUserHyphen
	}
	if strings.ContainsRune(user, '/') || user == "." || user == ".." {
		return ReasonUserPath
	}
	return ""
}

// readKey reads the key part as the agent's CheckExpiredKey: it must be
// an authorized_keys entry (x/crypto's ssh.ParseAuthorizedKey, which also
// checks the declared type against the blob's; parseAuthorizedKey does
// the same in one decoding), and a comment that starts with "google-ssh"
// must be followed by a space and JSON whose expireOn parses. The first
// reason found is kept: a bad user outranks a bad key.
func readKey(l *Line, key string) {
	invalid := func(r Reason) {
		if l.Invalid == "" {
			l.Invalid = r
		}
	}
	trimmed := strings.Trim(key, " ")
	if trimmed == "" {
		invalid(ReasonNoKey)
		return
	}
	k, ok := parseAuthorizedKey(trimmed)
	if !ok {
		fields(l, key)
		invalid(diagnose(l))
		return
	}
	l.Options, l.KeyType, l.Blob, l.Comment = k.options, k.keyType, k.blob, k.comment
	l.Fingerprint = blobFingerprint(k.pub, k.raw)
	comment := k.comment
	if !strings.HasPrefix(comment, "google-ssh") {
		return // never expires
	}
	_, obj, ok := strings.Cut(comment, " ")
	if !ok {
		invalid(ReasonGoogleSSHNoJSON)
		return
	}
	g, ok := decodeGoogleSSH(obj)
	if !ok {
		invalid(ReasonGoogleSSHBadJSON)
		return
	}
	l.Google = &g
	t, err := ParseExpireOn(g.ExpireOn)
	if err != nil {
		invalid(ReasonBadExpireOn)
		return
	}
	l.ExpireOn = t
}

// expireOnLayouts are the layouts the agent's CheckExpired accepts, in its
// order: RFC 3339, then what gcloud and IAP Desktop write (+0000).
var expireOnLayouts = []string{time.RFC3339, "2006-01-02T15:04:05-0700"}

// ParseExpireOn reads a google-ssh expireOn as the agent does.
func ParseExpireOn(s string) (time.Time, error) {
	// The two layouts accept disjoint strings (a zone of Z or +hh:mm, or
	// one of +hhmm), so trying gcloud's first when the string ends like
	// it changes nothing but the time spent on the usual case.
	if n := len(s); n >= 5 && (s[n-5] == '+' || s[n-5] == '-') {
		if t, err := time.Parse(expireOnLayouts[1], s); err == nil {
			return t, nil
		}
	}
	var first error
	for _, layout := range expireOnLayouts {
		t, err := time.Parse(layout, s)
		if err == nil {
			return t, nil
		}
		if first == nil {
			first = err
		}
	}
	return time.Time{}, first
}

// diagnose names why ssh.ParseAuthorizedKey rejected the key part, from
// the fields as written. The verdict is x/crypto's; this only explains it.
func diagnose(l *Line) Reason {
	switch {
	case l.KeyType == "":
		return ReasonNoKey // only blanks or a lone "\r"
	case strings.HasPrefix(l.Options+l.KeyType, "#"):
		return ReasonNotAuthorizedKey // read as a comment line
	case l.Blob == "":
		return ReasonNotAuthorizedKey
	}
	blob, err := base64.StdEncoding.DecodeString(l.Blob)
	if err != nil {
		return ReasonBadBase64
	}
	pub, err := ssh.ParsePublicKey(blob)
	if err != nil {
		if !knownType(l.KeyType) {
			return ReasonUnknownType
		}
		return ReasonBadKey
	}
	l.Fingerprint = fingerprint(pub)
	if pub.Type() != l.KeyType {
		if !knownType(l.KeyType) {
			return ReasonUnknownType
		}
		return ReasonTypeMismatch
	}
	return ReasonNotAuthorizedKey
}

// fingerprint is what ssh-keygen -l -E sha256 prints. For a certificate
// ssh-keygen prints the fingerprint of the certified key, not of the
// certificate.
func fingerprint(pub ssh.PublicKey) string {
	if c, ok := pub.(*ssh.Certificate); ok {
		pub = c.Key
	}
	return ssh.FingerprintSHA256(pub)
}
