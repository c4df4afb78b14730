package gcpfake

import (
	"cmp"
	"crypto/sha256"
	"fmt"
	"maps"
	"slices"
	"time"
)

// instanceState is a VM of a project. A copy made under the lock is a
// snapshot: only md changes, and it is a value.
type instanceState struct {
	Instance    // Metadata is nil: md holds it
	md          metadataState
	created     time.Time
	networkIP   string
	natIP       string // "" without an external address
	staticNatIP bool   // natIP is the seed's, kept while stopped
}

func instanceName(project, zone, name string) string {
	return "projects/" + project + "/zones/" + zone + "/instances/" + name
}

// newInstanceState fills in what the seed leaves out: status RUNNING and
// addresses derived from the instance's name.
func newInstanceState(project string, in Instance) *instanceState {
	name := instanceName(project, in.Zone, in.Name)
	if in.Status == "" {
		in.Status = "RUNNING"
	}
	in.Labels = maps.Clone(in.Labels)
	if in.Effective != nil {
		e := *in.Effective // not the seed's: a snapshot shares it
		in.Effective = &e
	}
	is := &instanceState{Instance: in}
	is.md = newMetadata(name, in.Metadata)
	is.Metadata = nil
	sum := sha256.Sum256([]byte(name))
	is.networkIP = in.NetworkIP
	if is.networkIP == "" {
		is.networkIP = fmt.Sprintf("10.%d.%d.%d", 128+sum[0]%64, sum[1], 2+sum[2]%250)
	}
	is.natIP, is.staticNatIP = in.NatIP, in.NatIP != ""
	if is.natIP == "" && !in.NoExternalIP {
		is.natIP = fmt.Sprintf("34.%d.%d.%d", 64+sum[3]%64, sum[4], 1+sum[5]%254)
	}
	return is
}

// instanceRecordLocked finds an instance by project id, zone and name,
// without the checks of an API call.
func (b *backend) instanceRecordLocked(projectID, zone, name string) *instanceState {
	p := b.projects[projectID]
	if p == nil {
		return nil
	}
	return p.instances[zone+"/"+name]
}

// instanceLocked finds an instance of p as a zonal call does: the zone
// must be known and reachable before the instance is looked for.
func (b *backend) instanceLocked(p *projectState, zone, name string) (*instanceState, error) {
	if err := b.zoneErrLocked(zone); err != nil {
		return nil, err
	}
	return b.instanceOfLocked(p, zone, name)
}

// instanceOfLocked finds an instance of p whatever its zone's state.
func (b *backend) instanceOfLocked(p *projectState, zone, name string) (*instanceState, error) {
	in := p.instances[zone+"/"+name]
	if in == nil {
		return nil, fmt.Errorf("instance %s: %w", instanceName(p.ID, zone, name), errNoInstance)
	}
	return in, nil
}

// instance returns an instance of a project, by project id.
func (b *backend) instance(projectID, zone, name string) (instanceState, error) {
	b.mu.RLock()
	defer b.mu.RUnlock()
	p := b.projects[projectID]
	if p == nil {
		return instanceState{}, fmt.Errorf("project %s: %w", projectID, errNoProject)
	}
	in, err := b.instanceLocked(p, zone, name)
	if err != nil {
		return instanceState{}, err
	}
	return *in, nil
}

// sortedInstances are a project's instances by zone, then name.
func sortedInstances(p *projectState) []*instanceState {
	return slices.SortedFunc(slices.Values(p.instOrder), func(a, b *instanceState) int {
		return cmp.Or(cmp.Compare(a.Zone, b.Zone), cmp.Compare(a.Name, b.Name))
	})
}

// zoneInstances returns a page of a project's instances in a zone that
// q keeps, in its order. The zone must be known and reachable.
func (b *backend) zoneInstances(projectID, zone string, q instanceQuery, page window) ([]instanceState, error) {
	b.mu.RLock()
	defer b.mu.RUnlock()
	p := b.projects[projectID]
	if p == nil {
		return nil, fmt.Errorf("project %s: %w", projectID, errNoProject)
	}
	if err := b.zoneErrLocked(zone); err != nil {
		return nil, err
	}
	var all []*instanceState
	for _, in := range sortedInstances(p) {
		if in.Zone == zone && q.keeps(in) {
			all = append(all, in)
		}
	}
	return copyPage(q.order(all), page), nil
}

func copyPage(all []*instanceState, page window) []instanceState {
	start, end := page(len(all))
	out := make([]instanceState, 0, end-start)
	for _, in := range all[start:end] {
		out = append(out, *in)
	}
	return out
}

// instancePage is a page of a project's instances across zones, with
// the zones as they were when it was cut.
type instancePage struct {
	instances   []instanceState // in reachable zones, by zone, then name
	unreachable []string        // zones in an outage, sorted
	reachable   []string        // the zones with instances, in any project, not in an outage
}

// aggregatedInstances returns a page of a project's instances in every
// reachable zone that q keeps, in its order.
func (b *backend) aggregatedInstances(projectID string, q instanceQuery, page window) (instancePage, error) {
	b.mu.RLock()
	defer b.mu.RUnlock()
	p := b.projects[projectID]
	if p == nil {
		return instancePage{}, fmt.Errorf("project %s: %w", projectID, errNoProject)
	}
	var out instancePage
	out.unreachable = slices.Sorted(maps.Keys(b.unreachable))
	var all []*instanceState
	for _, in := range sortedInstances(p) {
		if !b.unreachable[in.Zone] && q.keeps(in) {
			all = append(all, in)
		}
	}
	out.instances = copyPage(q.order(all), page)
	for zone := range b.zones {
		if !b.unreachable[zone] {
			out.reachable = append(out.reachable, zone)
		}
	}
	return out, nil
}
