package state

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// Timeout bounds the read of the state at the start of a run and its
// write at the end; the write is let finish after an interruption, within
// the pod's three minutes of grace (deploy/).
const Timeout = 60 * time.Second

// BadStateError is a state that is not whole and right: a person must
// look at it; the run stops before anything is written.
type BadStateError struct {
	Location string
	Err      error
}

func (e *BadStateError) Error() string { return fmt.Sprintf("state %s: %v", e.Location, e.Err) }
func (e *BadStateError) Unwrap() error { return e.Err }

// Session is one run's use of a state: the version it read, and the
// run's memory, which Save writes back only over that version.
type Session struct {
	store   Store
	version string
	// Seen is the run's memory of first-seen times.
	Seen *Sightings
	// FirstRun tells that the store held no state: every key's clock
	// starts in this run.
	FirstRun bool
}

// Open reads the state at the start of a run. A state that does not
// decode gives a *BadStateError; a store that fails, its error. With no
// state yet, it writes an empty one at once rather than at the end: a
// bucket that does not exist or a write that is not allowed stops the
// run before it writes metadata, instead of every run passing for a
// first one.
func Open(ctx context.Context, store Store, now time.Time) (*Session, error) {
	ctx, cancel := context.WithTimeout(ctx, Timeout)
	defer cancel()
	s := &Session{store: store}
	data, version, err := store.Load(ctx)
	var st State
	switch {
	case errors.Is(err, ErrNoState):
		empty, err := EncodeState(st, now)
		if err == nil {
			version, err = store.Save(ctx, empty, "")
		}
		if err != nil {
			return nil, fmt.Errorf("create state %s: %w", store, err)
		}
		s.FirstRun = true
	case err != nil:
		return nil, fmt.Errorf("read state %s: %w", store, err)
	default:
		if st, err = DecodeState(data, now); err != nil {
			return nil, &BadStateError{Location: store.String(), Err: err}
		}
	}
	s.version = version
	s.Seen = NewSightings(st)
	return s, nil
}

// Location says where the state lives.
func (s *Session) Location() string { return s.store.String() }

// Save writes the run's memory as of now, an interrupted run's too: the
// write is let finish past ctx's cancellation. It returns how many keys
// the state remembers. A state another run wrote since Open is left as
// it is, with an error that wraps ErrConflict.
func (s *Session) Save(ctx context.Context, now time.Time) (keys int, err error) {
	st := s.Seen.State(now)
	data, err := EncodeState(st, now)
	if err != nil {
		return st.Keys(), err
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), Timeout)
	defer cancel()
	version, err := s.store.Save(ctx, data, s.version)
	if err != nil {
		return st.Keys(), err
	}
	s.version = version
	return st.Keys(), nil
}
