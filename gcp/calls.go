package gcp

import (
	"fmt"
	"slices"
)

// Purpose is what an API call is for, and so which role must allow it.
type Purpose int

const (
	// DryRun calls only read: a dry run makes them, a run that writes
	// makes them too, and so does ssh-pruner access. The dry-run role
	// allows them and nothing else.
	DryRun Purpose = iota + 1
	// Apply calls are made only by a run that writes (--apply): the
	// writes, the waits for their operations, and the re-read of a VM
	// whose write lost a race (HTTP 412), which a dry run never meets.
	Apply
	// State calls read and replace the state object in Cloud Storage. A
	// role bound on the state's bucket alone allows them, not one on the
	// organization.
	State
	// Audit calls read the audit logs, on the log view only.
	Audit
)

// String names the purpose in messages.
func (p Purpose) String() string {
	switch p {
	case DryRun:
		return "dry run"
	case Apply:
		return "apply"
	case State:
		return "state"
	case Audit:
		return "audit"
	}
	return fmt.Sprintf("Purpose(%d)", int(p))
}

// Call is one API method that the package calls, what it calls it for, and
// the IAM permissions the method needs.
type Call struct {
	// Method is the method's discovery id, as Google's reference, errors
	// and gcpfake name it: compute.instances.setMetadata.
	Method  string
	Purpose Purpose
	// Permissions are those the method's reference page lists ("IAM
	// Permissions"), or Cloud Storage's "IAM permissions" page for the
	// state, on the resource the call names.
	Permissions []string
}

// method is one entry of calls. Client.call takes one, so every Resource
// Manager and Compute call site names its entry and none can be made off
// the table: the roles deploy/ derives from it cover every call. The two
// Cloud Storage calls (state.go) go through Google's storage client
// instead; they name their entries in comments, and TestStateCallsOnTheWire
// holds them to the table.
type method int

const (
	foldersList method = iota
	foldersGet
	projectsList
	projectsGet
	projectsSearch
	computeProjectsGet
	setCommonInstanceMetadata
	globalOperationsWait
	instancesAggregatedList
	instancesGet
	instancesSetMetadata
	zoneOperationsWait
	objectsGet
	objectsInsert
	loggingEntriesList
	numMethods
)

// calls is the table of the API calls the package makes. Calls and
// Permissions give it out. The tests of calls_test.go hold it to what
// crosses the wire against the fakes, both ways: every call made is
// listed, for its purpose, and every entry is called.
var calls = [numMethods]Call{
	// Resource Manager. Listing needs the permission on the parent folder
	// or organization; projects.search gives only the projects the caller
	// may get, so it needs what get needs.
	foldersList: {"cloudresourcemanager.folders.list", DryRun, []string{"resourcemanager.folders.list"}},
	// get: an excluded folder is checked to exist, so that a typo does
	// not silently leave the folder it meant to the pruner.
	foldersGet:     {"cloudresourcemanager.folders.get", DryRun, []string{"resourcemanager.folders.get"}},
	projectsList:   {"cloudresourcemanager.projects.list", DryRun, []string{"resourcemanager.projects.list"}},
	projectsGet:    {"cloudresourcemanager.projects.get", DryRun, []string{"resourcemanager.projects.get"}},
	projectsSearch: {"cloudresourcemanager.projects.search", DryRun, []string{"resourcemanager.projects.get"}},

	// Compute Engine. An operation's wait needs what its get needs.
	computeProjectsGet:        {"compute.projects.get", DryRun, []string{"compute.projects.get"}},
	setCommonInstanceMetadata: {"compute.projects.setCommonInstanceMetadata", Apply, []string{"compute.projects.setCommonInstanceMetadata"}},
	globalOperationsWait:      {"compute.globalOperations.wait", Apply, []string{"compute.globalOperations.get"}},
	// aggregatedList lists the VMs with their metadata: a dry run plans
	// from it, with no call per VM.
	instancesAggregatedList: {"compute.instances.aggregatedList", DryRun, []string{"compute.instances.list"}},
	// A read, but only to re-plan a VM after its write lost a race.
	instancesGet: {"compute.instances.get", Apply, []string{"compute.instances.get"}},
	// Setting the metadata of a VM that runs as a service account also
	// needs actAs on that account ("Add SSH keys to VMs", required
	// permissions): metadata such as startup-script runs code as it.
	instancesSetMetadata: {"compute.instances.setMetadata", Apply, []string{"compute.instances.setMetadata", "iam.serviceAccounts.actAs"}},
	zoneOperationsWait:   {"compute.zoneOperations.wait", Apply, []string{"compute.zoneOperations.get"}},

	// Cloud Storage, on the state object (state.go). A dry run saves the
	// state too, so these are for every run, on the bucket only. Writing
	// over an existing object needs delete as well as create.
	objectsGet:    {"storage.objects.get", State, []string{"storage.objects.get"}},
	objectsInsert: {"storage.objects.insert", State, []string{"storage.objects.create", "storage.objects.delete"}},

	// Cloud Logging, on the log view of the audit logs (--audit-logs):
	// entries.list of a view needs logging.views.access on that view.
	loggingEntriesList: {"logging.entries.list", Audit, []string{"logging.views.access"}},
}

// String is the method's discovery id, as errors name it.
func (m method) String() string { return calls[m].Method }

// Calls lists every API method the package calls, with what it is for and
// the permissions it needs: what a custom role for ssh-pruner must allow.
func Calls() []Call {
	out := make([]Call, len(calls))
	for i, c := range calls {
		c.Permissions = slices.Clone(c.Permissions)
		out[i] = c
	}
	return out
}

// Permissions is the sorted set of IAM permissions that a run needs for p:
// for DryRun, those of the DryRun calls; for Apply, those of the Apply
// calls and of the DryRun calls, which a run that writes makes too; for
// State, those of the State calls.
func Permissions(p Purpose) []string {
	var out []string
	for _, c := range calls {
		if c.Purpose == p || p == Apply && c.Purpose == DryRun {
			out = append(out, c.Permissions...)
		}
	}
	slices.Sort(out)
	return slices.Compact(out)
}
