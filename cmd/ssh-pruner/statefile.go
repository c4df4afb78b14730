package main

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"

	"github.com/ssh-pruner/ssh-pruner/pruner"
)

// fileState keeps the state in a local file, for runs from a laptop. Its
// version is the SHA-256 of its bytes. Save holds a lock file beside it
// while it checks that the file is still the one loaded and renames the
// new state in place, so two runs never overwrite each other's state.
type fileState struct {
	path string
}

var _ pruner.StateStore = fileState{}

func (f fileState) String() string { return f.path }

func (f fileState) Load(context.Context) ([]byte, string, error) {
	fh, err := os.Open(f.path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, "", fmt.Errorf("%s: %w", f.path, pruner.ErrNoState)
	}
	if err != nil {
		return nil, "", err
	}
	defer fh.Close()
	if fi, err := fh.Stat(); err == nil && !fi.Mode().IsRegular() {
		return nil, "", errors.New("not a regular file")
	}
	data, err := io.ReadAll(io.LimitReader(fh, pruner.MaxStateSize+1))
	if err != nil {
		return nil, "", err
	}
	return data, fileVersion(data), nil
}

func (f fileState) Save(ctx context.Context, data []byte, version string) (string, error) {
	lock := f.path + ".lock"
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
	case errors.Is(err, pruner.ErrNoState):
		current = ""
	case err != nil:
		return "", err
	}
	if current != version {
		if version == "" {
			return "", fmt.Errorf("%w: it was created after this run found none", pruner.ErrStateConflict)
		}
		return "", fmt.Errorf("%w: its content is not the one this run read", pruner.ErrStateConflict)
	}
	if err := writeFileAtomic(f.path, data); err != nil {
		return "", err
	}
	return fileVersion(data), nil
}

func fileVersion(data []byte) string {
	sum := sha256.Sum256(data)
	return hex.EncodeToString(sum[:])
}
