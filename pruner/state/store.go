package state

import (
	"context"
	"errors"
)

// Errors of a Store.
var (
	// ErrNoState: the store holds no state yet (a first run).
	ErrNoState = errors.New("no state yet")
	// ErrConflict: the state changed since it was loaded; another
	// run wrote it.
	ErrConflict = errors.New("state changed since it was read")
)

// Store keeps the State between runs, as bytes (EncodeState). Only
// the pruner may write it: a key's age must not be up to whoever can add
// the key.
//
// A store never lets two runs overwrite each other: Save writes only if
// the stored state is still the one Load read.
type Store interface {
	// Load reads the state and a token of its version; an error that
	// wraps ErrNoState when there is none yet.
	Load(ctx context.Context) (data []byte, version string, err error)
	// Save writes data if the stored state is still at version ("" when
	// there was none), and returns the new version; else an error that
	// wraps ErrConflict, and nothing is written.
	Save(ctx context.Context, data []byte, version string) (string, error)
	// String says where the state lives, for messages.
	String() string
}
