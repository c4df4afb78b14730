// Package gcp adapts Google's API clients (Resource Manager v3, Compute
// v1, Cloud Storage) to the interfaces package pruner consumes. It is the
// only package that imports them.
package gcp

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"time"

	crm "google.golang.org/api/cloudresourcemanager/v3"
	compute "google.golang.org/api/compute/v1"
	"google.golang.org/api/impersonate"
	logging "google.golang.org/api/logging/v2"
	"google.golang.org/api/option"

	"github.com/ssh-pruner/ssh-pruner/pruner"
)

var (
	_ pruner.ProjectLister = (*Client)(nil)
	_ pruner.MetadataStore = (*Client)(nil)
	_ pruner.Checker       = (*Client)(nil)
)

// Options configure a Client.
type Options struct {
	// Endpoint is the base URL of Resource Manager and Compute, such as a
	// local gcp-fake
	// (http://127.0.0.1:8085). With it, no credentials are looked up, as
	// with Google's own emulators.
	Endpoint string
	// StorageEndpoint is the base URL of a fake Cloud Storage (such as
	// fake-gcs-server) for a state kept there (NewStateObject); no
	// credentials are looked up for it.
	StorageEndpoint string
	// ImpersonateServiceAccount makes every call as this service account.
	ImpersonateServiceAccount string
	// QuotaProject is charged for the API quota of the calls.
	QuotaProject string
	// UserAgent identifies the tool, e.g. ssh-pruner/v1.0.0.
	UserAgent string
	// QPS caps the requests per second of the whole client, retries
	// included; 0 for no overall cap (the per-API Rates still hold).
	QPS float64
	// Rates are the per-API rates; a zero field takes DefaultRates'.
	Rates Rates
	// Retry bounds the retries of 429, 5xx and transport errors.
	Retry RetryPolicy
	// PageSize asks for pages of this size when listing; 0 lets the server choose.
	PageSize int64
	// ListConcurrency bounds the folders listed at once; default 8.
	ListConcurrency int
	// HTTPClient replaces the client built from the options above (tests).
	HTTPClient *http.Client
	// CallTimeout bounds one attempt of a call; 0 for DefaultCallTimeout.
	CallTimeout time.Duration
}

// Client talks to Google Cloud. It is safe for concurrent use.
type Client struct {
	crm      *crm.Service
	compute  *compute.Service
	logging  *logging.Service
	limits   *limits
	retry    RetryPolicy
	pageSize int64

	listConcurrency int
	callTimeout     time.Duration
	// sleep waits out a backoff: sleepCtx, or in this package's tests a
	// fake that records the waits instead of waiting.
	sleep func(ctx context.Context, d time.Duration) error
}

// New makes a Client. Without Options.Endpoint it uses Application Default
// Credentials, impersonating a service account when asked.
func New(ctx context.Context, o Options) (*Client, error) {
	common, err := credentials(ctx, o)
	if err != nil {
		return nil, err
	}
	endpoint := func(path string) []option.ClientOption {
		if o.Endpoint == "" {
			return common
		}
		base := strings.TrimSuffix(o.Endpoint, "/")
		return append(append([]option.ClientOption{}, common...), option.WithEndpoint(base+path))
	}

	c := &Client{retry: o.Retry.withDefaults(), pageSize: o.PageSize, listConcurrency: o.ListConcurrency, callTimeout: o.CallTimeout, sleep: sleepCtx}
	if c.listConcurrency <= 0 {
		c.listConcurrency = 8
	}
	if c.crm, err = crm.NewService(ctx, endpoint("/")...); err != nil {
		return nil, fmt.Errorf("resource manager client: %w", err)
	}
	if c.compute, err = compute.NewService(ctx, endpoint("/compute/v1/")...); err != nil {
		return nil, fmt.Errorf("compute client: %w", err)
	}
	if c.logging, err = logging.NewService(ctx, endpoint("/")...); err != nil {
		return nil, fmt.Errorf("logging client: %w", err)
	}
	// The services' own field rather than option.WithUserAgent, which is
	// lost when an HTTP client is given (the fake, tests).
	c.crm.UserAgent, c.compute.UserAgent, c.logging.UserAgent = o.UserAgent, o.UserAgent, o.UserAgent
	c.limits = newLimits(o.QPS, o.Rates)
	return c, nil
}

// credentials are the client options every client of the options shares:
// the HTTP client given, none against a local endpoint, else Application
// Default Credentials, impersonating a service account when asked.
func credentials(ctx context.Context, o Options) ([]option.ClientOption, error) {
	common := []option.ClientOption{}
	switch {
	case o.HTTPClient != nil:
		common = append(common, option.WithHTTPClient(o.HTTPClient))
	case o.Endpoint != "":
		common = append(common, option.WithoutAuthentication(), option.WithHTTPClient(localHTTPClient()))
	default:
		if o.QuotaProject != "" {
			common = append(common, option.WithQuotaProject(o.QuotaProject))
		}
		if o.ImpersonateServiceAccount != "" {
			ts, err := impersonate.CredentialsTokenSource(ctx, impersonate.CredentialsConfig{
				TargetPrincipal: o.ImpersonateServiceAccount,
				Scopes:          []string{compute.CloudPlatformScope},
			})
			if err != nil {
				return nil, fmt.Errorf("impersonate %s: %w", o.ImpersonateServiceAccount, err)
			}
			common = append(common, option.WithTokenSource(ts))
		}
	}
	return common, nil
}

var _ pruner.CallCounter = (*Client)(nil)

// CallStats is Stats for the run's totals.
func (c *Client) CallStats() (retries, throttled int64) {
	s := c.Stats()
	return s.Retries, s.Throttled
}

// Stats says how many calls were retried and throttled so far.
func (c *Client) Stats() Stats {
	return Stats{Retries: c.limits.retries.Load(), Throttled: c.limits.throttled.Load()}
}

// localHTTPClient keeps enough idle connections to a local endpoint for a
// run at high concurrency; the default keeps two per host.
func localHTTPClient() *http.Client {
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.MaxIdleConns = 256
	t.MaxIdleConnsPerHost = 256
	return &http.Client{Transport: t}
}
