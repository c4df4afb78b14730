// Package cloudlog is a log/slog handler that writes to Cloud Logging
// through cloud.google.com/go/logging, with the entries' fields as the
// JSON lines written to stderr: same attributes, the message as "message".
//
// The first entry is written synchronously, to learn at once whether Cloud
// Logging can be reached; the next ones are buffered and sent in bundles.
// When a write fails, the failure is reported once and every later entry
// goes to a fallback handler instead. Entries already buffered when a
// write fails (up to one bundle in flight and those queued behind it) are
// lost to both: where every entry must be kept, write to stderr as well.
package cloudlog

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"fmt"
	"log/slog"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"cloud.google.com/go/logging"
	"google.golang.org/api/impersonate"
	"google.golang.org/api/option"
	mrpb "google.golang.org/genproto/googleapis/api/monitoredres"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
)

// DefaultLogName is the log the entries go to.
const DefaultLogName = "ssh-pruner"

// Options configure a Handler.
type Options struct {
	// Project receives the entries. Required.
	Project string
	// LogName is the log id; default DefaultLogName.
	LogName string
	// Level is the least level written; default slog.LevelInfo.
	Level slog.Leveler
	// Labels are set on every entry, such as {"version": "v1.2.3"}.
	Labels map[string]string
	// LabelAttrs name the top-level attributes whose values also become
	// entry labels (ssh-pruner: runId, dryRun); none by default.
	LabelAttrs []string
	// Resource is the monitored resource; nil detects it with
	// DetectResource and Env.
	Resource *mrpb.MonitoredResource
	// Env is read to detect the resource; zero value: OSEnv().
	Env Env
	// Fallback receives the entries once Cloud Logging failed; nil drops them.
	Fallback slog.Handler
	// OnFailure is called once, with the first error of Cloud Logging.
	OnFailure func(error)
	// ProbeTimeout bounds the synchronous write of the first entry; default 15s.
	ProbeTimeout time.Duration
	// WriteTimeout bounds each buffered write, its retries included, and so
	// the wait of Close; default 30s.
	WriteTimeout time.Duration
	// ImpersonateServiceAccount writes as this service account.
	ImpersonateServiceAccount string
	// QuotaProject is charged for the API quota.
	QuotaProject string
	// InsecureEndpoint, host:port, sends to a Cloud Logging stand-in over
	// plain gRPC without credentials (tests); it goes before ClientOptions.
	InsecureEndpoint string
	// ClientOptions come last, e.g. an endpoint for tests.
	ClientOptions []option.ClientOption
}

// Handler is a slog.Handler that writes to Cloud Logging. Close it before
// the process exits: it sends what is buffered.
type Handler struct {
	s        *sink
	chain    []groupOrAttrs
	fallback slog.Handler // with the same chain as this handler
}

var _ slog.Handler = (*Handler)(nil)

// sink is what the handlers of one New share.
type sink struct {
	opts   Options
	client *logging.Client
	logger *logging.Logger

	mu     sync.Mutex // held while the first entry is written
	probed bool
	failed chan struct{} // closed when Cloud Logging failed
	once   sync.Once
	closed atomic.Bool

	// stop ends the writes of queued bundles once Cloud Logging failed,
	// so that Close does not wait a WriteTimeout for each of them.
	stop     context.Context
	stopNow  context.CancelFunc
	idPrefix string        // makes InsertIDs unique across runs
	seq      atomic.Uint64 // numbers the entries of this sink
}

// New connects to Cloud Logging. It fails only when the options are wrong
// or no client can be made (no credentials); an unreachable service is
// found at the first entry.
func New(ctx context.Context, o Options) (*Handler, error) {
	if o.Project == "" {
		return nil, fmt.Errorf("cloud logging: no project")
	}
	if o.LogName == "" {
		o.LogName = DefaultLogName
	}
	if o.Level == nil {
		o.Level = slog.LevelInfo
	}
	if o.ProbeTimeout <= 0 {
		o.ProbeTimeout = 15 * time.Second
	}
	if o.WriteTimeout <= 0 {
		o.WriteTimeout = 30 * time.Second
	}
	if o.Env.Getenv == nil {
		o.Env = OSEnv()
	}
	if o.Resource == nil {
		o.Resource = DetectResource(ctx, o.Env, o.Project)
	}

	var copts []option.ClientOption
	if o.QuotaProject != "" {
		copts = append(copts, option.WithQuotaProject(o.QuotaProject))
	}
	if o.ImpersonateServiceAccount != "" {
		ts, err := impersonate.CredentialsTokenSource(ctx, impersonate.CredentialsConfig{
			TargetPrincipal: o.ImpersonateServiceAccount,
			Scopes:          []string{logging.WriteScope},
		})
		if err != nil {
			return nil, fmt.Errorf("cloud logging: impersonate %s: %w", o.ImpersonateServiceAccount, err)
		}
		copts = append(copts, option.WithTokenSource(ts))
	}
	if o.InsecureEndpoint != "" {
		copts = append(copts,
			option.WithEndpoint(o.InsecureEndpoint),
			option.WithoutAuthentication(),
			option.WithGRPCDialOption(grpc.WithTransportCredentials(insecure.NewCredentials())))
	}
	copts = append(copts, o.ClientOptions...)
	client, err := logging.NewClient(ctx, "projects/"+o.Project, copts...)
	if err != nil {
		return nil, fmt.Errorf("cloud logging: %w", err)
	}
	s := &sink{opts: o, client: client, failed: make(chan struct{}), idPrefix: rand.Text()[:12]}
	s.stop, s.stopNow = context.WithCancel(context.Background())
	client.OnError = s.fail
	s.logger = client.Logger(o.LogName,
		logging.CommonResource(o.Resource),
		logging.CommonLabels(o.Labels),
		logging.ContextFunc(func() (context.Context, func()) {
			return context.WithTimeout(s.stop, o.WriteTimeout)
		}),
	)
	return &Handler{s: s, fallback: o.Fallback}, nil
}

// fail reports the first failure and sends later entries to the fallback.
func (s *sink) fail(err error) {
	s.once.Do(func() {
		close(s.failed)
		s.stopNow()
		if s.opts.OnFailure != nil {
			s.opts.OnFailure(err)
		}
	})
}

func (s *sink) isFailed() bool {
	select {
	case <-s.failed:
		return true
	default:
		return false
	}
}

// Enabled reports whether l is at least the configured level.
func (h *Handler) Enabled(_ context.Context, l slog.Level) bool {
	return l >= h.s.opts.Level.Level()
}

// WithAttrs returns a handler whose entries carry attrs.
func (h *Handler) WithAttrs(attrs []slog.Attr) slog.Handler {
	if len(attrs) == 0 {
		return h
	}
	h2 := h.with(groupOrAttrs{attrs: slices.Clone(attrs)})
	if h.fallback != nil {
		h2.fallback = h.fallback.WithAttrs(attrs)
	}
	return h2
}

// WithGroup returns a handler whose next attributes go in group name.
func (h *Handler) WithGroup(name string) slog.Handler {
	if name == "" {
		return h
	}
	h2 := h.with(groupOrAttrs{group: name})
	if h.fallback != nil {
		h2.fallback = h.fallback.WithGroup(name)
	}
	return h2
}

func (h *Handler) with(ga groupOrAttrs) *Handler {
	return &Handler{s: h.s, chain: append(slices.Clip(h.chain), ga), fallback: h.fallback}
}

// Handle writes r to Cloud Logging, or to the fallback once Cloud Logging failed.
func (h *Handler) Handle(ctx context.Context, r slog.Record) error {
	if h.s.isFailed() || h.s.closed.Load() {
		return h.toFallback(ctx, r)
	}
	e, err := h.entry(r)
	if err != nil {
		return err
	}
	h.s.mu.Lock()
	if h.s.isFailed() { // the first entry failed while this one waited
		h.s.mu.Unlock()
		return h.toFallback(ctx, r)
	}
	if !h.s.probed {
		defer h.s.mu.Unlock()
		h.s.probed = true
		pctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), h.s.opts.ProbeTimeout)
		defer cancel()
		if err := h.s.logger.LogSync(pctx, e); err != nil {
			h.s.fail(fmt.Errorf("write to log %s in project %s: %w", h.s.opts.LogName, h.s.opts.Project, err))
			return h.toFallback(ctx, r)
		}
		return nil
	}
	h.s.mu.Unlock()
	h.s.logger.Log(e)
	return nil
}

func (h *Handler) toFallback(ctx context.Context, r slog.Record) error {
	if h.fallback == nil || !h.fallback.Enabled(ctx, r.Level) {
		return nil
	}
	return h.fallback.Handle(ctx, r)
}

// entry turns a record into a Cloud Logging entry.
func (h *Handler) entry(r slog.Record) (logging.Entry, error) {
	p := payload(h.chain, r)
	var labels map[string]string
	for _, k := range h.s.opts.LabelAttrs {
		if v, ok := labelValue(p[k]); ok {
			if labels == nil {
				labels = make(map[string]string)
			}
			labels[k] = v
		}
	}
	data, err := json.Marshal(p)
	if err != nil {
		return logging.Entry{}, fmt.Errorf("cloud logging: encode entry %q: %w", r.Message, err)
	}
	t := r.Time
	if t.IsZero() {
		t = time.Now()
	}
	return logging.Entry{
		// The client retries a bundle on some errors; with an InsertID,
		// Cloud Logging keeps one copy of an entry sent twice, and the
		// keys-removed metric counts it once.
		InsertID:  h.s.idPrefix + "-" + strconv.FormatUint(h.s.seq.Add(1), 10),
		Timestamp: t,
		Severity:  severity(r.Level),
		Payload:   json.RawMessage(data),
		Labels:    labels,
	}, nil
}

// SeverityName names a slog level as Cloud Logging does; the JSON lines on
// stderr and the entries sent to Cloud Logging use it alike.
//
//	slog level           severity
//	below Info           DEBUG
//	Info .. below Warn   INFO
//	Warn .. below Error  WARNING
//	Error and above      ERROR
func SeverityName(l slog.Level) string {
	switch {
	case l >= slog.LevelError:
		return "ERROR"
	case l >= slog.LevelWarn:
		return "WARNING"
	case l >= slog.LevelInfo:
		return "INFO"
	default:
		return "DEBUG"
	}
}

func severity(l slog.Level) logging.Severity { return logging.ParseSeverity(SeverityName(l)) }

// Close sends the buffered entries, waiting at most about WriteTimeout,
// and closes the client. A failure is reported through OnFailure, once,
// and returned. Entries handled after Close go to the fallback.
func (h *Handler) Close() error {
	if h.s.closed.Swap(true) {
		return nil
	}
	defer h.s.stopNow()
	err := h.s.client.Close() // flushes every logger of the client
	if err != nil {
		h.s.fail(err)
		return fmt.Errorf("cloud logging: %w", err)
	}
	return nil
}
