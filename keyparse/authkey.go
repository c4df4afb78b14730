package keyparse

import (
	"crypto/sha256"
	"encoding/base64"
	"strings"

	"golang.org/x/crypto/ssh"
)

// authKey is a key part read as an authorized_keys entry.
type authKey struct {
	options, keyType, blob, comment string
	pub                             ssh.PublicKey
	raw                             []byte // the decoded blob
}

// parseAuthorizedKey reads a key part exactly as ssh.ParseAuthorizedKey
// (x/crypto v0.58) does, step for step, but decodes the blob once and keeps
// it, and returns the fields as it split them. It exists for speed: the
// verdict must stay x/crypto's, and FuzzParse checks that it is.
//
//	for each line of in (split at '\n'):
//	  drop one trailing '\r', trim spaces and tabs; skip it if empty or '#...'
//	  TYPE BLOB [COMMENT]          if BLOB is a key whose type is TYPE
//	  OPTIONS TYPE BLOB [COMMENT]  else, OPTIONS up to the first blank
//	                               outside double quotes
func parseAuthorizedKey(in string) (k authKey, ok bool) {
	for in != "" {
		line := in
		if i := strings.IndexByte(in, '\n'); i >= 0 {
			line, in = in[:i], in[i+1:]
		} else {
			in = ""
		}
		if k, ok = parseAuthorizedLine(line); ok {
			return k, true
		}
	}
	return authKey{}, false
}

func parseAuthorizedLine(in string) (authKey, bool) {
	in = trimBlank(strings.TrimSuffix(in, "\r"))
	if in == "" || in[0] == '#' {
		return authKey{}, false
	}
	i := strings.IndexAny(in, " \t")
	if i < 0 {
		return authKey{}, false
	}
	if k, ok := parseTypeBlob(in[:i], in[i:]); ok {
		return k, true
	}

	// Options: up to the first blank outside double quotes (cutOptions).
	// As in x/crypto, a line that never reaches such a blank is no key.
	options, rest, ok := cutOptions(in)
	if !ok {
		return authKey{}, false
	}
	i = strings.IndexAny(rest, " \t")
	if i < 0 {
		return authKey{}, false
	}
	k, ok := parseTypeBlob(rest[:i], rest[i:])
	k.options = options
	return k, ok
}

// parseTypeBlob reads "BLOB [COMMENT]" after a declared key type: BLOB
// must be base64 of a public key of that very type.
func parseTypeBlob(keyType, in string) (authKey, bool) {
	in = trimBlank(in)
	blob, comment := in, ""
	if i := strings.IndexAny(in, " \t"); i >= 0 {
		blob, comment = in[:i], trimBlank(in[i:])
	}
	raw, err := base64.StdEncoding.DecodeString(blob)
	if err != nil {
		return authKey{}, false
	}
	pub, err := ssh.ParsePublicKey(raw)
	if err != nil || pub.Type() != keyType {
		return authKey{}, false
	}
	return authKey{keyType: keyType, blob: blob, comment: comment, pub: pub, raw: raw}, true
}

// blobFingerprint is fingerprint(pub) computed from the decoded blob when
// the blob is the key's canonical encoding, which saves re-encoding it.
// x/crypto reads Ed25519 and ECDSA keys strictly (a fixed-size key; an
// uncompressed point on the curve the type names), so their blob is
// canonical; an RSA blob is when its two integers are minimal.
func blobFingerprint(pub ssh.PublicKey, raw []byte) string {
	switch pub.Type() {
	case ssh.KeyAlgoED25519, ssh.KeyAlgoECDSA256, ssh.KeyAlgoECDSA384, ssh.KeyAlgoECDSA521:
	case ssh.KeyAlgoRSA:
		if !minimalRSA(raw) {
			return fingerprint(pub)
		}
	default:
		return fingerprint(pub)
	}
	sum := sha256.Sum256(raw)
	var b [len("SHA256:") + 43]byte // 43: unpadded base64 of 32 bytes
	copy(b[:], "SHA256:")
	base64.RawStdEncoding.Encode(b[len("SHA256:"):], sum[:])
	return string(b[:])
}

// minimalRSA tells whether an ssh-rsa blob (string name, mpint e, mpint n)
// holds e and n as positive integers without a needless leading zero, as
// x/crypto writes them back.
func minimalRSA(raw []byte) bool {
	for field := 0; field < 3; field++ {
		if len(raw) < 4 {
			return false
		}
		n := int(raw[0])<<24 | int(raw[1])<<16 | int(raw[2])<<8 | int(raw[3])
		raw = raw[4:]
		if n < 0 || n > len(raw) {
			return false
		}
		v := raw[:n]
		raw = raw[n:]
		if field == 0 {
			continue // the name
		}
		switch {
		case n == 0, v[0]&0x80 != 0: // zero, or negative
			return false
		case v[0] == 0 && (n == 1 || v[1]&0x80 == 0): // needless zero
			return false
		}
	}
	return len(raw) == 0
}
