package state

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"sync"
	"time"
)

// Timeout bounds one read or write of a state object; a write is let
// finish after an interruption, within the pod's three minutes of grace
// (deploy/).
const Timeout = 60 * time.Second

// BadStateError is a state object that is not whole and right: a person
// must look at it. A bad run object stops the run before anything is
// written; a bad project object stops that project.
type BadStateError struct {
	Location string
	Err      error
}

func (e *BadStateError) Error() string { return fmt.Sprintf("state %s: %v", e.Location, e.Err) }
func (e *BadStateError) Unwrap() error { return e.Err }

// Session is one run's use of a state: the run object read at the start,
// and each project's object read when the project is handled and written,
// over the version read, when it changed. Safe for concurrent use.
type Session struct {
	store      Store
	runVersion string
	run        runFile
	// FirstRun tells that the store held no state: every key's clock
	// starts in this run.
	FirstRun bool
	// Migrated counts the projects taken from a single-object state of
	// version 1 by this run.
	Migrated int

	mu       sync.Mutex
	warnings []string
	saved    int
	notSaved []string // projects whose object another run wrote meanwhile
	failed   []string // projects whose object could not be written
	keys     int
	wall     func() time.Time // set by TrackWindows
}

// TrackWindows makes the projects read from now on note the window of
// each key new to a target (Sightings.TrackWindows): a run that
// attributes keys needs it, and a run that does not keeps no windows.
func (s *Session) TrackWindows(wall func() time.Time) {
	s.mu.Lock()
	s.wall = wall
	s.mu.Unlock()
}

// Open reads the run object at the start of a run. With no state yet it
// writes one at once rather than at the end, so that a bucket that does
// not exist or a write that is not allowed stops the run before it writes
// metadata; a single-object state of version 1 found beside it
// (LegacyObject) is split into projects' objects first. A run object that
// does not decode gives a *BadStateError.
func Open(ctx context.Context, store Store, now time.Time) (*Session, error) {
	s := &Session{store: store}
	if d, ok := store.(interface{ setWarn(func(string)) }); ok {
		d.setWarn(s.warn)
	}
	lctx, cancel := context.WithTimeout(ctx, Timeout)
	defer cancel()
	data, version, err := store.Load(lctx, RunObject)
	switch {
	case errors.Is(err, ErrNoState):
		return s, s.create(ctx, now)
	case err != nil:
		return nil, fmt.Errorf("read state %s: %w", store, err)
	}
	if s.run, err = decodeRun(data, now); err != nil {
		return nil, &BadStateError{Location: store.String() + RunObject, Err: err}
	}
	s.runVersion = version
	return s, nil
}

// create makes the state: the projects' objects of a legacy state if
// there is one, then the run object.
func (s *Session) create(ctx context.Context, now time.Time) error {
	migrated, err := migrate(ctx, s.store, now, s.warn)
	if err != nil {
		return err
	}
	s.FirstRun = migrated == nil
	if migrated != nil {
		s.Migrated = migrated.projects
		s.run.MigratedFrom = s.store.String() + LegacyObject
	}
	return s.writeRun(ctx, now)
}

// writeRun writes the run object over the version read.
func (s *Session) writeRun(ctx context.Context, now time.Time) error {
	data, err := encodeRun(s.run, time.Now())
	if err != nil {
		return err
	}
	wctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), Timeout)
	defer cancel()
	v, err := s.store.Save(wctx, RunObject, data, s.runVersion)
	if err != nil {
		if s.runVersion == "" {
			return fmt.Errorf("create state %s: %w", s.store, err)
		}
		return fmt.Errorf("save state %s: %w", s.store, err)
	}
	s.runVersion = v
	return nil
}

// Run is what the run object says: when it was written, what it was
// migrated from, and the hold.
type Run struct {
	Written      time.Time
	MigratedFrom string
	Hold         *Hold
}

// ReadRun reads the run object, for a person (ssh-pruner state show):
// nothing is made or migrated. ErrNoState when there is none.
func ReadRun(ctx context.Context, store Store, now time.Time) (Run, error) {
	lctx, cancel := context.WithTimeout(ctx, Timeout)
	defer cancel()
	data, _, err := store.Load(lctx, RunObject)
	if err != nil {
		return Run{}, err
	}
	f, err := decodeRun(data, now)
	if err != nil {
		return Run{}, &BadStateError{Location: store.String() + RunObject, Err: err}
	}
	return Run{Written: time.Unix(f.Written, 0).UTC(), MigratedFrom: f.MigratedFrom, Hold: f.Hold}, nil
}

// Location says where the state lives.
func (s *Session) Location() string { return s.store.String() }

// Hold is the hold a run left, nil when runs may write.
func (s *Session) Hold() *Hold { return s.run.Hold }

// SetHold records that the run stopped at its removal limit. It fails
// with an error that wraps ErrConflict when another run changed the run
// object since it was read.
func (s *Session) SetHold(ctx context.Context, h Hold) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.run.Hold = &h
	return s.writeRun(ctx, h.Since)
}

// Release lifts a hold: runs write again. It says whether there was one.
func Release(ctx context.Context, store Store, now time.Time) (*Hold, error) {
	s, err := Open(ctx, store, now)
	if err != nil {
		return nil, err
	}
	h := s.run.Hold
	if h == nil {
		return nil, nil
	}
	s.run.Hold = nil
	return h, s.writeRun(ctx, now)
}

func (s *Session) warn(w string) {
	s.mu.Lock()
	s.warnings = append(s.warnings, w)
	s.mu.Unlock()
}

// Warnings gives, once, what the state met that needed no person: times
// ahead of the clock, a lock left by a killed run.
func (s *Session) Warnings() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	w := s.warnings
	s.warnings = nil
	return w
}

// Outcome is what a run did with the projects' objects.
type Outcome struct {
	Saved    int      // objects written
	NotSaved []string // projects whose object another run wrote since it was read
	Failed   []string // projects whose object could not be written
	Keys     int      // keys in the objects the run handled
}

// Outcome says what became of the projects' objects so far.
func (s *Session) Outcome() Outcome {
	s.mu.Lock()
	defer s.mu.Unlock()
	return Outcome{Saved: s.saved, NotSaved: slices.Sorted(slices.Values(s.notSaved)), Failed: slices.Sorted(slices.Values(s.failed)), Keys: s.keys}
}

func marshalLine(v any) ([]byte, error) {
	data, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	return append(data, '\n'), nil
}
