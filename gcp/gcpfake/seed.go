package gcpfake

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"net/netip"
	"regexp"
	"slices"
	"strings"
	"time"
)

// maxSeedSize caps the size of a seed file ParseSeed accepts.
const maxSeedSize = 64 << 20

// Seed describes an organization to serve. Its JSON form is the one of
// testdata/demo-org.json:
//
//	{
//	  "clock": "2026-11-23T12:00:00Z",                     // optional: fixes the fake's clock
//	  "organization": {"id": "123456789012", "displayName": "example.com"},
//	  "folders": [{"id": "406392811574", "parent": "organizations/123456789012", "displayName": "prod"}],
//	  "projects": [{
//	    "id": "web-prod-eu", "number": "482910375561", "parent": "folders/406392811574",
//	    "state": "ACTIVE", "displayName": "Web prod EU", "labels": {"env": "prod"},
//	    "services": ["compute.googleapis.com"],
//	    "metadata": [{"key": "ssh-keys", "value": "alice:ssh-ed25519 AAAA... alice@laptop"}],
//	    "instances": [{"zone": "europe-west1-b", "name": "web-eu-1", "id": "4817263540918273645",
//	                   "status": "RUNNING", "windows": false, "labels": {"role": "web"},  // optional
//	                   "networkIP": "10.132.0.7", "natIP": "34.76.10.20",              // optional, derived
//	                   "serviceAccount": "web@web-prod-eu.iam.gserviceaccount.com",    // optional
//	                   "metadata": [{"key": "block-project-ssh-keys", "value": "TRUE"}]}]
//	  }],
//	  "forbidden": ["folders/529384716620", "projects/hr-payroll"]  // what the caller may not read
//	}
type Seed struct {
	Clock        time.Time    `json:"clock,omitzero"`
	Organization Organization `json:"organization"`
	Folders      []Folder     `json:"folders,omitempty"`
	Projects     []Project    `json:"projects,omitempty"`
	Forbidden    []string     `json:"forbidden,omitempty"`
}

// Organization is the root of the resource hierarchy.
type Organization struct {
	ID          string `json:"id"` // numeric, without "organizations/"
	DisplayName string `json:"displayName,omitempty"`
}

// Folder is a folder under the organization or another folder.
type Folder struct {
	ID          string `json:"id"`     // numeric, without "folders/"
	Parent      string `json:"parent"` // organizations/N or folders/N
	DisplayName string `json:"displayName,omitempty"`
	State       string `json:"state,omitempty"` // ACTIVE (default) or DELETE_REQUESTED
}

// Project is a project with its enabled services, metadata and instances.
type Project struct {
	ID          string            `json:"id"`              // project id, e.g. web-prod-eu
	Number      string            `json:"number"`          // project number, e.g. 482910375561
	Parent      string            `json:"parent"`          // organizations/N or folders/N
	State       string            `json:"state,omitempty"` // ACTIVE (default) or DELETE_REQUESTED
	DisplayName string            `json:"displayName,omitempty"`
	Labels      map[string]string `json:"labels,omitempty"`
	Services    []string          `json:"services,omitempty"` // enabled services
	Metadata    []Item            `json:"metadata,omitempty"` // commonInstanceMetadata items
	Instances   []Instance        `json:"instances,omitempty"`
}

// Instance is a VM with its own metadata. Only zone and name are
// required; the rest describes what clients such as gcloud compute ssh
// read from the compute#instance resource.
type Instance struct {
	Zone   string `json:"zone"`
	Name   string `json:"name"`
	ID     string `json:"id,omitempty"`     // numeric; derived from the name when empty
	Status string `json:"status,omitempty"` // RUNNING (default), TERMINATED, SUSPENDED, ...
	// Windows gives the boot disk a Windows Server license and the
	// WINDOWS guest OS feature, by which gcloud tells a Windows VM;
	// otherwise the boot disk is Debian's.
	Windows bool              `json:"windows,omitempty"`
	Labels  map[string]string `json:"labels,omitempty"`
	// NetworkIP is the internal IPv4 address of nic0; derived from the
	// name when empty.
	NetworkIP string `json:"networkIP,omitempty"`
	// NatIP is the external IPv4 address of nic0's ONE_TO_ONE_NAT access
	// config; derived from the name when empty, unless NoExternalIP.
	NatIP        string `json:"natIP,omitempty"`
	NoExternalIP bool   `json:"noExternalIP,omitempty"`
	// ServiceAccount is the email of the instance's service account, with
	// the cloud-platform scope; none when empty.
	ServiceAccount string `json:"serviceAccount,omitempty"`
	Metadata       []Item `json:"metadata,omitempty"`
}

// Instance statuses, as Compute Engine names them.
var instanceStatuses = map[string]bool{
	"PROVISIONING": true, "STAGING": true, "RUNNING": true, "STOPPING": true, "STOPPED": true,
	"SUSPENDING": true, "SUSPENDED": true, "REPAIRING": true, "TERMINATED": true,
}

// Item is one metadata entry. Value is nil for an item without a value,
// which the API tells apart from an empty value.
type Item struct {
	Key   string  `json:"key"`
	Value *string `json:"value,omitempty"`
}

// NewItem returns an item with a value.
func NewItem(key, value string) Item { return Item{Key: key, Value: &value} }

// Lifecycle states of projects and folders, as Resource Manager names them.
const (
	// StateActive is a usable project or folder, the default in a seed.
	StateActive = "ACTIVE"
	// StateDeleteRequested is a project or folder scheduled for deletion:
	// listed only with showDeleted, and refused by Compute and Service Usage.
	StateDeleteRequested = "DELETE_REQUESTED"
)

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

// ParseSeed reads a seed strictly: unknown fields, trailing data and
// inconsistent references are errors that say what is wrong and where.
func ParseSeed(data []byte) (*Seed, error) {
	if len(data) > maxSeedSize {
		return nil, fmt.Errorf("seed: %d bytes, more than the %d allowed", len(data), maxSeedSize)
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	var s Seed
	if err := dec.Decode(&s); err != nil {
		return nil, seedSyntaxError(data, dec.InputOffset(), err)
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		line, col := position(data, dec.InputOffset())
		return nil, fmt.Errorf("seed: line %d, column %d: data after the top-level object", line, col)
	}
	if err := s.validate(); err != nil {
		return nil, err
	}
	return &s, nil
}

// seedSyntaxError locates a decoding error in the input.
func seedSyntaxError(data []byte, offset int64, err error) error {
	var se *json.SyntaxError
	var te *json.UnmarshalTypeError
	switch {
	case errors.As(err, &se):
		offset = se.Offset - 1 // Offset counts the offending byte
	case errors.As(err, &te):
		offset = te.Offset
		line, col := position(data, offset)
		return fmt.Errorf("seed: line %d, column %d: field %s: want %s, got JSON %s", line, col, te.Field, te.Type, te.Value)
	case errors.Is(err, io.EOF):
		return errors.New("seed: empty input, want a JSON object")
	}
	line, col := position(data, offset)
	return fmt.Errorf("seed: line %d, column %d: %s", line, col, strings.TrimPrefix(err.Error(), "json: "))
}

// position turns a byte offset into a 1-based line and column.
func position(data []byte, offset int64) (line, col int) {
	offset = min(max(offset, 0), int64(len(data)))
	before := data[:offset]
	line = bytes.Count(before, []byte("\n")) + 1
	col = int(offset) - bytes.LastIndexByte(before, '\n')
	return line, col
}

// validate checks that the seed describes a consistent organization.
func (s *Seed) validate() error {
	var errs []error
	bad := func(format string, args ...any) { errs = append(errs, fmt.Errorf("seed: "+format, args...)) }

	org := "organizations/" + s.Organization.ID
	if !numericID.MatchString(s.Organization.ID) {
		bad("organization.id %q: want a number such as 123456789012", s.Organization.ID)
	}
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
	for i, name := range s.Forbidden {
		kind, id, _ := strings.Cut(name, "/")
		switch {
		case kind == "folders" && parents[name]:
		case kind == "projects" && ids[id]:
		default:
			bad("forbidden[%d] %q: want folders/N or projects/ID of the seed", i, name)
		}
	}
	return errors.Join(errs...)
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
	seen := map[string]bool{}
	for i, in := range p.Instances {
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
	return errors.Join(errs...)
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
