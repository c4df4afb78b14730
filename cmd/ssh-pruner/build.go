package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"log/slog"
	"math"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/ssh-pruner/ssh-pruner/gcp"
	"github.com/ssh-pruner/ssh-pruner/pruner"
	"github.com/ssh-pruner/ssh-pruner/pruner/policy"
)

// setup is what a command runs with, built from its options and checked
// whole before anything connects. It is a value: nothing changes it once
// built, so what was checked is what runs.
type setup struct {
	scope    pruner.Scope
	policy   policy.Config   // as a plan file records it
	compiled policy.Compiled // as the reconciler consumes it

	apply         bool
	concurrency   int
	maxAttempts   int
	output        string
	reportFile    string
	planOut       string
	exitOnChanges bool
	runID         string // "" for a random one per pass (passID)
	// keepReports keeps the projects' reports in the report rather than
	// spool them as they finish: the demo reads them back.
	keepReports bool

	// clock is the time of the pass; fixed only by tests, against a fake.
	clock func() time.Time

	state         string // a directory or gs://BUCKET/PREFIX/; "" for none
	stateEndpoint string
	// attribution, with --audit-logs; nil for none.
	attribution *attributionSetup

	gcp gcp.Options

	logLevel  slog.Level
	logFormat string // auto, json or text
	log       logConfig
}

// What build needs of a command's flags.
type needs struct {
	scope bool // at least one of --organization, --folder, --project
}

// minQPS is the lowest --qps taken: below it a run of a few thousand calls
// would take days, which no one means.
const minQPS = 0.1

// build checks every option and makes the setup of a command.
func (o *options) build(ctx context.Context, n needs) (setup, error) {
	s := setup{
		apply: o.apply, concurrency: o.concurrency, maxAttempts: o.maxAttempts, output: o.output,
		reportFile: o.reportFile, planOut: o.planOut, exitOnChanges: o.exitOnChanges, runID: o.runID,
		state: o.state, stateEndpoint: o.stateEndpoint,
		logLevel: o.logLevel.level, logFormat: o.logFormat, log: o.log,
	}
	if n.scope {
		s.scope = pruner.Scope{Organization: o.organization, Folders: o.folders, Projects: o.projects}
		if s.scope.Organization == "" && len(s.scope.Folders) == 0 && len(s.scope.Projects) == 0 {
			return s, usageErrorf("no scope: give --organization, --folder or --project")
		}
	}
	var err error
	if s.policy, s.compiled, err = o.policy(ctx); err != nil {
		return s, err
	}
	for _, check := range []func() error{o.checkValues, o.checkEndpoint, o.checkFiles} {
		if err := check(); err != nil {
			return s, err
		}
	}
	if err := o.checkState(time.Duration(s.policy.Grace)); err != nil {
		return s, err
	}
	if s.attribution, err = o.checkAttribution(); err != nil {
		return s, err
	}
	if s.clock, err = o.clock(); err != nil {
		return s, err
	}
	s.gcp = gcp.Options{
		Endpoint:                  o.apiEndpoint,
		ImpersonateServiceAccount: o.impersonate,
		QuotaProject:              o.quotaProject,
		QPS:                       o.qps,
		ListConcurrency:           max(1, o.concurrency),
		UserAgent:                 "ssh-pruner/" + version(),
	}
	return s, nil
}

// checkValues checks the flags that stand alone.
func (o *options) checkValues() error {
	has := func(name string) bool { return o.fs.Lookup(name) != nil }
	for _, c := range []struct {
		bad bool
		err func() error
	}{
		{o.output != "" && o.output != "text" && o.output != "json", func() error { return usageErrorf("--output %q: want text or json", o.output) }},
		{!slices.Contains([]string{"", "auto", "json", "text"}, o.logFormat), func() error { return usageErrorf("--log-format %q: want auto, json or text", o.logFormat) }},
		{has("concurrency") && o.concurrency < 1, func() error { return usageErrorf("--concurrency %d: want at least 1", o.concurrency) }},
		{!validQPS(o.qps), func() error { return usageErrorf("--qps %v: want 0 (no limit) or at least %v", o.qps, minQPS) }},
		{has("max-attempts") && o.maxAttempts < 1, func() error { return usageErrorf("--max-attempts %d: want at least 1", o.maxAttempts) }},
		{o.planOut != "" && o.apply, func() error { return usageErrorf("%v", errPlanOutApply) }},
	} {
		if c.bad {
			return c.err()
		}
	}
	return nil
}

func validQPS(qps float64) bool {
	return !math.IsNaN(qps) && !math.IsInf(qps, 0) && (qps == 0 || qps >= minQPS)
}

var errPlanOutApply = errors.New("--plan-out makes a plan for review: it is a dry run, without --apply")

// checkEndpoint refuses an --api-endpoint that is no http(s) URL with a
// host: Google's clients would fail on it later, some by panicking.
func (o *options) checkEndpoint() error {
	return checkURL("--api-endpoint", o.apiEndpoint)
}

func checkURL(flag, endpoint string) error {
	if endpoint == "" {
		return nil
	}
	u, err := url.Parse(endpoint)
	switch {
	case err != nil:
		return usageErrorf("%s %q: not a URL", flag, endpoint)
	case u.Scheme != "http" && u.Scheme != "https":
		return usageErrorf("%s %q: want an http:// or https:// URL", flag, endpoint)
	case u.Host == "":
		return usageErrorf("%s %q: no host", flag, endpoint)
	case u.RawQuery != "" || u.Fragment != "":
		return usageErrorf("%s %q: a base URL takes no query or fragment", flag, endpoint)
	}
	return nil
}

// checkFiles checks that the files written at the end can be, as
// writeOutput will write them.
func (o *options) checkFiles() error {
	for _, f := range []struct{ flag, path string }{{"--report", o.reportFile}, {"--plan-out", o.planOut}} {
		if f.path == "" {
			continue
		}
		if err := checkOutput(f.path); err != nil {
			return usageErrorf("%s %s: %v", f.flag, f.path, err)
		}
	}
	return nil
}

// checkState checks --grace, --state and --state-endpoint before anything
// is read.
func (o *options) checkState(grace time.Duration) error {
	switch {
	case grace > 0 && o.state == "":
		return usageErrorf("grace %v (--grace, or grace: of --policy) needs --state DIR/ or gs://BUCKET/PREFIX/: without a memory of when each key was first seen, every run would start the clocks again and no key without expiry would ever go", grace)
	case o.state == "" && o.stateEndpoint != "":
		return usageErrorf("--state-endpoint is for a --state gs://BUCKET/PREFIX/")
	case o.state == "":
		return nil
	case strings.HasPrefix(o.state, "gs://"):
		return o.checkStatePrefix()
	case o.stateEndpoint != "":
		return usageErrorf("--state-endpoint is for a --state gs://BUCKET/PREFIX/, not a directory")
	case strings.Contains(o.state, "://"):
		return usageErrorf("--state %q: want a directory or gs://BUCKET/PREFIX/", o.state)
	}
	return checkStateDir(o.state)
}

// attributionSetup is what --audit-logs and its flags ask for.
type attributionSetup struct {
	resource        string
	lookback, delay time.Duration
	require         bool
}

// maxLookback is the retention of Admin Activity audit logs.
const maxLookback = 400 * 24 * time.Hour

// checkAttribution checks --audit-logs and the flags that go with it.
func (o *options) checkAttribution() (*attributionSetup, error) {
	if o.fs.Lookup("audit-logs") == nil {
		return nil, nil
	}
	if o.auditLogs == "" {
		for _, f := range []string{"attribution-lookback", "audit-log-delay", "require-attribution"} {
			if o.given[f] {
				return nil, usageErrorf("--%s goes with --audit-logs", f)
			}
		}
		return nil, nil
	}
	switch {
	case o.state == "":
		return nil, usageErrorf("--audit-logs needs --state: a key is attributed by the reads of its target before and after it, which the state remembers")
	case o.lookback < 0 || o.lookback > maxLookback:
		return nil, usageErrorf("--attribution-lookback %v: want 0 to %v, the audit logs' retention", o.lookback, maxLookback)
	case o.auditDelay < 0:
		return nil, usageErrorf("--audit-log-delay %v: want 0 or more", o.auditDelay)
	}
	if err := gcp.CheckAuditResource(o.auditLogs); err != nil {
		return nil, usageErrorf("--audit-logs: %v", err)
	}
	return &attributionSetup{resource: o.auditLogs, lookback: o.lookback, delay: o.auditDelay, require: o.requireAttribution}, nil
}

// checkStateDir checks a --state directory: it is one, or can be made. A
// file is the single-object state of version 1: it is migrated from
// DIR/state.json.
func checkStateDir(dir string) error {
	fi, err := os.Stat(dir)
	switch {
	case err == nil && fi.Mode().IsRegular():
		return usageErrorf("--state %s is a file: the state is now a directory, one file a project; move the file into a directory as state.json and give the directory (--state DIR/): it is migrated on first read", dir)
	case err == nil && !fi.IsDir():
		return usageErrorf("--state %s: not a directory", dir)
	case err == nil:
		if err := checkWritableDir(filepath.Join(dir, "x")); err != nil {
			return usageErrorf("--state %s: %v", dir, err)
		}
	default:
		if err := checkWritableDir(filepath.Clean(dir)); err != nil {
			return usageErrorf("--state %s: %v", dir, err)
		}
	}
	return nil
}

func (o *options) checkStatePrefix() error {
	if _, _, err := gcp.ParseGSPrefix(o.state); err != nil {
		return usageErrorf("--state %v", err)
	}
	if o.apiEndpoint != "" && o.stateEndpoint == "" {
		if o.fs.Lookup("state-endpoint") == nil {
			// A fake organization's state has no place in a real bucket,
			// and the binary has no fake Cloud Storage to offer.
			return usageErrorf("--state %s: the APIs are a fake (--api-endpoint): keep its state in a directory (--state DIR/), not in Cloud Storage", o.state)
		}
		return usageErrorf("--state %s: the APIs are a fake (--api-endpoint), so the state needs a fake Cloud Storage too (--state-endpoint)", o.state)
	}
	return checkURL("--state-endpoint", o.stateEndpoint)
}

// checkWritableDir tells whether a new file can be created next to path,
// without touching path itself: the report is written there at the end,
// through a temporary file and a rename.
func checkWritableDir(path string) error {
	f, err := os.CreateTemp(filepath.Dir(path), ".ssh-pruner-check-*")
	if err != nil {
		return err
	}
	name := f.Name()
	f.Close()
	return os.Remove(name)
}

// clock is the clock of a pass: the real one, or with --now (tests only)
// a fixed one, and only against a fake: against Google, a wrong clock
// removes keys that are still valid.
func (o *options) clock() (func() time.Time, error) {
	if o.now == "" {
		return time.Now, nil
	}
	if o.apiEndpoint == "" {
		return nil, usageErrorf("--now is for runs against a fake (--api-endpoint)")
	}
	t, err := time.Parse(time.RFC3339, o.now)
	if err != nil {
		return nil, usageErrorf("--now %q: want RFC 3339, e.g. 2026-01-02T15:04:05Z", o.now)
	}
	return func() time.Time { return t }, nil
}

func newRunID() string {
	b := make([]byte, 8)
	_, _ = rand.Read(b) // never fails: crypto/rand panics rather than return an error
	return hex.EncodeToString(b)
}
