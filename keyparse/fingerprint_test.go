package keyparse

import (
	"crypto/ecdh"
	"crypto/ed25519"
	"encoding/base64"
	"encoding/binary"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestFingerprintMatchesSSHKeygen makes a key of every type ssh-keygen can
// make here, and a certificate of each, and checks that each parses as a
// valid line whose Fingerprint is what ssh-keygen -l -E sha256 prints.
// Security keys (ed25519-sk, ecdsa-sk) need an authenticator to generate,
// so their public lines are built by hand; ssh-keygen still reads them and
// signs certificates for them.
func TestFingerprintMatchesSSHKeygen(t *testing.T) {
	if _, err := exec.LookPath("ssh-keygen"); err != nil {
		t.Skip("ssh-keygen not found: fingerprints not compared")
	}
	dir := t.TempDir()
	keygen(t, "-q", "-t", "ed25519", "-N", "", "-C", "ca", "-f", filepath.Join(dir, "ca"))

	tests := []struct {
		name    string
		args    []string // for ssh-keygen -t; nil for a hand-made key
		keyType string
	}{
		{"rsa-2048", []string{"rsa", "-b", "2048"}, "ssh-rsa"},
		{"rsa-3072", []string{"rsa", "-b", "3072"}, "ssh-rsa"},
		{"dsa", []string{"dsa"}, "ssh-dss"},
		{"ecdsa-256", []string{"ecdsa", "-b", "256"}, "ecdsa-sha2-nistp256"},
		{"ecdsa-384", []string{"ecdsa", "-b", "384"}, "ecdsa-sha2-nistp384"},
		{"ecdsa-521", []string{"ecdsa", "-b", "521"}, "ecdsa-sha2-nistp521"},
		{"ed25519", []string{"ed25519"}, "ssh-ed25519"},
		{"ed25519-sk", nil, "sk-ssh-ed25519@openssh.com"},
		{"ecdsa-sk", nil, "sk-ecdsa-sha2-nistp256@openssh.com"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			pub := filepath.Join(dir, tc.name+".pub")
			if tc.args == nil {
				require.NoError(t, os.WriteFile(pub, []byte(skPublicKey(t, tc.keyType)+"\n"), 0o600))
			} else {
				args := append([]string{"-q", "-N", "", "-C", tc.name + "@example.com", "-f", filepath.Join(dir, tc.name), "-t"}, tc.args...)
				if out, err := exec.Command("ssh-keygen", args...).CombinedOutput(); err != nil {
					t.Skipf("this ssh-keygen cannot make %s keys: %v: %s", tc.name, err, out)
				}
			}
			requireKeygenFingerprint(t, pub, tc.keyType)

			t.Run("user certificate", func(t *testing.T) {
				keygen(t, "-q", "-s", filepath.Join(dir, "ca"), "-I", tc.name, "-n", "alice", "-V", "+52w", pub)
				cert := strings.TrimSuffix(pub, ".pub") + "-cert.pub"
				requireKeygenFingerprint(t, cert, certType(tc.keyType))
			})
		})
	}

	t.Run("host certificate", func(t *testing.T) {
		key := filepath.Join(dir, "host")
		keygen(t, "-q", "-t", "ecdsa", "-N", "", "-f", key)
		keygen(t, "-q", "-s", filepath.Join(dir, "ca"), "-h", "-I", "host", "-n", "vm.example.com", key+".pub")
		requireKeygenFingerprint(t, key+"-cert.pub", "ecdsa-sha2-nistp256-cert-v01@openssh.com")
	})
}

// requireKeygenFingerprint reads the public key file as a metadata line,
// with and without a google-ssh comment, and compares its fingerprint
// with ssh-keygen's.
func requireKeygenFingerprint(t *testing.T, file, keyType string) {
	t.Helper()
	content, err := os.ReadFile(file)
	require.NoError(t, err)
	out := keygen(t, "-l", "-E", "sha256", "-f", file)
	want := strings.Fields(out)[1]
	require.True(t, strings.HasPrefix(want, "SHA256:"), "ssh-keygen printed %q", out)

	key := strings.TrimSpace(string(content))
	fields := strings.Fields(key)
	for _, line := range []string{
		"alice:" + key,
		"alice:" + strings.Join(fields[:2], " ") + " " + gcloud("2095-04-23T12:34:56+0000"),
	} {
		l := ParseLine(line)
		require.Equal(t, Reason(""), l.Invalid, "line %q", line)
		require.Equal(t, keyType, l.KeyType)
		require.Equal(t, want, l.Fingerprint, "line %q", line)
	}
}

func keygen(t *testing.T, args ...string) string {
	t.Helper()
	out, err := exec.Command("ssh-keygen", args...).CombinedOutput()
	require.NoError(t, err, "ssh-keygen %s: %s", strings.Join(args, " "), out)
	return string(out)
}

// certType is the certificate type of a key type:
// ssh-ed25519 -> ssh-ed25519-cert-v01@openssh.com.
func certType(keyType string) string {
	return strings.TrimSuffix(keyType, "@openssh.com") + "-cert-v01@openssh.com"
}

// skPublicKey builds the public line of a FIDO security key, which only
// an authenticator can generate: the key type, the public key, and the
// application, "ssh:" as ssh-keygen writes it (PROTOCOL.u2f).
func skPublicKey(t *testing.T, keyType string) string {
	t.Helper()
	var blob []byte
	str := func(s []byte) {
		blob = binary.BigEndian.AppendUint32(blob, uint32(len(s)))
		blob = append(blob, s...)
	}
	str([]byte(keyType))
	switch keyType {
	case "sk-ssh-ed25519@openssh.com":
		str(ed25519.NewKeyFromSeed(make([]byte, ed25519.SeedSize)).Public().(ed25519.PublicKey))
	case "sk-ecdsa-sha2-nistp256@openssh.com":
		scalar := make([]byte, 32)
		scalar[31] = 7
		priv, err := ecdh.P256().NewPrivateKey(scalar)
		require.NoError(t, err)
		str([]byte("nistp256"))
		str(priv.PublicKey().Bytes())
	default:
		t.Fatalf("no security key type %s", keyType)
	}
	str([]byte("ssh:"))
	return keyType + " " + base64.StdEncoding.EncodeToString(blob) + " " + keyType + "-by-hand"
}

// TestFingerprintNonMinimalRSA: an RSA blob whose modulus has a needless
// leading zero still reads (in x/crypto and in OpenSSH), and its
// fingerprint is that of the key, not of the bytes as written.
func TestFingerprintNonMinimalRSA(t *testing.T) {
	raw, err := base64.StdEncoding.DecodeString(rsaBlob)
	require.NoError(t, err)
	name := 4 + int(binary.BigEndian.Uint32(raw))
	e := 4 + int(binary.BigEndian.Uint32(raw[name:]))
	n := raw[name+e+4:]
	padded := append([]byte{}, raw[:name+e]...)
	padded = binary.BigEndian.AppendUint32(padded, uint32(len(n)+1))
	padded = append(append(padded, 0), n...)
	require.False(t, minimalRSA(padded))
	require.True(t, minimalRSA(raw))

	want := ParseLine("alice:" + rsaKey).Fingerprint
	l := ParseLine("alice:ssh-rsa " + base64.StdEncoding.EncodeToString(padded))
	require.Equal(t, Reason(""), l.Invalid)
	require.Equal(t, want, l.Fingerprint)
	require.Equal(t, "SHA256:V4ObOnLCAFHHoL5V095kJTb1V1jsLEjGgVPbK5irnpw", want) // ssh-keygen -l
}

func TestIsFingerprint(t *testing.T) {
	for _, tc := range []struct {
		s    string
		want bool
	}{
		{"SHA256:xJg7Cd8xUiZLoj+2GCdenEMV4HakoEK/7zSmwVQ8AMY", true},
		{"SHA256:xJg7Cd8xUiZLoj+2GCdenEMV4HakoEK/7zSmwVQ8AM", false},   // 42
		{"SHA256:xJg7Cd8xUiZLoj+2GCdenEMV4HakoEK/7zSmwVQ8AMY=", false}, // padded
		{"sha256:xJg7Cd8xUiZLoj+2GCdenEMV4HakoEK/7zSmwVQ8AMY", false},
		{"MD5:aa", false},
		{"SHA256:xJg7Cd8xUiZLoj+2GCdenEMV4HakoEK/7zSmwVQ8AM\x1b", false},
		{"", false},
	} {
		require.Equal(t, tc.want, IsFingerprint(tc.s), "%q", tc.s)
	}
	l := ParseLine("alice:ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOnSpiLgtrZ8YjS2DBrU3MZJcJSZh3jzuJy4ThKpYz2q")
	require.True(t, IsFingerprint(l.Fingerprint), "what Parse gives passes")
}
