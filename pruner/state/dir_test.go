package state

import (
	"context"
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// TestDir: a file's version is its content; a save at a version that is no
// longer the file's writes nothing.
func TestDir(t *testing.T) {
	ctx := context.Background()
	d := &Dir{Path: filepath.Join(t.TempDir(), "state")}
	const name = "projects/p.json"
	_, _, err := d.Load(ctx, name)
	require.ErrorIs(t, err, ErrNoState)

	v1, err := d.Save(ctx, name, []byte("one"), "")
	require.NoError(t, err)
	data, v, err := d.Load(ctx, name)
	require.NoError(t, err)
	require.Equal(t, "one", string(data))
	require.Equal(t, v1, v)
	_, err = d.Save(ctx, name, []byte("two"), "")
	require.ErrorIs(t, err, ErrConflict, "created since this run found none")

	// Another run saved since v1 was read.
	_, err = d.Save(ctx, name, []byte("two"), v1)
	require.NoError(t, err)
	_, err = d.Save(ctx, name, []byte("three"), v1)
	require.ErrorIs(t, err, ErrConflict)
	data, _, err = d.Load(ctx, name)
	require.NoError(t, err)
	require.Equal(t, "two", string(data))
	fi, err := os.Stat(filepath.Join(d.Path, name))
	require.NoError(t, err)
	require.Equal(t, os.FileMode(0o600), fi.Mode().Perm(), "the state is the pruner's alone")
}

// TestDirLock: while another holder has the lock a save waits, up to its
// deadline, naming the holder; a lock file left with a holder in it (a
// run killed while it saved) holds nothing, and the next save says so.
func TestDirLock(t *testing.T) {
	ctx := context.Background()
	var warned []string
	d := &Dir{Path: t.TempDir(), warn: func(w string) { warned = append(warned, w) }}
	_, err := d.Save(ctx, RunObject, []byte("x"), "")
	require.NoError(t, err)
	require.Empty(t, warned)

	// A holder that is alive: the lock is taken through another open file.
	lock := filepath.Join(d.Path, ".lock")
	f, err := os.OpenFile(lock, os.O_RDWR, 0)
	require.NoError(t, err)
	require.NoError(t, syscall.Flock(int(f.Fd()), syscall.LOCK_EX))
	require.NoError(t, os.WriteFile(lock, []byte("pid 1 on elsewhere since 2026-11-23T12:00:00Z\n"), 0o600))
	short, cancel := context.WithTimeout(ctx, 100*time.Millisecond)
	_, err = d.Save(short, RunObject, []byte("y"), fileVersion([]byte("x")))
	cancel()
	require.ErrorContains(t, err, "held by a run that is still saving (pid 1 on elsewhere")
	require.ErrorIs(t, err, context.DeadlineExceeded)

	// Its run is killed: the kernel lets go of the lock, the file stays.
	require.NoError(t, f.Close())
	_, err = d.Save(ctx, RunObject, []byte("y"), fileVersion([]byte("x")))
	require.NoError(t, err)
	require.Len(t, warned, 1)
	require.Contains(t, warned[0], "a lock left by a run that stopped while saving was broken (pid 1 on elsewhere")
	left, err := os.ReadFile(lock)
	require.NoError(t, err)
	require.Empty(t, left, "a save that ends leaves no holder in the file")
}
