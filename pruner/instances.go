package pruner

import (
	"context"

	"github.com/ssh-pruner/ssh-pruner/pruner/access"
	"github.com/ssh-pruner/ssh-pruner/pruner/plan"
)

// Instance is one VM as the instance listing describes it, with the
// metadata and fingerprint it was listed with: planning an instance needs
// no call of its own.
type Instance struct {
	Project string            `json:"project"`
	Zone    string            `json:"zone"` // e.g. europe-west1-b
	Name    string            `json:"name"`
	ID      string            `json:"id,omitempty"`
	Status  string            `json:"status,omitempty"` // RUNNING, TERMINATED, ...
	Windows bool              `json:"windows,omitempty"`
	Labels  map[string]string `json:"labels,omitempty"`
	// Effective is what Compute Engine says the VM's metadata resolves
	// to; nil when the listing did not say.
	Effective *access.EffectiveMetadata `json:"effective,omitempty"`
	// Metadata is the instance's own metadata, as listed.
	Metadata plan.Metadata `json:"-"`
}

// InstanceListing is what listing a project's instances found.
type InstanceListing struct {
	Instances []Instance
	// Unreachable names the zones ("zones/europe-west1-b") whose instances
	// could not be listed: a gap in what was seen, never a clean result.
	Unreachable []string
}

// InstanceStore lists the instances of a project and reads and writes
// their metadata.
type InstanceStore interface {
	// ListInstances lists every instance of a project, in every zone.
	ListInstances(ctx context.Context, projectID string) (InstanceListing, error)
	// InstanceMetadata reads one instance's metadata.
	InstanceMetadata(ctx context.Context, projectID, zone, name string) (plan.Metadata, error)
	// SetInstanceMetadata replaces the items of an instance's metadata,
	// presenting md.Fingerprint, and returns once the operation is done.
	// A stale fingerprint gives an error that wraps ErrConflict.
	SetInstanceMetadata(ctx context.Context, projectID, zone, name string, md plan.Metadata) error
}

// VM is what effective access needs of the instance and its project.
func (in Instance) VM(project []plan.Item) access.VM {
	return access.VM{Windows: in.Windows, Project: project, Instance: in.Metadata.Items, Effective: in.Effective}
}

// Place names the instance in the access report.
func (in Instance) Place() access.Place {
	return access.Place{Project: in.Project, Zone: in.Zone, Name: in.Name, Status: in.Status}
}
