package main

import (
	"context"
	"fmt"
	"io"

	"github.com/ssh-pruner/ssh-pruner/pruner"
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
lists each VM and the keys that open it. With --state, the state of runs
with --audit-logs, it shows who added each key: the Google principal,
not the name the key line gives itself.

Examples:
  ssh-pruner access --organization 123456789012
  ssh-pruner access --project web-prod --by vm
  ssh-pruner access --folder 1001 --output json > access.json
  ssh-pruner access --demo

Exit status, as for run: 0 every project and zone was seen, or all that
was not is what the caller may not read (named in the answer); 1
something else was not seen (an error, a zone unreachable) or the run was
interrupted; 2 usage or configuration error.
`

func cmdAccess(ctx context.Context, args []string, _ io.Reader, stdout, stderr io.Writer) error {
	o := newOptions("access", accessUsage, stdout)
	o.addScopeFlags()
	o.addAPIFlags()
	o.addSelectFlags()
	o.fs.IntVar(&o.concurrency, "concurrency", pruner.DefaultConcurrency, "targets (projects and VMs) read at once")
	o.fs.StringVar(&o.output, "output", "text", "report format on stdout: text or json")
	o.fs.StringVar(&o.state, "state", "", "show who added each key, as runs with --audit-logs saved it in this state (`DIR/` or gs://BUCKET/PREFIX/); only read")
	by := o.fs.String("by", "identity", "group the text report by identity or by vm")
	demo := o.fs.Bool("demo", false, "read the built-in demo organization (as ssh-pruner demo does) instead of Google")
	if err := o.parse(args, false); err != nil {
		return err
	}
	if *by != "identity" && *by != "vm" {
		return usageErrorf("--by %q: want identity or vm", *by)
	}
	if *demo {
		if o.organization != "" || len(o.folders) > 0 || len(o.projects) > 0 {
			return usageErrorf("--demo reads the demo organization: no scope flags with it")
		}
		_, stop, err := o.useDemo()
		if err != nil {
			return err
		}
		defer stop()
	}
	s, err := o.build(ctx, needs{scope: true})
	if err != nil {
		return err
	}
	client, err := s.connect(ctx)
	if err != nil {
		return err
	}
	ok, err := writeAccess(ctx, s, client, *by, stdout)
	if err == nil && !ok {
		return &exitError{code: 1, err: errSilent}
	}
	return err
}

// writeAccess answers who can reach which VM of the setup's scope, by
// identity or by vm, and tells whether what was not seen is only what the
// caller may not read (AccessReport.OK).
func writeAccess(ctx context.Context, s setup, b backend, by string, stdout io.Writer) (ok bool, err error) {
	r := s.reconciler(b, nil, nil, "access")
	r.Instances = b // the answer is about VMs
	if s.state != "" {
		store, closeStore, err := s.stateStore(ctx)
		if err != nil {
			return false, err
		}
		defer closeStore()
		r.StateReader = store
	}
	rep, err := r.Access(ctx, s.scope, s.clock())
	if err != nil {
		return false, exclusionError(err)
	}
	switch {
	case s.output == "json":
		err = rep.WriteJSON(stdout)
	case by == "vm":
		err = rep.WriteTextByVM(stdout)
	default:
		err = rep.WriteText(stdout)
	}
	if err != nil {
		return false, fmt.Errorf("write access report: %w", err)
	}
	return rep.OK(), nil
}
