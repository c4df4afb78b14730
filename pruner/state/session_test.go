package state

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// memStore is a Store in memory whose Load and Save can be made to fail.
type memStore struct {
	data          []byte
	version       int
	loadErr, save error
	saves         int
	beforeSave    func(*memStore)
}

func (m *memStore) String() string { return "mem" }

func (m *memStore) Load(_ context.Context, name string) ([]byte, string, error) {
	if name != RunObject {
		return nil, "", ErrNoState
	}
	if m.loadErr != nil {
		return nil, "", m.loadErr
	}
	if m.data == nil {
		return nil, "", ErrNoState
	}
	return m.data, m.v(), nil
}

func (m *memStore) Save(_ context.Context, name string, data []byte, version string) (string, error) {
	if name != RunObject {
		return "", errors.New("memStore holds the run object only")
	}
	if m.beforeSave != nil {
		f := m.beforeSave
		m.beforeSave = nil
		f(m)
	}
	if m.save != nil {
		return "", m.save
	}
	cur := ""
	if m.data != nil {
		cur = m.v()
	}
	if cur != version {
		return "", ErrConflict
	}
	m.data, m.version, m.saves = data, m.version+1, m.saves+1
	return m.v(), nil
}

func (m *memStore) v() string { return string(rune('a' + m.version)) }

func TestSession(t *testing.T) {
	ctx := context.Background()
	runObject := func(f runFile) []byte {
		data, err := encodeRun(f, stateNow)
		require.NoError(t, err)
		return data
	}
	for _, tc := range []struct {
		name     string
		store    func() *memStore
		openErr  string
		badState bool
		firstRun bool
		hold     bool
	}{
		{name: "first run: the run object is made at once", store: func() *memStore { return &memStore{} }, firstRun: true},
		{name: "a state", store: func() *memStore { return &memStore{data: runObject(runFile{})} }},
		{name: "a held state", store: func() *memStore {
			return &memStore{data: runObject(runFile{Hold: &Hold{Since: stateNow, RunID: "r1", Limit: 8, Held: 3}})}
		}, hold: true},
		{name: "not a state", store: func() *memStore { return &memStore{data: []byte("{}")} }, openErr: "state memrun.json: kind", badState: true},
		{name: "written in the future", store: func() *memStore {
			data, _ := encodeRun(runFile{}, time.Now().Add(48*time.Hour))
			return &memStore{data: data}
		}, openErr: "in the future", badState: true},
		{name: "a field twice", store: func() *memStore {
			return &memStore{data: []byte(`{"kind":"ssh-pruner-state","version":2,"written":1,"written":2}`)}
		}, openErr: `"written" twice`, badState: true},
		{name: "a legacy state under the run object's name", store: func() *memStore {
			data, _ := EncodeState(State{Targets: map[string]map[string]Seen{}}, stateNow)
			return &memStore{data: data}
		}, openErr: "move it to state.json beside it", badState: true},
		{name: "the store fails", store: func() *memStore { return &memStore{loadErr: errors.New("boom")} }, openErr: "read state mem: boom"},
		{name: "no state, and none may be made", store: func() *memStore { return &memStore{save: errors.New("403")} }, openErr: "create state mem: 403"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m := tc.store()
			s, err := Open(ctx, m, stateNow)
			if tc.openErr != "" {
				require.ErrorContains(t, err, tc.openErr)
				var bad *BadStateError
				require.Equal(t, tc.badState, errors.As(err, &bad))
				return
			}
			require.NoError(t, err)
			require.Equal(t, tc.firstRun, s.FirstRun)
			if tc.firstRun {
				require.Equal(t, 1, m.saves, "made at once, before any metadata is written")
			}
			require.Equal(t, tc.hold, s.Hold() != nil)
		})
	}
}

// TestHoldAndRelease: a hold set by a run is read by the next, and
// released by a person; a release with no hold says so.
func TestHoldAndRelease(t *testing.T) {
	ctx := context.Background()
	d := &Dir{Path: t.TempDir()}
	s, err := Open(ctx, d, stateNow)
	require.NoError(t, err)
	require.Nil(t, s.Hold())
	h := Hold{Since: stateNow, RunID: "run-1", Limit: 8, Held: 4}
	require.NoError(t, s.SetHold(ctx, h))

	next, err := Open(ctx, d, stateNow.Add(time.Hour))
	require.NoError(t, err)
	require.Equal(t, &h, next.Hold())
	require.Contains(t, h.String(), "run run-1 stopped at its limit of 8 removals")

	released, err := Release(ctx, d, stateNow.Add(2*time.Hour))
	require.NoError(t, err)
	require.Equal(t, &h, released)
	after, err := Open(ctx, d, stateNow.Add(3*time.Hour))
	require.NoError(t, err)
	require.Nil(t, after.Hold())
	released, err = Release(ctx, d, stateNow.Add(3*time.Hour))
	require.NoError(t, err)
	require.Nil(t, released)
}

// TestProjectsOfTwoRuns: two runs on one directory read a project's
// object, and both would save it: the second is refused, its sightings of
// the project are not saved, and the first run's object stands. Runs over
// different projects never meet.
func TestProjectsOfTwoRuns(t *testing.T) {
	ctx := context.Background()
	d := &Dir{Path: t.TempDir()}
	a, err := Open(ctx, d, stateNow)
	require.NoError(t, err)
	b, err := Open(ctx, d, stateNow)
	require.NoError(t, err)
	require.True(t, a.FirstRun)
	require.False(t, b.FirstRun, "a made the state: b reads it")

	pa, err := a.Project(ctx, "p", stateNow)
	require.NoError(t, err)
	pb, err := b.Project(ctx, "p", stateNow)
	require.NoError(t, err)
	qa, err := a.Project(ctx, "q", stateNow)
	require.NoError(t, err)
	pa.Record("projects/p", []string{fpA}, stateNow)
	pb.Record("projects/p", []string{fpB}, stateNow)
	qa.Record("projects/q", []string{fpC}, stateNow)
	require.NoError(t, b.Save(ctx, pb, stateNow))
	require.ErrorIs(t, a.Save(ctx, pa, stateNow), ErrConflict)
	require.NoError(t, a.Save(ctx, qa, stateNow))
	require.Equal(t, Outcome{Saved: 1, NotSaved: []string{"p"}, Keys: 2}, a.Outcome())
	require.Equal(t, Outcome{Saved: 1, Keys: 1}, b.Outcome())

	sh, _, _, err := ReadProject(ctx, d, "p", stateNow)
	require.NoError(t, err)
	require.Contains(t, sh.Targets["projects/p"].Keys, fpB, "the first to save stands")
	require.NotContains(t, sh.Targets["projects/p"].Keys, fpA)

	// An hour later, with the same keys: nothing to write.
	c, err := Open(ctx, d, stateNow.Add(time.Hour))
	require.NoError(t, err)
	pc, err := c.Project(ctx, "p", stateNow.Add(time.Hour))
	require.NoError(t, err)
	pc.Record("projects/p", []string{fpB}, stateNow.Add(time.Hour))
	require.NoError(t, c.Save(ctx, pc, stateNow.Add(time.Hour)))
	require.Equal(t, Outcome{Keys: 1}, c.Outcome())
}

// TestBadProjectObject: a project's object that is not whole and right
// is a *BadStateError naming it; the others are read.
func TestBadProjectObject(t *testing.T) {
	ctx := context.Background()
	d := &Dir{Path: t.TempDir()}
	s, err := Open(ctx, d, stateNow)
	require.NoError(t, err)
	_, err = d.Save(ctx, "projects/p.json", []byte(`{"kind":"ssh-pruner-project-state","version":2,"project":"p","written":1,"targets":{},"targets":{}}`), "")
	require.NoError(t, err)
	_, err = s.Project(ctx, "p", stateNow)
	var bad *BadStateError
	require.ErrorAs(t, err, &bad)
	require.Contains(t, err.Error(), "projects/p.json")
	require.Contains(t, err.Error(), `"targets" twice`)
	_, err = s.Project(ctx, "q", stateNow)
	require.NoError(t, err)
	_, err = s.Project(ctx, "../q", stateNow)
	require.ErrorContains(t, err, "not one a state names")
}
