package gcpfake

import (
	"context"
	"net/http"
	"reflect"
	"strings"
	"sync/atomic"
	"time"
)

// dispatch is the layer between the wire and the handlers: it counts a
// call, refuses a fields parameter it cannot apply, refuses the call past
// its quota, delays it or answers it with an error as its fault says,
// and only then runs its handler, which never sees a quota and sees of
// the fault only what shapes the operations it starts. A success is cut
// to the fields selected (fields.go) here, once for every method, so no
// handler deals with partial responses.
func (s *server) dispatch(method string, answer reflect.Type, counter *atomic.Int64, h handler) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		counter.Add(1)
		sel, e := partial(r, method, answer)
		if e != nil {
			writeError(w, e)
			return
		}
		if sel != nil {
			pw := &partialWriter{ResponseWriter: w, sel: sel, answer: answer}
			defer pw.finish()
			w = pw
		}
		c := &call{method: method}
		if !s.faults.active.Load() && !s.quotas.active.Load() {
			h(w, r, c)
			return
		}
		// Faults and quotas are set per project id; a project named by
		// number is the same project.
		project, consumer := s.projectOf(r.PathValue("project"))
		if s.quotas.active.Load() {
			if e := s.quotas.over(serviceOf(method), project, consumer); e != nil {
				writeError(w, e)
				return
			}
		}
		fl, status := s.faults.forCall(method, project)
		c.fault = fl
		if !sleepCtx(r.Context(), fl.Latency) {
			return // the caller has gone
		}
		if status != 0 {
			writeError(w, errInjected(status, serviceOf(method), consumer))
			return
		}
		h(w, r, c)
	}
}

// projectOf resolves the project a request names, by id or number, to its
// id and its quota consumer, projects/NUMBER. An unknown project is its
// own id and consumer. It returns "", "" for a request that names none.
func (s *server) projectOf(idOrNumber string) (id, consumer string) {
	if idOrNumber == "" {
		return "", ""
	}
	if p, ok := s.store.project(idOrNumber); ok {
		return p.ID, "projects/" + p.Number
	}
	return idOrNumber, "projects/" + idOrNumber
}

func serviceOf(method string) string {
	api, _, _ := strings.Cut(method, ".")
	return api + ".googleapis.com"
}

// sleepCtx waits d or until ctx ends, and tells whether it waited it all.
func sleepCtx(ctx context.Context, d time.Duration) bool {
	if d <= 0 {
		return ctx.Err() == nil
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}
