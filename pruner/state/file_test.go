package state

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestFileState: the local file's version is its content; a save at a
// version that is no longer the file's, or while another run holds the
// lock, writes nothing.
func TestFileState(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "state.json")
	s := File{Path: path}
	_, _, err := s.Load(ctx)
	require.ErrorIs(t, err, ErrNoState)

	v1, err := s.Save(ctx, []byte("one"), "")
	require.NoError(t, err)
	data, v, err := s.Load(ctx)
	require.NoError(t, err)
	require.Equal(t, "one", string(data))
	require.Equal(t, v1, v)
	_, err = s.Save(ctx, []byte("two"), "")
	require.ErrorIs(t, err, ErrConflict, "created since this run found none")

	// Another run saved since v1 was read.
	v2, err := s.Save(ctx, []byte("two"), v1)
	require.NoError(t, err)
	_, err = s.Save(ctx, []byte("three"), v1)
	require.ErrorIs(t, err, ErrConflict)

	// A lock left behind: refused, said so, nothing written.
	require.NoError(t, os.WriteFile(path+".lock", nil, 0o600))
	_, err = s.Save(ctx, []byte("four"), v2)
	require.ErrorContains(t, err, path+".lock exists")
	require.NotErrorIs(t, err, ErrConflict)
	data, _, err = s.Load(ctx)
	require.NoError(t, err)
	require.Equal(t, "two", string(data))
	require.NoError(t, os.Remove(path+".lock"))
	_, err = s.Save(ctx, []byte("four"), v2)
	require.NoError(t, err)
	require.NoFileExists(t, path+".lock", "the lock goes with the save")
}
