package gcpfake

import (
	"encoding/json"
	"errors"
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

// computeProject finds the project of a Compute call, or the error to
// answer, checked in the order of the real stack: the project exists, is
// not being deleted, has the service enabled (API front end), and the
// caller may act on it (Compute's IAM check). None of these can change
// once a project is added, so the checks need not be atomic with the
// backend call that follows them.
func (s *server) computeProject(idOrNumber, method string) (projectView, *apiError) {
	p, ok := s.store.project(idOrNumber)
	switch {
	case !ok:
		return p, errNotFound("projects/" + idOrNumber)
	case p.State == StateDeleteRequested:
		return p, errProjectDeleted(computeService, p.Number)
	case !p.services[computeService]:
		return p, errServiceDisabled(computeService, p.Number)
	case p.forbidden:
		return p, errComputeForbidden(permissionOf(method), "projects/"+p.ID)
	}
	return p, nil
}

// zonalError is the answer to a backend error of a Compute call on
// project in zone; resource is what the call names, for a 404.
func zonalError(err error, project, zone, resource string) *apiError {
	switch {
	case errors.Is(err, errUnknownZone):
		return errUnknownZoneField(zone)
	case errors.Is(err, errZoneUnreachable):
		return errZoneUnavailable(project, zone)
	case errors.Is(err, errStaleFingerprint):
		return errConditionNotMet()
	case errors.Is(err, errNoProject):
		return errNotFound("projects/" + project)
	default:
		return errNotFound(resource)
	}
}

func computeBase(r *http.Request) string { return baseURL(r) + "/compute/v1/" }

// cachedBody is the compute#project JSON of a project, as made for a base
// URL and a generation of its metadata.
type cachedBody struct {
	base string
	gen  uint64
	json []byte
}

// computeProjectGet serves projects.get, the call ssh-pruner makes most:
// its body is cached until the project's metadata moves.
func (s *server) computeProjectGet(w http.ResponseWriter, r *http.Request, c *call) {
	p, e := s.computeProject(r.PathValue("project"), c.method)
	if e != nil {
		writeError(w, e)
		return
	}
	s.hooks.read("projects/" + p.ID)
	base := computeBase(r)
	if v, ok := s.bodies.Load(p.ID); ok {
		if b := v.(*cachedBody); b.base == base && b.gen == p.md.gen {
			writeBody(w, http.StatusOK, b.json)
			return
		}
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
	// Concurrent gets may store bodies of different generations in any
	// order; a stale one is only a miss, as the check above compares gen.
	s.bodies.Store(p.ID, &cachedBody{base: base, gen: p.md.gen, json: body})
	writeBody(w, http.StatusOK, body)
}
