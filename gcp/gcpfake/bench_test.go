package gcpfake_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/ssh-pruner/ssh-pruner/gcp/gcpfake"
)

// generatedOrg is an organization of n projects in 100 folders, each
// project with a realistic ssh-keys value of about 2 KB.
func generatedOrg(b testing.TB, n int) *gcpfake.Fake {
	b.Helper()
	f, err := gcpfake.New(&gcpfake.Seed{
		Clock:        time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC),
		Organization: gcpfake.Organization{ID: "123456789012"},
	})
	require.NoError(b, err)
	for i := range 100 {
		require.NoError(b, f.AddFolder(gcpfake.Folder{ID: fmt.Sprint(700000000000 + i), Parent: "organizations/123456789012"}))
	}
	var keys []string
	for u := range 5 {
		keys = append(keys, fmt.Sprintf("user%d:ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAI%s user%d@laptop", u, strings.Repeat("Q", 43), u))
		keys = append(keys, fmt.Sprintf(`user%d:ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAABAQ%s google-ssh {"userName":"user%d@example.com","expireOn":"2026-12-01T10:00:00+0000"}`, u, strings.Repeat("C", 300), u))
	}
	for i := range n {
		require.NoError(b, f.AddProject(gcpfake.Project{
			ID: fmt.Sprintf("gen-project-%05d", i), Number: fmt.Sprint(800000000000 + i),
			Parent: fmt.Sprintf("folders/%d", 700000000000+i%100), Services: []string{"compute.googleapis.com"},
			Metadata: items("enable-oslogin", "FALSE", "ssh-keys", strings.Join(keys, "\n")),
		}))
	}
	return f
}

// BenchmarkProjectsGet measures compute projects.get through the real Go
// client over HTTP against an organization of 10,000 projects. The fake
// must answer at least 5,000 per second on a 2-core machine (req/s).
func BenchmarkProjectsGet(b *testing.B) {
	f := generatedOrg(b, 10000)
	srv := httptest.NewServer(f)
	defer srv.Close()
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.MaxIdleConnsPerHost = 256
	e := newEnvAt(b, f, srv.URL, &http.Client{Transport: tr})
	ctx := context.Background()
	var next atomic.Int64

	b.SetParallelism(4)
	b.ReportAllocs()
	b.ResetTimer()
	start := time.Now()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			id := fmt.Sprintf("gen-project-%05d", next.Add(1)%10000)
			p, err := e.compute.Projects.Get(id).Fields("commonInstanceMetadata").Context(ctx).Do()
			if err != nil || p.CommonInstanceMetadata.Fingerprint == "" {
				b.Errorf("get %s: %v", id, err)
				return
			}
		}
	})
	b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "req/s")
}
