package deploy

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
	"sigs.k8s.io/yaml"

	"github.com/ssh-pruner/ssh-pruner/gcp"
)

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

// TestRolesAreLeast checks each role against the table of the API calls
// that package gcp makes (gcp.Calls, which gcp's own tests hold to what
// crosses the wire): each role holds exactly the permissions of the calls
// made for its purpose, none missing, none more.
func TestRolesAreLeast(t *testing.T) {
	for _, tc := range []struct {
		file    string
		purpose gcp.Purpose
	}{
		{"iam/role-dry-run.yaml", gcp.DryRun},
		{"iam/role.yaml", gcp.Apply}, // with the DryRun calls, which a run that writes makes too
		{"iam/role-state.yaml", gcp.State},
	} {
		r := readRole(t, tc.file)
		require.Equal(t, gcp.Permissions(tc.purpose), r.IncludedPermissions,
			"%s: the permissions of the %s calls of package gcp:\n%s", tc.file, tc.purpose, callTable())
	}
	// Said outright, whatever the table says: a dry run cannot write, and
	// the organization's roles hold nothing on the state's bucket.
	dry := readRole(t, "iam/role-dry-run.yaml")
	for _, write := range []string{"compute.projects.setCommonInstanceMetadata", "compute.instances.setMetadata"} {
		require.NotContains(t, dry.IncludedPermissions, write)
	}
	for _, file := range []string{"iam/role.yaml", "iam/role-dry-run.yaml"} {
		for _, p := range readRole(t, file).IncludedPermissions {
			require.False(t, strings.HasPrefix(p, "storage."), "%s: %s belongs on the state bucket only (role-state.yaml)", file, p)
		}
	}
}

// callTable says which call needs what, for a failure message.
func callTable() string {
	var b strings.Builder
	for _, c := range gcp.Calls() {
		fmt.Fprintf(&b, "  %-45s %-8s %s\n", c.Method, c.Purpose, strings.Join(c.Permissions, ", "))
	}
	return b.String()
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
