package gcp

import (
	"context"
	"fmt"

	serviceusage "google.golang.org/api/serviceusage/v1"
)

// ComputeService is the API whose presence makes a project worth pruning.
const ComputeService = "compute.googleapis.com"

// ComputeEnabled tells whether compute.googleapis.com is enabled in a
// project. The reconciler does not need it: reading the metadata of a
// project without compute answers SERVICE_DISABLED, which costs one call
// instead of two. It is here for tools that want to ask first.
func (c *Client) ComputeEnabled(ctx context.Context, projectID string) (bool, error) {
	name := "projects/" + projectID + "/services/" + ComputeService
	var s *serviceusage.GoogleApiServiceusageV1Service
	err := c.call(ctx, "serviceusage.services.get", "", func(ctx context.Context) (err error) {
		s, err = c.usage.Services.Get(name).Context(ctx).Do()
		return present(s, err)
	})
	if err != nil {
		return false, fmt.Errorf("get service %s of project %s: %w", ComputeService, projectID, err)
	}
	return s.State == "ENABLED", nil
}
