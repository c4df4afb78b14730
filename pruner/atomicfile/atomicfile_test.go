package atomicfile_test

import (
	"errors"
	"io"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/ssh-pruner/ssh-pruner/pruner/atomicfile"
)

func TestWrite(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "report.json")
	require.NoError(t, os.WriteFile(path, []byte("old"), 0o644))

	failed := errors.New("disk on fire")
	for _, tc := range []struct {
		name  string
		write func(io.Writer) error
		err   error
		want  string
		perm  os.FileMode
	}{
		{"a failed write leaves the old file", func(w io.Writer) error {
			_, _ = io.WriteString(w, "half")
			return failed
		}, failed, "old", 0o644},
		{"a whole write replaces it", func(w io.Writer) error {
			_, err := io.WriteString(w, "new")
			return err
		}, nil, "new", 0o600},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := atomicfile.Write(path, 0o600, tc.write)
			require.ErrorIs(t, err, tc.err)
			if tc.err == nil {
				require.NoError(t, err)
			}
			got, err := os.ReadFile(path)
			require.NoError(t, err)
			require.Equal(t, tc.want, string(got))
			fi, err := os.Stat(path)
			require.NoError(t, err)
			require.Equal(t, tc.perm, fi.Mode().Perm())
			entries, err := os.ReadDir(dir)
			require.NoError(t, err)
			require.Len(t, entries, 1, "no temporary file left")
		})
	}
}
