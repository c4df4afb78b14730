package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"slices"
	"time"

	sshpruner "github.com/ssh-pruner/ssh-pruner"
	"github.com/ssh-pruner/ssh-pruner/gcp/gcpfake"
)

const usageText = `Usage: gcp-fake [flags]

Serves fake Google Cloud APIs (Resource Manager v3, Service Usage v1,
Compute Engine v1 metadata and instances, and Logging v2 entries.list
over the audit log of metadata writes) for an organization, on one
base URL.

Flags:
`

type config struct {
	listen    string
	seedFile  string
	latency   time.Duration
	errorRate float64
	opPolls   int
}

// parseFlags reads the flags. --help prints the usage on stdout; a bad
// flag is one line for main to print, not the whole usage.
func parseFlags(args []string, stdout io.Writer) (*config, error) {
	cfg := &config{}
	fs := flag.NewFlagSet("gcp-fake", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.Usage = func() {
		fs.SetOutput(stdout)
		fmt.Fprint(stdout, usageText)
		fs.PrintDefaults()
		fs.SetOutput(io.Discard)
	}
	fs.StringVar(&cfg.listen, "listen", "127.0.0.1:8085", "`address` to serve on; port 0 picks a free port")
	fs.StringVar(&cfg.seedFile, "seed", "", "organization to serve, a seed `file` like testdata/demo-org.json (default: the built-in demo organization)")
	fs.DurationVar(&cfg.latency, "latency", 0, "add this `duration` to every answer")
	fs.Float64Var(&cfg.errorRate, "error-rate", 0, "answer this `fraction` of calls with an error: half 429, a quarter each 500 and 503")
	fs.IntVar(&cfg.opPolls, "operation-polls", 0, "keep the operations of metadata writes running for this `number` of operation get or wait calls")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil, err
		}
		return nil, &usageError{err}
	}
	switch {
	case fs.NArg() > 0:
		return nil, usageErrorf("unexpected argument %q", fs.Arg(0))
	case cfg.errorRate < 0 || cfg.errorRate > 1:
		return nil, usageErrorf("--error-rate %v: want a fraction between 0 and 1", cfg.errorRate)
	case cfg.latency < 0:
		return nil, usageErrorf("--latency %v: want a non-negative duration", cfg.latency)
	case cfg.opPolls < 0:
		return nil, usageErrorf("--operation-polls %d: want a non-negative number", cfg.opPolls)
	}
	return cfg, nil
}

// run serves until ctx ends. It is main without the process: tests call it.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	cfg, err := parseFlags(args, stdout)
	if err != nil {
		return err
	}
	seed, name, err := loadSeed(cfg.seedFile)
	if err != nil {
		return err
	}
	fake, err := gcpfake.New(seed)
	if err != nil {
		return fmt.Errorf("seed %s: %w", name, err)
	}
	fl := gcpfake.Fault{Latency: cfg.latency, OperationPolls: cfg.opPolls}
	if cfg.errorRate > 0 {
		fl.ErrorRates = map[int]float64{429: cfg.errorRate / 2, 500: cfg.errorRate / 4, 503: cfg.errorRate / 4}
	}
	fake.SetFaults("", "", fl)

	ln, err := net.Listen("tcp", cfg.listen)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", cfg.listen, err)
	}
	base := "http://" + ln.Addr().String()
	printSettings(stdout, base, name, seed)

	logger := slog.New(slog.NewTextHandler(stderr, nil))
	srv := &http.Server{
		Handler:           logRequests(logger, fake),
		ReadHeaderTimeout: 10 * time.Second,
		BaseContext:       func(net.Listener) context.Context { return ctx },
	}
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()

	select {
	case err := <-served:
		return fmt.Errorf("serve on %s: %w", base, err)
	case <-ctx.Done():
	}
	shutdownCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	defer cancel()
	if err := srv.Shutdown(shutdownCtx); err != nil {
		return fmt.Errorf("shut down: %w", err)
	}
	logger.Info("stopped")
	return nil
}

// loadSeed reads the seed file, or takes the built-in demo organization.
func loadSeed(file string) (*gcpfake.Seed, string, error) {
	data, name := sshpruner.DemoOrganization, "the demo organization"
	if file != "" {
		var err error
		if data, err = os.ReadFile(file); err != nil {
			return nil, "", fmt.Errorf("read seed: %w", err)
		}
		name = file
	}
	seed, err := gcpfake.ParseSeed(data)
	if err != nil {
		return nil, "", fmt.Errorf("%s: %w", name, err)
	}
	return seed, name, nil
}

// printSettings prints the base URL alone on the first line, for scripts,
// then how to point ssh-pruner and gcloud at it.
func printSettings(w io.Writer, base, name string, seed *gcpfake.Seed) {
	fmt.Fprintf(w, `%[1]s
gcp-fake serves %[2]s (organization %[3]s, %[4]d folders, %[5]d projects) at %[1]s

ssh-pruner:
  ssh-pruner run --api-endpoint %[1]s --organization %[3]s
  (or SSH_PRUNER_API_ENDPOINT=%[1]s)

gcloud, in a configuration of its own:
  export CLOUDSDK_CONFIG=$(mktemp -d)
  gcloud config set api_endpoint_overrides/compute %[1]s/compute/v1/
  gcloud config set api_endpoint_overrides/cloudresourcemanager %[1]s/
  gcloud config set api_endpoint_overrides/serviceusage %[1]s/
  gcloud config set api_endpoint_overrides/logging %[1]s/
  gcloud config set auth/disable_credentials true
  gcloud compute project-info describe --project %[6]s
  (to act as one of the seed's principals, whom the audit log then names,
  set auth/access_token_file to a file with its token instead of
  auth/disable_credentials)

Google client libraries: option.WithEndpoint(%[1]s/) for Resource Manager,
Service Usage and Logging, option.WithEndpoint(%[1]s/compute/v1/) for Compute,
with option.WithoutAuthentication() or a token of the seed's principals.
`, base, name, seed.Organization.ID, len(seed.Folders), len(seed.Projects), exampleProject(seed))
}

// exampleProject is a project of the seed that gcloud can describe: the
// first active one with Compute Engine enabled that the caller may read,
// else the first one, else a placeholder.
func exampleProject(seed *gcpfake.Seed) string {
	if len(seed.Projects) == 0 {
		return "PROJECT_ID"
	}
	for _, p := range seed.Projects {
		if (p.State == "" || p.State == gcpfake.StateActive) &&
			slices.Contains(p.Services, "compute.googleapis.com") &&
			!slices.Contains(seed.Forbidden, "projects/"+p.ID) {
			return p.ID
		}
	}
	return seed.Projects[0].ID
}
