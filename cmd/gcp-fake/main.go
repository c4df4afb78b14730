// Command gcp-fake serves the fake Google APIs of package gcpfake on a
// local address, seeded with an organization, so that ssh-pruner, gcloud
// or any Google client can be tried without a Google account:
//
//	gcp-fake --listen 127.0.0.1:8085 --seed testdata/demo-org.json
//
// It prints the base URL on its first line, then the settings that point
// ssh-pruner and gcloud at it, and logs one line per request on stderr.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"strings"
	"syscall"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	switch {
	case err == nil:
	case errors.Is(err, flag.ErrHelp):
		os.Exit(0)
	case errors.As(err, new(*usageError)):
		fmt.Fprintln(os.Stderr, "gcp-fake:", oneLine(err))
		os.Exit(2)
	default:
		fmt.Fprintln(os.Stderr, "gcp-fake:", oneLine(err))
		os.Exit(1)
	}
}

// oneLine is an error in one line: a seed with several problems joins
// them with newlines (errors.Join), which a log or a terminal would split.
func oneLine(err error) string {
	return strings.ReplaceAll(err.Error(), "\n", "; ")
}

// usageError is a bad flag or argument: exit status 2.
type usageError struct{ err error }

func (e *usageError) Error() string { return e.err.Error() }
func (e *usageError) Unwrap() error { return e.err }

func usageErrorf(format string, args ...any) error {
	return &usageError{fmt.Errorf(format, args...)}
}
