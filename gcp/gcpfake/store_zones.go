package gcpfake

import (
	"fmt"
	"maps"
	"slices"
)

// builtinZones are the zones of Compute Engine's public regions. The fake
// knows them, and the zones of its seed's instances, so that a zonal call
// on a well-formed name that is no zone (mars-central1-a) fails as on the
// real service, while one on a real zone without instances lists nothing.
var builtinZones = func() map[string]bool {
	regions := map[string]string{
		"africa-south1": "abc", "asia-east1": "abc", "asia-east2": "abc",
		"asia-northeast1": "abc", "asia-northeast2": "abc", "asia-northeast3": "abc",
		"asia-south1": "abc", "asia-south2": "abc", "asia-southeast1": "abc", "asia-southeast2": "abc",
		"australia-southeast1": "abc", "australia-southeast2": "abc",
		"europe-central2": "abc", "europe-north1": "abc", "europe-north2": "abc", "europe-southwest1": "abc",
		"europe-west1": "bcd", "europe-west2": "abc", "europe-west3": "abc", "europe-west4": "abc",
		"europe-west6": "abc", "europe-west8": "abc", "europe-west9": "abc", "europe-west10": "abc", "europe-west12": "abc",
		"me-central1": "abc", "me-central2": "abc", "me-west1": "abc",
		"northamerica-northeast1": "abc", "northamerica-northeast2": "abc", "northamerica-south1": "abc",
		"southamerica-east1": "abc", "southamerica-west1": "abc",
		"us-central1": "abcf", "us-east1": "bcd", "us-east4": "abc", "us-east5": "abc", "us-south1": "abc",
		"us-west1": "abc", "us-west2": "abc", "us-west3": "abc", "us-west4": "abc",
	}
	zones := map[string]bool{}
	for region, letters := range regions {
		for _, l := range letters {
			zones[region+"-"+string(l)] = true
		}
	}
	return zones
}()

// SetZoneUnreachable makes a zone unreachable, as in a zonal outage, or
// reachable again. While it is unreachable, aggregatedList leaves its
// instances out and names it in unreachables ("zones/ZONE") when the call
// asks for returnPartialSuccess, and fails with 503 otherwise; zonal calls
// in it (instances.get, list, setMetadata, zoneOperations) fail with 503.
// The zone need not be known to the fake.
func (f *Fake) SetZoneUnreachable(zone string, unreachable bool) {
	f.store.setZoneUnreachable(zone, unreachable)
}

// setZoneUnreachable starts or ends an outage of a zone. The outage is
// state of the backend, not a fault of the front end, because it must
// change atomically with what zonal calls read: an aggregated page and
// the zones it names unreachable are cut under one lock.
func (b *backend) setZoneUnreachable(zone string, unreachable bool) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if unreachable {
		b.unreachable[zone] = true
	} else {
		delete(b.unreachable, zone)
	}
}

// zoneErrLocked checks the zone of a zonal call: the service refuses a
// zone it does not know (as client bug reports quote it, for region names
// given as zones and for zones not yet open), and a zone in an outage.
func (b *backend) zoneErrLocked(zone string) error {
	switch {
	case !builtinZones[zone] && !b.zones[zone]:
		return fmt.Errorf("zone %s: %w", zone, errUnknownZone)
	case b.unreachable[zone]:
		return fmt.Errorf("zone %s: %w", zone, errZoneUnreachable)
	}
	return nil
}

// knownZones are the zones the fake knows, Compute Engine's and the
// seed's, by name; zones.list and zones.get serve them.
func (b *backend) knownZones() []string {
	b.mu.RLock()
	defer b.mu.RUnlock()
	zones := slices.Collect(maps.Keys(builtinZones))
	for zone := range b.zones {
		if !builtinZones[zone] {
			zones = append(zones, zone)
		}
	}
	slices.Sort(zones)
	return zones
}
