package gcpfake

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
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
//	  "forbidden": ["folders/529384716620", "projects/hr-payroll"], // what the caller may not read
//	  "principals": {"alice-token": "alice@example.com",             // optional: who calls with a token
//	                 "pruner-token": {"email": "alice@example.com",
//	                                  "impersonates": "pruner@sec-audit-logs-2a7c.iam.gserviceaccount.com"}},
//	  "defaultPrincipal": "ssh-pruner@example.iam.gserviceaccount.com", // optional: who calls without one
//	  "logSinks": [{"parent": "organizations/123456789012", "includeChildren": true,   // optional
//	                "bucket": "projects/sec-audit-logs-2a7c/locations/global/buckets/org-audit"}]
//	}
type Seed struct {
	Clock        time.Time    `json:"clock,omitzero"`
	Organization Organization `json:"organization"`
	Folders      []Folder     `json:"folders,omitempty"`
	Projects     []Project    `json:"projects,omitempty"`
	Forbidden    []string     `json:"forbidden,omitempty"`

	// Principals maps a bearer token to the account that calls with it,
	// as audit log entries name it (see seed_audit.go).
	Principals map[string]Principal `json:"principals,omitempty"`
	// DefaultPrincipal is the account of a call without a token, or with
	// a token Principals does not name; DefaultPrincipalEmail if empty.
	DefaultPrincipal string `json:"defaultPrincipal,omitempty"`
	// LogSinks are the aggregated sinks that route the audit log entries
	// of an organization's or a folder's projects to a log bucket.
	LogSinks []LogSink `json:"logSinks,omitempty"`
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
	// Effective is what the instance's resourceStatus.
	// effectiveInstanceMetadata reports, as Compute Engine resolves it
	// from the metadata and from organization policies (an enforced OS
	// Login shows there, not in the metadata). The fake does not resolve
	// it: without Effective the instance has no resourceStatus.
	Effective *EffectiveMetadata `json:"effective,omitempty"`
}

// EffectiveMetadata is the part of effectiveInstanceMetadata the fake
// serves: the two values that decide SSH access.
type EffectiveMetadata struct {
	BlockProjectSSHKeys bool `json:"blockProjectSshKeys,omitempty"`
	EnableOSLogin       bool `json:"enableOsLogin,omitempty"`
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
