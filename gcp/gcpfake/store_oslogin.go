package gcpfake

import (
	"maps"
	"slices"
	"strings"
)

// The OS Login users of the backend: the SSH public keys each has
// imported into their login profile. A user has no other state: the
// POSIX account is derived from the email (oslogin.go).

type osLoginUser struct {
	keys map[string]osLoginKey // by fingerprint
}

// osLoginKey is an SSH public key of a login profile.
type osLoginKey struct {
	key         string // "ssh-ed25519 AAAA... comment", as imported
	fingerprint string
	expireUsec  int64 // 0: never
}

// osLoginKeys returns a user's keys, by fingerprint; none for a user who
// has imported none.
func (b *backend) osLoginKeys(email string) []osLoginKey {
	b.mu.RLock()
	defer b.mu.RUnlock()
	u := b.osLogin[email]
	if u == nil {
		return nil
	}
	return slices.SortedFunc(maps.Values(u.keys), func(x, y osLoginKey) int {
		return strings.Compare(x.fingerprint, y.fingerprint)
	})
}

// importOSLoginKey adds a key to a user's profile, or replaces the expiry
// of the same key, as importSshPublicKey does.
func (b *backend) importOSLoginKey(email string, k osLoginKey) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.osLogin == nil {
		b.osLogin = map[string]*osLoginUser{}
	}
	u := b.osLogin[email]
	if u == nil {
		u = &osLoginUser{keys: map[string]osLoginKey{}}
		b.osLogin[email] = u
	}
	u.keys[k.fingerprint] = k
}
