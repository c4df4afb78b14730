package gcpfake_test

import (
	"os"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/ssh-pruner/ssh-pruner/gcp/gcpfake"
)

func TestParseDemoSeed(t *testing.T) {
	seed := demoSeed(t)
	require.Equal(t, time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC), seed.Clock)
	require.Equal(t, "123456789012", seed.Organization.ID)
	require.Len(t, seed.Folders, 8)
	require.Len(t, seed.Projects, 13)
	require.Equal(t, []string{"folders/529384716620", "projects/hr-payroll"}, seed.Forbidden)
	f, err := gcpfake.New(seed)
	require.NoError(t, err)
	require.Len(t, f.Projects(), 13)
}

func TestParseSeedErrors(t *testing.T) {
	const org = `"organization": {"id": "1"}`
	const folder = `"folders": [{"id": "2", "parent": "organizations/1"}]`
	project := func(fields string) string {
		return `{` + org + `, ` + folder + `, "projects": [{"id": "proj-one", "number": "10", "parent": "folders/2"` + fields + `}]}`
	}
	tests := []struct {
		name, seed string
		want       []string // fragments of the error
	}{
		{"empty", ``, []string{"empty input"}},
		{"syntax", "{\n  \"organization\": {\"id\": \"1\"},\n  oops\n}", []string{"line 3, column 3", "invalid character 'o'"}},
		{"unknown top-level field", "{" + org + ",\n \"projets\": []}", []string{"line 2", `unknown field "projets"`}},
		{"unknown nested field", project(`, "lables": {}`), []string{`unknown field "lables"`}},
		{"wrong type", project(`, "labels": ["a"]`), []string{"field projects.labels", "got JSON array"}},
		{"trailing data", `{` + org + `} {}`, []string{"data after the top-level object"}},
		{"bad clock", `{"clock": "yesterday", ` + org + `}`, []string{"line 1", "yesterday"}},
		{"organization id", `{"organization": {"id": "example.com"}}`, []string{`organization.id "example.com"`}},
		{"folder state", `{` + org + `, "folders": [{"id": "2", "parent": "organizations/1", "state": "GONE"}]}`, []string{`folders[0]: state "GONE"`}},
		{"folder parent", `{` + org + `, "folders": [{"id": "2", "parent": "folders/3"}]}`, []string{`folders[0] (2).parent "folders/3"`}},
		{"folder cycle", `{` + org + `, "folders": [{"id": "2", "parent": "folders/3"}, {"id": "3", "parent": "folders/2"}]}`, []string{"cycle"}},
		{"project id", `{` + org + `, "projects": [{"id": "P", "number": "10", "parent": "organizations/1"}]}`, []string{`projects[0] (P): id "P"`}},
		{"project parent", `{` + org + `, "projects": [{"id": "proj-one", "number": "10", "parent": "folders/9"}]}`, []string{`projects[0] (proj-one).parent "folders/9"`}},
		{"project state", project(`, "state": "DELETED"`), []string{`state "DELETED"`}},
		{"duplicate number", `{` + org + `, "projects": [{"id": "proj-one", "number": "10", "parent": "organizations/1"}, {"id": "proj-two", "number": "10", "parent": "organizations/1"}]}`, []string{`projects[1] (proj-two).number "10"`}},
		{"service name", project(`, "services": ["compute"]`), []string{`services[0] "compute"`}},
		{"metadata key", project(`, "metadata": [{"key": "ssh keys", "value": "x"}]`), []string{"metadata: Invalid value for field 'resource.items[0].key'"}},
		{"duplicate metadata key", project(`, "metadata": [{"key": "a", "value": "x"}, {"key": "a", "value": "y"}]`), []string{"duplicate keys: a"}},
		{"instance zone", project(`, "instances": [{"zone": "europe", "name": "vm-1"}]`), []string{`instances[0] (vm-1).zone "europe"`}},
		{"instance status", project(`, "instances": [{"zone": "europe-west1-b", "name": "vm-1", "status": "UP"}]`), []string{`instances[0] (vm-1).status "UP"`}},
		{"instance label", project(`, "instances": [{"zone": "europe-west1-b", "name": "vm-1", "labels": {"Env": "prod"}}]`), []string{`instances[0] (vm-1).labels "Env"`}},
		{"instance label value", project(`, "instances": [{"zone": "europe-west1-b", "name": "vm-1", "labels": {"env": "Prod"}}]`), []string{`labels "env": "Prod"`}},
		{"instance natIP", project(`, "instances": [{"zone": "europe-west1-b", "name": "vm-1", "natIP": "2001:db8::1"}]`), []string{`instances[0] (vm-1).natIP "2001:db8::1": want an IPv4 address`}},
		{"instance networkIP", project(`, "instances": [{"zone": "europe-west1-b", "name": "vm-1", "networkIP": "10.0.0"}]`), []string{`.networkIP "10.0.0"`}},
		{"natIP and no external IP", project(`, "instances": [{"zone": "europe-west1-b", "name": "vm-1", "natIP": "34.1.2.3", "noExternalIP": true}]`), []string{"natIP \"34.1.2.3\" and noExternalIP"}},
		{"service account", project(`, "instances": [{"zone": "europe-west1-b", "name": "vm-1", "serviceAccount": "default"}]`), []string{`serviceAccount "default"`}},
		{"windows not a bool", project(`, "instances": [{"zone": "europe-west1-b", "name": "vm-1", "windows": "yes"}]`), []string{"field projects.instances.windows", "got JSON string"}},
		{"forbidden name", `{` + org + `, "forbidden": ["projects/nope"]}`, []string{`forbidden[0] "projects/nope"`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := gcpfake.ParseSeed([]byte(tt.seed))
			require.Error(t, err)
			for _, w := range tt.want {
				require.Contains(t, err.Error(), w)
			}
			require.True(t, strings.HasPrefix(err.Error(), "seed: "), err.Error())
		})
	}
}

func TestAddProject(t *testing.T) {
	f, err := gcpfake.New(demoSeed(t))
	require.NoError(t, err)
	require.NoError(t, f.AddFolder(gcpfake.Folder{ID: "77", Parent: "organizations/123456789012"}))
	require.NoError(t, f.AddProject(gcpfake.Project{ID: "gen-00001", Number: "900000000001", Parent: "folders/77", Services: []string{"compute.googleapis.com"}}))
	require.ErrorContains(t, f.AddProject(gcpfake.Project{ID: "gen-00001", Number: "900000000002", Parent: "folders/77"}), "already exists")
	require.ErrorContains(t, f.AddProject(gcpfake.Project{ID: "gen-00002", Number: "900000000001", Parent: "folders/77"}), "number")
	require.ErrorContains(t, f.AddProject(gcpfake.Project{ID: "gen-00003", Number: "900000000003", Parent: "folders/78"}), "parent")
	require.ErrorContains(t, f.AddFolder(gcpfake.Folder{ID: "folder", Parent: "organizations/123456789012"}), `id "folder"`)
	require.ErrorContains(t, f.AddFolder(gcpfake.Folder{ID: "79", Parent: "organizations/123456789012", State: "GONE"}), `state "GONE"`)
	require.ErrorContains(t, f.AddFolder(gcpfake.Folder{ID: "77", Parent: "organizations/123456789012"}), "already exists")
	items, fp, ok := f.ProjectMetadata("gen-00001")
	require.True(t, ok)
	require.Empty(t, items)
	require.NotEmpty(t, fp)
}

func TestSeedFileIsUntouchedByTheFake(t *testing.T) {
	data, err := os.ReadFile("../../testdata/demo-org.json")
	require.NoError(t, err)
	seed, err := gcpfake.ParseSeed(data)
	require.NoError(t, err)
	f, err := gcpfake.New(seed)
	require.NoError(t, err)
	f.SetProjectMetadata("web-prod-eu", nil)
	require.NotEmpty(t, seed.Projects[0].Metadata, "the fake keeps its own copy")
}
