package main

import (
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"
)

func mustAbs(t *testing.T, path string) string {
	t.Helper()
	abs, err := filepath.Abs(path)
	require.NoError(t, err)
	return abs
}
