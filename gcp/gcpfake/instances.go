package gcpfake

import (
	"cmp"
	"fmt"
	"net/http"
	"slices"
)

// computeInstance is the part of compute#instance the fake serves.
type computeInstance struct {
	Kind              string          `json:"kind"`
	ID                string          `json:"id"`
	CreationTimestamp string          `json:"creationTimestamp"`
	Name              string          `json:"name"`
	MachineType       string          `json:"machineType"`
	Status            string          `json:"status"`
	Zone              string          `json:"zone"`
	Metadata          computeMetadata `json:"metadata"`
	SelfLink          string          `json:"selfLink"`
}

func renderInstance(base, project string, in *instanceState) computeInstance {
	zone := base + "projects/" + project + "/zones/" + in.Zone
	return computeInstance{
		Kind: "compute#instance", ID: in.ID, CreationTimestamp: computeTime(in.created), Name: in.Name,
		MachineType: zone + "/machineTypes/e2-medium", Status: "RUNNING", Zone: zone,
		Metadata: computeMetadata{Kind: "compute#metadata", Fingerprint: in.md.fp, Items: in.md.items},
		SelfLink: base + instanceName(project, in.Zone, in.Name),
	}
}

// zoneError checks the zone of an instance call: a name that is not a zone
// is a zone that does not exist.
func zoneError(project, zone string) *apiError {
	if zoneName.MatchString(zone) {
		return nil
	}
	return errNotFound("projects/" + project + "/zones/" + zone)
}

func (f *Fake) instanceGet(w http.ResponseWriter, r *http.Request, c *call) {
	f.mu.RLock()
	defer f.mu.RUnlock()
	in, p, e := f.instanceOfCallLocked(r, c)
	if e != nil {
		writeError(w, e)
		return
	}
	writeJSON(w, http.StatusOK, renderInstance(computeBase(r), p.ID, in))
}

func (f *Fake) instanceOfCallLocked(r *http.Request, c *call) (*instanceState, *projectState, *apiError) {
	p, e := f.computeProjectLocked(r.PathValue("project"), c.method)
	if e != nil {
		return nil, nil, e
	}
	zone, name := r.PathValue("zone"), r.PathValue("instance")
	if e := zoneError(p.ID, zone); e != nil {
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
	if e := zoneError(p.ID, zone); e != nil {
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
		out.Items = append(out.Items, renderInstance(base, p.ID, in))
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
// the fake knows comes with the NO_RESULTS_ON_PAGE warning the real list
// gives empty scopes.
func (f *Fake) instancesAggregatedList(w http.ResponseWriter, r *http.Request, c *call) {
	f.mu.RLock()
	defer f.mu.RUnlock()
	p, e := f.computeProjectLocked(r.PathValue("project"), c.method)
	if e != nil {
		writeError(w, e)
		return
	}
	all := sortedInstances(p)
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
		items[key].Instances = append(items[key].Instances, renderInstance(base, p.ID, in))
	}
	if next == "" {
		for zone := range f.zones {
			key := "zones/" + zone
			if items[key] == nil {
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
	}{
		Kind: "compute#instanceAggregatedList", ID: "projects/" + p.ID + "/aggregated/instances",
		Items: items, NextPageToken: next, SelfLink: base + "projects/" + p.ID + "/aggregated/instances",
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
		return &writeTarget{
			md: &in.md, set: in.md.set,
			op: operationSpec{
				project: p.ID, zone: in.Zone, opType: "setMetadata",
				target: instanceName(p.ID, in.Zone, in.Name), targetID: in.ID,
			},
		}, nil
	})
}
