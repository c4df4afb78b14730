package gcpfake_test

import (
	"context"
	"net/http"
	"testing"

	"github.com/stretchr/testify/require"
	crm "google.golang.org/api/cloudresourcemanager/v3"
)

// walk lists every project under root, breadth first through folders, one
// item per page, as a client that trusts only page tokens would.
func walk(t *testing.T, e *env, root string, showDeleted bool) (projects, folders []string) {
	t.Helper()
	ctx := context.Background()
	queue := []string{root}
	for len(queue) > 0 {
		parent := queue[0]
		queue = queue[1:]
		err := e.crm.Projects.List().Parent(parent).ShowDeleted(showDeleted).PageSize(1).Pages(ctx, func(r *crm.ListProjectsResponse) error {
			require.LessOrEqual(t, len(r.Projects), 1)
			for _, p := range r.Projects {
				projects = append(projects, p.ProjectId)
			}
			return nil
		})
		require.NoError(t, err)
		err = e.crm.Folders.List().Parent(parent).PageSize(1).Pages(ctx, func(r *crm.ListFoldersResponse) error {
			require.LessOrEqual(t, len(r.Folders), 1)
			for _, f := range r.Folders {
				folders = append(folders, f.Name)
				if f.Name != "folders/529384716620" { // forbidden: tested apart
					queue = append(queue, f.Name)
				}
			}
			return nil
		})
		require.NoError(t, err)
	}
	return projects, folders
}

func TestListNestedFoldersPageSizeOne(t *testing.T) {
	e := newEnv(t, demoSeed(t))
	projects, folders := walk(t, e, "organizations/123456789012", false)
	// Each list by display name, as folders.list and projects.list say.
	require.Equal(t, []string{
		"folders/406392811574", "folders/529384716620", "folders/804466152093", "folders/638201947752", // prod, restricted, sandbox, staging
		"folders/172058339406", "folders/391027648815", "folders/257719084630", // web (in prod), teams (in sandbox), data (in staging)
		"folders/915530277318", // eu (in web)
	}, folders)
	require.Equal(t, []string{
		"hr-payroll",
		"api-prod-7f3a", "billing-prod-2291", "shared-vpc-host-01", // API prod, Billing prod, Shared VPC host
		"ml-staging-58b1",
		"web-prod-us",
		"sandbox-alice-3e9d", "ci-runners-9d02", // Alice sandbox, CI runners
		"analytics-staging", "data-staging-41c2", // Analytics staging, Data staging
		"web-prod-eu",
	}, projects)

	withDeleted, _ := walk(t, e, "organizations/123456789012", true)
	require.Contains(t, withDeleted, "legacy-crm-0417")
	require.Len(t, withDeleted, len(projects)+1)
}

func TestProjectResource(t *testing.T) {
	e := newEnv(t, demoSeed(t))
	ctx := context.Background()
	for _, name := range []string{"projects/web-prod-eu", "projects/482910375561"} {
		p, err := e.crm.Projects.Get(name).Context(ctx).Do()
		require.NoError(t, err)
		require.Equal(t, "projects/482910375561", p.Name)
		require.Equal(t, "web-prod-eu", p.ProjectId)
		require.Equal(t, "folders/915530277318", p.Parent)
		require.Equal(t, "ACTIVE", p.State)
		require.Equal(t, "Web prod EU", p.DisplayName)
		require.Equal(t, map[string]string{"env": "prod", "team": "web"}, p.Labels)
		require.NotEmpty(t, p.Etag)
		require.Equal(t, "2026", p.CreateTime[:4])
	}
	deleted, err := e.crm.Projects.Get("projects/legacy-crm-0417").Context(ctx).Do()
	require.NoError(t, err)
	require.Equal(t, "DELETE_REQUESTED", deleted.State)
	require.NotEmpty(t, deleted.DeleteTime)

	// An unknown project is refused as a forbidden one: the service does
	// not reveal which projects exist.
	_, err = e.crm.Projects.Get("projects/no-such-project").Context(ctx).Do()
	ge := apiErr(t, err, http.StatusForbidden)
	require.Equal(t, "The caller does not have permission", ge.Message)
	info := ge.Details[0].(map[string]any)
	require.Equal(t, "IAM_PERMISSION_DENIED", info["reason"])
	require.Equal(t, map[string]any{"permission": "resourcemanager.projects.get", "resource": "projects/no-such-project"}, info["metadata"])

	org, err := e.crm.Organizations.Get("organizations/123456789012").Context(ctx).Do()
	require.NoError(t, err)
	require.Equal(t, "example.com", org.DisplayName)
	_, err = e.crm.Organizations.Get("organizations/1").Context(ctx).Do()
	apiErr(t, err, http.StatusForbidden)

	folder, err := e.crm.Folders.Get("folders/172058339406").Context(ctx).Do()
	require.NoError(t, err)
	require.Equal(t, "web", folder.DisplayName)
	require.Equal(t, "folders/406392811574", folder.Parent)
}

func TestForbiddenFolder(t *testing.T) {
	e := newEnv(t, demoSeed(t))
	ctx := context.Background()
	_, err := e.crm.Folders.Get("folders/529384716620").Context(ctx).Do()
	ge := apiErr(t, err, http.StatusForbidden)
	require.Equal(t, "The caller does not have permission", ge.Message)
	_, err = e.crm.Folders.List().Parent("folders/529384716620").Context(ctx).Do()
	apiErr(t, err, http.StatusForbidden)
	_, err = e.crm.Projects.List().Parent("folders/529384716620").Context(ctx).Do()
	apiErr(t, err, http.StatusForbidden)
	_, err = e.crm.Projects.List().Parent("folders/999").Context(ctx).Do()
	apiErr(t, err, http.StatusForbidden)
	_, err = e.crm.Projects.List().Context(ctx).Do()
	apiErr(t, err, http.StatusBadRequest)
}

func TestSearchProjects(t *testing.T) {
	e := newEnv(t, demoSeed(t))
	tests := []struct {
		name, query string
		want        []string
	}{
		{"parent folder", "parent:folders/406392811574", []string{"api-prod-7f3a", "billing-prod-2291", "shared-vpc-host-01"}},
		{"two parents, any matches", "parent:folders/915530277318 parent:folders/172058339406", []string{"web-prod-eu", "web-prod-us"}},
		{"parent type and id", "parent.type:organization", []string{"hr-payroll"}},
		{"id prefix", "id:web-*", []string{"web-prod-eu", "web-prod-us"}},
		{"label", "labels.owner:alice", []string{"sandbox-alice-3e9d"}},
		{"state", "state:delete_requested", []string{"legacy-crm-0417"}},
		{"no match", "parent:folders/1", nil},
		{"quoted display name", `displayName:"Web prod EU"`, []string{"web-prod-eu"}},
		{"quoted, case-insensitive, escaped quote", `name:"web PROD \"eu\""`, nil},
		{"quoted wildcard", `name:"web prod*"`, []string{"web-prod-eu", "web-prod-us"}},
		{"label value", "labels.team:web", []string{"web-prod-eu", "web-prod-us"}},
		{"label key or value", "labels:owner", []string{"sandbox-alice-3e9d"}},
		{"labels by value", "labels:ml", []string{"ml-staging-58b1"}},
		{"any organization", "parent:organizations/*", []string{"hr-payroll"}},
		{"AND", "labels.team:web AND name:*EU", []string{"web-prod-eu"}},
		{"OR", "labels.team:web OR labels.team:hr", []string{"web-prod-eu", "web-prod-us", "hr-payroll"}},
		{"NOT", "labels.env:prod AND NOT labels.team:web AND -labels.team:api", []string{"billing-prod-2291", "shared-vpc-host-01", "hr-payroll", "sec-audit-logs-2a7c"}},
		{"as gcloud sends it", "lifecycleState:ACTIVE AND (( labels.env=staging OR labels.env=sandbox ))",
			[]string{"data-staging-41c2", "analytics-staging", "ml-staging-58b1", "sandbox-alice-3e9d", "ci-runners-9d02"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got []string
			err := e.crm.Projects.Search().Query(tt.query).PageSize(2).Pages(context.Background(), func(r *crm.SearchProjectsResponse) error {
				for _, p := range r.Projects {
					got = append(got, p.ProjectId)
				}
				return nil
			})
			require.NoError(t, err)
			require.ElementsMatch(t, tt.want, got)
		})
	}
	all, err := e.crm.Projects.Search().Context(context.Background()).Do()
	require.NoError(t, err)
	require.Len(t, all.Projects, 13)

	for _, query := range []string{"colour:red", `name:"web`, "labels.env", "(id:web-*", "id:web-* AND", "labels.:x", "id:"} {
		_, err := e.crm.Projects.Search().Query(query).Context(context.Background()).Do()
		ge := apiErr(t, err, http.StatusBadRequest)
		require.Contains(t, ge.Message, "Invalid query", "query %q", query)
	}
}

func TestPageTokenIsTiedToItsQuery(t *testing.T) {
	e := newEnv(t, demoSeed(t))
	ctx := context.Background()
	first, err := e.crm.Projects.List().Parent("folders/406392811574").PageSize(1).Context(ctx).Do()
	require.NoError(t, err)
	require.NotEmpty(t, first.NextPageToken)
	_, err = e.crm.Projects.List().Parent("folders/391027648815").PageToken(first.NextPageToken).Context(ctx).Do()
	apiErr(t, err, http.StatusBadRequest)
	_, err = e.crm.Projects.List().Parent("folders/406392811574").PageToken("garbage").Context(ctx).Do()
	apiErr(t, err, http.StatusBadRequest)
}
