package gcp

import (
	"context"
	"fmt"
	"maps"
	"path"
	"slices"
	"strings"

	compute "google.golang.org/api/compute/v1"
	"google.golang.org/api/googleapi"

	"github.com/ssh-pruner/ssh-pruner/pruner"
	"github.com/ssh-pruner/ssh-pruner/pruner/access"
)

var _ pruner.InstanceStore = (*Client)(nil)

// instancePageSize is the most instances a page of aggregatedList holds
// (and its default): one call per 500 instances.
const instancePageSize = 500

// ListInstances lists every instance of a project, in every zone, with the
// metadata and fingerprint each was listed with (compute.instances.
// aggregatedList, every page). It asks for partial success, so that a zone
// that cannot answer is named in Unreachable rather than failing the whole
// listing; a zone whose scope carries an UNREACHABLE warning is named
// there too.
func (c *Client) ListInstances(ctx context.Context, projectID string) (pruner.InstanceListing, error) {
	var out pruner.InstanceListing
	seen := map[string]bool{}
	var pg pages
	token := ""
	for {
		call := c.compute.Instances.AggregatedList(projectID).MaxResults(instancePageSize).PageToken(token).Context(ctx)
		var resp *compute.InstanceAggregatedList
		err := c.call(ctx, instancesAggregatedList, projectID, func(ctx context.Context) (err error) {
			// returnPartialSuccess is a parameter of the API that this
			// client version has no setter for.
			resp, err = call.Context(ctx).Do(googleapi.QueryParameter("returnPartialSuccess", "true"))
			return present(resp, err)
		})
		if err != nil {
			return out, fmt.Errorf("list instances of project %s: %w", projectID, err)
		}
		// In the order of the scopes, not of the map: a listing comes
		// out the same every time.
		for _, scope := range slices.Sorted(maps.Keys(resp.Items)) {
			scoped := resp.Items[scope]
			if scoped.Warning != nil && scoped.Warning.Code == "UNREACHABLE" && !seen[scope] {
				seen[scope] = true
				out.Unreachable = append(out.Unreachable, scope)
			}
			for _, in := range scoped.Instances {
				if in != nil {
					out.Instances = append(out.Instances, fromInstance(projectID, in))
				}
			}
		}
		for _, u := range resp.Unreachables {
			if !seen[u] {
				seen[u] = true
				out.Unreachable = append(out.Unreachable, u)
			}
		}
		token = resp.NextPageToken
		if done, err := pg.next(token); done || err != nil {
			if err != nil {
				return out, fmt.Errorf("list instances of project %s: %w", projectID, err)
			}
			return out, nil
		}
	}
}

func fromInstance(projectID string, in *compute.Instance) pruner.Instance {
	return pruner.Instance{
		Project:   projectID,
		Zone:      path.Base(in.Zone),
		Name:      in.Name,
		ID:        fmt.Sprint(in.Id),
		Status:    in.Status,
		Windows:   windows(in),
		Labels:    in.Labels,
		Effective: effective(in),
		Metadata:  fromCompute(in.Metadata),
	}
}

// effective is the part of resourceStatus.effectiveInstanceMetadata that
// decides SSH access, nil when the API did not give it.
func effective(in *compute.Instance) *access.EffectiveMetadata {
	if in.ResourceStatus == nil || in.ResourceStatus.EffectiveInstanceMetadata == nil {
		return nil
	}
	e := in.ResourceStatus.EffectiveInstanceMetadata
	return &access.EffectiveMetadata{BlockProjectSSHKeys: e.BlockProjectSshKeysMetadataValue, EnableOSLogin: e.EnableOsloginMetadataValue}
}

// windows tells a Windows VM by its boot disk: a license from one of the
// Windows image projects, as gcloud's api_lib/compute/image_utils
// HasWindowsLicense reads it (WINDOWS_IMAGE_PROJECTS: windows-cloud,
// windows-sql-cloud), or the WINDOWS guest OS feature that Windows images
// carry.
func windows(in *compute.Instance) bool {
	for _, d := range in.Disks {
		if d == nil || !d.Boot {
			continue
		}
		for _, f := range d.GuestOsFeatures {
			if f != nil && f.Type == "WINDOWS" {
				return true
			}
		}
		for _, l := range d.Licenses {
			if strings.Contains(l, "/projects/windows-cloud/") || strings.Contains(l, "/projects/windows-sql-cloud/") {
				return true
			}
		}
	}
	return false
}
