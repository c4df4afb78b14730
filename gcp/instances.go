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

// instanceFields are the fields of an instance that fromInstance reads,
// each for what the comment beside it says; Google keeps the rest (network
// interfaces, service accounts, scheduling, ...), which a page of 500 VMs
// would otherwise carry and the client decode for nothing. Every field
// read must be here: TestListingReadsOnlyWhatItAsksFor fails otherwise.
var instanceFields = []string{
	"name,id,zone,status,labels",                // fromInstance, as they are
	"metadata(" + metadataFields + ")",          // fromCompute: the keys, and the fingerprint a write presents
	"disks(boot,licenses,guestOsFeatures/type)", // windows: the boot disk's licenses and guest OS features
	"resourceStatus/effectiveInstanceMetadata(blockProjectSshKeysMetadataValue,enableOsloginMetadataValue)", // effective
}

// instanceListFields are what ListInstances reads of a page of
// aggregatedList. Its items are keyed by zone: * selects every key.
var instanceListFields = []googleapi.Field{
	"nextPageToken",        // the next page (pages.next)
	"unreachables",         // the zones that did not answer, with returnPartialSuccess
	"items/*/warning/code", // a scope's own UNREACHABLE warning
	googleapi.Field("items/*/instances(" + strings.Join(instanceFields, ",") + ")"),
}

// ListInstances lists every instance of a project, in every zone, with the
// metadata and fingerprint each was listed with (compute.instances.
// aggregatedList, every page). It asks for partial success, so that a zone
// that cannot answer is named in Unreachable rather than failing the whole
// listing; a zone whose scope carries an UNREACHABLE warning is named
// there too. It asks only for the fields it reads (instanceListFields).
func (c *Client) ListInstances(ctx context.Context, projectID string) (pruner.InstanceListing, error) {
	return c.listInstances(ctx, projectID, instanceListFields)
}

// listInstances is ListInstances asking for these fields; tests ask for
// fewer, to show that each one is needed.
func (c *Client) listInstances(ctx context.Context, projectID string, fields []googleapi.Field) (pruner.InstanceListing, error) {
	var out pruner.InstanceListing
	seen := map[string]bool{}
	var pg pages
	token := ""
	for {
		call := c.compute.Instances.AggregatedList(projectID).MaxResults(instancePageSize).PageToken(token).Fields(fields...).Context(ctx)
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
		Project: projectID,
		// A copy of the zone's name: path.Base would keep the whole zone
		// URL alive in every report of the run's VMs.
		Zone:      strings.Clone(path.Base(in.Zone)),
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
