package gcp_test

import (
	"context"
	"fmt"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/ssh-pruner/ssh-pruner/gcp"
	"github.com/ssh-pruner/ssh-pruner/gcp/gcpfake"
	"github.com/ssh-pruner/ssh-pruner/pruner"
)

// BenchmarkListNamedProjects compares 200 projects named with --project
// to the same 200 listed through their organization, at 50 ms a call:
//
//	go test -run '^$' -bench ListNamedProjects -benchtime 5x ./gcp
func BenchmarkListNamedProjects(b *testing.B) {
	seed := &gcpfake.Seed{Organization: gcpfake.Organization{ID: "1", DisplayName: "bench.example"}}
	var named []string
	for i := range 200 {
		id := fmt.Sprintf("bench-%03d", i)
		named = append(named, id)
		seed.Projects = append(seed.Projects, gcpfake.Project{ID: id, Number: fmt.Sprint(100000000 + i), Parent: "organizations/1",
			Services: []string{"compute.googleapis.com"}})
	}
	f, err := gcpfake.New(seed)
	if err != nil {
		b.Fatal(err)
	}
	f.SetFaults("", "", gcpfake.Fault{Latency: 50 * time.Millisecond})
	srv := httptest.NewServer(f)
	b.Cleanup(srv.Close)
	c, err := gcp.New(context.Background(), gcp.Options{Endpoint: srv.URL})
	if err != nil {
		b.Fatal(err)
	}
	for name, scope := range map[string]pruner.Scope{"named": {Projects: named}, "organization": {Organization: "1"}} {
		b.Run(name, func(b *testing.B) {
			for b.Loop() {
				inv, err := c.ListProjects(context.Background(), scope)
				if err != nil || len(inv.Projects) != 200 {
					b.Fatalf("%d projects, %v", len(inv.Projects), err)
				}
			}
		})
	}
}
