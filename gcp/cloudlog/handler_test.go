package cloudlog

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"encoding/json"
	"errors"
	"log/slog"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	logpb "cloud.google.com/go/logging/apiv2/loggingpb"
	"github.com/stretchr/testify/require"
	"golang.org/x/crypto/ssh"
	"google.golang.org/api/option"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/encoding/prototext"

	"github.com/ssh-pruner/ssh-pruner/pruner"
	"github.com/ssh-pruner/ssh-pruner/pruner/plan"
)

// fakeLogging is an in-process google.logging.v2.LoggingServiceV2 that
// records WriteLogEntries requests. With failAfter > 0, requests after
// that many are refused with PermissionDenied.
type fakeLogging struct {
	logpb.UnimplementedLoggingServiceV2Server
	failAfter int

	mu   sync.Mutex
	reqs []*logpb.WriteLogEntriesRequest
}

func (f *fakeLogging) WriteLogEntries(_ context.Context, req *logpb.WriteLogEntriesRequest) (*logpb.WriteLogEntriesResponse, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.failAfter > 0 && len(f.reqs) >= f.failAfter {
		return nil, status.Error(codes.PermissionDenied, "logging.logEntries.create denied")
	}
	f.reqs = append(f.reqs, req)
	return &logpb.WriteLogEntriesResponse{}, nil
}

// entries are the entries received for logName, with the request's
// resource, log name and labels filled in as the service does.
func (f *fakeLogging) entries(logName string) []*logpb.LogEntry {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []*logpb.LogEntry
	for _, req := range f.reqs {
		for _, e := range req.Entries {
			if e.LogName == "" {
				e.LogName = req.LogName
			}
			if e.Resource == nil {
				e.Resource = req.Resource
			}
			labels := map[string]string{}
			for k, v := range req.Labels {
				labels[k] = v
			}
			for k, v := range e.Labels {
				labels[k] = v
			}
			e.Labels = labels
			if e.LogName == logName {
				out = append(out, e)
			}
		}
	}
	return out
}

// wire is every request received, as text.
func (f *fakeLogging) wire() string {
	f.mu.Lock()
	defer f.mu.Unlock()
	var b strings.Builder
	for _, r := range f.reqs {
		b.WriteString(prototext.Format(r))
	}
	return b.String()
}

func startFake(t *testing.T, f *fakeLogging) string {
	t.Helper()
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	s := grpc.NewServer()
	logpb.RegisterLoggingServiceV2Server(s, f)
	go func() { _ = s.Serve(lis) }()
	t.Cleanup(s.Stop)
	return lis.Addr().String()
}

// clientOptions point the client at addr without credentials or TLS.
func clientOptions(addr string) []option.ClientOption {
	return []option.ClientOption{
		option.WithEndpoint(addr),
		option.WithoutAuthentication(),
		option.WithGRPCDialOption(grpc.WithTransportCredentials(insecure.NewCredentials())),
	}
}

// gkeEnv is a pod in GKE, as the downward API and the metadata server tell.
func gkeEnv() Env {
	vars := map[string]string{
		"KUBERNETES_SERVICE_HOST": "10.0.0.1",
		"POD_NAME":                "ssh-pruner-29000000-abcde",
		"POD_NAMESPACE":           "ssh-pruner",
		"CONTAINER_NAME":          "ssh-pruner",
	}
	md := map[string]string{
		"project/project-id":                   "sec-project",
		"instance/attributes/cluster-name":     "security",
		"instance/attributes/cluster-location": "europe-west1",
	}
	return Env{
		Getenv:   func(k string) string { return vars[k] },
		ReadFile: func(string) ([]byte, error) { return nil, errors.New("no file") },
		Metadata: func(_ context.Context, p string) (string, error) {
			if v, ok := md[p]; ok {
				return v, nil
			}
			return "", errors.New("not defined")
		},
	}
}

// memStore is a one-project organization for the reconciler.
type memStore struct {
	mu sync.Mutex
	md plan.Metadata
}

func (s *memStore) ListProjects(context.Context, pruner.Scope) (pruner.Inventory, error) {
	return pruner.Inventory{Projects: []pruner.Project{{ID: "app-prod", State: "ACTIVE"}}}, nil
}

func (s *memStore) ProjectMetadata(context.Context, string) (plan.Metadata, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.md, nil
}

func (s *memStore) SetProjectMetadata(_ context.Context, _ string, md plan.Metadata) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.md = md
	return nil
}

// TestRemovedKeyEntry runs the reconciler with the handler against the fake
// service and checks the entry received for the key it removed.
func TestRemovedKeyEntry(t *testing.T) {
	fake := &fakeLogging{}
	addr := startFake(t, fake)

	pub, _, err := ed25519.GenerateKey(nil)
	require.NoError(t, err)
	sshPub, err := ssh.NewPublicKey(pub)
	require.NoError(t, err)
	authorized := strings.TrimSpace(string(ssh.MarshalAuthorizedKey(sshPub)))
	blob := strings.Fields(authorized)[1]
	require.True(t, strings.HasPrefix(blob, "AAAA"))
	line := "alice:" + authorized + " alice@laptop"
	store := &memStore{md: plan.Metadata{Fingerprint: "f1", Items: []plan.Item{{Key: "ssh-keys", Value: &line}}}}

	h, err := New(context.Background(), Options{
		Project:       "sec-project",
		Labels:        map[string]string{"version": "v1.2.3"},
		LabelAttrs:    []string{pruner.LogRunID, pruner.LogDryRun},
		Env:           gkeEnv(),
		ClientOptions: clientOptions(addr),
		OnFailure:     func(err error) { t.Errorf("cloud logging failed: %v", err) },
	})
	require.NoError(t, err)
	policy, err := plan.NewPolicy(nil, false)
	require.NoError(t, err)
	r := &pruner.Reconciler{
		Lister: store, Store: store, Policy: policy, Logger: slog.New(h),
		Now:   func() time.Time { return time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC) },
		Apply: true, Concurrency: 1, MaxAttempts: 1, RunID: "run-1",
	}
	_, err = r.Run(context.Background(), pruner.Scope{Organization: "1"})
	require.NoError(t, err)
	require.NoError(t, h.Close())

	var removed []*logpb.LogEntry
	for _, e := range fake.entries("projects/sec-project/logs/ssh-pruner") {
		if e.GetJsonPayload().GetFields()["message"].GetStringValue() == "key removed" {
			removed = append(removed, e)
		}
	}
	require.Len(t, removed, 1)
	e := removed[0]
	got := e.GetJsonPayload().AsMap()
	require.Equal(t, "app-prod", got["project"])
	require.Equal(t, ssh.FingerprintSHA256(sshPub), got["fingerprint"])
	require.Equal(t, "alice", got["username"])
	require.Equal(t, "no-expiry", got["reason"])
	require.Equal(t, "remove", got["action"])
	require.Equal(t, false, got["dryRun"])
	require.Equal(t, "run-1", got["runId"])
	require.Equal(t, map[string]string{"runId": "run-1", "dryRun": "false", "version": "v1.2.3"}, e.Labels)
	require.Equal(t, "INFO", e.Severity.String())
	require.Equal(t, "k8s_container", e.Resource.GetType())
	require.Equal(t, map[string]string{
		"project_id": "sec-project", "location": "europe-west1", "cluster_name": "security",
		"namespace_name": "ssh-pruner", "pod_name": "ssh-pruner-29000000-abcde", "container_name": "ssh-pruner",
	}, e.Resource.GetLabels())

	// No key material anywhere on the wire.
	wire := fake.wire()
	require.Contains(t, wire, ssh.FingerprintSHA256(sshPub))
	require.NotContains(t, wire, blob)
	require.NotContains(t, wire, "AAAA")
}

// TestPayloadLikeJSONHandler checks that an entry has the fields that
// slog.JSONHandler writes for the same record, the message as "message",
// and the severity that cmd/ssh-pruner's JSON lines give the level.
func TestPayloadLikeJSONHandler(t *testing.T) {
	at := time.Date(2026, 3, 1, 12, 30, 0, 123456789, time.UTC)
	tests := []struct {
		name     string
		severity string
		log      func(*slog.Logger)
	}{
		{"flat", "INFO", func(l *slog.Logger) { l.Info("key removed", "project", "p", "dryRun", true, "line", 3) }},
		{"with", "WARNING", func(l *slog.Logger) { l.With("runId", "r").Warn("m", "x", 1.5) }},
		{"groups", "DEBUG", func(l *slog.Logger) {
			l.WithGroup("g").With("a", 1).Debug("m", slog.Group("h", "b", "c"), "d", time.Second)
		}},
		{"empty group dropped", "INFO", func(l *slog.Logger) { l.WithGroup("g").Info("m", slog.Group("h")) }},
		{"inline group", "INFO", func(l *slog.Logger) { l.Info("m", slog.Group("", "a", "b")) }},
		{"error and time", "ERROR", func(l *slog.Logger) { l.Error("m", "error", errors.New("boom"), "at", at) }},
		{"empty attr ignored", "INFO", func(l *slog.Logger) { l.Info("m", slog.Attr{}, "a", "b") }},
		{"custom level", "ERROR", func(l *slog.Logger) { l.Log(context.Background(), slog.LevelError+4, "m") }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var buf bytes.Buffer
			tt.log(slog.New(slog.NewJSONHandler(&buf, &slog.HandlerOptions{Level: slog.LevelDebug})))
			var want map[string]any
			require.NoError(t, json.Unmarshal(buf.Bytes(), &want))
			want["message"] = want["msg"]
			delete(want, "msg")
			delete(want, "level")
			delete(want, "time")

			fake := &fakeLogging{}
			h, err := New(context.Background(), Options{
				Project: "p", LogName: "test", Level: slog.LevelDebug,
				Env: Env{Getenv: func(string) string { return "" }}, ClientOptions: clientOptions(startFake(t, fake)),
			})
			require.NoError(t, err)
			tt.log(slog.New(h))
			require.NoError(t, h.Close())
			entries := fake.entries("projects/p/logs/test")
			require.Len(t, entries, 1)
			data, err := protojson.Marshal(entries[0].GetJsonPayload())
			require.NoError(t, err)
			var got map[string]any
			require.NoError(t, json.Unmarshal(data, &got))
			require.Equal(t, want, got)
			require.Equal(t, tt.severity, entries[0].Severity.String())
			require.Equal(t, "global", entries[0].Resource.GetType())
		})
	}
}

// TestFallbackWhenUnreachable: nothing listens at the endpoint. The first
// entry fails, the failure is reported once, and every entry goes to the
// fallback, the first one included.
func TestFallbackWhenUnreachable(t *testing.T) {
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	addr := lis.Addr().String()
	require.NoError(t, lis.Close())

	var buf bytes.Buffer
	var mu sync.Mutex
	var failures []error
	h, err := New(context.Background(), Options{
		Project: "sec-project", Env: Env{Getenv: func(string) string { return "" }},
		ClientOptions: clientOptions(addr),
		ProbeTimeout:  300 * time.Millisecond,
		Fallback:      slog.NewJSONHandler(&syncWriter{w: &buf, mu: &mu}, nil),
		OnFailure: func(err error) {
			mu.Lock()
			defer mu.Unlock()
			failures = append(failures, err)
		},
	})
	require.NoError(t, err)
	log := slog.New(h).With("runId", "r1")
	var wg sync.WaitGroup
	for i := range 4 {
		wg.Go(func() { log.Info("key removed", "n", i) })
	}
	wg.Wait()
	log.WithGroup("g").Info("after", "k", "v")
	require.NoError(t, h.Close())
	log.Info("after close")

	mu.Lock()
	defer mu.Unlock()
	require.Len(t, failures, 1, "the failure is reported once")
	require.ErrorContains(t, failures[0], "project sec-project")
	lines := strings.Split(strings.TrimSpace(buf.String()), "\n")
	require.Len(t, lines, 6, "every entry went to the fallback: %s", buf.String())
	require.Equal(t, 4, strings.Count(buf.String(), `"msg":"key removed","runId":"r1"`))
	require.Contains(t, buf.String(), `"msg":"after","runId":"r1","g":{"k":"v"}`)
}

// TestFallbackAfterLaterFailure: the first write succeeds, a later one is
// refused; from then on entries go to the fallback.
func TestFallbackAfterLaterFailure(t *testing.T) {
	fake := &fakeLogging{failAfter: 1}
	var buf bytes.Buffer
	var mu sync.Mutex
	failures := 0
	h, err := New(context.Background(), Options{
		Project: "sec-project", Env: Env{Getenv: func(string) string { return "" }},
		ClientOptions: clientOptions(startFake(t, fake)),
		Fallback:      slog.NewJSONHandler(&syncWriter{w: &buf, mu: &mu}, nil),
		OnFailure: func(error) {
			mu.Lock()
			defer mu.Unlock()
			failures++
		},
	})
	require.NoError(t, err)
	log := slog.New(h)
	log.Info("first")  // written synchronously: accepted
	log.Info("second") // buffered, then refused
	require.Error(t, h.s.logger.Flush())
	<-h.s.failed
	log.Info("third")
	require.NoError(t, h.Close(), "the error was reported by Flush already")

	require.Len(t, fake.entries("projects/sec-project/logs/ssh-pruner"), 1)
	mu.Lock()
	defer mu.Unlock()
	require.Equal(t, 1, failures)
	require.Contains(t, buf.String(), `"msg":"third"`)
	require.NotContains(t, buf.String(), `"msg":"first"`)
	// The documented loss: an entry buffered when its bundle fails goes
	// to neither side. The CronJob writes to both for this reason.
	require.NotContains(t, buf.String(), `"msg":"second"`)
}

func TestEntriesHaveUniqueInsertIDs(t *testing.T) {
	fake := &fakeLogging{}
	h, err := New(context.Background(), Options{
		Project: "sec-project", Env: Env{Getenv: func(string) string { return "" }},
		ClientOptions: clientOptions(startFake(t, fake)),
	})
	require.NoError(t, err)
	log := slog.New(h)
	for i := range 5 {
		log.Info("entry", "i", i)
	}
	require.NoError(t, h.Close())
	seen := map[string]bool{}
	for _, e := range fake.entries("projects/sec-project/logs/ssh-pruner") {
		require.NotEmpty(t, e.InsertId, "Cloud Logging dedupes a retried entry by its InsertID")
		require.False(t, seen[e.InsertId], "duplicate InsertID %s", e.InsertId)
		seen[e.InsertId] = true
	}
	require.Len(t, seen, 5)
}

type syncWriter struct {
	w  *bytes.Buffer
	mu *sync.Mutex
}

func (s *syncWriter) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.w.Write(p)
}
