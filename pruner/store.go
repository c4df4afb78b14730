package pruner

import (
	"context"
	"errors"

	"github.com/ssh-pruner/ssh-pruner/pruner/plan"
)

// Errors that the adapters in package gcp map Google's answers to, so that
// the reconciler can branch on them with errors.Is without knowing HTTP.
var (
	// ErrConflict means the metadata changed since it was read: HTTP 412
	// conditionNotMet, or a fingerprint conflict reported by the operation.
	ErrConflict = errors.New("metadata fingerprint conflict")
	// ErrComputeDisabled means compute.googleapis.com is not enabled in the project.
	ErrComputeDisabled = errors.New("compute API disabled")
	// ErrForbidden means the caller may not read or change the resource.
	ErrForbidden = errors.New("permission denied")
	// ErrNotFound means the resource does not exist.
	ErrNotFound = errors.New("not found")
)

// Project is one project of the scope, as Resource Manager describes it.
type Project struct {
	ID     string `json:"projectId"`
	Number string `json:"projectNumber,omitempty"`
	State  string `json:"state,omitempty"`  // ACTIVE, DELETE_REQUESTED, ...
	Parent string `json:"parent,omitempty"` // organizations/N or folders/N
	// Folders are the resources above the project that the listing went
	// through, the root of the scope first ("organizations/N",
	// "folders/N", ...); empty for a project named on its own.
	Folders []string          `json:"-"`
	Labels  map[string]string `json:"-"`
}

// Scope says which projects a run covers. Folders and Organization are
// walked recursively; Projects are taken as they are named.
type Scope struct {
	Organization string   // numeric id, without "organizations/"
	Folders      []string // numeric ids, without "folders/"
	Projects     []string // project ids
}

// SkippedResource is a folder or project of the scope that could not be
// enumerated, such as a folder the caller may not list.
type SkippedResource struct {
	Name string // "folders/123" or "projects/id"
	Err  error
}

// Inventory is what enumerating a scope found.
type Inventory struct {
	Projects []Project
	Skipped  []SkippedResource
}

// ProjectLister enumerates the projects of a scope. It returns an error only
// when the scope cannot be enumerated at all; a sub-folder that cannot be
// listed is reported in Inventory.Skipped.
type ProjectLister interface {
	ListProjects(ctx context.Context, scope Scope) (Inventory, error)
}

// ProjectStreamer is a ProjectLister that hands over the projects as it
// lists them, a level of the hierarchy at a time, so that pruning starts
// while deeper folders are still listed. found is called from one
// goroutine, and may be given a project more than once (the walk takes
// each once); the Inventory returned holds what could not be listed
// (Skipped), not the projects found had.
type ProjectStreamer interface {
	ProjectLister
	StreamProjects(ctx context.Context, scope Scope, found func([]Project)) (Inventory, error)
}

// MetadataStore reads and writes project-wide metadata.
type MetadataStore interface {
	// ProjectMetadata reads the commonInstanceMetadata of a project.
	ProjectMetadata(ctx context.Context, projectID string) (plan.Metadata, error)
	// SetProjectMetadata replaces the items of a project's metadata,
	// presenting md.Fingerprint, and returns once the operation is done.
	// A stale fingerprint gives an error that wraps ErrConflict.
	SetProjectMetadata(ctx context.Context, projectID string, md plan.Metadata) error
}

// CallCounter is a store that counts the calls it retried and the answers
// that told it to slow down; the run's totals carry them.
type CallCounter interface {
	CallStats() (retries, throttled int64)
}
