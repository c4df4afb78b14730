// Package state is what ssh-pruner remembers from one run to the next:
// when it first and last saw each key (by fingerprint) on each target. It
// holds no key material. It is kept apart from the metadata on purpose:
// whoever can add a key to a project could write there that the key is
// old.
//
// The pieces, from the bytes up:
//   - codec.go: the versioned file format; DecodeState refuses anything
//     that is not whole and right, with an error naming where.
//   - store.go: Store, the bytes and a version token, with a
//     compare-and-swap Save; File (file.go) here, a Cloud Storage object
//     in package gcp.
//   - sightings.go: a run's memory, safe for concurrent use.
//   - session.go: one run's use of a state: Open at the start, Save at
//     the end over the version Open read, so that two runs never
//     overwrite each other.
package state
