package gcpfake

import (
	"fmt"
	"net/http"
	"sync"
	"sync/atomic"

	"golang.org/x/time/rate"
)

// quotas answer past a rate as Google's front end does: Resource Manager
// and Service Usage with 429 RESOURCE_EXHAUSTED, counted per caller;
// Compute with 403 rateLimitExceeded, counted per project. Like faults,
// they belong to the front end, not to the resources, hence their own
// lock apart from the backend's.
type quotas struct {
	mu     sync.Mutex
	rates  map[string]float64                  // service -> requests a second
	limits map[string]map[string]*rate.Limiter // service -> project ("" for the caller) -> bucket
	// active spares every call the lock while no quota is set.
	active atomic.Bool
}

func newQuotas() *quotas {
	return &quotas{rates: map[string]float64{}, limits: map[string]map[string]*rate.Limiter{}}
}

// SetRateQuota makes the fake refuse the calls of a service (such as
// compute.googleapis.com or cloudresourcemanager.googleapis.com) past qps
// requests a second, with a burst of one second's worth: per project for
// Compute, for the caller as a whole for the others. 0 removes the quota.
// Refused calls are counted like the others.
func (f *Fake) SetRateQuota(service string, qps float64) { f.api.quotas.set(service, qps) }

func (q *quotas) set(service string, qps float64) {
	q.mu.Lock()
	defer q.mu.Unlock()
	delete(q.limits, service)
	if qps <= 0 {
		delete(q.rates, service)
	} else {
		q.rates[service] = qps
	}
	q.active.Store(len(q.rates) > 0)
}

// limiter is the bucket a call of service on project draws from, nil
// when the service has no quota.
func (q *quotas) limiter(service, project string) *rate.Limiter {
	q.mu.Lock()
	defer q.mu.Unlock()
	qps, ok := q.rates[service]
	if !ok {
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
	return lim
}

// over tells whether a call must be refused, and with what.
func (q *quotas) over(service, project, consumer string) *apiError {
	lim := q.limiter(service, project)
	if lim == nil || lim.Allow() {
		return nil
	}
	if service == computeService {
		msg := fmt.Sprintf("Quota exceeded for quota metric 'Read requests' and limit 'Read requests per minute' of service '%s' for consumer '%s'.", service, consumer)
		return simpleError(http.StatusForbidden, "usageLimits", "rateLimitExceeded", msg)
	}
	return errInjected(http.StatusTooManyRequests, service, consumer)
}
