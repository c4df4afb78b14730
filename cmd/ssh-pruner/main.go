// Command ssh-pruner removes SSH keys that should not be in the Compute
// Engine metadata of the projects of a Google Cloud organization.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
)

const usage = `ssh-pruner keeps Compute Engine SSH key metadata clean.

Usage:
  ssh-pruner <command> [flags] [args]

Commands:
  run        prune the SSH keys of an organization, folders or projects (dry run unless --apply)
  apply      write a plan that run --plan-out made and someone reviewed
  plan       show a plan that run --plan-out made, for its reviewer
  schedule   run on a cron schedule, as a long-running worker
  access     who can reach which VM through metadata SSH keys, until when (read-only)
  demo       run against a built-in fake organization: no Google account needed
  inspect    show how Google's guest agent reads each line of an ssh-keys value
  policy     check a --policy file and print the policy it gives
  state      show what --state remembers, or release a hold
  version    print the version
  help       show this help

Run 'ssh-pruner <command> --help' for the flags of a command.

Exit status:
  0  success: every project and VM handled or seen; folders and projects the
     caller may not read are named in the report, and are no failure
  1  a project or VM failed, a listing failed or a zone was unreachable, a
     limit held a target, the state was not saved, or the run was interrupted
  2  usage or configuration error
  3  run --exit-code-on-changes: the dry run found changes
`

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Stderr)
	stop()
	os.Exit(exitCode(err, os.Stderr))
}

// run dispatches to a subcommand. It is main without the process: tests call it.
func run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return usageErrorf("no command given")
	}
	cmd, rest := args[0], args[1:]
	switch cmd {
	case "run":
		return cmdRun(ctx, rest, stdin, stdout, stderr)
	case "apply":
		return cmdApply(ctx, rest, stdin, stdout, stderr)
	case "plan":
		return cmdPlan(ctx, rest, stdin, stdout, stderr)
	case "schedule":
		return cmdSchedule(ctx, rest, stdin, stdout, stderr)
	case "access":
		return cmdAccess(ctx, rest, stdin, stdout, stderr)
	case "demo":
		return cmdDemo(ctx, rest, stdin, stdout, stderr)
	case "inspect":
		return cmdInspect(ctx, rest, stdin, stdout, stderr)
	case "policy":
		return cmdPolicy(ctx, rest, stdin, stdout, stderr)
	case "state":
		return cmdState(ctx, rest, stdin, stdout, stderr)
	case "version", "--version":
		return cmdVersion(ctx, rest, stdin, stdout, stderr)
	case "help", "-h", "-help", "--help":
		fmt.Fprint(stdout, usage)
		return nil
	default:
		return usageErrorf("unknown command %q (see 'ssh-pruner help')", cmd)
	}
}

// exitError carries the exit status a failure should produce.
type exitError struct {
	code int
	err  error
}

func (e *exitError) Error() string { return e.err.Error() }
func (e *exitError) Unwrap() error { return e.err }

// usageErrorf reports a usage or configuration error: exit status 2.
func usageErrorf(format string, args ...any) error {
	return &exitError{code: 2, err: fmt.Errorf(format, args...)}
}

// errSilent is returned when the command has already told the user what
// went wrong and only the exit status remains to be set.
var errSilent = errors.New("silent")

// exitCode turns the result of run into an exit status, printing the error
// as one line on stderr.
func exitCode(err error, stderr io.Writer) int {
	if err == nil || errors.Is(err, errHelp) {
		return 0
	}
	code := 1
	var ee *exitError
	if errors.As(err, &ee) {
		code = ee.code
	}
	if !errors.Is(err, errSilent) {
		fmt.Fprintf(stderr, "ssh-pruner: %v\n", err)
	}
	return code
}
