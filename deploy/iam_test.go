package deploy

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
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
		{"iam/role-audit-logs.yaml", gcp.Audit},
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
			require.False(t, strings.HasPrefix(p, "logging."), "%s: %s belongs on the audit log view only (role-audit-logs.yaml)", file, p)
		}
	}
	// The audit logs are read through one view, and only read.
	require.Equal(t, []string{"logging.views.access"}, readRole(t, "iam/role-audit-logs.yaml").IncludedPermissions)
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
	// Nothing exists yet: every describe fails, but for the sink's
	// writer identity, asked once the sink is made. A condition given in a
	// file is recorded with the call.
	const writer = "serviceAccount:service-org-123456789012@gcp-sa-logging.iam.gserviceaccount.com"
	stub := "#!/bin/sh\necho \"$*\" >> " + logFile + "\n" +
		"for a; do case \"$a\" in --condition-from-file=*) cat \"${a#--condition-from-file=}\" >> " + logFile + ";; esac; done\n" +
		"case \"$*\" in *writerIdentity*) echo " + writer + ";; *describe*) exit 1;; esac\n"
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
		// The audit logs: a bucket kept as long as Admin Activity logs, a
		// view of it, the organization's sink into it, and the reads of
		// the pruner on that view alone.
		"logging buckets create " + auditBucket + " --location=global --project=" + project + " --retention-days=400",
		"logging views create " + auditView + " --bucket=" + auditBucket + " --location=global --project=" + project,
		"logging sinks create ssh-pruner-audit logging.googleapis.com/projects/" + project + "/locations/global/buckets/" + auditBucket +
			" --organization=123456789012 --include-children --log-filter=" + auditSinkFilter(t) + " ",
		"projects add-iam-policy-binding " + project + " --member=" + writer + " --role=roles/logging.bucketWriter --condition=None",
		"iam roles create sshPrunerAuditLogs --project=" + project + " --file=" + filepath.Join(here, "iam", "role-audit-logs.yaml"),
		"projects add-iam-policy-binding " + project + " " + member + " --role=projects/" + project + "/roles/sshPrunerAuditLogs --condition-from-file=",
		"\nexpression: resource.name == \"" + auditViewName(project) + "\"\n",
	} {
		require.Contains(t, calls, want)
	}
	for _, f := range metricFiles(t) {
		name := strings.TrimSuffix(filepath.Base(f), ".yaml")
		require.Contains(t, calls, "logging metrics create "+name+" --project="+project+" --config-from-file=")
	}
	// The pruner's role on the project holds a condition, every time.
	for _, line := range strings.Split(calls, "\n") {
		if strings.Contains(line, "/roles/sshPrunerAuditLogs") && strings.Contains(line, "add-iam-policy-binding") {
			require.Contains(t, line, "--condition-from-file=", "the audit role is bound on the view alone")
		}
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

// The log bucket and view of the audit logs, as setup.sh names them by
// default, and the view's resource name: what --audit-logs takes and what
// the condition of the pruner's binding names.
const (
	auditBucket = "ssh-pruner-audit"
	auditView   = "ssh-pruner-audit"
)

func auditViewName(project string) string {
	return "projects/" + project + "/locations/global/buckets/" + auditBucket + "/views/" + auditView
}

// auditMethods are the audit log's methodName of the metadata writes that
// attribution reads: each of the two writes of package gcp, in the v1 API
// and in beta (the console, and some clients, call beta).
var auditMethods = []string{
	"v1.compute.projects.setCommonInstanceMetadata",
	"v1.compute.instances.setMetadata",
	"beta.compute.projects.setCommonInstanceMetadata",
	"beta.compute.instances.setMetadata",
}

// auditSinkFilter is the filter of the organization's sink, as setup.sh
// reads it ($(cat) drops the final newline).
func auditSinkFilter(t *testing.T) string {
	t.Helper()
	data, err := os.ReadFile("iam/audit-sink-filter.txt")
	require.NoError(t, err)
	return strings.TrimRight(string(data), "\n")
}

// sinkTerm is one term of the sink's filter: a field compared with a
// quoted value or a parenthesized list of them.
var sinkTerm = regexp.MustCompile(`^([A-Za-z.]+)\s*([:=])\s*(?:"([^"]*)"|\(([^)]*)\))$`)

// TestAuditSinkFilter reads the sink's filter as terms joined by AND: the
// Admin Activity log, of Compute Engine, and the methods of the metadata
// writes, exactly the four, each the v1 or beta form of a write in the
// table of package gcp. A filter in another form fails: a typo in a
// method would route nothing, silently.
func TestAuditSinkFilter(t *testing.T) {
	filter := auditSinkFilter(t)
	got := map[string]string{}
	var methods []string
	for _, part := range strings.Split(strings.Join(strings.Fields(filter), " "), " AND ") {
		m := sinkTerm.FindStringSubmatch(part)
		require.NotNil(t, m, "sink filter term %q: not one this test reads", part)
		require.NotContains(t, got, m[1], "one term per field")
		got[m[1]] = m[2] + m[3]
		if m[4] != "" {
			methods = anyOfValues(t, m[4])
			got[m[1]] = m[2] + "(list)"
		}
	}
	require.Equal(t, map[string]string{
		"logName":                  `:cloudaudit.googleapis.com%2Factivity`,
		"protoPayload.serviceName": "=compute.googleapis.com",
		"protoPayload.methodName":  "=(list)",
	}, got)
	require.ElementsMatch(t, auditMethods, methods)

	writes := map[string]bool{}
	for _, c := range gcp.Calls() {
		writes[c.Method] = c.Purpose == gcp.Apply && strings.Contains(c.Method, ".set")
	}
	for _, m := range methods {
		_, method, _ := strings.Cut(m, ".")
		require.True(t, writes[method], "%s: %s is no metadata write of package gcp", m, method)
	}
}
