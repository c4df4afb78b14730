package inputfile

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// fifo makes a FIFO in the test's own directory.
func fifo(t *testing.T) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "fifo")
	require.NoError(t, syscall.Mkfifo(path, 0o600))
	return path
}

// readAsync runs ReadAll in the background and gives its result.
func readAsync(ctx context.Context, path string, limit int64) <-chan error {
	done := make(chan error, 1)
	go func() {
		_, err := ReadAll(ctx, path, limit)
		done <- err
	}()
	return done
}

// requireWithin waits for a result, failing after d.
func requireWithin(t *testing.T, d time.Duration, done <-chan error) error {
	t.Helper()
	select {
	case err := <-done:
		return err
	case <-time.After(d):
		t.Fatalf("no answer within %v", d)
		return nil
	}
}

func TestReadAllRegularFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "f")
	require.NoError(t, os.WriteFile(path, []byte("hello\n"), 0o600))
	data, err := ReadAll(context.Background(), path, 6)
	require.NoError(t, err)
	require.Equal(t, "hello\n", string(data), "exactly the limit is allowed")

	_, err = ReadAll(context.Background(), path, 5)
	var tl *TooLargeError
	require.ErrorAs(t, err, &tl)
	require.EqualError(t, err, "more than 5 bytes")

	_, err = ReadAll(context.Background(), t.TempDir(), 5)
	require.EqualError(t, err, "is a directory")
}

// TestReadAllStopsAtTheLimit: a file far larger than the bound (one made
// here, and /dev/zero, only read) is refused at the bound, at once.
func TestReadAllStopsAtTheLimit(t *testing.T) {
	big := filepath.Join(t.TempDir(), "big")
	require.NoError(t, os.WriteFile(big, bytes.Repeat([]byte("a"), 4<<20), 0o600))
	for _, path := range []string{big, os.DevNull, "/dev/zero"} {
		if _, err := os.Stat(path); err != nil {
			t.Logf("%s: %v", path, err)
			continue
		}
		start := time.Now()
		data, err := ReadAll(context.Background(), path, 1<<20)
		if path == os.DevNull {
			require.NoError(t, err)
			require.Empty(t, data)
			continue
		}
		var tl *TooLargeError
		require.ErrorAs(t, err, &tl, path)
		require.Len(t, data, 1<<20+1, "one byte past the bound is read, no more")
		require.Less(t, time.Since(start), time.Second, path)
	}
}

// TestReadAllFIFOWithoutWriterGivesWay: open(2) of a FIFO that no one
// writes to blocks in the kernel; the read returns at once when its
// context ends, and does not take the empty FIFO for an empty file.
func TestReadAllFIFOWithoutWriterGivesWay(t *testing.T) {
	path := fifo(t)
	ctx, cancel := context.WithCancel(context.Background())
	done := readAsync(ctx, path, 1<<20)
	select {
	case err := <-done:
		t.Fatalf("a FIFO without a writer is not an empty file: %v", err)
	case <-time.After(200 * time.Millisecond):
	}
	cancel()
	err := requireWithin(t, time.Second, done)
	require.ErrorIs(t, err, context.Canceled)
}

// TestReadAllFIFOSilentWriterGivesWay: a writer that opened the FIFO and
// writes nothing more holds a read in Go's poller; the context's end
// stops it.
func TestReadAllFIFOSilentWriterGivesWay(t *testing.T) {
	path := fifo(t)
	ctx, cancel := context.WithCancel(context.Background())
	done := readAsync(ctx, path, 1<<20)
	w, err := os.OpenFile(path, os.O_WRONLY, 0)
	require.NoError(t, err)
	defer w.Close()
	_, err = w.Write([]byte("alice:"))
	require.NoError(t, err)
	time.Sleep(100 * time.Millisecond)
	cancel()
	require.ErrorIs(t, requireWithin(t, time.Second, done), context.Canceled)
}

func TestReadAllFIFO(t *testing.T) {
	path := fifo(t)
	go func() {
		w, err := os.OpenFile(path, os.O_WRONLY, 0)
		if err != nil {
			return
		}
		_, _ = w.Write([]byte("alice:ssh-ed25519 AAAA\n"))
		w.Close()
	}()
	data, err := ReadAll(context.Background(), path, 1<<20)
	require.NoError(t, err)
	require.Equal(t, "alice:ssh-ed25519 AAAA\n", string(data))

	// A writer that comes and goes without a byte: an empty input.
	path = fifo(t)
	go func() {
		if w, err := os.OpenFile(path, os.O_WRONLY, 0); err == nil {
			w.Close()
		}
	}()
	data, err = ReadAll(context.Background(), path, 1<<20)
	require.NoError(t, err)
	require.Empty(t, data)
}

func TestReadAllCancelledBefore(t *testing.T) {
	path := filepath.Join(t.TempDir(), "f")
	require.NoError(t, os.WriteFile(path, []byte("x"), 0o600))
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := ReadAll(ctx, path, 10)
	require.True(t, errors.Is(err, context.Canceled), "%v", err)
}
