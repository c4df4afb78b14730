package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"time"

	"github.com/ssh-pruner/ssh-pruner/pruner"
	"github.com/ssh-pruner/ssh-pruner/pruner/policy"
)

// options are the flags of the commands that take a scope or a policy,
// as given. build turns them into a setup, checking every one of them,
// once, before anything connects.
type options struct {
	fs    *flag.FlagSet
	given map[string]bool // the flags set on the command line or by the environment

	// scope (addScopeFlags)
	organization      string
	folders, projects listFlag

	// selection (addSelectFlags): part of the policy, flags override it
	exclude, excludeFolders, excludeLabels, onlyLabels listFlag

	// policy (addPolicyFlags): over --policy, over policy.Default
	policyFile         string
	googleManagedUsers patternFlag
	keepMisplaced      bool
	maxKeyLifetime     time.Duration
	grace              time.Duration
	instances          bool
	maxPerTarget       string // N or P%, read by policy.TargetLimit
	maxPerRun          int

	// a pass (addPassFlags)
	apply         bool
	concurrency   int
	maxAttempts   int
	output        string
	reportFile    string
	planOut       string
	exitOnChanges bool
	state         string
	runID         string

	// attribution (addAttributionFlags)
	auditLogs          string
	lookback           time.Duration
	auditDelay         time.Duration
	requireAttribution bool

	// Google (addAPIFlags)
	apiEndpoint  string
	impersonate  string
	quotaProject string
	qps          float64

	// the log (addLogFlags)
	logLevel  levelFlag
	logFormat string
	log       logConfig

	// what tests set through testFlags; never flags of the binary
	now           string
	stateEndpoint string
}

// newOptions makes the options of a command, with its flag set.
func newOptions(name, usage string, stdout interface{ Write([]byte) (int, error) }) *options {
	o := &options{fs: newFlagSet(name, usage, stdout)}
	o.logLevel.level = slog.LevelInfo
	return o
}

func (o *options) addScopeFlags() {
	o.fs.StringVar(&o.organization, "organization", "", "organization `ID`, all folders included")
	o.fs.Var(&o.folders, "folder", "folder `ID`, sub-folders included (repeatable)")
	o.fs.Var(&o.projects, "project", "project `ID` (repeatable)")
}

func (o *options) addSelectFlags() {
	o.fs.Var(&o.exclude, "exclude-project", "project `ID` to leave alone (repeatable)")
	o.fs.Var(&o.excludeFolders, "exclude-folder", "folder `ID` whose projects, sub-folders included, are left alone (repeatable)")
	o.fs.Var(&o.excludeLabels, "exclude-label", "leave alone projects and VMs labelled `KEY=VALUE`, e.g. ssh-pruner=skip (repeatable)")
	o.fs.Var(&o.onlyLabels, "only-label", "only the projects labelled `KEY=VALUE`, e.g. ssh-pruner=enabled, for a rollout label by label (repeatable)")
}

func (o *options) addPolicyFlags() {
	d := policy.Default()
	o.instances, o.maxPerTarget, o.maxPerRun = d.Instances, d.Limits.PerTarget.String(), d.Limits.PerRun
	fs := o.fs
	fs.StringVar(&o.policyFile, "policy", "", "policy `FILE` (YAML): every policy setting of the flags, and protected keys; flags override it (ssh-pruner policy check FILE)")
	fs.Var(&o.googleManagedUsers, "google-managed-user", "`REGEX` of usernames (or google-ssh userNames) whose keys Google manages (repeatable; default "+plan0(d.GoogleManagedUsers)+")")
	fs.BoolVar(&o.keepMisplaced, "keep-misplaced-google-keys", d.KeepMisplacedGoogleKeys, "leave Google-managed keys found in ssh-keys there instead of moving them to sshKeys")
	fs.DurationVar(&o.maxKeyLifetime, "max-key-lifetime", time.Duration(d.MaxKeyLifetime), "also remove user keys whose expiry lies further than this `DURATION` ahead (e.g. 720h); 0 for no limit")
	fs.DurationVar(&o.grace, "grace", time.Duration(d.Grace), "keep a key without expiry until it has been seen for longer than this `DURATION` (e.g. 24h), so that a key just added by gcloud or a script lasts a while; needs --state; 0 removes it at once")
	fs.BoolVar(&o.instances, "instances", d.Instances, "also prune each instance's own metadata; --instances=false leaves instances alone")
	fs.StringVar(&o.maxPerTarget, "max-removals-per-target", d.Limits.PerTarget.String(), "hold (do not write) a target whose plan removes more keys than `N`, or than P% of its keys (e.g. 80%); 0 for no limit")
	fs.IntVar(&o.maxPerRun, "max-removals-per-run", d.Limits.PerRun, "hold every target once the run's removals would pass `N`; 0 for no limit")
}

func plan0(s []string) string {
	if len(s) == 0 {
		return "none"
	}
	return s[0]
}

func (o *options) addPassFlags() {
	fs := o.fs
	fs.BoolVar(&o.apply, "apply", false, "write the changes; without it nothing is written (dry run)")
	o.addConcurrencyFlag()
	fs.IntVar(&o.maxAttempts, "max-attempts", pruner.DefaultMaxAttempts, "read-plan-write rounds per target when its metadata keeps changing under us")
	o.addOutputFlags()
	fs.StringVar(&o.planOut, "plan-out", "", "write the dry run's plan to `FILE`, for review and 'ssh-pruner apply FILE' (written as --report is)")
	fs.BoolVar(&o.exitOnChanges, "exit-code-on-changes", false, "exit 3 when a dry run finds changes")
	o.addStateFlag()
	o.addAttributionFlags()
	fs.StringVar(&o.runID, "run-id", "", "identifier of this run in logs and report (default random)")
}

func (o *options) addConcurrencyFlag() {
	o.fs.IntVar(&o.concurrency, "concurrency", pruner.DefaultConcurrency, "targets (projects and VMs) handled at once")
}

func (o *options) addOutputFlags() {
	o.fs.StringVar(&o.output, "output", "text", "report format on stdout: text or json")
	o.fs.StringVar(&o.reportFile, "report", "", "also write the JSON report to `FILE`: a file is replaced whole, a symlink's file too; /dev/stdout, a pipe, a FIFO or a terminal is written straight; other devices are refused")
}

func (o *options) addStateFlag() {
	o.fs.StringVar(&o.state, "state", "", "where the pruner remembers when it first saw each key: a directory `DIR/`, or gs://BUCKET/PREFIX/; one object a project, read when it is handled, written when it changed")
}

func (o *options) addAttributionFlags() {
	fs := o.fs
	fs.StringVar(&o.auditLogs, "audit-logs", "", "say who added each new key from the Admin Activity audit logs read from `RESOURCE`: the log view of an aggregated sink (projects/P/locations/L/buckets/B/views/V, see deploy/), or projects/P; needs --state")
	fs.DurationVar(&o.lookback, "attribution-lookback", 0, "on a target read for the first time, attribute its keys to the only writer of ssh-keys or sshKeys in the last `DURATION` (at most 400 days, the logs' retention); 0 leaves them unknown")
	fs.DurationVar(&o.auditDelay, "audit-log-delay", pruner.DefaultAuditDelay, "how long a write may take to reach the audit logs: a key read within it of the logs' reading is attributed by a later run")
	fs.BoolVar(&o.requireAttribution, "require-attribution", false, "exit 1 when the audit logs cannot be read (default: the keys stay unattributed until a run can read them, and pruning goes on)")
}

func (o *options) addAPIFlags() {
	fs := o.fs
	fs.StringVar(&o.apiEndpoint, "api-endpoint", "", "base `URL` of all Google APIs, e.g. a local gcp-fake; no credentials are used then")
	fs.StringVar(&o.impersonate, "impersonate-service-account", "", "act as this service account `EMAIL` (needs roles/iam.serviceAccountTokenCreator on it)")
	fs.StringVar(&o.quotaProject, "quota-project", "", "project `ID` charged for API quota")
	fs.Float64Var(&o.qps, "qps", 0, "overall cap on API requests per second, retries included; 0 for none (per-API rates shaped like Google's quotas always hold)")
}

// addLogFlags registers the flags of the log on stderr and, for the
// commands that run against Google, of where else its entries go.
func (o *options) addLogFlags(destination bool) {
	o.fs.Var(&o.logLevel, "log-level", "least severity logged on stderr: debug, info, warn, error (debug shows kept keys)")
	o.fs.StringVar(&o.logFormat, "log-format", "auto", "stderr log lines: json, text, or auto (text with a progress line on a terminal, json elsewhere)")
	if destination {
		addLogDestinationFlags(o.fs, &o.log)
	}
}

// testFlags registers what tests set by flag, as the binary never does:
// a fixed clock, a fake Cloud Storage, a fake Cloud Logging. Tests of the
// package set it (main_test.go); so does a binary built with the tag
// ssh_pruner_testflags (testflags.go), for tests that start a process.
var testFlags func(o *options)

// registerTestFlags is what testFlags is set to.
func registerTestFlags(o *options) {
	o.fs.StringVar(&o.now, "now", "", "(hidden) fix the clock, RFC 3339, for tests")
	if o.fs.Lookup("state") != nil {
		o.fs.StringVar(&o.stateEndpoint, "state-endpoint", "", "(hidden) base URL of a fake Cloud Storage for a gs:// --state")
	}
	if o.fs.Lookup("log-destination") != nil {
		o.fs.StringVar(&o.log.endpoint, "log-endpoint", "", "(hidden) host:port of a Cloud Logging gRPC endpoint, without TLS or credentials")
	}
}

// parse parses the command line and the environment, then notes which
// flags were given: those override --policy.
func (o *options) parse(args []string, wantArgs bool) error {
	if testFlags != nil {
		testFlags(o)
	}
	var err error
	if wantArgs {
		err = parseFlags(o.fs, args)
	} else {
		err = parseFlagsOnly(o.fs, args)
	}
	if err != nil {
		return err
	}
	o.given = givenFlags(o.fs)
	return nil
}

// policyFlags are the flags that set a policy field: given, they
// override --policy; a field in error is named by its flag.
var policyFlags = []struct {
	field string // policy.FieldError.Field prefix
	flag  string
	set   func(o *options, c *policy.Config)
}{
	{"googleManagedUsers", "google-managed-user", func(o *options, c *policy.Config) { c.GoogleManagedUsers = o.googleManagedUsers }},
	{"keepMisplacedGoogleKeys", "keep-misplaced-google-keys", func(o *options, c *policy.Config) { c.KeepMisplacedGoogleKeys = o.keepMisplaced }},
	{"maxKeyLifetime", "max-key-lifetime", func(o *options, c *policy.Config) { c.MaxKeyLifetime = policy.Duration(o.maxKeyLifetime) }},
	{"grace", "grace", func(o *options, c *policy.Config) { c.Grace = policy.Duration(o.grace) }},
	{"instances", "instances", func(o *options, c *policy.Config) { c.Instances = o.instances }},
	{"limits.perTarget", "max-removals-per-target", func(o *options, c *policy.Config) { _ = c.Limits.PerTarget.UnmarshalText([]byte(o.maxPerTarget)) }},
	{"limits.perRun", "max-removals-per-run", func(o *options, c *policy.Config) { c.Limits.PerRun = o.maxPerRun }},
	{"exclude.projects", "exclude-project", func(o *options, c *policy.Config) { c.Exclude.Projects = o.exclude }},
	{"exclude.folders", "exclude-folder", func(o *options, c *policy.Config) { c.Exclude.Folders = o.excludeFolders }},
	{"exclude.labels", "exclude-label", func(o *options, c *policy.Config) { c.Exclude.Labels = o.excludeLabels }},
	{"onlyLabels", "only-label", func(o *options, c *policy.Config) { c.OnlyLabels = o.onlyLabels }},
}

// policy is the policy of the flags: policy.Default, then --policy, then
// every flag given. Errors name the file's line or the flag.
func (o *options) policy(ctx context.Context) (policy.Config, policy.Compiled, error) {
	c := policy.Default()
	if o.policyFile != "" {
		var err error
		if c, err = policy.Load(ctx, o.policyFile); err != nil {
			return c, policy.Compiled{}, usageErrorf("--policy %v", err)
		}
	}
	var perTarget policy.TargetLimit
	if err := perTarget.UnmarshalText([]byte(o.maxPerTarget)); o.given["max-removals-per-target"] && err != nil {
		return c, policy.Compiled{}, usageErrorf("--max-removals-per-target %v", err)
	}
	for _, pf := range policyFlags {
		if o.given[pf.flag] {
			pf.set(o, &c)
		}
	}
	compiled, err := c.Compile()
	if err != nil {
		var fe *policy.FieldError
		if errors.As(err, &fe) {
			for _, pf := range policyFlags {
				if o.given[pf.flag] && hasFieldPrefix(fe.Field, pf.field) {
					return c, compiled, usageErrorf("--%s %v", pf.flag, fe.Err)
				}
			}
		}
		return c, compiled, usageErrorf("policy: %v", err)
	}
	return c, compiled, nil
}

func hasFieldPrefix(field, prefix string) bool {
	return field == prefix || len(field) > len(prefix) && field[:len(prefix)] == prefix && (field[len(prefix)] == '[' || field[len(prefix)] == '.')
}

// String lets options print in a test failure without its flag set.
func (o *options) String() string { return fmt.Sprintf("options(%s)", o.fs.Name()) }
