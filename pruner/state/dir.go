package state

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/ssh-pruner/ssh-pruner/pruner/atomicfile"
)

// Dir keeps the state in a local directory, for runs from a laptop: one
// file an object. A version is the SHA-256 of a file's bytes. Save holds
// an advisory lock (flock) on Dir/.lock while it checks that the file is
// still the one loaded and renames the new one in place, so that two runs
// never overwrite each other's state. The kernel lets go of the lock of a
// run that is killed: no lock outlives its run, and the next run says
// whose it was.
type Dir struct {
	Path string
	warn func(string) // hears of a lock a killed run left: who held it
}

var _ Store = (*Dir)(nil)

func (d *Dir) setWarn(f func(string)) { d.warn = f }

func (d *Dir) String() string { return strings.TrimSuffix(d.Path, "/") + "/" }

// maxObjectSize bounds what Load reads of an object: the largest a
// decoder takes, the legacy single-object state's.
const maxObjectSize = MaxStateSize

// Load reads an object and its version.
func (d *Dir) Load(_ context.Context, name string) ([]byte, string, error) {
	path := filepath.Join(d.Path, filepath.FromSlash(name))
	fh, err := os.Open(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, "", fmt.Errorf("%s: %w", path, ErrNoState)
	}
	if err != nil {
		return nil, "", err
	}
	defer fh.Close()
	if fi, err := fh.Stat(); err == nil && !fi.Mode().IsRegular() {
		return nil, "", fmt.Errorf("%s: not a regular file", path)
	}
	data, err := io.ReadAll(io.LimitReader(fh, maxObjectSize+1))
	if err != nil {
		return nil, "", fmt.Errorf("%s: %w", path, err)
	}
	return data, fileVersion(data), nil
}

// Save writes an object if its file is still at version.
func (d *Dir) Save(ctx context.Context, name string, data []byte, version string) (string, error) {
	path := filepath.Join(d.Path, filepath.FromSlash(name))
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return "", err
	}
	unlock, err := d.lock(ctx)
	if err != nil {
		return "", err
	}
	defer unlock()
	_, current, err := d.Load(ctx, name)
	switch {
	case errors.Is(err, ErrNoState):
		current = ""
	case err != nil:
		return "", err
	}
	if current != version {
		if version == "" {
			return "", fmt.Errorf("%w: %s was created after this run found none", ErrConflict, name)
		}
		return "", fmt.Errorf("%w: %s is not the one this run read", ErrConflict, name)
	}
	if err := writeAtomic(path, data); err != nil {
		return "", err
	}
	return fileVersion(data), nil
}

// lockPoll is how often a Save waits for another run's lock to go.
const lockPoll = 20 * time.Millisecond

// lock takes Dir/.lock, waiting while another live run holds it, up to
// ctx's deadline. It writes who holds it into the file, and empties the
// file when it lets go: a file left with a holder in it was a run killed
// while it saved, which is said (Warn) and otherwise harmless.
func (d *Dir) lock(ctx context.Context) (unlock func(), err error) {
	path := filepath.Join(d.Path, ".lock")
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("lock: %w", err)
	}
	for {
		err = syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB)
		if err == nil {
			break
		}
		if !errors.Is(err, syscall.EWOULDBLOCK) {
			f.Close()
			return nil, fmt.Errorf("lock %s: %w", path, err)
		}
		select {
		case <-ctx.Done():
			holder, _ := os.ReadFile(path)
			f.Close()
			return nil, fmt.Errorf("%s is held by a run that is still saving (%s): %w", path, strings.TrimSpace(string(holder)), ctx.Err())
		case <-time.After(lockPoll):
		}
	}
	if left, _ := io.ReadAll(io.LimitReader(f, 1024)); len(left) > 0 && d.warn != nil {
		d.warn(fmt.Sprintf("a lock left by a run that stopped while saving was broken (%s)", strings.TrimSpace(string(left))))
	}
	host, _ := os.Hostname()
	_ = f.Truncate(0)
	_, _ = f.WriteAt(fmt.Appendf(nil, "pid %d on %s since %s\n", os.Getpid(), host, time.Now().UTC().Format(time.RFC3339)), 0)
	return func() {
		_ = f.Truncate(0)
		_ = syscall.Flock(int(f.Fd()), syscall.LOCK_UN)
		f.Close()
	}, nil
}

func fileVersion(data []byte) string {
	sum := sha256.Sum256(data)
	return hex.EncodeToString(sum[:])
}

// writeAtomic writes data to a temporary file beside path, syncs it, and
// renames it over path: a crash never leaves an empty or half state where
// the state was.
func writeAtomic(path string, data []byte) error {
	err := atomicfile.Write(path, 0o600, func(w io.Writer) error {
		_, err := w.Write(data)
		return err
	})
	if err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	return nil
}
