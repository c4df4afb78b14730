package gcpfake

// Methods are the discovery method ids the fake serves and counts.
var Methods = []string{
	"cloudresourcemanager.organizations.get",
	"cloudresourcemanager.folders.get",
	"cloudresourcemanager.folders.list",
	"cloudresourcemanager.projects.get",
	"cloudresourcemanager.projects.list",
	"cloudresourcemanager.projects.search",
	"serviceusage.services.get",
	"serviceusage.services.list",
	"serviceusage.services.batchGet",
	"compute.projects.get",
	"compute.projects.setCommonInstanceMetadata",
	"compute.globalOperations.get",
	"compute.globalOperations.wait",
	"compute.instances.get",
	"compute.instances.list",
	"compute.instances.aggregatedList",
	"compute.instances.setMetadata",
	"compute.zoneOperations.get",
	"compute.zoneOperations.wait",
}

// Calls returns how many requests a method received, by its discovery id
// (e.g. compute.projects.get), faulty answers included.
func (f *Fake) Calls(method string) int {
	if c := f.counts[method]; c != nil {
		return int(c.Load())
	}
	return 0
}

// CallCounts returns the methods called at least once, with their counts.
func (f *Fake) CallCounts() map[string]int {
	out := map[string]int{}
	for m, c := range f.counts {
		if n := c.Load(); n > 0 {
			out[m] = int(n)
		}
	}
	return out
}

// ResetCounts sets every call count back to zero.
func (f *Fake) ResetCounts() {
	for _, c := range f.counts {
		c.Store(0)
	}
}
