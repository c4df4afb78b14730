package keyparse

import "strings"

// fields fills Options, KeyType, Blob and Comment from the key part as
// written, splitting the way ssh.ParseAuthorizedKey does (spaces and tabs;
// options up to the first unquoted blank). It is used for display and to
// explain a rejection; the verdict comes from parseAuthorizedKey, which
// reads as ssh.ParseAuthorizedKey does.
//
// Like ParseAuthorizedKey, it reads the first field as the key type, and
// as options only when that reading cannot be right: the first field is
// not a key type, and what follows the options is one (restrict,pty
// ssh-rsa ...) or the second field is not base64 (restrict ssh-foo ...).
// So "ssh-foo AAAA..." and "usera:ssh-rsa AAAA..." keep their first field
// as the type, which diagnose then reports as unknown.
func fields(l *Line, key string) {
	s := trimBlank(strings.TrimSuffix(strings.Trim(key, " "), "\r"))
	typ, rest := cutBlank(s)
	if !knownType(typ) {
		if opts, after, ok := cutOptions(s); ok {
			typ2, rest2 := cutBlank(after)
			if blob, _ := cutBlank(rest); knownType(typ2) || !base64Text(blob) {
				l.Options, typ, rest = opts, typ2, rest2
			}
		}
	}
	l.KeyType = typ
	l.Blob, rest = cutBlank(rest)
	l.Comment = trimBlank(rest)
}

// base64Text tells whether s is made only of standard base64 characters.
func base64Text(s string) bool {
	for i := 0; i < len(s); i++ {
		switch b := s[i]; {
		case 'A' <= b && b <= 'Z', 'a' <= b && b <= 'z', '0' <= b && b <= '9', b == '+', b == '/', b == '=':
		default:
			return false
		}
	}
	return s != ""
}

func trimBlank(s string) string { return strings.Trim(s, " \t") }

// cutBlank returns the text before the first space or tab, and the rest
// without its leading blanks.
func cutBlank(s string) (field, rest string) {
	i := strings.IndexAny(s, " \t")
	if i < 0 {
		return s, ""
	}
	return s[:i], strings.TrimLeft(s[i:], " \t")
}

// cutOptions returns the options field: everything up to the first space
// or tab outside double quotes (a quote escaped with '\' does not count).
func cutOptions(s string) (opts, rest string, ok bool) {
	inQuote := false
	for i := 0; i < len(s); i++ {
		switch b := s[i]; {
		case !inQuote && (b == ' ' || b == '\t'):
			return s[:i], strings.TrimLeft(s[i:], " \t"), true
		case b == '"' && (i == 0 || s[i-1] != '\\'):
			inQuote = !inQuote
		}
	}
	return "", "", false
}

// keyTypes are the key types x/crypto/ssh reads, certificates included.
var keyTypes = map[string]bool{
	"ssh-rsa":                                     true,
	"ssh-dss":                                     true,
	"ecdsa-sha2-nistp256":                         true,
	"ecdsa-sha2-nistp384":                         true,
	"ecdsa-sha2-nistp521":                         true,
	"sk-ecdsa-sha2-nistp256@openssh.com":          true,
	"ssh-ed25519":                                 true,
	"sk-ssh-ed25519@openssh.com":                  true,
	"ssh-rsa-cert-v01@openssh.com":                true,
	"ssh-dss-cert-v01@openssh.com":                true,
	"ecdsa-sha2-nistp256-cert-v01@openssh.com":    true,
	"ecdsa-sha2-nistp384-cert-v01@openssh.com":    true,
	"ecdsa-sha2-nistp521-cert-v01@openssh.com":    true,
	"sk-ecdsa-sha2-nistp256-cert-v01@openssh.com": true,
	"ssh-ed25519-cert-v01@openssh.com":            true,
	"sk-ssh-ed25519-cert-v01@openssh.com":         true,
}

func knownType(t string) bool { return keyTypes[t] }
