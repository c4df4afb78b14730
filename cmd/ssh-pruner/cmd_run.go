package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"math"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/ssh-pruner/ssh-pruner/gcp"
	"github.com/ssh-pruner/ssh-pruner/pruner"
	"github.com/ssh-pruner/ssh-pruner/pruner/plan"
	"github.com/ssh-pruner/ssh-pruner/pruner/report"
)

const runUsage = `Usage: ssh-pruner run (--organization ID | --folder ID... | --project ID...) [flags]

Prunes the SSH keys (metadata items ssh-keys and sshKeys) of every project
of the scope that has Compute Engine enabled, and of each of its VMs
(--instances=false leaves VMs alone). Without --apply it only shows what it
would change (dry run).

Policy (README, "The policy", has the full table): a user key stays only
while its google-ssh expireOn lies in the future (reason unexpired); keys
without expiry (no-expiry), expired keys (expired) and lines the guest
agent rejects (invalid:<why>) are removed, and with --max-key-lifetime
keys that expire too far ahead (expiry-too-far). With --grace and --state,
a key without expiry stays until it has been seen for longer than the
grace (grace). Google-managed keys (user
gke-<hex>) are never removed (google-managed): found in a project's ssh-keys they move to
its sshKeys (google-key-misplaced); in a project's sshKeys only they stay
(else user-key-in-sshKeys); on a VM they stay where they are. A VM whose
sshKeys loses its last line also gets block-project-ssh-keys=TRUE
(instance-sshKeys-emptied): no prune opens a VM to more keys. Other
metadata items never change.

Examples:
  # What would change in the whole organization (dry run)
  ssh-pruner run --organization 123456789012

  # Apply to two folders, except one project, JSON report to a file
  ssh-pruner run --folder 1001 --folder 1002 --exclude-project legacy-bastion \
      --apply --report report.json

  # CI check: exit 3 when a project has keys to prune
  ssh-pruner run --project my-project --exit-code-on-changes

  # Give keys without expiry a day, remembering when each was first seen
  ssh-pruner run --organization 123456789012 --apply --grace 24h \
      --state gs://my-security-project-ssh-pruner-state/state.json

Exit status: 0 every project and VM handled; 1 a project or VM failed, a
zone could not be listed, the state could not be read or saved, or the
run was interrupted; 2 usage or configuration error, or a --state that is
not a state; 3 with --exit-code-on-changes, a dry run found changes.
`

// runConfig holds the flags shared by run, demo and schedule.
type runConfig struct {
	organization       string
	folders, projects  listFlag
	exclude            listFlag
	excludeFolders     listFlag
	excludeLabels      listFlag
	onlyLabels         listFlag
	apply              bool
	instances          bool
	concurrency        int
	qps                float64
	maxAttempts        int
	output             string
	reportFile         string
	exitOnChanges      bool
	googleManagedUsers patternFlag
	keepMisplaced      bool
	maxKeyLifetime     time.Duration
	grace              time.Duration
	state              string // --state: a file or gs://BUCKET/OBJECT
	stateEndpoint      string
	apiEndpoint        string
	impersonate        string
	quotaProject       string
	runID              string
	logLevel           levelFlag
	log                logConfig // where entries go: logdest.go
	logFormat          string
	maxPerTarget       string
	maxPerRun          int
	policyFile         string
	planOut            string
	protected          []plan.Protection // from --policy
	now                string
	// observer hears of the run's progress (the terminal's progress
	// line); nil for none.
	observer pruner.Observer
}

func addScopeFlags(fs *flag.FlagSet, c *runConfig) {
	fs.StringVar(&c.organization, "organization", "", "organization `ID` to prune, all folders included")
	fs.Var(&c.folders, "folder", "folder `ID` to prune, sub-folders included (repeatable)")
	fs.Var(&c.projects, "project", "project `ID` to prune (repeatable)")
	fs.StringVar(&c.apiEndpoint, "api-endpoint", "", "base `URL` of all Google APIs, e.g. a local gcp-fake; no credentials are used then")
	fs.StringVar(&c.impersonate, "impersonate-service-account", "", "act as this service account `EMAIL` (needs roles/iam.serviceAccountTokenCreator on it)")
	fs.StringVar(&c.quotaProject, "quota-project", "", "project `ID` charged for API quota")
}

func addRunFlags(fs *flag.FlagSet, c *runConfig) {
	fs.StringVar(&c.policyFile, "policy", "", "policy `FILE` (YAML): every policy setting of the flags, and protected keys; flags override it (ssh-pruner policy check FILE)")
	fs.Var(&c.exclude, "exclude-project", "project `ID` to leave alone (repeatable)")
	fs.Var(&c.excludeFolders, "exclude-folder", "folder `ID` whose projects, sub-folders included, are left alone (repeatable)")
	fs.Var(&c.excludeLabels, "exclude-label", "leave alone projects and VMs labelled `KEY=VALUE`, e.g. ssh-pruner=skip (repeatable)")
	fs.Var(&c.onlyLabels, "only-label", "prune only the projects labelled `KEY=VALUE`, e.g. ssh-pruner=enabled, for a rollout label by label (repeatable)")
	fs.BoolVar(&c.apply, "apply", false, "write the changes; without it nothing is written (dry run)")
	fs.BoolVar(&c.instances, "instances", true, "also prune each instance's own metadata; --instances=false leaves instances alone")
	fs.IntVar(&c.concurrency, "concurrency", pruner.DefaultConcurrency, "targets (projects and VMs) handled at once")
	fs.Float64Var(&c.qps, "qps", 0, "overall cap on API requests per second, retries included; 0 for none (per-API rates shaped like Google's quotas always hold)")
	fs.IntVar(&c.maxAttempts, "max-attempts", pruner.DefaultMaxAttempts, "read-plan-write rounds per project when its metadata keeps changing under us")
	fs.StringVar(&c.output, "output", "text", "report format on stdout: text or json")
	fs.StringVar(&c.reportFile, "report", "", "also write the JSON report to `FILE`")
	fs.StringVar(&c.planOut, "plan-out", "", "write the dry run's plan to `FILE`, for review and 'ssh-pruner apply FILE'")
	fs.BoolVar(&c.exitOnChanges, "exit-code-on-changes", false, "exit 3 when a dry run finds changes")
	fs.Var(&c.googleManagedUsers, "google-managed-user", "`REGEX` of usernames (or google-ssh userNames) whose keys Google manages (repeatable; default ^gke-[0-9a-f]+$)")
	fs.BoolVar(&c.keepMisplaced, "keep-misplaced-google-keys", false, "leave Google-managed keys found in ssh-keys there instead of moving them to sshKeys")
	fs.DurationVar(&c.maxKeyLifetime, "max-key-lifetime", 0, "also remove user keys whose expiry lies further than this `DURATION` ahead (e.g. 720h); 0 for no limit")
	fs.DurationVar(&c.grace, "grace", 0, "keep a key without expiry until it has been seen for longer than this `DURATION` (e.g. 24h), so that a key just added by gcloud or a script lasts a while; needs --state; 0 removes it at once")
	fs.StringVar(&c.state, "state", "", "where the pruner remembers when it first saw each key: a `FILE`, or gs://BUCKET/OBJECT; read at the start, written at the end")
	fs.StringVar(&c.stateEndpoint, "state-endpoint", "", "(hidden) base URL of a fake Cloud Storage for a gs:// --state, for tests")
	fs.StringVar(&c.maxPerTarget, "max-removals-per-target", fmt.Sprint(pruner.DefaultLimits.PerTarget), "hold (do not write) a target whose plan removes more keys than `N`, or than P% of its keys (e.g. 80%); 0 for no limit")
	fs.IntVar(&c.maxPerRun, "max-removals-per-run", pruner.DefaultLimits.PerRun, "hold every target once the run's removals would pass `N`; 0 for no limit")
	fs.StringVar(&c.runID, "run-id", "", "identifier of this run in logs and report (default random)")
	c.logLevel.level = slog.LevelInfo
	fs.Var(&c.logLevel, "log-level", "least severity logged on stderr: debug, info, warn, error (debug shows kept keys)")
	fs.StringVar(&c.logFormat, "log-format", "auto", "stderr log lines: json, text, or auto (text with a progress line on a terminal, json elsewhere)")
	fs.StringVar(&c.now, "now", "", "(hidden) fix the clock, RFC 3339, for tests and demos")
}

// parseRunFlags parses the flags of a pass (run, schedule, demo), then
// takes from --policy every setting that no flag and no environment
// variable gave.
func parseRunFlags(fs *flag.FlagSet, c *runConfig, args []string) error {
	if err := parseFlagsOnly(fs, args); err != nil {
		return err
	}
	given := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { given[f.Name] = true })
	return c.applyPolicyFile(func(name string) bool { return given[name] || os.Getenv(envName(name)) != "" })
}

// scope checks the scope flags.
func (c *runConfig) scope() (pruner.Scope, error) {
	s := pruner.Scope{Organization: c.organization, Folders: c.folders, Projects: c.projects}
	if s.Organization == "" && len(s.Folders) == 0 && len(s.Projects) == 0 {
		return s, usageErrorf("no scope: give --organization, --folder or --project")
	}
	return s, nil
}

// connect makes the Google client and the logger of a pass against Google;
// closeLog flushes the logger.
func (c *runConfig) connect(ctx context.Context, stderr io.Writer) (client *gcp.Client, logger *slog.Logger, closeLog func(), err error) {
	client, err = gcp.New(ctx, c.gcpOptions())
	if err != nil {
		return nil, nil, nil, usageErrorf("connect to Google Cloud: %v", err)
	}
	logger, closeLog, err = newRunLogger(ctx, c, stderr)
	if err != nil {
		return nil, nil, nil, err
	}
	return client, logger, closeLog, nil
}

// prepare checks every flag of a pass against Google (run, schedule):
// the scope, the values, the clock, and that the --report file can be
// written, before anything is.
func (c *runConfig) prepare() (pruner.Scope, error) {
	scope, err := c.scope()
	if err != nil {
		return scope, err
	}
	if err := c.check(); err != nil {
		return scope, err
	}
	if _, err := c.clock(); err != nil {
		return scope, err
	}
	return scope, nil
}

// minQPS is the lowest --qps taken: below it a run of a few thousand calls
// would take days, which no one means.
const minQPS = 0.1

// check validates the flags that do not depend on the scope: values,
// patterns, the endpoint, and that the --report file's directory takes a
// new file. Everything is checked before any connection is made.
func (c *runConfig) check() error {
	if c.output != "text" && c.output != "json" {
		return usageErrorf("--output %q: want text or json", c.output)
	}
	if c.logFormat != "" && c.logFormat != "auto" && c.logFormat != "json" && c.logFormat != "text" {
		return usageErrorf("--log-format %q: want auto, json or text", c.logFormat)
	}
	if c.concurrency < 1 {
		return usageErrorf("--concurrency %d: want at least 1", c.concurrency)
	}
	if math.IsNaN(c.qps) || math.IsInf(c.qps, 0) || c.qps < 0 || (c.qps > 0 && c.qps < minQPS) {
		return usageErrorf("--qps %v: want 0 (no limit) or at least %v", c.qps, minQPS)
	}
	if c.maxKeyLifetime < 0 {
		return usageErrorf("--max-key-lifetime %v: want 0 (no limit) or more", c.maxKeyLifetime)
	}
	if c.maxAttempts < 1 {
		return usageErrorf("--max-attempts %d: want at least 1", c.maxAttempts)
	}
	if _, err := c.policy(); err != nil {
		return err
	}
	if _, err := c.limits(); err != nil {
		return err
	}
	if _, err := c.optOuts(); err != nil {
		return err
	}
	if err := checkEndpoint(c.apiEndpoint); err != nil {
		return err
	}
	if err := c.checkState(); err != nil {
		return err
	}
	if c.reportFile != "" {
		if err := checkWritableDir(c.reportFile); err != nil {
			return usageErrorf("--report %s: %v", c.reportFile, err)
		}
	}
	if c.planOut != "" {
		if c.apply {
			return usageErrorf("%v", errPlanOutApply)
		}
		if err := checkWritableDir(c.planOut); err != nil {
			return usageErrorf("--plan-out %s: %v", c.planOut, err)
		}
	}
	return nil
}

// optOuts reads the folder and label opt-outs.
func (c *runConfig) optOuts() (pruner.OptOuts, error) {
	o := pruner.OptOuts{Folders: c.excludeFolders}
	for _, f := range c.excludeFolders {
		if id := strings.TrimPrefix(f, "folders/"); id == "" || strings.Trim(id, "0123456789") != "" {
			return o, usageErrorf("--exclude-folder %q: want a numeric folder id", f)
		}
	}
	for _, set := range []struct {
		flag string
		in   []string
		out  *[]pruner.Label
	}{{"--exclude-label", c.excludeLabels, &o.Labels}, {"--only-label", c.onlyLabels, &o.OnlyLabels}} {
		for _, v := range set.in {
			l, err := pruner.ParseLabel(v)
			if err != nil {
				return o, usageErrorf("%s: %v", set.flag, err)
			}
			*set.out = append(*set.out, l)
		}
	}
	return o, nil
}

// limits reads the blast-radius flags.
func (c *runConfig) limits() (pruner.Limits, error) {
	l := pruner.Limits{PerRun: c.maxPerRun}
	if c.maxPerRun < 0 {
		return l, usageErrorf("--max-removals-per-run %d: want 0 (no limit) or more", c.maxPerRun)
	}
	v := c.maxPerTarget
	if v == "" {
		v = fmt.Sprint(pruner.DefaultLimits.PerTarget)
	}
	if pct, ok := strings.CutSuffix(v, "%"); ok {
		p, err := strconv.ParseFloat(pct, 64)
		if err != nil || math.IsNaN(p) || p <= 0 || p > 100 {
			return l, usageErrorf("--max-removals-per-target %q: want a number of keys, or a percentage above 0%% and at most 100%%", v)
		}
		l.PerTargetPercent = p
		return l, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 0 {
		return l, usageErrorf("--max-removals-per-target %q: want a number of keys (0 for no limit) or a percentage such as 80%%", v)
	}
	l.PerTarget = n
	return l, nil
}

// policy builds the pruning policy of the flags.
func (c *runConfig) policy() (plan.Policy, error) {
	policy, err := plan.NewPolicy(c.googleManagedUsers, c.keepMisplaced)
	if err != nil {
		return policy, usageErrorf("--google-managed-user: %v", err)
	}
	policy.MaxLifetime = c.maxKeyLifetime
	policy.Grace = c.grace
	policy.Protected = c.protected
	return policy, nil
}

// checkEndpoint refuses an --api-endpoint that is no http(s) URL with a
// host: Google's clients would fail on it later, some by panicking.
func checkEndpoint(endpoint string) error {
	if endpoint == "" {
		return nil
	}
	u, err := url.Parse(endpoint)
	switch {
	case err != nil:
		return usageErrorf("--api-endpoint %q: not a URL", endpoint)
	case u.Scheme != "http" && u.Scheme != "https":
		return usageErrorf("--api-endpoint %q: want an http:// or https:// URL", endpoint)
	case u.Host == "":
		return usageErrorf("--api-endpoint %q: no host", endpoint)
	case u.RawQuery != "" || u.Fragment != "":
		return usageErrorf("--api-endpoint %q: a base URL takes no query or fragment", endpoint)
	}
	return nil
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

func (c *runConfig) clock() (func() time.Time, error) {
	if c.now == "" {
		return time.Now, nil
	}
	if c.apiEndpoint == "" {
		// Against Google, a wrong clock removes keys that are still valid.
		return nil, usageErrorf("--now is for runs against a fake (--api-endpoint)")
	}
	t, err := time.Parse(time.RFC3339, c.now)
	if err != nil {
		return nil, usageErrorf("--now %q: want RFC 3339, e.g. 2026-01-02T15:04:05Z", c.now)
	}
	return func() time.Time { return t }, nil
}

func (c *runConfig) gcpOptions() gcp.Options {
	return gcp.Options{
		Endpoint:                  c.apiEndpoint,
		ImpersonateServiceAccount: c.impersonate,
		QuotaProject:              c.quotaProject,
		QPS:                       c.qps,
		ListConcurrency:           c.concurrency,
		UserAgent:                 "ssh-pruner/" + version(),
	}
}

func newRunID() string {
	b := make([]byte, 8)
	_, _ = rand.Read(b) // never fails: crypto/rand panics rather than return an error
	return hex.EncodeToString(b)
}

func cmdRun(ctx context.Context, args []string, _ io.Reader, stdout, stderr io.Writer) error {
	cfg := &runConfig{}
	fs := newFlagSet("run", runUsage, stdout)
	addScopeFlags(fs, cfg)
	addRunFlags(fs, cfg)
	addLogFlags(fs, &cfg.log)
	if err := parseRunFlags(fs, cfg, args); err != nil {
		return err
	}
	scope, err := cfg.prepare()
	if err != nil {
		return err
	}
	logOut, done := cfg.watch(stderr)
	client, logger, closeLog, err := cfg.connect(ctx, logOut)
	if err != nil {
		return err
	}
	defer closeLog()
	rep, err := reconcile(ctx, cfg, scope, client, logger)
	done()
	if err != nil {
		return err
	}
	if cfg.planOut != "" {
		policy, _ := cfg.policy() // checked before the run
		if err := writePlanFile(cfg.planOut, rep, policy); err != nil {
			return err
		}
	}
	return finish(cfg, rep, stdout)
}

// watch sets up what a person at a terminal sees on stderr: with
// --log-format auto (or text) and stderr a terminal, text log lines under a
// live progress line. It returns where the log goes, and done, which takes
// the progress line away before the report.
func (c *runConfig) watch(stderr io.Writer) (io.Writer, func()) {
	c.logFormat = logFormat(c.logFormat, stderr)
	if c.logFormat != "text" || !isTerminal(stderr) {
		return stderr, func() {}
	}
	p := newProgress(stderr, time.Now)
	c.observer = p
	return p, p.Close
}

// backend is what a pass reads and writes: Google (gcp.Client), or the
// fake behind it.
type backend interface {
	pruner.ProjectLister
	pruner.MetadataStore
	pruner.InstanceStore
}

// reconcile runs one pass of the reconciler with the configuration.
func reconcile(ctx context.Context, cfg *runConfig, scope pruner.Scope, b backend, logger *slog.Logger) (report.Report, error) {
	policy, err := cfg.policy()
	if err != nil {
		return report.Report{}, err
	}
	limits, err := cfg.limits()
	if err != nil {
		return report.Report{}, err
	}
	optOuts, err := cfg.optOuts()
	if err != nil {
		return report.Report{}, err
	}
	now, err := cfg.clock()
	if err != nil {
		return report.Report{}, err
	}
	runID := cfg.runID
	if runID == "" {
		runID = newRunID()
	}
	r := &pruner.Reconciler{
		Lister:      b,
		Store:       b,
		Policy:      policy,
		Now:         now,
		Logger:      logger,
		Apply:       cfg.apply,
		Exclude:     cfg.exclude,
		Concurrency: cfg.concurrency,
		MaxAttempts: cfg.maxAttempts,
		RunID:       runID,
		Observer:    cfg.observer,
		Limits:      limits,
		OptOuts:     optOuts,
	}
	if cfg.instances {
		r.Instances = b
	}
	if cfg.state != "" {
		st, closeState, err := openState(ctx, cfg, now())
		if err != nil {
			return report.Report{}, err
		}
		defer closeState()
		r.State = st
	}
	rep, err := r.Run(ctx, scope)
	return rep, err
}

// finish prints the report, writes the --report file, and turns the
// report into the exit status. The report is printed first: a file that
// cannot be written must not hide what the run did.
func finish(cfg *runConfig, rep report.Report, stdout io.Writer) error {
	var err error
	if cfg.output == "json" {
		err = writeReportJSON(stdout, rep)
	} else {
		err = rep.WriteText(stdout)
	}
	if err != nil {
		return fmt.Errorf("write report: %w", err)
	}
	if cfg.reportFile != "" {
		if err := writeReportFile(cfg.reportFile, rep); err != nil {
			return err
		}
	}
	switch {
	case !rep.OK():
		return &exitError{code: 1, err: errSilent}
	case cfg.exitOnChanges && rep.DryRun && rep.HasChanges():
		return &exitError{code: 3, err: errSilent}
	}
	return nil
}

// writeReportFile writes the report to path whole or not at all.
func writeReportFile(path string, rep report.Report) error {
	if err := writeAtomic(path, func(w io.Writer) error { return writeReportJSON(w, rep) }); err != nil {
		return fmt.Errorf("write report %s: %w", path, err)
	}
	return nil
}

// writeFileAtomic writes data to path whole or not at all.
func writeFileAtomic(path string, data []byte) error {
	if err := writeAtomic(path, func(w io.Writer) error { _, err := w.Write(data); return err }); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	return nil
}

// writeAtomic streams into a temporary file in path's directory, then
// renames it over path. A reader never sees half a file, and a failed
// write leaves no stale one in its place.
func writeAtomic(path string, write func(io.Writer) error) error {
	f, err := os.CreateTemp(filepath.Dir(path), ".ssh-pruner-*")
	if err != nil {
		return err
	}
	tmp := f.Name()
	err = write(f)
	if err == nil {
		err = f.Chmod(0o644)
	}
	if err == nil {
		// On disk before the rename: a crash must not leave an empty file
		// where the state (or the report) was.
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp, path)
	}
	if err != nil {
		os.Remove(tmp)
	}
	return err
}
