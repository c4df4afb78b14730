package gcpfake

import (
	"reflect"
	"testing"
)

// FuzzComputeFilter: the Compute filter parser never panics, and what it
// accepts can be matched against an instance as served.
func FuzzComputeFilter(f *testing.F) {
	for _, s := range []string{
		`name eq ".*\bapi\-1\b.*"`, `((status eq RUNNING)(name eq ".*\bweb.*"))(zone eq ".*\beurope\-west1\-b\b.*")`,
		`name eq 'web-.*'`, `status ne TERMINATED`, `name = "a \" b"`, `labels.env:*`, `(a = 1) OR (b = 2) AND NOT c:*`,
		`resourceStatus.effectiveInstanceMetadata.enableOsloginMetadataValue = true`, `name eq (a|b)`, `-name > x`,
	} {
		f.Add(s)
	}
	in := newInstanceState("fuzz-project", Instance{Zone: "europe-west1-b", Name: "vm", Labels: map[string]string{"env": "prod"},
		Effective: &EffectiveMetadata{EnableOSLogin: true}})
	ci := renderInstance("http://fake/compute/v1/", "fuzz-project", in)
	f.Fuzz(func(t *testing.T, filter string) {
		n, e := parseComputeFilter(filter, reflect.TypeFor[computeInstance]())
		if e != nil || n == nil {
			return
		}
		n.match(reflectGetter(&ci))
	})
}
