package gcp

import (
	"context"
	"path"

	compute "google.golang.org/api/compute/v1"
)

// Instance names one VM.
type Instance struct {
	Project string
	Zone    string
	Name    string
}

// Instances lists the instances of a project in every zone, all pages.
func (c *Client) Instances(ctx context.Context, projectID string) ([]Instance, error) {
	var out []Instance
	token := ""
	for {
		call := c.compute.Instances.AggregatedList(projectID).PageToken(token).Context(ctx)
		var resp *compute.InstanceAggregatedList
		err := c.call(ctx, "compute.instances.aggregatedList", func() (err error) {
			resp, err = call.Do()
			return err
		})
		if err != nil {
			return nil, err
		}
		for _, scoped := range resp.Items {
			for _, in := range scoped.Instances {
				out = append(out, Instance{Project: projectID, Zone: path.Base(in.Zone), Name: in.Name})
			}
		}
		if token = resp.NextPageToken; token == "" {
			return out, nil
		}
	}
}
