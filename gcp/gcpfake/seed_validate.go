package gcpfake

import (
	"errors"
	"fmt"
	"maps"
	"net/netip"
	"regexp"
	"slices"
	"strings"
)

// The checks a seed, or a folder or project added later, must pass, with
// the messages that say what is wrong and where.

// Instance statuses, as Compute Engine names them.
var instanceStatuses = map[string]bool{
	"PROVISIONING": true, "STAGING": true, "RUNNING": true, "STOPPING": true, "STOPPED": true,
	"SUSPENDING": true, "SUSPENDED": true, "REPAIRING": true, "TERMINATED": true,
}

var (
	numericID = regexp.MustCompile(`^[1-9][0-9]{0,18}$`)
	// projectID is Resource Manager's rule: 6 to 30 lowercase letters,
	// digits or hyphens, starting with a letter, not ending with a hyphen.
	projectID   = regexp.MustCompile(`^[a-z][-a-z0-9]{4,28}[a-z0-9]$`)
	zoneName    = regexp.MustCompile(`^[a-z]+-[a-z]+[0-9]+-[a-z]$`)
	resourceID  = regexp.MustCompile(`^[a-z]([-a-z0-9]{0,61}[a-z0-9])?$`)
	serviceName = regexp.MustCompile(`^[a-z][-a-z0-9.]*\.[a-z]+$`)
	// labelKey and labelValue are Compute Engine's label rules, for
	// ASCII: a key starts with a lowercase letter; both are at most 63
	// lowercase letters, digits, hyphens or underscores.
	labelKey   = regexp.MustCompile(`^[a-z][-_a-z0-9]{0,62}$`)
	labelValue = regexp.MustCompile(`^[-_a-z0-9]{0,63}$`)
	email      = regexp.MustCompile(`^[^@\s]+@[^@\s]+\.[a-z]+$`)
)

// complain records a problem of a seed.
type complain func(format string, args ...any)

// validate checks that the seed describes a consistent organization.
func (s *Seed) validate() error {
	var errs []error
	bad := func(format string, args ...any) { errs = append(errs, fmt.Errorf("seed: "+format, args...)) }

	org := "organizations/" + s.Organization.ID
	if !numericID.MatchString(s.Organization.ID) {
		bad("organization.id %q: want a number such as 123456789012", s.Organization.ID)
	}
	parents := s.validateFolders(org, bad)
	ids := s.validateProjects(parents, bad)
	for i, name := range s.Forbidden {
		kind, id, _ := strings.Cut(name, "/")
		switch {
		case kind == "folders" && parents[name]:
		case kind == "projects" && ids[id]:
		default:
			bad("forbidden[%d] %q: want folders/N or projects/ID of the seed", i, name)
		}
	}
	s.validateAudit(parents, ids, bad)
	return errors.Join(errs...)
}

// validateFolders checks the folders and how they hang together, and
// returns the names of the seed's possible parents: the organization,
// org, and its folders.
func (s *Seed) validateFolders(org string, bad complain) map[string]bool {
	parents := map[string]bool{org: true}
	folderParent := map[string]string{}
	for i, f := range s.Folders {
		where := fmt.Sprintf("folders[%d]", i)
		if err := f.validate(); err != nil {
			bad("%s: %v", where, err)
		}
		if parents["folders/"+f.ID] {
			bad("%s.id %q: folder listed twice", where, f.ID)
		}
		parents["folders/"+f.ID] = true
		folderParent["folders/"+f.ID] = f.Parent
	}
	for i, f := range s.Folders {
		if !parents[f.Parent] {
			bad("folders[%d] (%s).parent %q: not the organization or a folder of the seed", i, f.ID, f.Parent)
			continue
		}
		// Walk up: a cycle never reaches the organization.
		at, steps := f.Parent, 0
		for at != org && steps <= len(s.Folders) {
			at, steps = folderParent[at], steps+1
		}
		if at != org {
			bad("folders[%d] (%s).parent %q: folders form a cycle", i, f.ID, f.Parent)
		}
	}
	return parents
}

// validateProjects checks the projects against each other and parents,
// and returns their ids.
func (s *Seed) validateProjects(parents map[string]bool, bad complain) map[string]bool {
	ids, numbers := map[string]bool{}, map[string]bool{}
	for i := range s.Projects {
		p := &s.Projects[i]
		where := fmt.Sprintf("projects[%d] (%s)", i, p.ID)
		if err := p.validate(); err != nil {
			bad("%s: %v", where, err)
		}
		if ids[p.ID] {
			bad("%s.id: project listed twice", where)
		}
		if numbers[p.Number] {
			bad("%s.number %q: number used by another project", where, p.Number)
		}
		if !parents[p.Parent] {
			bad("%s.parent %q: not the organization or a folder of the seed", where, p.Parent)
		}
		ids[p.ID], numbers[p.Number] = true, true
	}
	return ids
}

// validate checks a folder on its own, without its parent.
func (f *Folder) validate() error {
	var errs []error
	if !numericID.MatchString(f.ID) {
		errs = append(errs, fmt.Errorf("id %q: want a number such as 406392811574", f.ID))
	}
	if f.State != "" && f.State != StateActive && f.State != StateDeleteRequested {
		errs = append(errs, fmt.Errorf("state %q: want ACTIVE or DELETE_REQUESTED", f.State))
	}
	return errors.Join(errs...)
}

// validate checks a project on its own, without its parent.
func (p *Project) validate() error {
	var errs []error
	if !projectID.MatchString(p.ID) {
		errs = append(errs, fmt.Errorf("id %q: want 6 to 30 lowercase letters, digits or hyphens, starting with a letter", p.ID))
	}
	if !numericID.MatchString(p.Number) {
		errs = append(errs, fmt.Errorf("number %q: want a number such as 482910375561", p.Number))
	}
	if p.State != "" && p.State != StateActive && p.State != StateDeleteRequested {
		errs = append(errs, fmt.Errorf("state %q: want ACTIVE or DELETE_REQUESTED", p.State))
	}
	for i, svc := range p.Services {
		if !serviceName.MatchString(svc) {
			errs = append(errs, fmt.Errorf("services[%d] %q: want a service name such as compute.googleapis.com", i, svc))
		}
	}
	if msg := validateItems(p.Metadata); msg != "" {
		errs = append(errs, fmt.Errorf("metadata: %s", msg))
	}
	errs = append(errs, validateInstances(p.Instances)...)
	return errors.Join(errs...)
}

// validateInstances checks a project's instances, each on its own and
// against the others.
func validateInstances(instances []Instance) []error {
	var errs []error
	seen := map[string]bool{}
	for i, in := range instances {
		where := fmt.Sprintf("instances[%d] (%s)", i, in.Name)
		if !zoneName.MatchString(in.Zone) {
			errs = append(errs, fmt.Errorf("%s.zone %q: want a zone such as europe-west1-b", where, in.Zone))
		}
		if !resourceID.MatchString(in.Name) {
			errs = append(errs, fmt.Errorf("%s.name %q: want lowercase letters, digits or hyphens, at most 63", where, in.Name))
		}
		if in.ID != "" && !numericID.MatchString(in.ID) {
			errs = append(errs, fmt.Errorf("%s.id %q: want a number", where, in.ID))
		}
		if seen[in.Zone+"/"+in.Name] {
			errs = append(errs, fmt.Errorf("%s: instance listed twice in zone %s", where, in.Zone))
		}
		seen[in.Zone+"/"+in.Name] = true
		if msg := validateItems(in.Metadata); msg != "" {
			errs = append(errs, fmt.Errorf("%s.metadata: %s", where, msg))
		}
		errs = append(errs, in.validateResource(where)...)
	}
	return errs
}

// validateResource checks the fields an instance's resource is drawn from.
func (in *Instance) validateResource(where string) []error {
	var errs []error
	if in.Status != "" && !instanceStatuses[in.Status] {
		errs = append(errs, fmt.Errorf("%s.status %q: want RUNNING, TERMINATED, STOPPED, SUSPENDED or another Compute Engine status", where, in.Status))
	}
	for _, k := range slices.Sorted(maps.Keys(in.Labels)) {
		if !labelKey.MatchString(k) || !labelValue.MatchString(in.Labels[k]) {
			errs = append(errs, fmt.Errorf("%s.labels %q: %q: want keys and values of lowercase letters, digits, '-' or '_', keys starting with a letter", where, k, in.Labels[k]))
		}
	}
	for _, ip := range []struct{ field, v string }{{"networkIP", in.NetworkIP}, {"natIP", in.NatIP}} {
		if a, err := netip.ParseAddr(ip.v); ip.v != "" && (err != nil || !a.Is4()) {
			errs = append(errs, fmt.Errorf("%s.%s %q: want an IPv4 address", where, ip.field, ip.v))
		}
	}
	if in.NatIP != "" && in.NoExternalIP {
		errs = append(errs, fmt.Errorf("%s: natIP %q and noExternalIP: want one of them", where, in.NatIP))
	}
	if in.ServiceAccount != "" && !email.MatchString(in.ServiceAccount) {
		errs = append(errs, fmt.Errorf("%s.serviceAccount %q: want an email address", where, in.ServiceAccount))
	}
	return errs
}
