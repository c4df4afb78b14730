package gcpfake

// Calls returns how many requests a method received, by its discovery id
// (e.g. compute.projects.get), faulty answers included.
func (f *Fake) Calls(method string) int {
	if c := f.api.counts[method]; c != nil {
		return int(c.Load())
	}
	return 0
}

// CallCounts returns the methods called at least once, with their counts.
func (f *Fake) CallCounts() map[string]int {
	out := map[string]int{}
	for m, c := range f.api.counts {
		if n := c.Load(); n > 0 {
			out[m] = int(n)
		}
	}
	return out
}
