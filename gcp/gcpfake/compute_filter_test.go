package gcpfake_test

import (
	"context"
	"net/http"
	"testing"

	"github.com/stretchr/testify/require"
	compute "google.golang.org/api/compute/v1"

	"github.com/ssh-pruner/ssh-pruner/gcp/gcpfake"
)

// filterSeed is one project with instances of several states and labels
// in two zones.
func filterSeed() *gcpfake.Seed {
	return &gcpfake.Seed{
		Organization: gcpfake.Organization{ID: "111111111111"},
		Projects: []gcpfake.Project{{
			ID: "filter-proj", Number: "111111111111", Parent: "organizations/111111111111", Services: []string{"compute.googleapis.com"},
			Instances: []gcpfake.Instance{
				{Zone: "europe-west1-b", Name: "web-2", Labels: map[string]string{"env": "prod"}},
				{Zone: "europe-west1-b", Name: "api-1", Status: "TERMINATED", Labels: map[string]string{"env": "dev"}},
				{Zone: "europe-west1-b", Name: "web-1", Labels: map[string]string{"env": "prod", "team": "web"}},
				{Zone: "europe-west1-c", Name: "api-10"},
				{Zone: "europe-west1-c", Name: "db-1", Status: "STOPPING"},
			},
		}},
	}
}

func zoneNames(t *testing.T, e *env, zone, filter, orderBy string) []string {
	t.Helper()
	call := e.compute.Instances.List("filter-proj", zone).Filter(filter)
	if orderBy != "" {
		call = call.OrderBy(orderBy)
	}
	var names []string
	err := call.Pages(context.Background(), func(l *compute.InstanceList) error {
		for _, in := range l.Items {
			names = append(names, in.Name)
		}
		return nil
	})
	require.NoError(t, err)
	return names
}

// TestComputeListFilter: the filters gcloud sends (regular expressions,
// one or AND'ed in parentheses, as filter_rewrite.py writes them) and
// the AIP-160 ones the reference documents.
func TestComputeListFilter(t *testing.T) {
	e := newEnv(t, filterSeed())
	tests := []struct {
		name, filter string
		want         []string
	}{
		{"none", "", []string{"api-1", "web-1", "web-2"}},
		// gcloud compute instances list --zones Z --filter=...
		{"gcloud name=web-1", `name eq ".*\bweb\-1\b.*"`, []string{"web-1"}},
		{"gcloud name:web*", `name eq ".*\bweb.*"`, []string{"web-1", "web-2"}},
		{"gcloud status!=TERMINATED", `status ne TERMINATED`, []string{"web-1", "web-2"}},
		{"gcloud name~^api", `name eq ".*(^api).*"`, []string{"api-1"}},
		{"gcloud -name=web-1", `name ne ".*\bweb\-1\b.*"`, []string{"api-1", "web-2"}},
		{"gcloud zone:europe-west1-b", `zone eq ".*\beurope\-west1\-b\b.*"`, []string{"api-1", "web-1", "web-2"}},
		{"gcloud AND", `(status eq RUNNING)(name eq ".*\bweb\-2\b.*")`, []string{"web-2"}},
		{"gcloud AND of three", `((status eq RUNNING)(name eq ".*\bweb.*"))(zone eq ".*\beurope\-west1\-b\b.*")`, []string{"web-1", "web-2"}},
		{"regex in single quotes", `name eq 'web-.*'`, []string{"web-1", "web-2"}},
		{"regex unquoted matches whole", `name eq web`, nil},
		// AIP-160
		{"equal", `name = web-1`, []string{"web-1"}},
		{"equal quoted", `name = "web-1"`, []string{"web-1"}},
		{"not equal", `status != RUNNING`, []string{"api-1"}},
		{"wildcard", `name = web-*`, []string{"web-1", "web-2"}},
		{"has substring", `name : eb`, []string{"web-1", "web-2"}},
		{"label", `labels.env = prod`, []string{"web-1", "web-2"}},
		{"label present", `labels.team:*`, []string{"web-1"}},
		{"implicit AND", `(labels.env = prod) (name != web-1)`, []string{"web-2"}},
		{"explicit AND", `labels.env = prod AND name != web-1`, []string{"web-2"}},
		{"OR", `(name = api-1) OR (labels.team = web)`, []string{"api-1", "web-1"}},
		{"NOT", `NOT labels.env = prod`, []string{"api-1"}},
		{"bool", `canIpForward = false`, []string{"api-1", "web-1", "web-2"}},
		{"ordered", `name > web-1`, []string{"web-2"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			require.Equal(t, tt.want, zoneNames(t, e, "europe-west1-b", tt.filter, ""))
		})
	}
}

// TestComputeListFilterRefused: Google answers 400 "Invalid list filter
// expression" for what it cannot apply, among them what issue trackers
// quote: AND beside regular expressions, a glob given as a regular
// expression, a repeated field.
func TestComputeListFilterRefused(t *testing.T) {
	e := newEnv(t, filterSeed())
	for _, filter := range []string{
		`status eq RUNNING AND name eq web-1`,
		`name eq *collector*`,
		`tags.items = web`,
		`networkInterfaces.network = default`,
		`disks.licenses = x`,
		`metadata.items.key = ssh-keys`,
		`nosuchfield = 1`,
		`labels = prod`,
		`name = web-1 (status eq RUNNING)`,
		`name eq web-1 status eq RUNNING`,
		`(name = web-1`,
		`name = `,
		`name`,
		`= web-1`,
	} {
		t.Run(filter, func(t *testing.T) {
			for _, call := range []func() error{
				func() error {
					_, err := e.compute.Instances.List("filter-proj", "europe-west1-b").Filter(filter).Do()
					return err
				},
				func() error {
					_, err := e.compute.Instances.AggregatedList("filter-proj").Filter(filter).Do()
					return err
				},
			} {
				ge := apiErr(t, call(), http.StatusBadRequest)
				require.Equal(t, "Invalid value for field 'filter': '"+filter+"'. Invalid list filter expression.", ge.Message)
				require.Equal(t, []string{"invalid"}, reasons(ge))
			}
		})
	}
}

func TestComputeListOrderBy(t *testing.T) {
	e := newEnv(t, filterSeed())
	require.Equal(t, []string{"api-1", "web-1", "web-2"}, zoneNames(t, e, "europe-west1-b", "", "name"))
	byName := zoneNames(t, e, "europe-west1-b", "", "")
	newest := zoneNames(t, e, "europe-west1-b", "", "creationTimestamp desc")
	require.ElementsMatch(t, byName, newest)
	list, err := e.compute.Instances.List("filter-proj", "europe-west1-b").OrderBy("creationTimestamp desc").Do()
	require.NoError(t, err)
	for i := 1; i < len(list.Items); i++ {
		require.GreaterOrEqual(t, list.Items[i-1].CreationTimestamp, list.Items[i].CreationTimestamp)
	}
	for _, orderBy := range []string{"creationTimestamp", "name desc", "status"} {
		_, err := e.compute.Instances.List("filter-proj", "europe-west1-b").OrderBy(orderBy).Do()
		ge := apiErr(t, err, http.StatusBadRequest)
		require.Equal(t, []string{"invalid"}, reasons(ge))
		require.Contains(t, ge.Message, "Invalid value for field 'orderBy': '"+orderBy+"'.")
	}
}

func TestComputeListFilterPages(t *testing.T) {
	e := newEnv(t, filterSeed())
	first, err := e.compute.Instances.List("filter-proj", "europe-west1-b").Filter("status = RUNNING").MaxResults(1).Do()
	require.NoError(t, err)
	require.Equal(t, "web-1", first.Items[0].Name)
	next, err := e.compute.Instances.List("filter-proj", "europe-west1-b").Filter("status = RUNNING").MaxResults(1).PageToken(first.NextPageToken).Do()
	require.NoError(t, err)
	require.Equal(t, "web-2", next.Items[0].Name)
	require.Empty(t, next.NextPageToken)
	_, err = e.compute.Instances.List("filter-proj", "europe-west1-b").MaxResults(1).PageToken(first.NextPageToken).Do()
	apiErr(t, err, http.StatusBadRequest)
}

func TestComputeAggregatedListFilter(t *testing.T) {
	e := newEnv(t, filterSeed())
	l, err := e.compute.Instances.AggregatedList("filter-proj").Filter(`name eq "api-.*"`).Do()
	require.NoError(t, err)
	var got []string
	for scope, items := range l.Items {
		for _, in := range items.Instances {
			got = append(got, scope+"/"+in.Name)
		}
	}
	require.ElementsMatch(t, []string{"zones/europe-west1-b/api-1", "zones/europe-west1-c/api-10"}, got)
}
