package gcpfake

import (
	"net/http"
	"reflect"
	"slices"
	"strings"
)

// computeZone is compute#zone, as zones.get and zones.list serve it.
type computeZone struct {
	Kind                  string   `json:"kind"`
	ID                    string   `json:"id"`
	CreationTimestamp     string   `json:"creationTimestamp"`
	Name                  string   `json:"name"`
	Description           string   `json:"description"`
	Status                string   `json:"status"`
	Region                string   `json:"region"`
	SelfLink              string   `json:"selfLink"`
	AvailableCPUPlatforms []string `json:"availableCpuPlatforms"`
	SupportsPzs           bool     `json:"supportsPzs"`
}

// zoneList is compute#zoneList, a page of zones.list.
type zoneList struct {
	Kind          string        `json:"kind"`
	ID            string        `json:"id"`
	Items         []computeZone `json:"items,omitempty"`
	NextPageToken string        `json:"nextPageToken,omitempty"`
	SelfLink      string        `json:"selfLink"`
}

// zoneEpoch is the creationTimestamp Compute Engine gives its zones: the
// Unix epoch, in its Pacific offset.
const zoneEpoch = "1969-12-31T16:00:00.000-08:00"

// renderZone is a zone as the API serves it. Every zone is UP: a zone
// made unreachable (SetZoneUnreachable) fails the zonal calls, not the
// global ones that describe it. The region is the name less its last
// part, as in every zone name Compute Engine uses.
func renderZone(base, project, zone string) computeZone {
	region := zone[:max(strings.LastIndexByte(zone, '-'), 0)]
	return computeZone{
		Kind: "compute#zone", ID: derivedID("zones/" + zone)[:7], CreationTimestamp: zoneEpoch,
		Name: zone, Description: zone, Status: "UP",
		Region:                base + "projects/" + project + "/regions/" + region,
		SelfLink:              base + "projects/" + project + "/zones/" + zone,
		AvailableCPUPlatforms: []string{"Intel Broadwell", "Intel Cascade Lake", "AMD Milan"},
	}
}

// zonesList serves zones.list: the zones the fake knows that the filter
// keeps (compute_list.go), by name, the order of every one of them.
func (s *server) zonesList(w http.ResponseWriter, r *http.Request, c *call) {
	p, e := s.computeProject(r.PathValue("project"), c.method)
	if e != nil {
		writeError(w, e)
		return
	}
	lp, e := readListParams(r, reflect.TypeFor[computeZone]())
	if e != nil {
		writeError(w, e)
		return
	}
	base := computeBase(r)
	var zones []computeZone
	for _, zone := range s.store.knownZones() {
		if z := renderZone(base, p.ID, zone); lp.matches(&z) {
			zones = append(zones, z)
		}
	}
	start, end, next, e := computePager.page(r, len(zones), "zones|"+p.ID+lp.scope)
	if e != nil {
		writeError(w, e)
		return
	}
	writeJSON(w, http.StatusOK, zoneList{
		Kind: "compute#zoneList", ID: "projects/" + p.ID + "/zones", Items: zones[start:end],
		NextPageToken: next, SelfLink: base + "projects/" + p.ID + "/zones",
	})
}

// zonesGet serves zones.get; a zone the fake does not know is not found.
func (s *server) zonesGet(w http.ResponseWriter, r *http.Request, c *call) {
	p, e := s.computeProject(r.PathValue("project"), c.method)
	if e != nil {
		writeError(w, e)
		return
	}
	zone := r.PathValue("zone")
	if !slices.Contains(s.store.knownZones(), zone) {
		writeError(w, errNotFound("projects/"+p.ID+"/zones/"+zone))
		return
	}
	writeJSON(w, http.StatusOK, renderZone(computeBase(r), p.ID, zone))
}
