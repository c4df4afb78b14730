package gcpfake

import (
	"fmt"
	"net/http"
	"sync"

	"golang.org/x/time/rate"
)

// quotas answer past a rate as Google's front end does: Resource Manager
// and Service Usage with 429 RESOURCE_EXHAUSTED, counted per caller;
// Compute with 403 rateLimitExceeded, counted per project.
type quotas struct {
	mu     sync.Mutex
	rates  map[string]float64                  // service -> requests a second
	limits map[string]map[string]*rate.Limiter // service -> project ("" for the caller) -> bucket
}

// SetRateQuota makes the fake refuse the calls of a service (such as
// compute.googleapis.com or cloudresourcemanager.googleapis.com) past qps
// requests a second, with a burst of one second's worth: per project for
// Compute, for the caller as a whole for the others. 0 removes the quota.
// Refused calls are counted like the others.
func (f *Fake) SetRateQuota(service string, qps float64) {
	f.quota.mu.Lock()
	defer f.quota.mu.Unlock()
	if f.quota.rates == nil {
		f.quota.rates, f.quota.limits = map[string]float64{}, map[string]map[string]*rate.Limiter{}
	}
	delete(f.quota.limits, service)
	if qps <= 0 {
		delete(f.quota.rates, service)
	} else {
		f.quota.rates[service] = qps
	}
	f.hasQuotas.Store(len(f.quota.rates) > 0)
}

// overQuota tells whether a call must be refused, and with what.
func (f *Fake) overQuota(service, project, consumer string) *apiError {
	q := &f.quota
	q.mu.Lock()
	qps, ok := q.rates[service]
	if !ok {
		q.mu.Unlock()
		return nil
	}
	key := ""
	if service == computeService {
		key = project
	}
	if q.limits[service] == nil {
		q.limits[service] = map[string]*rate.Limiter{}
	}
	lim := q.limits[service][key]
	if lim == nil {
		lim = rate.NewLimiter(rate.Limit(qps), max(1, int(qps)))
		q.limits[service][key] = lim
	}
	q.mu.Unlock()
	if lim.Allow() {
		return nil
	}
	if service == computeService {
		msg := fmt.Sprintf("Quota exceeded for quota metric 'Read requests' and limit 'Read requests per minute' of service '%s' for consumer '%s'.", service, consumer)
		return simpleError(http.StatusForbidden, "usageLimits", "rateLimitExceeded", msg)
	}
	return errInjected(http.StatusTooManyRequests, service, consumer)
}
