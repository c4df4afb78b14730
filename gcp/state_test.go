package gcp_test

import (
	"context"
	"strings"
	"sync"
	"testing"

	"github.com/fsouza/fake-gcs-server/fakestorage"
	"github.com/stretchr/testify/require"

	"github.com/ssh-pruner/ssh-pruner/gcp"
	"github.com/ssh-pruner/ssh-pruner/pruner/state"
)

// These tests drive cloud.google.com/go/storage, through StateObject,
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

func stateObject(t *testing.T, srv *fakestorage.Server, url string) *gcp.StateObject {
	t.Helper()
	s, err := gcp.NewStateObject(context.Background(), gcp.Options{StorageEndpoint: srv.URL(), UserAgent: "ssh-pruner/test"}, url)
	require.NoError(t, err)
	t.Cleanup(func() { require.NoError(t, s.Close()) })
	return s
}

func TestStateObjectLoadSave(t *testing.T) {
	ctx := context.Background()
	srv := gcsServer(t, "pruner-state")
	s := stateObject(t, srv, "gs://pruner-state/org/state.json")
	require.Equal(t, "gs://pruner-state/org/state.json", s.String())

	_, _, err := s.Load(ctx)
	require.ErrorIs(t, err, state.ErrNoState)

	v1, err := s.Save(ctx, []byte(`{"one":1}`), "")
	require.NoError(t, err)
	data, v, err := s.Load(ctx)
	require.NoError(t, err)
	require.Equal(t, `{"one":1}`, string(data))
	require.Equal(t, v1, v)

	obj, err := srv.GetObject("pruner-state", "org/state.json")
	require.NoError(t, err)
	require.Equal(t, "application/json", obj.ContentType)

	// A retried write whose first attempt landed (its answer lost) meets
	// its own generation: the object holds exactly its bytes, so it is
	// saved, not a conflict.
	again, err := s.Save(ctx, []byte(`{"one":1}`), "")
	require.NoError(t, err)
	require.Equal(t, v1, again)

	// Created meanwhile: a save that expected none fails and writes nothing.
	_, err = s.Save(ctx, []byte(`{"two":2}`), "")
	require.ErrorIs(t, err, state.ErrConflict)
	require.Contains(t, err.Error(), "created after this run found none")

	v2, err := s.Save(ctx, []byte(`{"two":2}`), v1)
	require.NoError(t, err)
	require.NotEqual(t, v1, v2)

	// Saved by another since v1 was read: refused, v2 stays.
	_, err = s.Save(ctx, []byte(`{"three":3}`), v1)
	require.ErrorIs(t, err, state.ErrConflict)
	require.Contains(t, err.Error(), "generation is no longer "+v1)
	data, v, err = s.Load(ctx)
	require.NoError(t, err)
	require.Equal(t, `{"two":2}`, string(data))
	require.Equal(t, v2, v)
}

// Two runs that read the same generation and save at once: exactly one
// wins, and what it saved is what the object holds.
func TestStateObjectRacingSaves(t *testing.T) {
	ctx := context.Background()
	srv := gcsServer(t, "pruner-state")
	a := stateObject(t, srv, "gs://pruner-state/state.json")
	b := stateObject(t, srv, "gs://pruner-state/state.json")
	_, err := a.Save(ctx, []byte("v0"), "")
	require.NoError(t, err)

	for round := range 20 {
		_, va, err := a.Load(ctx)
		require.NoError(t, err)
		_, vb, err := b.Load(ctx)
		require.NoError(t, err)
		require.Equal(t, va, vb)

		var wg sync.WaitGroup
		errs := make([]error, 2)
		bodies := []string{"a" + string(rune('0'+round%10)), "b" + string(rune('0'+round%10))}
		for i, s := range []*gcp.StateObject{a, b} {
			wg.Go(func() { _, errs[i] = s.Save(ctx, []byte(bodies[i]), va) })
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
		data, _, err := a.Load(ctx)
		require.NoError(t, err)
		require.Equal(t, bodies[won], string(data))
	}
}

func TestStateObjectErrors(t *testing.T) {
	ctx := context.Background()
	srv := gcsServer(t)
	s := stateObject(t, srv, "gs://no-such-bucket/state.json")
	_, err := s.Save(ctx, []byte("x"), "")
	require.Error(t, err)
	require.NotErrorIs(t, err, state.ErrConflict)
	require.NotContains(t, err.Error(), "\n")

	_, err = s.Save(ctx, []byte("x"), "not-a-generation")
	require.ErrorContains(t, err, `generation "not-a-generation"`)

	// Against a fake of the other APIs, a state needs a fake Cloud
	// Storage too: never a real bucket.
	_, err = gcp.NewStateObject(ctx, gcp.Options{Endpoint: "http://127.0.0.1:1"}, "gs://b-1/o")
	require.ErrorContains(t, err, "no Cloud Storage endpoint")
}

func TestParseGSURL(t *testing.T) {
	for _, tc := range []struct {
		url, bucket, object, err string
	}{
		{url: "gs://pruner-state/state.json", bucket: "pruner-state", object: "state.json"},
		{url: "gs://a.b_c-1/dir/sub/state.json", bucket: "a.b_c-1", object: "dir/sub/state.json"},
		{url: "/tmp/state.json", err: "want gs://BUCKET/OBJECT"},
		{url: "gs://bucket", err: "with an object name"},
		{url: "gs://bucket/", err: "with an object name"},
		{url: "gs://Bucket/o", err: "only lowercase"},
		{url: "gs://ab/o", err: "3 to 222"},
		{url: "gs://-ab/o", err: "start and end"},
		{url: "gs://" + strings.Repeat("a", 64) + "/o", err: "at most 63"},
		{url: "gs://bucket/a\nb", err: "one line"},
		{url: "gs://bucket/..", err: "not allowed"},
		{url: "gs://bucket/" + strings.Repeat("o", 1025), err: "longer than 1024"},
	} {
		t.Run(tc.url[:min(len(tc.url), 40)], func(t *testing.T) {
			b, o, err := gcp.ParseGSURL(tc.url)
			if tc.err != "" {
				require.ErrorContains(t, err, tc.err)
				return
			}
			require.NoError(t, err)
			require.Equal(t, tc.bucket, b)
			require.Equal(t, tc.object, o)
		})
	}
}
