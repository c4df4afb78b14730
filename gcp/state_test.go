package gcp_test

import (
	"context"
	"runtime"
	"strings"
	"sync"
	"testing"

	"github.com/fsouza/fake-gcs-server/fakestorage"
	"github.com/stretchr/testify/require"

	"github.com/ssh-pruner/ssh-pruner/gcp"
	"github.com/ssh-pruner/ssh-pruner/pruner/state"
)

// These tests drive cloud.google.com/go/storage, through StatePrefix,
// over real HTTP against fake-gcs-server.

func gcsServer(t *testing.T, buckets ...string) *fakestorage.Server {
	t.Helper()
	srv, err := fakestorage.NewServerWithOptions(fakestorage.Options{Scheme: "http", Host: "127.0.0.1", NoListener: false})
	require.NoError(t, err)
	t.Cleanup(srv.Stop)
	for _, b := range buckets {
		srv.CreateBucketWithOpts(fakestorage.CreateBucketOpts{Name: b})
	}
	return srv
}

func statePrefix(t *testing.T, srv *fakestorage.Server, url string) *gcp.StatePrefix {
	t.Helper()
	s, err := gcp.NewStatePrefix(context.Background(), gcp.Options{StorageEndpoint: srv.URL(), UserAgent: "ssh-pruner/test"}, url)
	require.NoError(t, err)
	t.Cleanup(func() { require.NoError(t, s.Close()) })
	return s
}

func TestStatePrefixLoadSave(t *testing.T) {
	ctx := context.Background()
	srv := gcsServer(t, "pruner-state")
	s := statePrefix(t, srv, "gs://pruner-state/org/")
	require.Equal(t, "gs://pruner-state/org/", s.String())

	_, _, err := s.Load(ctx, "projects/p.json")
	require.ErrorIs(t, err, state.ErrNoState)

	v1, err := s.Save(ctx, "projects/p.json", []byte(`{"one":1}`), "")
	require.NoError(t, err)
	data, v, err := s.Load(ctx, "projects/p.json")
	require.NoError(t, err)
	require.Equal(t, `{"one":1}`, string(data))
	require.Equal(t, v1, v)

	obj, err := srv.GetObject("pruner-state", "org/projects/p.json")
	require.NoError(t, err)
	require.Equal(t, "application/json", obj.ContentType)

	// A retried write whose first attempt landed (its answer lost) meets
	// its own generation: the object holds exactly its bytes, so it is
	// saved, not a conflict.
	again, err := s.Save(ctx, "projects/p.json", []byte(`{"one":1}`), "")
	require.NoError(t, err)
	require.Equal(t, v1, again)

	// Created meanwhile: a save that expected none fails and writes nothing.
	_, err = s.Save(ctx, "projects/p.json", []byte(`{"two":2}`), "")
	require.ErrorIs(t, err, state.ErrConflict)
	require.Contains(t, err.Error(), "created after this run found none")

	v2, err := s.Save(ctx, "projects/p.json", []byte(`{"two":2}`), v1)
	require.NoError(t, err)
	require.NotEqual(t, v1, v2)

	// Saved by another since v1 was read: refused, v2 stays.
	_, err = s.Save(ctx, "projects/p.json", []byte(`{"three":3}`), v1)
	require.ErrorIs(t, err, state.ErrConflict)
	require.Contains(t, err.Error(), "generation of projects/p.json is no longer "+v1)
	data, v, err = s.Load(ctx, "projects/p.json")
	require.NoError(t, err)
	require.Equal(t, `{"two":2}`, string(data))
	require.Equal(t, v2, v)
}

// Two runs that read the same generation and save at once: exactly one
// wins, and what it saved is what the object holds.
func TestStatePrefixRacingSaves(t *testing.T) {
	ctx := context.Background()
	srv := gcsServer(t, "pruner-state")
	a := statePrefix(t, srv, "gs://pruner-state/")
	b := statePrefix(t, srv, "gs://pruner-state/")
	_, err := a.Save(ctx, "projects/p.json", []byte("v0"), "")
	require.NoError(t, err)

	for round := range 20 {
		_, va, err := a.Load(ctx, "projects/p.json")
		require.NoError(t, err)
		_, vb, err := b.Load(ctx, "projects/p.json")
		require.NoError(t, err)
		require.Equal(t, va, vb)

		var wg sync.WaitGroup
		errs := make([]error, 2)
		bodies := []string{"a" + string(rune('0'+round%10)), "b" + string(rune('0'+round%10))}
		for i, s := range []*gcp.StatePrefix{a, b} {
			wg.Go(func() { _, errs[i] = s.Save(ctx, "projects/p.json", []byte(bodies[i]), va) })
		}
		wg.Wait()
		won := -1
		for i, err := range errs {
			if err == nil {
				require.Equal(t, -1, won, "round %d: both saves landed", round)
				won = i
				continue
			}
			require.ErrorIs(t, err, state.ErrConflict, "round %d", round)
		}
		require.NotEqual(t, -1, won, "round %d: no save landed", round)
		data, _, err := a.Load(ctx, "projects/p.json")
		require.NoError(t, err)
		require.Equal(t, bodies[won], string(data))
	}
}

func TestStatePrefixErrors(t *testing.T) {
	ctx := context.Background()
	srv := gcsServer(t)
	s := statePrefix(t, srv, "gs://no-such-bucket/state/")
	_, err := s.Save(ctx, "projects/p.json", []byte("x"), "")
	require.Error(t, err)
	require.NotErrorIs(t, err, state.ErrConflict)
	require.NotContains(t, err.Error(), "\n")

	_, err = s.Save(ctx, "projects/p.json", []byte("x"), "not-a-generation")
	require.ErrorContains(t, err, `generation "not-a-generation"`)

	// Against a fake of the other APIs, a state needs a fake Cloud
	// Storage too: never a real bucket.
	_, err = gcp.NewStatePrefix(ctx, gcp.Options{Endpoint: "http://127.0.0.1:1"}, "gs://b-1/o/")
	require.ErrorContains(t, err, "no Cloud Storage endpoint")
}

func TestParseGSPrefix(t *testing.T) {
	for _, tc := range []struct {
		url, bucket, prefix, err string
	}{
		{url: "gs://pruner-state/", bucket: "pruner-state", prefix: ""},
		{url: "gs://pruner-state/state/", bucket: "pruner-state", prefix: "state/"},
		{url: "gs://a.b_c-1/dir/sub/", bucket: "a.b_c-1", prefix: "dir/sub/"},
		{url: "/tmp/state/", err: "want gs://BUCKET/PREFIX/"},
		{url: "gs://bucket", err: "ending with a slash"},
		{url: "gs://bucket/state.json", err: "ending with a slash"},
		{url: "gs://bucket/a//", err: "empty folder"},
		{url: "gs://Bucket/o/", err: "only lowercase"},
		{url: "gs://ab/o/", err: "3 to 222"},
		{url: "gs://-ab/o/", err: "start and end"},
		{url: "gs://" + strings.Repeat("a", 64) + "/o/", err: "at most 63"},
		{url: "gs://bucket/a\nb/", err: "one line"},
		{url: "gs://bucket/../", err: "not allowed"},
		{url: "gs://bucket/" + strings.Repeat("o", 901) + "/", err: "longer than 900"},
	} {
		t.Run(tc.url[:min(len(tc.url), 40)], func(t *testing.T) {
			b, p, err := gcp.ParseGSPrefix(tc.url)
			if tc.err != "" {
				require.ErrorContains(t, err, tc.err)
				return
			}
			require.NoError(t, err)
			require.Equal(t, tc.bucket, b)
			require.Equal(t, tc.prefix, p)
		})
	}
}

// TestStatePrefixSaveBuffersTheObject: a write of a small object holds a
// buffer about its size, not the client's default chunk of 16 MiB, which
// each of a run's concurrent writes would allocate.
func TestStatePrefixSaveBuffersTheObject(t *testing.T) {
	ctx := context.Background()
	srv := gcsServer(t, "pruner-state")
	s := statePrefix(t, srv, "gs://pruner-state/org/")
	data := []byte(strings.Repeat("x", 4000))
	_, err := s.Save(ctx, "projects/warm.json", data, "") // the client's own first-use allocations
	require.NoError(t, err)
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	_, err = s.Save(ctx, "projects/p.json", data, "")
	runtime.ReadMemStats(&after)
	require.NoError(t, err)
	require.Less(t, after.TotalAlloc-before.TotalAlloc, uint64(4<<20), "bytes allocated by one save of 4 KB")
	got, _, err := s.Load(ctx, "projects/p.json")
	require.NoError(t, err)
	require.Equal(t, data, got)
}
