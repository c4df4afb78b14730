package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"time"

	"github.com/ssh-pruner/ssh-pruner/gcp"
	"github.com/ssh-pruner/ssh-pruner/pruner"
	"github.com/ssh-pruner/ssh-pruner/pruner/access"
)

const accessUsage = `Usage: ssh-pruner access (--organization ID | --folder ID... | --project ID... | --demo) [flags]

Tells who can reach which VM through metadata SSH keys, and until when, as
Google's guest agent decides it on each VM: the instance's own keys, the
project's unless the VM blocks them, none where OS Login is on, only
ssh-keys (and only with enable-windows-ssh) on Windows. It reads each
project's metadata and lists its VMs once; it writes nothing, and the
dry-run role is enough.

By default it groups the keys by identity (the google-ssh userName, else
the username), identities with a key that never expires first. --by vm
lists each VM and the keys that open it.

Examples:
  ssh-pruner access --organization 123456789012
  ssh-pruner access --project web-prod --by vm
  ssh-pruner access --folder 1001 --output json > access.json
  ssh-pruner access --demo

Exit status: 0 every project and zone was seen; 1 some were not (the
report names them) or the run was interrupted; 2 usage or configuration
error.
`

func cmdAccess(ctx context.Context, args []string, _ io.Reader, stdout, stderr io.Writer) error {
	cfg := &runConfig{}
	fs := newFlagSet("access", accessUsage, stdout)
	addScopeFlags(fs, cfg)
	fs.Var(&cfg.exclude, "exclude-project", "project `ID` to leave out (repeatable)")
	fs.IntVar(&cfg.concurrency, "concurrency", pruner.DefaultConcurrency, "projects read at once")
	fs.Float64Var(&cfg.qps, "qps", 0, "overall cap on API requests per second, retries included; 0 for none (per-API rates shaped like Google's quotas always hold)")
	fs.StringVar(&cfg.output, "output", "text", "report format on stdout: text or json")
	by := fs.String("by", "identity", "group the text report by identity or by vm")
	demo := fs.Bool("demo", false, "read the built-in demo organization (as ssh-pruner demo does) instead of Google")
	fs.StringVar(&cfg.now, "now", "", "(hidden) fix the clock, RFC 3339, for tests and demos")
	cfg.maxAttempts = 1
	if err := parseFlagsOnly(fs, args); err != nil {
		return err
	}
	if *by != "identity" && *by != "vm" {
		return usageErrorf("--by %q: want identity or vm", *by)
	}
	if err := cfg.check(); err != nil {
		return err
	}

	var scope pruner.Scope
	if *demo {
		if cfg.organization != "" || len(cfg.folders) > 0 || len(cfg.projects) > 0 {
			return usageErrorf("--demo reads the demo organization: no scope flags with it")
		}
		seed, endpoint, stop, err := serveDemo()
		if err != nil {
			return err
		}
		defer stop()
		cfg.apiEndpoint = endpoint
		if cfg.now == "" {
			cfg.now = seed.Clock.Format(time.RFC3339)
		}
		scope = pruner.Scope{Organization: seed.Organization.ID}
	} else {
		var err error
		if scope, err = cfg.scope(); err != nil {
			return err
		}
	}
	now, err := cfg.clock()
	if err != nil {
		return err
	}
	client, err := gcp.New(ctx, cfg.gcpOptions())
	if err != nil {
		return usageErrorf("connect to Google Cloud: %v", err)
	}
	rep, err := accessScan(ctx, cfg, scope, client, now())
	if err != nil {
		return err
	}
	switch {
	case cfg.output == "json":
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		err = enc.Encode(rep)
	case *by == "vm":
		err = rep.WriteTextByVM(stdout)
	default:
		err = rep.WriteText(stdout)
	}
	if err != nil {
		return fmt.Errorf("write report: %w", err)
	}
	if !rep.Complete() {
		return &exitError{code: 1, err: errSilent}
	}
	return nil
}

func accessScan(ctx context.Context, cfg *runConfig, scope pruner.Scope, b backend, now time.Time) (access.AccessReport, error) {
	s := pruner.AccessScanner{Lister: b, Store: b, Instances: b, Exclude: cfg.exclude, Concurrency: cfg.concurrency}
	return s.Scan(ctx, scope, now)
}
