// Package attribution says which Google principal wrote an SSH key into
// metadata, from the metadata writes that Compute Engine's Admin Activity
// audit log records. Google redacts the values of those writes, so a log
// entry tells who wrote the key items (ssh-keys, sshKeys) of a target and
// when, never which key: a key is attributed by time. The run that first
// sees a key knows when it last read the target without it (After) and
// when it read it with it (Until); the principals that wrote the key items
// of that target in between are the candidates.
//
//   - window: one candidate. It wrote the key.
//   - only-writer: on a first run (no earlier read), the only principal
//     that wrote the key items of the target in the lookback. Weaker: the
//     key may be older than the lookback, and that writer's write may
//     have touched another key.
//   - ambiguous: several candidates; each may have written it.
//   - unknown: no candidate, or no window (Why says which).
//   - pending: the logs read may not hold the end of the window yet; a
//     later run attributes the key.
//
// The package is pure: it decides from writes handed to it, and knows
// nothing of how they were read.
package attribution
