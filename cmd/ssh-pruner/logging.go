package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"strings"

	"github.com/ssh-pruner/ssh-pruner/gcp/cloudlog"
	"github.com/ssh-pruner/ssh-pruner/pruner"
)

// newJSONLogger writes JSON lines with the field names Cloud Logging reads
// from a container's output: severity, message, time.
func newJSONLogger(w io.Writer, level slog.Level) *slog.Logger {
	return slog.New(slog.NewJSONHandler(w, &slog.HandlerOptions{
		Level: level,
		ReplaceAttr: func(groups []string, a slog.Attr) slog.Attr {
			if len(groups) > 0 {
				return a
			}
			switch a.Key {
			case slog.MessageKey:
				a.Key = "message"
			case slog.LevelKey:
				a.Key = "severity"
				a.Value = slog.StringValue(cloudlog.SeverityName(a.Value.Any().(slog.Level)))
			}
			return a
		},
	}))
}

// levelFlag is a --log-level value.
type levelFlag struct{ level slog.Level }

func (l *levelFlag) String() string { return strings.ToLower(l.level.String()) }

func (l *levelFlag) Set(v string) error {
	switch strings.ToLower(v) {
	case "debug":
		l.level = slog.LevelDebug
	case "info":
		l.level = slog.LevelInfo
	case "warn", "warning":
		l.level = slog.LevelWarn
	case "error":
		l.level = slog.LevelError
	default:
		return fmt.Errorf("unknown level %q (debug, info, warn, error)", v)
	}
	return nil
}

// newLocalLogger is the logger of stderr: JSON lines for machines (the
// CronJob, a pipe), key=value text for a person. slog's text handler
// quotes any value with a control or non-printing character, so metadata
// cannot drive the terminal through a log line.
func newLocalLogger(w io.Writer, format string, level slog.Level) *slog.Logger {
	if format == "text" {
		return slog.New(keysAtDebug{slog.NewTextHandler(w, &slog.HandlerOptions{Level: level}), level})
	}
	return newJSONLogger(w, level)
}

// logFormat resolves --log-format auto for stderr.
func logFormat(flag string, stderr io.Writer) string {
	if flag == "" || flag == "auto" {
		if isTerminal(stderr) {
			return "text"
		}
		return "json"
	}
	return flag
}

// keysAtDebug passes the entries of key decisions (event=key, event=guard)
// only at --log-level debug: a person at a terminal reads them in the
// report that follows, and a line per key above it (245 lines for 12
// projects) hides the plan. JSON logs, for machines and dashboards, keep
// them at their level.
type keysAtDebug struct {
	slog.Handler
	level slog.Level
}

func (h keysAtDebug) Handle(ctx context.Context, r slog.Record) error {
	if h.level > slog.LevelDebug && r.Level < slog.LevelWarn && isKeyDecision(r) {
		return nil
	}
	return h.Handler.Handle(ctx, r)
}

func (h keysAtDebug) WithAttrs(attrs []slog.Attr) slog.Handler {
	return keysAtDebug{h.Handler.WithAttrs(attrs), h.level}
}

func (h keysAtDebug) WithGroup(name string) slog.Handler {
	return keysAtDebug{h.Handler.WithGroup(name), h.level}
}

func isKeyDecision(r slog.Record) bool {
	found := false
	r.Attrs(func(a slog.Attr) bool {
		if a.Key == pruner.LogEvent {
			v := a.Value.String()
			found = v == pruner.EventKey || v == pruner.EventGuard
			return false
		}
		return true
	})
	return found
}
