package gcpfake

import (
	"fmt"
	"net/http"
	"reflect"
	"strconv"
)

func (s *server) instanceGet(w http.ResponseWriter, r *http.Request, c *call) {
	p, e := s.computeProject(r.PathValue("project"), c.method)
	if e != nil {
		writeError(w, e)
		return
	}
	zone, name := r.PathValue("zone"), r.PathValue("instance")
	in, err := s.store.instance(p.ID, zone, name)
	if err != nil {
		writeError(w, zonalError(err, p.ID, zone, instanceName(p.ID, zone, name)))
		return
	}
	writeJSON(w, http.StatusOK, s.readInstance(computeBase(r), p.ID, &in))
}

// readInstance renders an instance for a read through the API, and arms
// the concurrent writer waiting for that read, if any.
func (s *server) readInstance(base, project string, in *instanceState) computeInstance {
	s.hooks.read(instanceName(project, in.Zone, in.Name))
	return renderInstance(base, project, in)
}

// instancesList serves instances.list: the instances of the zone that
// the filter keeps, by name or newest first (compute_list.go).
func (s *server) instancesList(w http.ResponseWriter, r *http.Request, c *call) {
	p, e := s.computeProject(r.PathValue("project"), c.method)
	if e != nil {
		writeError(w, e)
		return
	}
	lp, e := readListParams(r, reflect.TypeFor[computeInstance]())
	if e != nil {
		writeError(w, e)
		return
	}
	zone, base := r.PathValue("zone"), computeBase(r)
	var pg paged
	list, err := s.store.zoneInstances(p.ID, zone, lp.instanceQuery(base, p.ID),
		computePager.window(r, "instances|"+p.ID+"|"+zone+lp.scope, &pg))
	if err != nil {
		writeError(w, zonalError(err, p.ID, zone, "projects/"+p.ID+"/zones/"+zone))
		return
	}
	if pg.err != nil {
		writeError(w, pg.err)
		return
	}
	out := instanceList{
		Kind: "compute#instanceList", ID: "projects/" + p.ID + "/zones/" + zone + "/instances",
		NextPageToken: pg.next, SelfLink: base + "projects/" + p.ID + "/zones/" + zone + "/instances",
	}
	for i := range list {
		out.Items = append(out.Items, s.readInstance(base, p.ID, &list[i]))
	}
	writeJSON(w, http.StatusOK, out)
}

// instanceList is compute#instanceList, a page of instances.list.
type instanceList struct {
	Kind          string            `json:"kind"`
	ID            string            `json:"id"`
	Items         []computeInstance `json:"items,omitempty"`
	NextPageToken string            `json:"nextPageToken,omitempty"`
	SelfLink      string            `json:"selfLink"`
}

// instanceAggregatedList is compute#instanceAggregatedList, a page of
// instances.aggregatedList.
type instanceAggregatedList struct {
	Kind          string                      `json:"kind"`
	ID            string                      `json:"id"`
	Items         map[string]*scopedInstances `json:"items"`
	NextPageToken string                      `json:"nextPageToken,omitempty"`
	SelfLink      string                      `json:"selfLink"`
	Unreachables  []string                    `json:"unreachables,omitempty"`
}

type scopedInstances struct {
	Instances []computeInstance `json:"instances,omitempty"`
	Warning   *scopeWarning     `json:"warning,omitempty"`
}

type scopeWarning struct {
	Code    string              `json:"code"`
	Message string              `json:"message"`
	Data    []map[string]string `json:"data"`
}

// instancesAggregatedList serves aggregated/instances: items keyed
// "zones/ZONE", pages cut across zones. On the last page, every other zone
// the seed has instances in comes with the NO_RESULTS_ON_PAGE warning the
// real list gives empty scopes. A zone made unreachable (SetZoneUnreachable)
// fails the call with 503, or, with returnPartialSuccess=true, has its
// instances left out and is named on every page in unreachables.
func (s *server) instancesAggregatedList(w http.ResponseWriter, r *http.Request, c *call) {
	p, e := s.computeProject(r.PathValue("project"), c.method)
	if e != nil {
		writeError(w, e)
		return
	}
	partial := false
	if v := r.URL.Query().Get("returnPartialSuccess"); v != "" {
		var err error
		if partial, err = strconv.ParseBool(v); err != nil {
			writeError(w, errInvalid(fmt.Sprintf("Invalid value for field 'returnPartialSuccess': '%s'. Must be a boolean", v)))
			return
		}
	}
	lp, e := readListParams(r, reflect.TypeFor[computeInstance]())
	if e != nil {
		writeError(w, e)
		return
	}
	base := computeBase(r)
	var pg paged
	page, err := s.store.aggregatedInstances(p.ID, lp.instanceQuery(base, p.ID),
		computePager.window(r, "aggregated|"+p.ID+lp.scope, &pg))
	if err != nil {
		writeError(w, zonalError(err, p.ID, "", "projects/"+p.ID))
		return
	}
	var unreachables []string
	for _, zone := range page.unreachable {
		if !partial {
			writeError(w, errZoneUnavailable(p.ID, zone))
			return
		}
		unreachables = append(unreachables, "zones/"+zone)
	}
	if pg.err != nil {
		writeError(w, pg.err)
		return
	}
	writeJSON(w, http.StatusOK, instanceAggregatedList{
		Kind: "compute#instanceAggregatedList", ID: "projects/" + p.ID + "/aggregated/instances",
		Items: s.scopes(base, p.ID, page, pg.next == ""), NextPageToken: pg.next,
		SelfLink: base + "projects/" + p.ID + "/aggregated/instances", Unreachables: unreachables,
	})
}

// scopes groups a page of instances by zone; on the last page, each
// other reachable zone gets the warning of an empty scope.
func (s *server) scopes(base, project string, page instancePage, last bool) map[string]*scopedInstances {
	items := map[string]*scopedInstances{}
	for i := range page.instances {
		in := &page.instances[i]
		key := "zones/" + in.Zone
		if items[key] == nil {
			items[key] = &scopedInstances{}
		}
		items[key].Instances = append(items[key].Instances, s.readInstance(base, project, in))
	}
	if !last {
		return items
	}
	for _, zone := range page.reachable {
		key := "zones/" + zone
		if items[key] == nil {
			items[key] = &scopedInstances{Warning: &scopeWarning{
				Code:    "NO_RESULTS_ON_PAGE",
				Message: fmt.Sprintf("There are no results for scope '%s' on this page.", key),
				Data:    []map[string]string{{"key": "scope", "value": key}},
			}}
		}
	}
	return items
}
