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
)

// File keeps the state in a local file, for runs from a laptop. Its
// version is the SHA-256 of its bytes. Save holds a lock file beside it
// while it checks that the file is still the one loaded and renames the
// new state in place, so two runs never overwrite each other's state.
type File struct {
	Path string
}

var _ Store = File{}

func (f File) String() string { return f.Path }

func (f File) Load(context.Context) ([]byte, string, error) {
	fh, err := os.Open(f.Path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, "", fmt.Errorf("%s: %w", f.Path, ErrNoState)
	}
	if err != nil {
		return nil, "", err
	}
	defer fh.Close()
	if fi, err := fh.Stat(); err == nil && !fi.Mode().IsRegular() {
		return nil, "", errors.New("not a regular file")
	}
	data, err := io.ReadAll(io.LimitReader(fh, MaxStateSize+1))
	if err != nil {
		return nil, "", err
	}
	return data, fileVersion(data), nil
}

func (f File) Save(ctx context.Context, data []byte, version string) (string, error) {
	lock := f.Path + ".lock"
	l, err := os.OpenFile(lock, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o600)
	if errors.Is(err, fs.ErrExist) {
		return "", fmt.Errorf("%s exists: another run is saving the state, or one stopped while saving it (remove the lock if no run is)", lock)
	}
	if err != nil {
		return "", fmt.Errorf("lock: %w", err)
	}
	l.Close()
	defer os.Remove(lock)

	_, current, err := f.Load(ctx)
	switch {
	case errors.Is(err, ErrNoState):
		current = ""
	case err != nil:
		return "", err
	}
	if current != version {
		if version == "" {
			return "", fmt.Errorf("%w: it was created after this run found none", ErrConflict)
		}
		return "", fmt.Errorf("%w: its content is not the one this run read", ErrConflict)
	}
	if err := writeAtomic(f.Path, data); err != nil {
		return "", err
	}
	return fileVersion(data), nil
}

func fileVersion(data []byte) string {
	sum := sha256.Sum256(data)
	return hex.EncodeToString(sum[:])
}

// writeAtomic writes data to a temporary file beside path, syncs it, and
// renames it over path: a crash never leaves an empty or half state where
// the state was.
func writeAtomic(path string, data []byte) error {
	f, err := os.CreateTemp(filepath.Dir(path), ".ssh-pruner-state-*")
	if err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	tmp := f.Name()
	_, err = f.Write(data)
	if err == nil {
		err = f.Chmod(0o644)
	}
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp, path)
	}
	if err != nil {
		os.Remove(tmp)
		return fmt.Errorf("write %s: %w", path, err)
	}
	return nil
}
