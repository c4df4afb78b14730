package state

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// TestMigrateVersion1: a directory that holds the single-object state of
// version 1 (testdata/state-v1.json, as ssh-pruner wrote it) as state.json
// is migrated on its first read: one object a project, every first-seen
// time kept (a fraction of a second rounded up), the run object saying
// where it came from, the old file left as it was; the next run does not
// migrate again.
func TestMigrateVersion1(t *testing.T) {
	ctx := context.Background()
	old, err := os.ReadFile("testdata/state-v1.json")
	require.NoError(t, err)
	dir := t.TempDir()
	require.NoError(t, os.WriteFile(filepath.Join(dir, LegacyObject), old, 0o600))
	d := &Dir{Path: dir}

	s, err := Open(ctx, d, stateNow)
	require.NoError(t, err)
	require.False(t, s.FirstRun, "the old state's clocks go on")
	require.Equal(t, 2, s.Migrated)
	run, err := ReadRun(ctx, d, stateNow)
	require.NoError(t, err)
	require.Equal(t, d.String()+LegacyObject, run.MigratedFrom)

	at := func(v string) time.Time {
		tm, err := time.Parse(time.RFC3339, v)
		require.NoError(t, err)
		return tm
	}
	web, _, _, err := ReadProject(ctx, d, "web-prod", stateNow)
	require.NoError(t, err)
	require.Equal(t, map[string]Target{
		"projects/web-prod": {Read: at("2026-11-23T11:00:00Z"), Keys: map[string]Seen{fpA: {First: at("2026-11-20T09:30:00Z"), Last: at("2026-11-23T11:00:00Z")}}},
		"projects/web-prod/zones/europe-west1-b/instances/vm-1": {Read: at("2026-11-23T11:00:00Z"), Keys: map[string]Seen{fpB: {First: at("2026-11-22T10:00:01Z"), Last: at("2026-11-23T11:00:00Z")}}},
	}, web.Targets)
	data, _, _, err := ReadProject(ctx, d, "example.com:data", stateNow)
	require.NoError(t, err)
	require.Contains(t, data.Targets["projects/example.com:data"].Keys, fpC)

	left, err := os.ReadFile(filepath.Join(dir, LegacyObject))
	require.NoError(t, err)
	require.Equal(t, old, left, "the old state is left for a person to delete")

	again, err := Open(ctx, d, stateNow.Add(time.Hour))
	require.NoError(t, err)
	require.Zero(t, again.Migrated, "migrated once")
}

// TestMigrateTakenUpAgain: a migration cut short (a project's object made,
// the run object not) is finished by the next run, and the object a run
// wrote since is kept, not overwritten by the old state.
func TestMigrateTakenUpAgain(t *testing.T) {
	ctx := context.Background()
	old, err := os.ReadFile("testdata/state-v1.json")
	require.NoError(t, err)
	dir := t.TempDir()
	require.NoError(t, os.WriteFile(filepath.Join(dir, LegacyObject), old, 0o600))
	d := &Dir{Path: dir}
	newer := Shard{Project: "web-prod", Targets: map[string]Target{"projects/web-prod": {Read: stateNow, Keys: map[string]Seen{fpC: {First: stateNow, Last: stateNow}}}}}
	data, err := EncodeShard(newer, stateNow)
	require.NoError(t, err)
	_, err = d.Save(ctx, "projects/web-prod.json", data, "")
	require.NoError(t, err)

	_, err = Open(ctx, d, stateNow)
	require.NoError(t, err)
	got, _, _, err := ReadProject(ctx, d, "web-prod", stateNow)
	require.NoError(t, err)
	require.Equal(t, newer.Targets, got.Targets)
}
