package gcp_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"sync"
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

// BenchmarkListInstancesFields measures what asking for fields saves the
// client: ListInstances of a page of 500 VMs, each with a few SSH keys,
// decoding the partial page the adapter asks for, then the whole page.
// The pages are the fake's answers, recorded once and replayed, so that
// only the client's work is measured, not the fake's cutting:
//
//	go test -run '^$' -bench ListInstancesFields -benchmem ./gcp
//
// The fake's instance carries fewer fields than Google's (no scheduling,
// shielded VM config, ...), so Google's whole page weighs more still.
func BenchmarkListInstancesFields(b *testing.B) {
	seed := &gcpfake.Seed{Organization: gcpfake.Organization{ID: "1"}}
	p := gcpfake.Project{ID: "bench-vms", Number: "100000000", Parent: "organizations/1", Services: []string{"compute.googleapis.com"}}
	keys := "alice:ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOnSpiLgtrZ8YjS2DBrU3MZJcJSZh3jzuJy4ThKpYz2q alice@example.com\n" +
		"bob:ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOnSpiLgtrZ8YjS2DBrU3MZJcJSZh3jzuJy4ThKpYz2r bob@example.com"
	for i := range 500 {
		p.Instances = append(p.Instances, gcpfake.Instance{
			Zone: []string{"europe-west1-b", "europe-west1-c", "us-central1-a"}[i%3], Name: fmt.Sprintf("vm-%03d", i),
			Labels: map[string]string{"env": "prod"}, ServiceAccount: "vm@bench.iam.gserviceaccount.com",
			Metadata: []gcpfake.Item{gcpfake.NewItem("ssh-keys", keys)},
		})
	}
	seed.Projects = []gcpfake.Project{p}
	f, err := gcpfake.New(seed)
	if err != nil {
		b.Fatal(err)
	}
	for _, tc := range []struct {
		name  string
		whole bool
	}{{"fields", false}, {"whole", true}} {
		b.Run(tc.name, func(b *testing.B) {
			rp := replayed(b, f, tc.whole)
			for b.Loop() {
				l, err := rp.client.ListInstances(context.Background(), "bench-vms")
				if err != nil || len(l.Instances) != 500 {
					b.Fatalf("%d instances, %v", len(l.Instances), err)
				}
			}
			b.ReportMetric(float64(len(rp.body)), "B/page") // after the loop, which resets metrics
		})
	}
}

type replay struct {
	body   []byte
	client *gcp.Client
}

// replayed serves, to every request, the fake's answer to the client's
// first one: with the fields the client asks for, or whole.
func replayed(b *testing.B, f http.Handler, whole bool) *replay {
	b.Helper()
	rp := &replay{}
	var once sync.Once
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		once.Do(func() {
			r = r.Clone(r.Context())
			if whole {
				q := r.URL.Query()
				q.Del("fields")
				r.URL.RawQuery = q.Encode()
			}
			rec := httptest.NewRecorder()
			f.ServeHTTP(rec, r)
			rp.body = rec.Body.Bytes()
		})
		w.Header().Set("Content-Type", "application/json; charset=UTF-8")
		_, _ = w.Write(rp.body)
	}))
	b.Cleanup(srv.Close)
	c, err := gcp.New(context.Background(), gcp.Options{Endpoint: srv.URL})
	if err != nil {
		b.Fatal(err)
	}
	rp.client = c
	if _, err := c.ListInstances(context.Background(), "bench-vms"); err != nil { // records the page
		b.Fatal(err)
	}
	return rp
}
