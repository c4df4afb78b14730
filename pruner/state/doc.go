// Package state is what ssh-pruner remembers from one run to the next:
// when it first and last saw each key (by fingerprint) on each target,
// and whether a run's removal limit holds the next runs; for runs that
// attribute keys (package attribution), when each read of a target
// started, the pruner's own writes of it, and who added each key, or
// until a run settles that, the key's window. It holds no key material. It is kept apart from the metadata on purpose: whoever can
// add a key to a project could write there that the key is old.
//
// The pieces, from the bytes up:
//   - store.go: Store, objects by name with a version token and a
//     compare-and-swap Save; Dir (dir.go) here, a Cloud Storage prefix
//     in package gcp.
//   - shard.go: a project's object (its target and its VMs); run.go: the
//     run object (format version, the run limit's Hold). Decoding refuses
//     anything that is not whole and right, with an error naming where.
//   - legacy.go, migrate.go: the single-object state of version 1, read
//     and split into projects' objects on first use.
//   - sightings.go: a project's memory during a run, safe for concurrent
//     use.
//   - session.go, project.go: one run's use of a state: the run object
//     read at the start, each project's object read when the project is
//     handled and written, if it changed, over the version read, once
//     its last target is done, so that two runs never overwrite each
//     other and a run holds only the projects under way.
package state
