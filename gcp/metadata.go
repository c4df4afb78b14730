package gcp

import (
	"context"
	"fmt"

	"github.com/google/uuid"
	compute "google.golang.org/api/compute/v1"

	"github.com/ssh-pruner/ssh-pruner/pruner"
	"github.com/ssh-pruner/ssh-pruner/pruner/plan"
)

// metadataFields are what fromCompute reads of a metadata object: the
// items, and the fingerprint that a write presents.
const metadataFields = "fingerprint,items"

// ProjectMetadata reads the commonInstanceMetadata of a project.
func (c *Client) ProjectMetadata(ctx context.Context, projectID string) (plan.Metadata, error) {
	var p *compute.Project
	err := c.call(ctx, computeProjectsGet, projectID, func(ctx context.Context) (err error) {
		p, err = c.compute.Projects.Get(projectID).Fields("commonInstanceMetadata(" + metadataFields + ")").Context(ctx).Do()
		return present(p, err)
	})
	if err != nil {
		return plan.Metadata{}, fmt.Errorf("get metadata of project %s: %w", projectID, err)
	}
	return fromCompute(p.CommonInstanceMetadata), nil
}

// SetProjectMetadata replaces the items of a project's metadata, presenting
// md.Fingerprint, and waits until the operation is done. A stale
// fingerprint, whether the call or the finished operation says so, gives an
// error that wraps pruner.ErrConflict.
func (c *Client) SetProjectMetadata(ctx context.Context, projectID string, md plan.Metadata) error {
	var op *compute.Operation
	// One request id for every attempt: if an attempt landed but its answer
	// was lost, the retry gets the same operation back instead of a 412,
	// and the run reports the keys it removed.
	id := uuid.NewString()
	err := c.call(ctx, setCommonInstanceMetadata, projectID, func(ctx context.Context) (err error) {
		op, err = c.compute.Projects.SetCommonInstanceMetadata(projectID, toCompute(md)).RequestId(id).Fields(operationFields).Context(ctx).Do()
		return present(op, err)
	})
	if err == nil {
		err = c.waitGlobal(ctx, projectID, op)
	}
	if err != nil {
		return fmt.Errorf("set metadata of project %s: %w", projectID, err)
	}
	pruner.NoteOperation(ctx, op.Name)
	return nil
}

// InstanceMetadata reads the metadata of an instance.
func (c *Client) InstanceMetadata(ctx context.Context, projectID, zone, name string) (plan.Metadata, error) {
	var in *compute.Instance
	err := c.call(ctx, instancesGet, projectID, func(ctx context.Context) (err error) {
		in, err = c.compute.Instances.Get(projectID, zone, name).Fields("metadata(" + metadataFields + ")").Context(ctx).Do()
		return present(in, err)
	})
	if err != nil {
		return plan.Metadata{}, fmt.Errorf("get metadata of instance %s/%s/%s: %w", projectID, zone, name, err)
	}
	return fromCompute(in.Metadata), nil
}

// SetInstanceMetadata replaces the metadata items of an instance, as
// SetProjectMetadata does for a project.
func (c *Client) SetInstanceMetadata(ctx context.Context, projectID, zone, name string, md plan.Metadata) error {
	var op *compute.Operation
	id := uuid.NewString() // as in SetProjectMetadata
	err := c.call(ctx, instancesSetMetadata, projectID, func(ctx context.Context) (err error) {
		op, err = c.compute.Instances.SetMetadata(projectID, zone, name, toCompute(md)).RequestId(id).Fields(operationFields).Context(ctx).Do()
		return present(op, err)
	})
	if err == nil {
		err = c.waitZone(ctx, projectID, zone, op)
	}
	if err == nil {
		pruner.NoteOperation(ctx, op.Name)
	}
	if err != nil {
		return fmt.Errorf("set metadata of instance %s/%s/%s: %w", projectID, zone, name, err)
	}
	return nil
}

func fromCompute(m *compute.Metadata) plan.Metadata {
	if m == nil {
		return plan.Metadata{}
	}
	md := plan.Metadata{Fingerprint: m.Fingerprint, Items: make([]plan.Item, 0, len(m.Items))}
	for _, it := range m.Items {
		if it != nil {
			md.Items = append(md.Items, plan.Item{Key: it.Key, Value: it.Value})
		}
	}
	return md
}

func toCompute(md plan.Metadata) *compute.Metadata {
	m := &compute.Metadata{Fingerprint: md.Fingerprint, Items: make([]*compute.MetadataItems, 0, len(md.Items))}
	for _, it := range md.Items {
		m.Items = append(m.Items, &compute.MetadataItems{Key: it.Key, Value: it.Value})
	}
	// An empty list must be sent, not omitted: it is what clears the items.
	m.ForceSendFields = []string{"Items"}
	return m
}
