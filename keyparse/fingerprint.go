package keyparse

import "strings"

// IsFingerprint tells whether s is a fingerprint as Line.Fingerprint
// holds it, and as ssh-keygen -l prints it: "SHA256:" and 43 characters
// of unpadded base64. Files that name keys (a policy, a plan, the state)
// are checked with it, so that they name keys only as this package does.
func IsFingerprint(s string) bool {
	b64, ok := strings.CutPrefix(s, "SHA256:")
	if !ok || len(b64) != 43 {
		return false
	}
	for _, c := range b64 {
		if !('A' <= c && c <= 'Z' || 'a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '+' || c == '/') {
			return false
		}
	}
	return true
}
