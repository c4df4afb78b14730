// Package atomicfile replaces a file whole or not at all: the report, the
// plan and the state's objects are read by people and by later runs, and
// none of them may find half a file, or an empty one after a crash.
package atomicfile

import (
	"io"
	"io/fs"
	"os"
	"path/filepath"
)

// Write streams into a temporary file beside path, gives it perm, syncs it
// and renames it over path. When anything fails, path is as it was and the
// temporary file is gone.
func Write(path string, perm fs.FileMode, write func(io.Writer) error) error {
	f, err := os.CreateTemp(filepath.Dir(path), ".ssh-pruner-*")
	if err != nil {
		return err
	}
	tmp := f.Name()
	err = write(f)
	if err == nil {
		err = f.Chmod(perm)
	}
	if err == nil {
		// On disk before the rename: a crash must not leave an empty file
		// where the old one was.
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
	}
	return err
}
