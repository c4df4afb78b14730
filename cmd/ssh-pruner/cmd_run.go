package main

import (
	"context"
	"io"
	"log/slog"

	"github.com/ssh-pruner/ssh-pruner/gcp"
	"github.com/ssh-pruner/ssh-pruner/pruner"
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
      --state gs://my-security-project-ssh-pruner-state/

Output files: --report and --plan-out take a file (or a new path),
written whole or not at all through a temporary file renamed over it,
its permissions kept; a symlink, followed to the file it names, which is
written so; or /dev/stdout, /dev/stderr, a pipe, a FIFO (with a reader),
a terminal or /dev/null, written straight, never renamed over. Any other
device, a socket or a directory is refused before the run (exit 2). A run
that fails before it has a report (no credentials, a state that cannot
be read, a scope that cannot be listed at all) still writes both: a
report whose "error" says why, and a plan that apply refuses.

Exit status: 0 every project and VM handled; 1 a project or VM failed, a
zone could not be listed, the state could not be read or saved, or the
run was interrupted; 2 usage or configuration error, or a --state that is
not a state; 3 with --exit-code-on-changes, a dry run found changes.
`

// addRunFlags registers the flags of a pass: run, schedule and demo.
func (o *options) addRunFlags() {
	o.addSelectFlags()
	o.addPolicyFlags()
	o.addPassFlags()
}

func cmdRun(ctx context.Context, args []string, _ io.Reader, stdout, stderr io.Writer) error {
	o := newOptions("run", runUsage, stdout)
	o.addScopeFlags()
	o.addAPIFlags()
	o.addRunFlags()
	o.addLogFlags(true)
	if err := o.parse(args, false); err != nil {
		return err
	}
	s, err := o.build(ctx, needs{scope: true})
	if err != nil {
		return err
	}
	logOut, observer, done := s.terminal(stderr)
	defer done()
	runID := s.passID()
	rep, err := s.pass(ctx, logOut, observer, runID)
	done()
	if err != nil {
		return s.failed(runID, err)
	}
	return s.report(rep, func() {}, stdout, stderr)
}

// pass connects to Google, opens the run's log and runs one pass: what
// run does between checking its flags and writing its outputs.
func (s setup) pass(ctx context.Context, logOut io.Writer, observer pruner.Observer, runID string) (report.Report, error) {
	client, logger, closeLog, err := s.connectAndLog(ctx, logOut)
	if err != nil {
		return report.Report{}, err
	}
	defer closeLog()
	return s.reconcile(ctx, client, logger, observer, runID)
}

// connectAndLog connects to Google and opens the run's log, which
// closeLog flushes: how run and apply begin.
func (s setup) connectAndLog(ctx context.Context, logOut io.Writer) (client *gcp.Client, logger *slog.Logger, closeLog func(), err error) {
	if client, err = s.connect(ctx); err != nil {
		return nil, nil, nil, err
	}
	if logger, closeLog, err = newRunLogger(ctx, s, logOut); err != nil {
		return nil, nil, nil, err
	}
	return client, logger, closeLog, nil
}
