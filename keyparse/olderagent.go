package keyparse

import "strings"

// OlderAgentNeverExpires tells whether the guest agent of releases
// 20230221.00 up to 20231009.00 (GoogleCloudPlatform/guest-agent
// utils/main.go CheckExpiredKey, before "Add support for the SSH key
// options" made it read keys with x/crypto) installs the line as a key
// that never expires. Parse reads lines as the newer agents do; VMs built
// in 2023 keep that older agent until someone updates it, so the access
// answer must count such a line as open for good, while the plan keeps
// Parse's stricter reading and removes or expires the line.
//
// That agent did not parse the key. It trimmed spaces, split the key part
// at single spaces into at most four fields, and took the line for an
// expiring key only when the third field was exactly "google-ssh"; any
// other line never expired. So a line Parse calls expiring, expired or
// invalid (google-ssh-missing-json, google-ssh-bad-json, bad-expireOn)
// never expires there when its comment starts with "google-ssh" but its
// first word is not that token (google-sshfoo, google-ssh{...},
// google-ssh and a tab, google-ssh and the "\r" of a CRLF ending), when
// two spaces or a tab separate the fields, or when options come before
// the key type.
//
// It answers true only for a line whose user Parse accepts and whose key
// x/crypto reads: that agent wrote any key part into authorized_keys, but
// sshd takes only a key it can read, and useradd only a user it can make.
func OlderAgentNeverExpires(l Line) bool {
	switch l.Invalid {
	case "", ReasonGoogleSSHNoJSON, ReasonGoogleSSHBadJSON, ReasonBadExpireOn:
	default:
		return false
	}
	// The agent splits the value at "\n" only: a "\r" of a "\r\n" line
	// ending stays at the end of the line it reads.
	raw := l.Text
	if l.EOL == "\r\n" {
		raw += "\r"
	}
	// GetUserKey: trim spaces, cut at the first ':'; CheckExpiredKey:
	// trim spaces again, then strings.SplitN(key, " ", 4).
	_, key, ok := strings.Cut(strings.Trim(raw, " "), ":")
	if !ok {
		return false
	}
	fields := strings.SplitN(strings.Trim(key, " "), " ", 4)
	return len(fields) < 3 || fields[2] != "google-ssh"
}
