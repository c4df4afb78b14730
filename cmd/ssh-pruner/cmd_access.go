package main

import (
	"context"
	"fmt"
	"io"
	"time"

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
	o := newOptions("access", accessUsage, stdout)
	o.addScopeFlags()
	o.addAPIFlags()
	o.addSelectFlags()
	o.fs.IntVar(&o.concurrency, "concurrency", pruner.DefaultConcurrency, "projects read at once")
	o.fs.StringVar(&o.output, "output", "text", "report format on stdout: text or json")
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
		seed, endpoint, stop, err := serveDemo()
		if err != nil {
			return err
		}
		defer stop()
		o.apiEndpoint, o.organization = endpoint, seed.Organization.ID
		if o.now == "" {
			o.now = seed.Clock.Format(time.RFC3339)
		}
	}
	s, err := o.build(needs{scope: true})
	if err != nil {
		return err
	}
	client, err := s.connect(ctx)
	if err != nil {
		return err
	}
	r := s.reconciler(client, nil, nil, "access")
	r.Instances = client // the answer is about VMs
	rep, err := r.Access(ctx, s.scope, s.clock())
	if err != nil {
		return err
	}
	switch {
	case s.output == "json":
		err = rep.WriteJSON(stdout)
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
