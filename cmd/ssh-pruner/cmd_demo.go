package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"time"

	sshpruner "github.com/ssh-pruner/ssh-pruner"
	"github.com/ssh-pruner/ssh-pruner/gcp/gcpfake"
	"github.com/ssh-pruner/ssh-pruner/pruner/report"
)

const demoUsage = `Usage: ssh-pruner demo [--apply] [flags]

Runs ssh-pruner against a fake Google Cloud organization built into the
binary (testdata/demo-org.json: 13 projects in nested folders, keys made
with ssh-keygen), served on a local port by the same fake the tests use.
The real Google API clients talk to it over HTTP; nothing leaves this
machine and no Google account is needed. The clock is fixed at the demo's
own date, so the output is the same on every run.

Without --apply it prints the plan (dry run). With --apply it writes the
plan to the fake, then runs a second dry pass that must find nothing to do.

Examples:
  ssh-pruner demo
  ssh-pruner demo --apply
  ssh-pruner demo --output json --log-level info 2>log.jsonl
`

func cmdDemo(ctx context.Context, args []string, _ io.Reader, stdout, stderr io.Writer) error {
	o := newOptions("demo", demoUsage, stdout)
	o.addRunFlags()
	o.addLogFlags(false)
	// The structured log is for machines; the demo is read by a person,
	// and its report already says what the warnings would.
	o.logLevel.level = slog.LevelError
	o.fs.Lookup("log-level").DefValue = o.logLevel.String()
	if err := o.parse(args, false); err != nil {
		return err
	}
	if o.runID == "" {
		o.runID = "demo"
	}
	seed, stop, err := o.useDemo()
	if err != nil {
		return err
	}
	defer stop()
	s, err := o.build(ctx, needs{scope: true})
	if err != nil {
		return err
	}
	s.keepReports = true // cleanLine reads the projects back; the demo is small
	client, err := s.connect(ctx)
	if err != nil {
		return fmt.Errorf("connect to the demo organization: %w", err)
	}
	logOut, observer, done := s.terminal(stderr)
	defer done()
	logger := newLocalLogger(logOut, logFormat(s.logFormat, logOut), s.logLevel)

	if s.output == "text" {
		fmt.Fprintf(stdout, "Demo organization %s (organizations/%s), %d projects, served by a local fake of the Google APIs.\n\n",
			seed.Organization.DisplayName, seed.Organization.ID, len(seed.Projects))
	}
	rep, err := s.reconcile(ctx, client, logger, observer, s.runID)
	if err != nil {
		done()
		return s.failed(s.runID, err)
	}
	if err := s.report(rep, done, stdout, stderr); err != nil {
		return err
	}
	if s.output == "text" {
		// Who can still get in, once the plan is applied or as it stands.
		fmt.Fprintln(stdout)
		if _, err := writeAccess(ctx, s, client, "identity", stdout); err != nil {
			return err
		}
	}
	if !s.apply {
		return nil
	}
	return secondPass(ctx, s, client, logger, stdout)
}

// useDemo serves the demo organization and points the options at it, at
// the demo's own clock, until stop is called.
func (o *options) useDemo() (seed *gcpfake.Seed, stop func(), err error) {
	seed, endpoint, stop, err := serveDemo()
	if err != nil {
		return nil, nil, err
	}
	o.apiEndpoint, o.organization = endpoint, seed.Organization.ID
	if o.now == "" {
		o.now = seed.Clock.Format(time.RFC3339)
	}
	return seed, stop, nil
}

// secondPass is a dry pass over what the first one wrote: it must find
// nothing to do, the proof that apply converges.
func secondPass(ctx context.Context, s setup, b backend, logger *slog.Logger, stdout io.Writer) error {
	again := s
	again.apply, again.reportFile = false, ""
	rep, err := again.reconcile(ctx, b, logger, nil, s.runID+"-check")
	if err != nil {
		return err
	}
	if s.output == "text" {
		fmt.Fprintf(stdout, "\nSecond pass (dry run): %s\n", rep.Summary())
	}
	if rep.HasChanges() || !rep.OK() {
		return fmt.Errorf("second pass still finds work: %s", rep.Summary())
	}
	if s.output == "text" {
		fmt.Fprintln(stdout, cleanLine(rep))
	}
	return nil
}

// serveDemo serves the built-in demo organization on a loopback port, with
// the fake the tests use, until stop is called.
func serveDemo() (seed *gcpfake.Seed, endpoint string, stop func(), err error) {
	seed, err = gcpfake.ParseSeed(sshpruner.DemoOrganization)
	if err != nil {
		return nil, "", nil, fmt.Errorf("demo organization: %w", err)
	}
	fake, err := gcpfake.New(seed)
	if err != nil {
		return nil, "", nil, fmt.Errorf("demo organization: %w", err)
	}
	endpoint, stop, err = serveLocal(fake)
	if err != nil {
		return nil, "", nil, err
	}
	return seed, endpoint, stop, nil
}

// serveLocal serves h on a free loopback port until stop is called.
func serveLocal(h http.Handler) (endpoint string, stop func(), err error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", nil, fmt.Errorf("listen on loopback: %w", err)
	}
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second}
	done := make(chan struct{})
	go func() {
		defer close(done)
		// Serve returns http.ErrServerClosed on stop; any other failure
		// reaches the client as a connection error, with the URL in it.
		_ = srv.Serve(ln)
	}()
	stop = func() {
		// Every request has had its answer by the time the command stops
		// it: Close, not Shutdown, which waits five seconds for a
		// connection the client opened and never used.
		_ = srv.Close()
		<-done
	}
	return "http://" + ln.Addr().String(), stop, nil
}

// cleanLine says the organization is clean only when the run saw all of
// it: a folder not listed or a project not read may hold keys.
func cleanLine(rep report.Report) string {
	gaps := rep.Totals.FoldersSkipped
	for _, p := range rep.Projects {
		if p.Outcome == report.OutcomeSkipped && p.Reason == report.SkipForbidden {
			gaps++
		}
	}
	if gaps == 0 && rep.ScopeError == "" {
		return "Nothing left to do: the organization is clean."
	}
	what := "folders or projects were"
	if gaps == 1 {
		what = "folder or project was"
	}
	return fmt.Sprintf("Nothing left to do in what the run could see; %d %s not seen (above): the organization is clean only where it looked.", gaps, what)
}
