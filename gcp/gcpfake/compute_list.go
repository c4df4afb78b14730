package gcpfake

import (
	"fmt"
	"net/http"
	"reflect"
	"slices"
	"strings"
)

// The filter and orderBy parameters of Compute Engine's lists.

// listParams are what a request asks of a Compute list beyond its page:
// the resources its filter keeps, and their order.
type listParams struct {
	filter      computeFilterNode // nil: every resource
	newestFirst bool              // orderBy=creationTimestamp desc; else by name
	// scope identifies the filter and the order in page tokens, so that a
	// token is refused with another query.
	scope string
}

// readListParams reads filter and orderBy for a list of resources of
// type t. The reference of every Compute list says: "Currently, only
// sorting by name or creationTimestamp desc is supported". Google's
// message for another order is not documented; the fake's says what the
// reference says, in Compute's "Invalid value for field" form.
func readListParams(r *http.Request, t reflect.Type) (listParams, *apiError) {
	q := r.URL.Query()
	filter, orderBy := q.Get("filter"), q.Get("orderBy")
	var lp listParams
	switch strings.Join(strings.Fields(orderBy), " ") {
	case "", "name":
	case "creationTimestamp desc":
		lp.newestFirst = true
	default:
		return lp, errInvalid(fmt.Sprintf("Invalid value for field 'orderBy': '%s'. "+
			"Only sorting by name or creationTimestamp desc is supported.", orderBy))
	}
	n, e := parseComputeFilter(filter, t)
	if e != nil {
		return lp, e
	}
	lp.filter = n
	lp.scope = "|" + filter + "|" + orderBy
	return lp, nil
}

// matches tells whether the filter keeps a resource, as served.
func (lp listParams) matches(resource any) bool {
	return lp.filter == nil || lp.filter.match(reflectGetter(resource))
}

// instanceQuery picks and orders the instances of a list, under the
// backend's lock: those keep keeps (all when nil), by zone and name or,
// newestFirst, by creation time.
type instanceQuery struct {
	keep        func(*instanceState) bool
	newestFirst bool
}

func (q instanceQuery) keeps(in *instanceState) bool { return q.keep == nil || q.keep(in) }

// order sorts instances that come by zone and name; the stable sort keeps
// that order among instances created at the same time.
func (q instanceQuery) order(all []*instanceState) []*instanceState {
	if q.newestFirst {
		slices.SortStableFunc(all, func(a, b *instanceState) int { return b.created.Compare(a.created) })
	}
	return all
}

// instanceQuery is the query of a list of a project's instances: its
// filter reads each instance as the list would serve it.
func (lp listParams) instanceQuery(base, project string) instanceQuery {
	q := instanceQuery{newestFirst: lp.newestFirst}
	if lp.filter != nil {
		q.keep = func(in *instanceState) bool {
			ci := renderInstance(base, project, in)
			return lp.matches(&ci)
		}
	}
	return q
}
