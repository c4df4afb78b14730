package main

import (
	"context"
	"flag"
	"io"
	"log/slog"
	"time"

	"github.com/ssh-pruner/ssh-pruner/gcp/cloudlog"
	"github.com/ssh-pruner/ssh-pruner/pruner"
)

// Values of --log-destination.
const (
	logToStdout = "stdout"        // JSON lines on stderr (stdout keeps the report)
	logToCloud  = "cloud-logging" // the Cloud Logging API
	logToBoth   = "both"
)

// logConfig holds the flags that say where log entries go.
type logConfig struct {
	destination string
	project     string
	name        string
	endpoint    string
}

func addLogDestinationFlags(fs *flag.FlagSet, c *logConfig) {
	fs.StringVar(&c.destination, "log-destination", logToStdout,
		"where log entries go: stdout (JSON lines, written to stderr so that stdout keeps the report), cloud-logging (the Cloud Logging API), or both")
	fs.StringVar(&c.project, "log-project", "",
		"project `ID` that receives the Cloud Logging entries (default: the project of the metadata server, in GKE the cluster's; required elsewhere)")
	fs.StringVar(&c.name, "log-name", cloudlog.DefaultLogName, "Cloud Logging log `NAME`")
}

// cloudProbeTimeout bounds the first write to Cloud Logging, which tells
// whether it can be reached. Tests shorten it.
var cloudProbeTimeout time.Duration // 0: cloudlog's default

// detectLogProject finds the project of the metadata server. Tests replace it.
var detectLogProject = func(ctx context.Context) (string, error) {
	return cloudlog.DetectProject(ctx, cloudlog.OSEnv())
}

// newRunLogger builds the logger of a run from the flags, and the function
// that flushes it: call it before exiting, SIGTERM included. When Cloud
// Logging cannot be reached the run goes on, the entries go to stderr, and
// the failure is said once, on stderr.
//
//	--log-destination  entries go to
//	stdout             stderr, JSON lines
//	cloud-logging      Cloud Logging; stderr once it failed
//	both               stderr and Cloud Logging
func newRunLogger(ctx context.Context, s setup, stderr io.Writer) (*slog.Logger, func(), error) {
	c := s.log
	local := newLocalLogger(stderr, logFormat(s.logFormat, stderr), s.logLevel)
	switch c.destination {
	case logToStdout:
		return local, func() {}, nil
	case logToCloud, logToBoth:
	default:
		return nil, nil, usageErrorf("--log-destination %q: want %s, %s or %s", c.destination, logToStdout, logToCloud, logToBoth)
	}
	if c.name == "" {
		return nil, nil, usageErrorf("--log-name: empty")
	}
	project := c.project
	if project == "" {
		p, err := detectLogProject(ctx)
		if err != nil {
			return nil, nil, usageErrorf("--log-destination %s needs --log-project: the project cannot be detected (%v)", c.destination, err)
		}
		project = p
	}

	var fallback slog.Handler
	said := "entries go to stderr only"
	if c.destination == logToCloud {
		fallback = local.Handler()
		said = "entries go to stderr instead"
	}
	report := func(err error) {
		local.LogAttrs(ctx, slog.LevelWarn, "cloud logging unavailable, "+said,
			slog.String("logProject", project), slog.String("logName", c.name), slog.String("error", err.Error()))
	}
	opts := cloudlog.Options{
		Project:                   project,
		LogName:                   c.name,
		Level:                     s.logLevel,
		Labels:                    map[string]string{"version": version()},
		LabelAttrs:                []string{pruner.LogRunID, pruner.LogDryRun},
		Fallback:                  fallback,
		OnFailure:                 report,
		ImpersonateServiceAccount: s.gcp.ImpersonateServiceAccount,
		QuotaProject:              s.gcp.QuotaProject,
		ProbeTimeout:              cloudProbeTimeout,
	}
	opts.InsecureEndpoint = c.endpoint
	h, err := cloudlog.New(ctx, opts)
	if err != nil {
		report(err)
		return local, func() {}, nil
	}
	closeLog := func() { _ = h.Close() } // a failure was reported by OnFailure
	if c.destination == logToCloud {
		return slog.New(h), closeLog, nil
	}
	return slog.New(slog.NewMultiHandler(local.Handler(), h)), closeLog, nil
}
