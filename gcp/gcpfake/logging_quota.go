package gcpfake

import (
	"fmt"
	"net/http"
	"strconv"
	"sync"
	"time"
)

// Cloud Logging's quota on entries.list is 60 calls a minute, per
// project, and per folder, organization or billing account alike, not
// hierarchical (Logging's quotas page, as quoted by a third party; the
// number could not be read from Google's page here). Unlike the
// quotas of quota.go, which a test sets and which count calls by the
// project in the path, this one is on by default, as Google's is, and
// counts each resource a call names in its body, which dispatch does not
// read: so it lives with the handler.
const defaultLoggingReadsPerMinute = 60

// readQuota counts entries.list calls per resource over a sliding
// minute, so that the 61st call within any minute is refused however
// the calls fall on the clock's minutes.
type readQuota struct {
	mu     sync.Mutex
	limit  int                    // calls a minute per resource; 0 for none
	recent map[string][]time.Time // per resource: the accepted calls of the last minute, oldest first
}

func newReadQuota() *readQuota {
	return &readQuota{limit: defaultLoggingReadsPerMinute, recent: map[string][]time.Time{}}
}

// SetLoggingReadQuota sets how many entries.list calls a minute the fake
// accepts for each project, folder or organization a call names, 60 by
// default as Google's quota; 0 removes the quota.
func (f *Fake) SetLoggingReadQuota(perMinute int) {
	q := f.api.logQuota
	q.mu.Lock()
	defer q.mu.Unlock()
	q.limit = max(perMinute, 0)
	clear(q.recent)
}

// take counts a call on every resource it names, or refuses it, with the
// resource whose quota it would exceed and the quota, counting it
// nowhere.
func (q *readQuota) take(resources []string) (refused string, limit int) {
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.limit == 0 {
		return "", 0
	}
	now := time.Now()
	for _, r := range resources {
		calls := q.recent[r]
		for len(calls) > 0 && now.Sub(calls[0]) >= time.Minute {
			calls = calls[1:]
		}
		q.recent[r] = calls
		if len(calls) >= q.limit {
			return r, q.limit
		}
	}
	for _, r := range resources {
		q.recent[r] = append(q.recent[r], now)
	}
	return "", q.limit
}

// errLoggingQuota is the answer past the quota, shaped as the API front
// end's quota errors of other services (a metric, a limit and an
// ErrorInfo naming them); the metric and limit names are assumed.
func errLoggingQuota(consumer string, limit int) *apiError {
	const service = "logging.googleapis.com"
	msg := fmt.Sprintf("Quota exceeded for quota metric 'Read requests' and limit 'Read requests per minute' of service '%s' for consumer '%s'.", service, consumer)
	return rpcError(http.StatusTooManyRequests, msg).withInfo("googleapis.com", "RATE_LIMIT_EXCEEDED", map[string]string{
		"service": service, "consumer": consumer, "quota_location": "global",
		"quota_metric": service + "/read_requests", "quota_limit": "ReadRequestsPerMinutePerProject",
		"quota_limit_value": strconv.Itoa(limit),
	})
}
