package gcpfake_test

import (
	"context"
	"net/http"
	"testing"

	"github.com/stretchr/testify/require"
	crmv1 "google.golang.org/api/cloudresourcemanager/v1"
	crmv2 "google.golang.org/api/cloudresourcemanager/v2"
	"google.golang.org/api/option"
)

func TestResourceManagerV1ProjectsList(t *testing.T) {
	e := newEnv(t, demoSeed(t))
	ctx := context.Background()
	v1, err := crmv1.NewService(ctx, option.WithEndpoint(e.url+"/"), option.WithoutAuthentication())
	require.NoError(t, err)
	list := func(filter string) []string {
		t.Helper()
		var ids []string
		err := v1.Projects.List().Filter(filter).PageSize(2).Pages(ctx, func(r *crmv1.ListProjectsResponse) error {
			require.LessOrEqual(t, len(r.Projects), 2)
			for _, p := range r.Projects {
				ids = append(ids, p.ProjectId)
			}
			return nil
		})
		require.NoError(t, err)
		return ids
	}
	require.Len(t, list(""), 13, "every project, deleted ones too")
	require.Len(t, list("lifecycleState:ACTIVE"), 12)
	require.Equal(t, []string{"legacy-crm-0417"}, list("lifecycleState:DELETE_REQUESTED"))
	require.Equal(t, []string{"hr-payroll"}, list("parent.type:organization parent.id:123456789012"))
	require.Equal(t, []string{"api-prod-7f3a", "billing-prod-2291", "shared-vpc-host-01"},
		list("lifecycleState:ACTIVE AND (parent.id=406392811574 AND parent.type=folder)"))
	require.Equal(t, []string{"web-prod-eu", "web-prod-us"}, list(`lifecycleState:ACTIVE AND (name:"web*")`))

	p, err := v1.Projects.Get("web-prod-eu").Context(ctx).Do()
	require.NoError(t, err)
	require.Equal(t, int64(482910375561), p.ProjectNumber)
	require.Equal(t, "Web prod EU", p.Name)
	require.Equal(t, "ACTIVE", p.LifecycleState)
	require.Equal(t, &crmv1.ResourceId{Type: "folder", Id: "915530277318"}, p.Parent)
	require.Equal(t, map[string]string{"env": "prod", "team": "web"}, p.Labels)

	_, err = v1.Projects.Get("no-such-project").Context(ctx).Do()
	apiErr(t, err, http.StatusForbidden)
	_, err = v1.Projects.List().Filter("colour:red").Context(ctx).Do()
	apiErr(t, err, http.StatusBadRequest)
}

func TestResourceManagerV2FoldersList(t *testing.T) {
	e := newEnv(t, demoSeed(t))
	ctx := context.Background()
	v2, err := crmv2.NewService(ctx, option.WithEndpoint(e.url+"/"), option.WithoutAuthentication())
	require.NoError(t, err)
	r, err := v2.Folders.List().Parent("organizations/123456789012").Context(ctx).Do()
	require.NoError(t, err)
	var names []string
	for _, f := range r.Folders {
		names = append(names, f.DisplayName)
		require.Equal(t, "ACTIVE", f.LifecycleState)
		require.Equal(t, "organizations/123456789012", f.Parent)
	}
	require.Equal(t, []string{"prod", "restricted", "sandbox", "staging"}, names, "by display name")

	_, err = v2.Folders.List().Parent("folders/529384716620").Context(ctx).Do()
	apiErr(t, err, http.StatusForbidden)
	_, err = v2.Folders.List().Context(ctx).Do()
	apiErr(t, err, http.StatusBadRequest)
}
