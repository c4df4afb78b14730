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
