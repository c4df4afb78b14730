package gcpfake_test

import (
	"context"
	"net/http"
	"testing"

	"github.com/stretchr/testify/require"
	serviceusage "google.golang.org/api/serviceusage/v1"
)

func TestServicesGet(t *testing.T) {
	e := newEnv(t, demoSeed(t))
	tests := []struct {
		name, service string
		wantState     string
		wantCode      int
	}{
		{"enabled, by id", "projects/web-prod-eu/services/compute.googleapis.com", "ENABLED", 200},
		{"enabled, by number", "projects/482910375561/services/compute.googleapis.com", "ENABLED", 200},
		{"disabled", "projects/ml-staging-58b1/services/compute.googleapis.com", "DISABLED", 200},
		{"forbidden project", "projects/hr-payroll/services/compute.googleapis.com", "", 403},
		{"unknown project, refused as forbidden", "projects/no-such-project/services/compute.googleapis.com", "", 403},
		{"project being deleted", "projects/legacy-crm-0417/services/compute.googleapis.com", "", 403},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := e.usage.Services.Get(tt.service).Context(context.Background()).Do()
			require.Equal(t, tt.wantCode, codeOf(t, err), "%v", err)
			if tt.wantCode != http.StatusOK {
				return
			}
			require.Equal(t, tt.wantState, s.State)
			require.Regexp(t, `^projects/[0-9]+/services/compute.googleapis.com$`, s.Name)
			require.Equal(t, s.Name[:len(s.Parent)], s.Parent)
			require.Equal(t, "Compute Engine API", s.Config.Title)
		})
	}
	// A project the caller may not read and one that does not exist get
	// the same answer, but for the name.
	_, err := e.usage.Services.Get("projects/hr-payroll/services/compute.googleapis.com").Do()
	forbidden := apiErr(t, err, http.StatusForbidden)
	require.Equal(t, []string{"forbidden"}, reasons(forbidden))
	_, err = e.usage.Services.Get("projects/no-such-project/services/compute.googleapis.com").Do()
	unknown := apiErr(t, err, http.StatusForbidden)
	require.Equal(t, forbidden.Message, unknown.Message)
	require.Equal(t, "Permission denied to get service [compute.googleapis.com]", unknown.Message)
	_, err = e.usage.Services.List("projects/no-such-project").Do()
	ge := apiErr(t, err, http.StatusForbidden)
	require.Equal(t, "Permission denied to list services for consumer container [projects/no-such-project]", ge.Message)
}

func TestServicesList(t *testing.T) {
	e := newEnv(t, demoSeed(t))
	list := func(filter string, pageSize int64) []string {
		var names []string
		call := e.usage.Services.List("projects/analytics-staging").Filter(filter).PageSize(pageSize)
		err := call.Pages(context.Background(), func(r *serviceusage.ListServicesResponse) error {
			require.LessOrEqual(t, int64(len(r.Services)), pageSize)
			for _, s := range r.Services {
				require.Equal(t, "projects/264801937156", s.Parent)
				names = append(names, s.Config.Name)
			}
			return nil
		})
		require.NoError(t, err)
		return names
	}
	require.Equal(t, []string{"bigquery.googleapis.com", "compute.googleapis.com", "dataproc.googleapis.com"}, list("state:ENABLED", 1))
	disabled := list("state:DISABLED", 5)
	require.Contains(t, disabled, "container.googleapis.com")
	require.NotContains(t, disabled, "compute.googleapis.com")
	require.Len(t, list("", 200), 3+len(disabled))

	_, err := e.usage.Services.List("projects/analytics-staging").Filter("name:compute").Do()
	apiErr(t, err, http.StatusBadRequest)
}

func TestServicesBatchGet(t *testing.T) {
	e := newEnv(t, demoSeed(t))
	resp, err := e.usage.Services.BatchGet("projects/web-prod-us").Names(
		"projects/482910375562/services/compute.googleapis.com",
		"projects/web-prod-us/services/oslogin.googleapis.com",
	).Do()
	require.NoError(t, err)
	require.Len(t, resp.Services, 2)
	require.Equal(t, "projects/482910375562/services/compute.googleapis.com", resp.Services[0].Name)
	require.Equal(t, "ENABLED", resp.Services[0].State)
	require.Equal(t, "DISABLED", resp.Services[1].State)

	_, err = e.usage.Services.BatchGet("projects/web-prod-us").Names("projects/web-prod-eu/services/compute.googleapis.com").Do()
	apiErr(t, err, http.StatusBadRequest)
	var many []string
	for range 31 {
		many = append(many, "projects/web-prod-us/services/compute.googleapis.com")
	}
	_, err = e.usage.Services.BatchGet("projects/web-prod-us").Names(many...).Do()
	apiErr(t, err, http.StatusBadRequest)
}
