package gcpfake

import (
	"cmp"
	"fmt"
	"maps"
	"net/http"
	"slices"
	"strconv"
)

func (f *Fake) instanceGet(w http.ResponseWriter, r *http.Request, c *call) {
	f.mu.RLock()
	defer f.mu.RUnlock()
	in, p, e := f.instanceOfCallLocked(r, c)
	if e != nil {
		writeError(w, e)
		return
	}
	writeJSON(w, http.StatusOK, f.readInstanceLocked(computeBase(r), p.ID, in))
}

// readInstanceLocked renders an instance for a read through the API, and
// arms the concurrent writer waiting for that read, if any. The caller
// holds the read lock at least.
func (f *Fake) readInstanceLocked(base, project string, in *instanceState) computeInstance {
	f.hooks.read(instanceName(project, in.Zone, in.Name))
	return renderInstance(base, project, in)
}

func (f *Fake) instanceOfCallLocked(r *http.Request, c *call) (*instanceState, *projectState, *apiError) {
	p, e := f.computeProjectLocked(r.PathValue("project"), c.method)
	if e != nil {
		return nil, nil, e
	}
	zone, name := r.PathValue("zone"), r.PathValue("instance")
	if e := f.zoneErrorLocked(p, zone); e != nil {
		return nil, nil, e
	}
	in := p.instances[zone+"/"+name]
	if in == nil {
		return nil, nil, errNotFound(instanceName(p.ID, zone, name))
	}
	return in, p, nil
}

// instancesList serves instances.list. Filters and orderBy are not
// supported: all instances of the zone are listed, by name.
func (f *Fake) instancesList(w http.ResponseWriter, r *http.Request, c *call) {
	f.mu.RLock()
	defer f.mu.RUnlock()
	p, e := f.computeProjectLocked(r.PathValue("project"), c.method)
	if e != nil {
		writeError(w, e)
		return
	}
	zone := r.PathValue("zone")
	if e := f.zoneErrorLocked(p, zone); e != nil {
		writeError(w, e)
		return
	}
	var all []*instanceState
	for _, in := range sortedInstances(p) {
		if in.Zone == zone {
			all = append(all, in)
		}
	}
	start, end, next, e := computePager.page(r, len(all), "instances|"+p.ID+"|"+zone)
	if e != nil {
		writeError(w, e)
		return
	}
	base := computeBase(r)
	out := struct {
		Kind          string            `json:"kind"`
		ID            string            `json:"id"`
		Items         []computeInstance `json:"items,omitempty"`
		NextPageToken string            `json:"nextPageToken,omitempty"`
		SelfLink      string            `json:"selfLink"`
	}{
		Kind: "compute#instanceList", ID: "projects/" + p.ID + "/zones/" + zone + "/instances",
		NextPageToken: next, SelfLink: base + "projects/" + p.ID + "/zones/" + zone + "/instances",
	}
	for _, in := range all[start:end] {
		out.Items = append(out.Items, f.readInstanceLocked(base, p.ID, in))
	}
	writeJSON(w, http.StatusOK, out)
}

func sortedInstances(p *projectState) []*instanceState {
	return slices.SortedFunc(slices.Values(p.instOrder), func(a, b *instanceState) int {
		return cmp.Or(cmp.Compare(a.Zone, b.Zone), cmp.Compare(a.Name, b.Name))
	})
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
func (f *Fake) instancesAggregatedList(w http.ResponseWriter, r *http.Request, c *call) {
	f.mu.RLock()
	defer f.mu.RUnlock()
	p, e := f.computeProjectLocked(r.PathValue("project"), c.method)
	if e != nil {
		writeError(w, e)
		return
	}
	partial := false
	if s := r.URL.Query().Get("returnPartialSuccess"); s != "" {
		var err error
		if partial, err = strconv.ParseBool(s); err != nil {
			writeError(w, errInvalid(fmt.Sprintf("Invalid value for field 'returnPartialSuccess': '%s'. Must be a boolean", s)))
			return
		}
	}
	var unreachables []string
	for _, zone := range slices.Sorted(maps.Keys(f.unreachable)) {
		if !partial {
			writeError(w, errZoneUnavailable(p.ID, zone))
			return
		}
		unreachables = append(unreachables, "zones/"+zone)
	}
	var all []*instanceState
	for _, in := range sortedInstances(p) {
		if !f.unreachable[in.Zone] {
			all = append(all, in)
		}
	}
	start, end, next, e := computePager.page(r, len(all), "aggregated|"+p.ID)
	if e != nil {
		writeError(w, e)
		return
	}
	base := computeBase(r)
	items := map[string]*scopedInstances{}
	for _, in := range all[start:end] {
		key := "zones/" + in.Zone
		if items[key] == nil {
			items[key] = &scopedInstances{}
		}
		items[key].Instances = append(items[key].Instances, f.readInstanceLocked(base, p.ID, in))
	}
	if next == "" {
		for zone := range f.zones {
			key := "zones/" + zone
			if items[key] == nil && !f.unreachable[zone] {
				items[key] = &scopedInstances{Warning: &scopeWarning{
					Code:    "NO_RESULTS_ON_PAGE",
					Message: fmt.Sprintf("There are no results for scope '%s' on this page.", key),
					Data:    []map[string]string{{"key": "scope", "value": key}},
				}}
			}
		}
	}
	writeJSON(w, http.StatusOK, struct {
		Kind          string                      `json:"kind"`
		ID            string                      `json:"id"`
		Items         map[string]*scopedInstances `json:"items"`
		NextPageToken string                      `json:"nextPageToken,omitempty"`
		SelfLink      string                      `json:"selfLink"`
		Unreachables  []string                    `json:"unreachables,omitempty"`
	}{
		Kind: "compute#instanceAggregatedList", ID: "projects/" + p.ID + "/aggregated/instances",
		Items: items, NextPageToken: next, SelfLink: base + "projects/" + p.ID + "/aggregated/instances",
		Unreachables: unreachables,
	})
}

// instanceSetMetadata serves instances.setMetadata with the same
// fingerprint rules as the project's metadata.
func (f *Fake) instanceSetMetadata(w http.ResponseWriter, r *http.Request, c *call) {
	f.serveMetadataWrite(w, r, c, func() (*writeTarget, *apiError) {
		in, p, e := f.instanceOfCallLocked(r, c)
		if e != nil {
			return nil, e
		}
		name := instanceName(p.ID, in.Zone, in.Name)
		return &writeTarget{
			md: &in.md, set: in.md.set,
			// A concurrent writer armed by a read runs now, before the check.
			hook: f.hooks.take(name),
			op: operationSpec{
				project: p.ID, zone: in.Zone, opType: "setMetadata",
				target: name, targetID: in.ID,
			},
		}, nil
	})
}
