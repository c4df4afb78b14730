package state

import (
	"context"
	"errors"
	"path/filepath"
	"testing"

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

func (m *memStore) Load(context.Context) ([]byte, string, error) {
	if m.loadErr != nil {
		return nil, "", m.loadErr
	}
	if m.data == nil {
		return nil, "", ErrNoState
	}
	return m.data, m.v(), nil
}

func (m *memStore) Save(_ context.Context, data []byte, version string) (string, error) {
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
	for _, tc := range []struct {
		name     string
		store    func() *memStore
		openErr  string
		badState bool
		firstRun bool
		saveErr  error
	}{
		{name: "first run: an empty state is made at once", store: func() *memStore { return &memStore{} }, firstRun: true},
		{name: "a state", store: func() *memStore {
			data, _ := EncodeState(State{Targets: map[string]map[string]Seen{"projects/p": {fpA: {First: stateNow, Last: stateNow}}}}, stateNow)
			return &memStore{data: data}
		}},
		{name: "not a state", store: func() *memStore { return &memStore{data: []byte("{}")} }, openErr: "state mem: kind", badState: true},
		{name: "the store fails", store: func() *memStore { return &memStore{loadErr: errors.New("boom")} }, openErr: "read state mem: boom"},
		{name: "no state, and none may be made", store: func() *memStore { return &memStore{save: errors.New("403")} }, openErr: "create state mem: 403"},
		{name: "another run saved since", store: func() *memStore { return &memStore{} }, firstRun: true, saveErr: ErrConflict},
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
			s.Seen.Record("projects/q", []string{fpB}, stateNow)
			if tc.saveErr != nil {
				// Another run saves between this run's Open and Save.
				m.beforeSave = func(m *memStore) { m.data, m.version = []byte("other"), m.version+1 }
			}
			keys, err := s.Save(ctx, stateNow)
			if tc.saveErr != nil {
				require.ErrorIs(t, err, tc.saveErr)
				require.Equal(t, "other", string(m.data), "the other run's state stands")
				return
			}
			require.NoError(t, err)
			got, err := DecodeState(m.data, stateNow)
			require.NoError(t, err)
			require.Equal(t, keys, got.Keys())
			require.Contains(t, got.Targets, "projects/q")
		})
	}
}

// TestSessionOnAFile: two sessions on one file, as two racing runs: the
// second to save is refused and the first one's state stands.
func TestSessionOnAFile(t *testing.T) {
	ctx := context.Background()
	f := File{Path: filepath.Join(t.TempDir(), "state.json")}
	a, err := Open(ctx, f, stateNow)
	require.NoError(t, err)
	b, err := Open(ctx, f, stateNow)
	require.NoError(t, err)
	require.True(t, a.FirstRun)
	require.False(t, b.FirstRun, "a made the state: b reads it")
	a.Seen.Record("projects/a", []string{fpA}, stateNow)
	b.Seen.Record("projects/b", []string{fpB}, stateNow)
	_, err = b.Save(ctx, stateNow)
	require.NoError(t, err)
	_, err = a.Save(ctx, stateNow)
	require.ErrorIs(t, err, ErrConflict)
	data, _, err := f.Load(ctx)
	require.NoError(t, err)
	st, err := DecodeState(data, stateNow)
	require.NoError(t, err)
	require.Contains(t, st.Targets, "projects/b")
	require.NotContains(t, st.Targets, "projects/a")
}
