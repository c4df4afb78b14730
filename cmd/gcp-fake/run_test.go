package main

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"flag"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"
	compute "google.golang.org/api/compute/v1"
	"google.golang.org/api/option"
)

// syncBuffer is a bytes.Buffer safe for a writer and a reader.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// start runs the command in-process and returns its base URL, its stderr,
// and a stop function that returns run's error.
func start(t *testing.T, args ...string) (string, *syncBuffer, func() error) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	outR, outW := io.Pipe()
	stderr := &syncBuffer{}
	done := make(chan error, 1)
	go func() {
		err := run(ctx, args, outW, stderr)
		outW.CloseWithError(errors.Join(err, io.EOF))
		done <- err
	}()
	sc := bufio.NewScanner(outR)
	require.True(t, sc.Scan(), "no URL printed: %v; stderr: %s", sc.Err(), stderr)
	url := sc.Text()
	go func() { _, _ = io.Copy(io.Discard, outR) }()
	stopped := false
	stop := func() error {
		if stopped {
			return nil
		}
		stopped = true
		cancel()
		return <-done
	}
	t.Cleanup(func() { _ = stop() })
	return url, stderr, stop
}

func TestRunServesAndStops(t *testing.T) {
	url, stderr, stop := start(t, "--listen", "127.0.0.1:0")
	require.Regexp(t, `^http://127\.0\.0\.1:[1-9][0-9]*$`, url)

	svc, err := compute.NewService(context.Background(),
		option.WithEndpoint(url+"/compute/v1/"), option.WithoutAuthentication())
	require.NoError(t, err)
	p, err := svc.Projects.Get("web-prod-eu").Do()
	require.NoError(t, err)
	require.Equal(t, "web-prod-eu", p.Name)

	require.NoError(t, stop())
	require.Contains(t, stderr.String(), `msg=request method=GET path="/compute/v1/projects/web-prod-eu?alt=json&prettyPrint=false" status=200 duration=`)
	require.Contains(t, stderr.String(), "msg=stopped")
}

func TestRunWithSeedAndFaults(t *testing.T) {
	seed := filepath.Join(t.TempDir(), "org.json")
	require.NoError(t, os.WriteFile(seed, []byte(`{
		"organization": {"id": "42"},
		"projects": [{"id": "only-project", "number": "4242", "parent": "organizations/42", "services": ["compute.googleapis.com"]}]
	}`), 0o600))
	url, stderr, _ := start(t, "--listen", "127.0.0.1:0", "--seed", seed, "--error-rate", "1")
	resp, err := http.Get(url + "/compute/v1/projects/only-project")
	require.NoError(t, err)
	require.NoError(t, resp.Body.Close())
	require.Contains(t, []int{429, 500, 503}, resp.StatusCode)
	require.Contains(t, stderr.String(), "status="+resp.Status[:3])
}

func TestRunErrors(t *testing.T) {
	bad := filepath.Join(t.TempDir(), "bad.json")
	require.NoError(t, os.WriteFile(bad, []byte(`{"organization": {"id": "1"}, "projets": []}`), 0o600))
	tests := []struct {
		name      string
		args      []string
		wantUsage bool
		want      string
	}{
		{"unknown flag", []string{"--nope"}, true, "flag provided but not defined"},
		{"argument", []string{"serve"}, true, `unexpected argument "serve"`},
		{"error rate", []string{"--error-rate", "2"}, true, "--error-rate 2"},
		{"negative latency", []string{"--latency", "-1s"}, true, "--latency -1s: want a non-negative duration"},
		{"negative polls", []string{"--operation-polls", "-1"}, true, "--operation-polls -1: want a non-negative number"},
		{"missing seed", []string{"--seed", "/no/such/file"}, false, "read seed"},
		{"bad seed", []string{"--seed", bad}, false, `unknown field "projets"`},
		{"bad address", []string{"--listen", "256.0.0.1:bad"}, false, "listen on 256.0.0.1:bad"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var stderr bytes.Buffer
			err := run(context.Background(), tt.args, io.Discard, &stderr)
			require.ErrorContains(t, err, tt.want)
			require.Equal(t, tt.wantUsage, errors.As(err, new(*usageError)))
			require.NotContains(t, stderr.String(), "Usage:", "a bad flag is one line, not the whole usage")
			require.NotContains(t, oneLine(err), "\n")
		})
	}
	var help bytes.Buffer
	require.ErrorIs(t, run(context.Background(), []string{"--help"}, &help, io.Discard), flag.ErrHelp)
	require.True(t, strings.HasPrefix(help.String(), "Usage: gcp-fake"), "--help on stdout")

	// A seed with several problems: one line, each problem in it.
	many := filepath.Join(t.TempDir(), "many.json")
	require.NoError(t, os.WriteFile(many, []byte(`{"organization": {"id": "1"}, "projects": [{"id": "a", "parent": "folders/9"}, {"id": "a"}]}`), 0o600))
	err := run(context.Background(), []string{"--seed", many}, io.Discard, io.Discard)
	require.Error(t, err)
	require.NotContains(t, oneLine(err), "\n")
}

func TestPrintSettingsNamesAProjectOfTheSeed(t *testing.T) {
	tests := []struct {
		name string
		seed string
		want string
	}{
		{"demo organization", "", "--project web-prod-eu"},
		{"first project with compute", `{"organization": {"id": "42"}, "forbidden": ["projects/hidden-project"], "projects": [
			{"id": "no-compute", "number": "1", "parent": "organizations/42"},
			{"id": "hidden-project", "number": "2", "parent": "organizations/42", "services": ["compute.googleapis.com"]},
			{"id": "going-away", "number": "3", "parent": "organizations/42", "state": "DELETE_REQUESTED", "services": ["compute.googleapis.com"]},
			{"id": "with-compute", "number": "4", "parent": "organizations/42", "services": ["compute.googleapis.com"]}]}`, "--project with-compute"},
		{"no project with compute", `{"organization": {"id": "42"}, "projects": [{"id": "no-compute", "number": "1", "parent": "organizations/42"}]}`, "--project no-compute"},
		{"no project", `{"organization": {"id": "42"}}`, "--project PROJECT_ID"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			file := ""
			if tt.seed != "" {
				file = filepath.Join(t.TempDir(), "org.json")
				require.NoError(t, os.WriteFile(file, []byte(tt.seed), 0o600))
			}
			seed, name, err := loadSeed(file)
			require.NoError(t, err)
			var out bytes.Buffer
			printSettings(&out, "http://127.0.0.1:1", name, seed)
			require.Contains(t, out.String(), "gcloud compute project-info describe "+tt.want+"\n")
		})
	}
}
