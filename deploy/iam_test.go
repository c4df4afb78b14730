package deploy

import (
	"go/ast"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
	"sigs.k8s.io/yaml"
)

// methodPermissions maps every API method that package gcp calls, named as
// it labels the call (c.call(ctx, "<method id>", ...)), to the IAM
// permissions the method needs (from each method's reference page, "IAM
// Permissions"). The test checks it against gcp/*.go both ways.
var methodPermissions = map[string][]string{
	"cloudresourcemanager.folders.list":          {"resourcemanager.folders.list"},  // on the parent folder or organization
	"cloudresourcemanager.projects.list":         {"resourcemanager.projects.list"}, // on the parent folder or organization
	"cloudresourcemanager.projects.get":          {"resourcemanager.projects.get"},
	"cloudresourcemanager.projects.search":       {"resourcemanager.projects.get"}, // returns only the projects the caller may get
	"compute.projects.get":                       {"compute.projects.get"},
	"compute.projects.setCommonInstanceMetadata": {"compute.projects.setCommonInstanceMetadata"},
	"compute.globalOperations.wait":              {"compute.globalOperations.get"}, // wait needs what get needs
	"compute.instances.aggregatedList":           {"compute.instances.list"},
	"compute.instances.get":                      {"compute.instances.get"},
	// Setting the metadata of a VM that runs as a service account also
	// needs actAs on that account ("Add SSH keys to VMs", required
	// permissions): metadata such as startup-script runs code as it.
	"compute.instances.setMetadata": {"compute.instances.setMetadata", "iam.serviceAccounts.actAs"},
	"compute.zoneOperations.wait":   {"compute.zoneOperations.get"},
}

// readMethods and writeMethods sort the methods of the pruner interfaces
// that gcp implements: a dry run calls only the first. InstanceMetadata
// reads, but only to re-plan an instance after a write lost a race
// (HTTP 412), which a dry run never does: the dry-run role goes without
// compute.instances.get. CallStats calls nothing.
var (
	readMethods  = []string{"ListProjects", "StreamProjects", "ProjectMetadata", "ListInstances", "CallStats"}
	writeMethods = []string{"SetProjectMetadata", "InstanceMetadata", "SetInstanceMetadata"}
)

// stateCalls maps each Cloud Storage call of gcp/state.go, a method of
// storage.ObjectHandle, to the permissions it needs on the state bucket.
// Replacing an object needs delete as well as create ("IAM permissions
// for Cloud Storage").
var stateCalls = map[string][]string{
	"NewReader": {"storage.objects.get"},
	"NewWriter": {"storage.objects.create", "storage.objects.delete"},
}

// objectHandleMethods are the methods of storage.ObjectHandle that call
// the API: gcp/state.go may call only those stateCalls lists.
var objectHandleMethods = []string{"Attrs", "Update", "Delete", "NewReader", "NewRangeReader", "NewWriter",
	"NewWriterFromAppendableObject", "NewMultiRangeDownloader", "CopierFrom", "ComposerFrom", "Move", "Restore", "OverrideUnlockedRetention"}

// role is the file format of `gcloud iam roles create --file`.
type role struct {
	Title               string   `json:"title"`
	Description         string   `json:"description"`
	Stage               string   `json:"stage"`
	IncludedPermissions []string `json:"includedPermissions"`
}

func readRole(t *testing.T, path string) role {
	t.Helper()
	data, err := os.ReadFile(path)
	require.NoError(t, err)
	var r role
	require.NoError(t, yaml.UnmarshalStrict(data, &r), path)
	require.NotEmpty(t, r.Title, path)
	require.LessOrEqual(t, len(r.Title), 100, path)
	require.NotEmpty(t, r.Description, path)
	require.Equal(t, "GA", r.Stage, path)
	require.True(t, slices.IsSorted(r.IncludedPermissions), "%s: permissions sorted", path)
	require.Equal(t, slices.Compact(slices.Clone(r.IncludedPermissions)), r.IncludedPermissions, "%s: no duplicates", path)
	return r
}

func TestMethodTableMatchesGCP(t *testing.T) {
	src := parseGCP(t)
	for id, fns := range src.callers {
		require.Contains(t, methodPermissions, id, "gcp calls %s (in %v): add it to methodPermissions", id, fns)
	}
	for id := range methodPermissions {
		require.Contains(t, src.callers, id, "methodPermissions lists %s, which gcp no longer calls", id)
	}
}

// permissions is the set of permissions that the methods reachable from the
// given methods of gcp.Client need.
func permissions(src gcpSource, roots []string) []string {
	set := make(map[string]bool)
	for id := range src.reachable(roots) {
		for _, p := range methodPermissions[id] {
			set[p] = true
		}
	}
	return slices.Sorted(maps.Keys(set))
}

// TestRolesAreLeast checks that each role holds exactly the permissions of
// the calls the reconciler can make through the pruner interfaces that gcp
// implements: none missing, none more.
func TestRolesAreLeast(t *testing.T) {
	src := parseGCP(t)
	ifaces := interfaceMethods(t, src.interfaces)
	var all []string
	for name, methods := range ifaces {
		if name == "StateStore" {
			continue // on the state bucket, not the organization: TestStateRoleIsLeast
		}
		for _, m := range methods {
			require.True(t, slices.Contains(readMethods, m) || slices.Contains(writeMethods, m),
				"pruner.%s.%s: say in readMethods or writeMethods whether a dry run calls it", name, m)
			all = append(all, m)
		}
	}

	apply := readRole(t, "iam/role.yaml")
	require.Equal(t, permissions(src, all), apply.IncludedPermissions, "iam/role.yaml")

	dry := readRole(t, "iam/role-dry-run.yaml")
	require.Equal(t, permissions(src, readMethods), dry.IncludedPermissions, "iam/role-dry-run.yaml")
	for _, write := range []string{"compute.projects.setCommonInstanceMetadata", "compute.instances.setMetadata"} {
		require.NotContains(t, dry.IncludedPermissions, write)
	}
}

// TestStateRoleIsLeast: the role bound on the state bucket holds exactly
// what the Cloud Storage calls of gcp/state.go need.
func TestStateRoleIsLeast(t *testing.T) {
	called := map[string]bool{}
	for _, f := range parseDir(t, "gcp") {
		ast.Inspect(f, func(n ast.Node) bool {
			if call, ok := n.(*ast.CallExpr); ok {
				if sel, ok := call.Fun.(*ast.SelectorExpr); ok && slices.Contains(objectHandleMethods, sel.Sel.Name) && onObject(sel.X) {
					called[sel.Sel.Name] = true
				}
			}
			return true
		})
	}
	require.Equal(t, slices.Sorted(maps.Keys(stateCalls)), slices.Sorted(maps.Keys(called)), "Cloud Storage calls of gcp: update stateCalls")
	set := map[string]bool{}
	for _, perms := range stateCalls {
		for _, p := range perms {
			set[p] = true
		}
	}
	r := readRole(t, "iam/role-state.yaml")
	require.Equal(t, slices.Sorted(maps.Keys(set)), r.IncludedPermissions, "iam/role-state.yaml")
}

// onObject tells whether e is the state's object handle: s.obj, or
// s.obj.If(...) (a Writer's Attrs is no call to the API).
func onObject(e ast.Expr) bool {
	switch e := e.(type) {
	case *ast.SelectorExpr:
		return e.Sel.Name == "obj"
	case *ast.CallExpr:
		if sel, ok := e.Fun.(*ast.SelectorExpr); ok && sel.Sel.Name == "If" {
			return onObject(sel.X)
		}
	}
	return false
}

// TestSetupScript runs deploy/iam/setup.sh with a gcloud that only records
// its arguments, and checks the commands against the other files of deploy/.
func TestSetupScript(t *testing.T) {
	if _, err := exec.LookPath("bash"); err != nil {
		t.Skip("bash not installed")
	}
	m := build(t, ".")
	gsa := m.serviceAccount.Annotations["iam.gke.io/gcp-service-account"]
	gsaName, rest, _ := strings.Cut(gsa, "@")
	project := strings.TrimSuffix(rest, ".iam.gserviceaccount.com")

	bin := t.TempDir()
	logFile := filepath.Join(bin, "calls")
	stub := "#!/bin/sh\necho \"$*\" >> " + logFile + "\ncase \"$*\" in *describe*) exit 1;; esac\n"
	require.NoError(t, os.WriteFile(filepath.Join(bin, "gcloud"), []byte(stub), 0o755))

	here, err := filepath.Abs(".")
	require.NoError(t, err)
	cmd := exec.Command("bash", filepath.Join(here, "iam", "setup.sh"))
	cmd.Dir = t.TempDir()
	cmd.Env = append(os.Environ(),
		"PATH="+bin+string(os.PathListSeparator)+os.Getenv("PATH"),
		"ORG_ID=123456789012", "PROJECT_ID="+project, "GSA_NAME="+gsaName,
		"NAMESPACE="+m.namespace.Name, "KSA="+m.serviceAccount.Name)
	out, err := cmd.CombinedOutput()
	require.NoError(t, err, "%s", out)
	data, err := os.ReadFile(logFile)
	require.NoError(t, err)
	calls := string(data)

	member := "--member=serviceAccount:" + gsa
	for _, want := range []string{
		"iam roles create sshPruner --organization=123456789012 --file=" + filepath.Join(here, "iam", "role.yaml"),
		"iam roles create sshPrunerDryRun --organization=123456789012 --file=" + filepath.Join(here, "iam", "role-dry-run.yaml"),
		"organizations add-iam-policy-binding 123456789012 " + member + " --role=organizations/123456789012/roles/sshPruner",
		"projects add-iam-policy-binding " + project + " " + member + " --role=roles/logging.logWriter",
		"iam service-accounts add-iam-policy-binding " + gsa + " --project=" + project +
			" --role=roles/iam.workloadIdentityUser --member=serviceAccount:" + project + ".svc.id.goog[" +
			m.namespace.Name + "/" + m.serviceAccount.Name + "]",
		"monitoring dashboards create --project=" + project + " --config-from-file=",
		// The state's bucket, as config.env names it, and the role on it alone.
		"storage buckets create gs://" + stateBucket(t, m) + " --project=" + project,
		"--uniform-bucket-level-access --public-access-prevention",
		"iam roles create sshPrunerState --project=" + project + " --file=" + filepath.Join(here, "iam", "role-state.yaml"),
		"storage buckets add-iam-policy-binding gs://" + stateBucket(t, m) + " " + member + " --role=projects/" + project + "/roles/sshPrunerState",
	} {
		require.Contains(t, calls, want)
	}
	for _, f := range metricFiles(t) {
		name := strings.TrimSuffix(filepath.Base(f), ".yaml")
		require.Contains(t, calls, "logging metrics create "+name+" --project="+project+" --config-from-file=")
	}
	// Every file the script hands to gcloud exists.
	for _, field := range strings.Fields(calls) {
		if path, ok := strings.CutPrefix(field, "--file="); ok {
			require.FileExists(t, path)
		}
		if path, ok := strings.CutPrefix(field, "--config-from-file="); ok {
			require.FileExists(t, path)
		}
	}
}
