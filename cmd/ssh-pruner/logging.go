package main

import (
	"fmt"
	"io"
	"log/slog"
	"strings"

	"github.com/ssh-pruner/ssh-pruner/gcp/cloudlog"
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
		return slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{Level: level}))
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
