// Package keyparse reads the ssh-keys and sshKeys values of Compute Engine
// metadata the way Google's guest agent reads them, line by line, without
// losing a byte: Format(Parse(v)) == v for every v.
//
// A metadata value holds one grant per line:
//
//	USERNAME:[OPTIONS ]KEYTYPE BASE64BLOB [COMMENT]
//
// where a COMMENT that starts with "google-ssh" carries a JSON object with
// the key's expiry, as gcloud and the Cloud Console write it:
//
//	alice:ssh-ed25519 AAAAC3Nz... google-ssh {"userName":"alice@example.com","expireOn":"2026-12-01T10:00:00+0000"}
//
// The package does no I/O and never reads the clock: callers pass now.
package keyparse
