package gcp

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"google.golang.org/api/googleapi"
)

// RetryPolicy bounds the retries of a call answered with 429, 5xx or a
// transport error. Writes are retried too: every write carries a metadata
// fingerprint, so a write that did land before its answer was lost cannot
// land twice; its retry meets 412 and the reconciler reads again.
type RetryPolicy struct {
	// MaxAttempts counts the first try; 1 disables retries. Default 6.
	MaxAttempts int
	// Base is the first backoff; it doubles each retry. Default 500ms.
	Base time.Duration
	// Cap bounds one backoff. Default 30s.
	Cap time.Duration
}

// DefaultRetry fills the fields of Options.Retry left zero. Programs leave
// it alone; the tests of a program that makes its Client itself (such as
// ssh-pruner's CLI tests) shorten its Base and Cap before they start, so
// that the 429s and 5xx of a fake cost milliseconds of backoff rather than
// seconds, with the same attempts and the same doubling and jitter. It is
// not a setting of any binary.
var DefaultRetry = RetryPolicy{MaxAttempts: 6, Base: 500 * time.Millisecond, Cap: 30 * time.Second}

func (p RetryPolicy) withDefaults() RetryPolicy {
	if p.MaxAttempts <= 0 {
		p.MaxAttempts = DefaultRetry.MaxAttempts
	}
	if p.Base <= 0 {
		p.Base = DefaultRetry.Base
	}
	if p.Cap <= 0 {
		p.Cap = DefaultRetry.Cap
	}
	return p
}

// backoff is the wait before retry number n (1-based): full jitter over an
// exponential window, at least what the server asked for in Retry-After.
func (p RetryPolicy) backoff(n int, retryAfter time.Duration) time.Duration {
	window := p.Base << min(n-1, 30)
	if window <= 0 || window > p.Cap {
		window = p.Cap
	}
	d := time.Duration(rand.Int64N(int64(window)) + 1)
	return min(max(d, retryAfter), p.Cap)
}

// call runs one API call, waiting for the rate limiters of its API (and
// project, for Compute) before each attempt, retrying what is worth
// retrying, and slowing that API down when Google says to. m is the
// call's entry in the table of calls (calls.go), whose id names it in
// errors; project is the project it acts on ("" for none).
func (c *Client) call(ctx context.Context, m method, project string, do func(ctx context.Context) error) error {
	method := m.String()
	lim := c.limits.of(method, project)
	defer c.limits.release(lim)
	for attempt := 1; ; attempt++ {
		if err := c.limits.wait(ctx, lim); err != nil {
			return fmt.Errorf("%s: %w", method, err)
		}
		// Each attempt is bounded: a server that accepts and never
		// answers, or sends its answer byte by byte, costs one attempt.
		actx, cancel := context.WithTimeout(ctx, c.attemptTimeout(method))
		err := do(actx)
		cancel()
		if err == nil {
			lim.recover(time.Now())
			return nil
		}
		if throttled(err) {
			lim.slowDown(time.Now())
			c.limits.throttled.Add(1)
		}
		retryAfter, retryable := shouldRetry(ctx, err)
		if !retryable {
			return classify(err)
		}
		if attempt >= c.retry.MaxAttempts {
			return fmt.Errorf("%s: gave up after %d attempts: %w", method, attempt, classify(err))
		}
		c.limits.retries.Add(1)
		if err := c.sleep(ctx, c.retry.backoff(attempt, retryAfter)); err != nil {
			return fmt.Errorf("%s: %w (while retrying: %v)", method, err, classify(err))
		}
	}
}

// throttled tells an answer that says to slow down: 429, or Compute's 403
// for an exhausted rate quota.
func throttled(err error) bool {
	var ge *googleapi.Error
	return errors.As(err, &ge) && (ge.Code == http.StatusTooManyRequests || rateLimited(ge))
}

// DefaultCallTimeout bounds one attempt of a call. An operation's wait,
// which blocks on Google's side for up to two minutes before it answers
// "still running", gets two and a half times as long.
const DefaultCallTimeout = 60 * time.Second

func (c *Client) attemptTimeout(method string) time.Duration {
	d := c.callTimeout
	if d <= 0 {
		d = DefaultCallTimeout
	}
	if strings.HasSuffix(method, "Operations.wait") {
		return d * 5 / 2
	}
	return d
}

// shouldRetry tells whether err is transient, with the wait the server
// asked for, if any.
func shouldRetry(ctx context.Context, err error) (time.Duration, bool) {
	if ctx.Err() != nil {
		return 0, false
	}
	if brokenAnswer(err) {
		// A read is idempotent, and a write carries its request id: the
		// retry of an answer cut short lands once.
		return 0, true
	}
	var ge *googleapi.Error
	if errors.As(err, &ge) {
		switch {
		case ge.Code == http.StatusTooManyRequests, ge.Code >= 500, rateLimited(ge), !wellFormed(ge):
			return retryAfter(ge.Header), true
		default:
			return 0, false
		}
	}
	var ue *url.Error
	var ne net.Error
	if errors.As(err, &ue) || errors.As(err, &ne) {
		return 0, true
	}
	return 0, false
}

// rateLimited tells a quota answer from a denial: Compute answers an
// exhausted rate quota with HTTP 403 and one of these reasons, not 429.
// Taken for "forbidden", it would skip projects that were never read.
func rateLimited(ge *googleapi.Error) bool {
	if ge.Code != http.StatusForbidden {
		return false
	}
	for _, e := range ge.Errors {
		switch e.Reason {
		case "rateLimitExceeded", "userRateLimitExceeded", "RESOURCE_OPERATION_RATE_EXCEEDED":
			return true
		}
	}
	return false
}

func retryAfter(h http.Header) time.Duration {
	if h == nil {
		return 0
	}
	secs, err := strconv.Atoi(h.Get("Retry-After"))
	if err != nil || secs < 0 {
		return 0
	}
	return time.Duration(secs) * time.Second
}

func sleepCtx(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// brokenAnswer tells an answer that did not arrive whole: a body cut short
// or that is not the JSON it claims, or a null where a resource belongs.
func brokenAnswer(err error) bool {
	var se *json.SyntaxError
	return errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF) || errors.As(err, &se) || errors.Is(err, errEmptyAnswer)
}

// wellFormed tells a Google error whose body was read: a status without
// one (a body cut short, a proxy's page) says nothing about why, and no
// skip reason may be drawn from it.
func wellFormed(ge *googleapi.Error) bool {
	return ge.Message != "" || len(ge.Errors) > 0 || len(ge.Details) > 0
}

// errEmptyAnswer is a call that succeeded with the body null: Google's
// clients then hand back a nil resource.
var errEmptyAnswer = errors.New("the server answered with an empty resource (null)")

// present turns a nil resource from a call that did not fail into
// errEmptyAnswer, so that no caller dereferences it.
func present[T any](v *T, err error) error {
	if err == nil && v == nil {
		return errEmptyAnswer
	}
	return err
}
