package state

import (
	"context"
	"errors"
	"fmt"
	"sync/atomic"
	"time"
)

// Project is the memory of one project in a run: what its object held
// (Sightings), and the version read, which its write must meet.
type Project struct {
	*Sightings
	id, name, version string
	pending           atomic.Int64 // pieces of the project under way
	// healed: reading the object took times ahead of the clock as now;
	// it is written, so that the next run finds it right.
	healed bool
}

// Begin counts one more piece of the project under way: its own target,
// or one of its VMs.
func (p *Project) Begin() { p.pending.Add(1) }

// End says a piece is done; it tells whether it was the last, when the
// project's memory is complete and can be saved.
func (p *Project) End() bool { return p.pending.Add(-1) == 0 }

// Project reads the object of a project at the start of its handling.
// A project without one starts empty. An object that does not decode is
// a *BadStateError: the project is not handled, and its object is left
// as it is for a person to look at.
func (s *Session) Project(ctx context.Context, id string, now time.Time) (*Project, error) {
	sh, version, warnings, err := ReadProject(ctx, s.store, id, now)
	if err != nil {
		return nil, err
	}
	name, _ := ProjectObject(id)
	for _, w := range warnings {
		s.warn(s.store.String() + name + ": " + w)
	}
	p := &Project{Sightings: NewSightings(sh), id: id, name: name, version: version, healed: len(warnings) > 0}
	s.mu.Lock()
	if s.wall != nil {
		p.TrackWindows(s.wall)
	}
	s.mu.Unlock()
	return p, nil
}

// ReadProject reads what the state remembers of a project: an empty
// shard for a project it does not know, with version "".
func ReadProject(ctx context.Context, store Store, id string, now time.Time) (sh Shard, version string, warnings []string, err error) {
	name, err := ProjectObject(id)
	if err != nil {
		return sh, "", nil, err
	}
	lctx, cancel := context.WithTimeout(ctx, Timeout)
	defer cancel()
	data, version, err := store.Load(lctx, name)
	switch {
	case errors.Is(err, ErrNoState):
		return Shard{Project: id, Targets: map[string]Target{}}, "", nil, nil
	case err != nil:
		return sh, "", nil, fmt.Errorf("read state of project %s: %w", id, err)
	}
	if sh, warnings, err = DecodeShard(data, id, now); err != nil {
		return sh, "", nil, &BadStateError{Location: store.String() + name, Err: err}
	}
	return sh, version, warnings, nil
}

// Save writes a project's memory at the end of its handling, when it
// changed enough to (Sightings.Shard), over the version read; the write
// is let finish past an interruption. Another run's write since the read
// leaves that run's object as it is: this run's sightings of the project
// are not saved (they start later next time, never sooner), and Outcome
// names the project.
func (s *Session) Save(ctx context.Context, p *Project, now time.Time) error {
	sh, changed := p.Shard(p.id, now)
	changed = changed || p.healed
	s.mu.Lock()
	s.keys += sh.Keys()
	s.mu.Unlock()
	if !changed {
		return nil
	}
	data, err := EncodeShard(sh, time.Now())
	if err == nil {
		wctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), Timeout)
		_, err = s.store.Save(wctx, p.name, data, p.version)
		cancel()
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	switch {
	case errors.Is(err, ErrConflict):
		s.notSaved = append(s.notSaved, p.id)
	case err != nil:
		s.failed = append(s.failed, p.id)
		return fmt.Errorf("save state of project %s: %w", p.id, err)
	default:
		s.saved++
	}
	return err
}
