package gcpfake

import (
	"encoding/json"
	"net/http"
	"time"
)

// computeService is the service a project must enable for Compute calls.
const computeService = "compute.googleapis.com"

// Compute Engine v1 JSON shapes.
type (
	computeProject struct {
		Kind                   string          `json:"kind"`
		ID                     string          `json:"id"`
		CreationTimestamp      string          `json:"creationTimestamp"`
		Name                   string          `json:"name"`
		CommonInstanceMetadata computeMetadata `json:"commonInstanceMetadata"`
		SelfLink               string          `json:"selfLink"`
		DefaultServiceAccount  string          `json:"defaultServiceAccount"`
		XpnProjectStatus       string          `json:"xpnProjectStatus"`
		DefaultNetworkTier     string          `json:"defaultNetworkTier"`
		VMDNSSetting           string          `json:"vmDnsSetting"`
	}
	computeMetadata struct {
		Kind        string `json:"kind"`
		Fingerprint string `json:"fingerprint"`
		Items       []Item `json:"items,omitempty"`
	}
	// metadataWrite is the body of setCommonInstanceMetadata and setMetadata.
	metadataWrite struct {
		Kind        string `json:"kind"`
		Fingerprint string `json:"fingerprint"`
		Items       []Item `json:"items"`
	}
)

// pacific is the zone Compute Engine writes its timestamps in.
var pacific = time.FixedZone("PST", -8*60*60)

// computeTime is Compute Engine's timestamp format: 2026-11-23T04:00:00.000-08:00.
func computeTime(t time.Time) string { return t.In(pacific).Format("2006-01-02T15:04:05.000-07:00") }

// permissionOf is the IAM permission a Compute method needs.
func permissionOf(method string) string {
	switch method {
	case "compute.globalOperations.wait":
		return "compute.globalOperations.get"
	case "compute.zoneOperations.wait":
		return "compute.zoneOperations.get"
	case "compute.instances.aggregatedList":
		return "compute.instances.list"
	}
	return method
}

// computeProjectLocked finds the project of a Compute call, or the error to
// answer, checked in the order of the real stack: the project exists, is
// not being deleted, has the service enabled (API front end), and the
// caller may act on it (Compute's IAM check).
func (f *Fake) computeProjectLocked(idOrNumber, method string) (*projectState, *apiError) {
	p := f.lookupLocked(idOrNumber)
	switch {
	case p == nil:
		return nil, errNotFound("projects/" + idOrNumber)
	case p.State == StateDeleteRequested:
		return nil, errProjectDeleted(computeService, p.Number)
	case !p.services[computeService]:
		return nil, errServiceDisabled(computeService, p.Number)
	case f.forbidden["projects/"+p.ID]:
		return nil, errComputeForbidden(permissionOf(method), "projects/"+p.ID)
	}
	return p, nil
}

func computeBase(r *http.Request) string { return baseURL(r) + "/compute/v1/" }

func (f *Fake) computeProjectGet(w http.ResponseWriter, r *http.Request, c *call) {
	f.mu.RLock()
	defer f.mu.RUnlock()
	p, e := f.computeProjectLocked(r.PathValue("project"), c.method)
	if e != nil {
		writeError(w, e)
		return
	}
	f.hooks.read("projects/" + p.ID)
	base := computeBase(r)
	if b := p.body.Load(); b != nil && b.base == base {
		writeBody(w, http.StatusOK, b.json)
		return
	}
	body, err := json.Marshal(computeProject{
		Kind: "compute#project", ID: p.Number, CreationTimestamp: computeTime(p.created), Name: p.ID,
		CommonInstanceMetadata: computeMetadata{Kind: "compute#metadata", Fingerprint: p.md.fp, Items: p.md.items},
		SelfLink:               base + "projects/" + p.ID,
		DefaultServiceAccount:  p.Number + "-compute@developer.gserviceaccount.com",
		XpnProjectStatus:       "UNSPECIFIED_XPN_PROJECT_STATUS", DefaultNetworkTier: "PREMIUM", VMDNSSetting: "ZONAL_ONLY",
	})
	if err != nil {
		writeError(w, simpleError(http.StatusInternalServerError, "global", "backendError", err.Error()))
		return
	}
	// Under the read lock the metadata cannot change, so the body stored
	// here is current; a writer clears it under the write lock.
	p.body.Store(&cachedBody{base: base, json: body})
	writeBody(w, http.StatusOK, body)
}

func (f *Fake) computeSetCommonInstanceMetadata(w http.ResponseWriter, r *http.Request, c *call) {
	f.serveMetadataWrite(w, r, c, func() (*writeTarget, *apiError) {
		p, e := f.computeProjectLocked(r.PathValue("project"), c.method)
		if e != nil {
			return nil, e
		}
		return &writeTarget{
			md: &p.md, set: p.setMetadata,
			// A concurrent writer armed by a read runs now, before the check.
			hook: f.hooks.take("projects/" + p.ID),
			op:   operationSpec{project: p.ID, opType: "setCommonInstanceMetadata", target: "projects/" + p.ID, targetID: p.Number},
		}, nil
	})
}
