package cloudlog

import (
	"context"
	"errors"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestDetectResource(t *testing.T) {
	md := map[string]string{
		"project/project-id":                   "cluster-project",
		"instance/attributes/cluster-name":     "security",
		"instance/attributes/cluster-location": "europe-west1",
	}
	metadata := func(_ context.Context, p string) (string, error) {
		if v, ok := md[p]; ok {
			return v + "\n", nil
		}
		return "", errors.New("not defined")
	}
	nsFile := func(p string) ([]byte, error) {
		if p == namespaceFile {
			return []byte("from-file\n"), nil
		}
		return nil, errors.New("no such file")
	}
	tests := []struct {
		name   string
		vars   map[string]string
		md     func(context.Context, string) (string, error)
		typ    string
		labels map[string]string
	}{
		{
			name: "laptop", vars: map[string]string{"HOSTNAME": "laptop"}, md: metadata,
			typ: "global", labels: map[string]string{"project_id": "log-project"},
		},
		{
			name: "GKE with downward API",
			vars: map[string]string{"KUBERNETES_SERVICE_HOST": "10.0.0.1", "POD_NAME": "pod-1", "POD_NAMESPACE": "ns", "CONTAINER_NAME": "c"},
			md:   metadata, typ: "k8s_container",
			labels: map[string]string{"project_id": "cluster-project", "location": "europe-west1", "cluster_name": "security",
				"namespace_name": "ns", "pod_name": "pod-1", "container_name": "c"},
		},
		{
			name: "GKE without downward API: hostname and namespace file",
			vars: map[string]string{"KUBERNETES_SERVICE_HOST": "10.0.0.1", "HOSTNAME": "pod-2"},
			md:   metadata, typ: "k8s_container",
			labels: map[string]string{"project_id": "cluster-project", "location": "europe-west1", "cluster_name": "security",
				"namespace_name": "from-file", "pod_name": "pod-2", "container_name": ""},
		},
		{
			name: "Kubernetes elsewhere, cluster given by env",
			vars: map[string]string{"KUBERNETES_SERVICE_HOST": "10.0.0.1", "HOSTNAME": "pod-3", "CLUSTER_NAME": "k", "CLUSTER_LOCATION": "onprem"},
			md:   nil, typ: "k8s_container",
			labels: map[string]string{"project_id": "log-project", "location": "onprem", "cluster_name": "k",
				"namespace_name": "from-file", "pod_name": "pod-3", "container_name": ""},
		},
		{
			name: "Kubernetes without a cluster name",
			vars: map[string]string{"KUBERNETES_SERVICE_HOST": "10.0.0.1", "HOSTNAME": "pod-4"},
			md:   nil, typ: "global", labels: map[string]string{"project_id": "log-project"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			env := Env{Getenv: func(k string) string { return tt.vars[k] }, ReadFile: nsFile, Metadata: tt.md}
			r := DetectResource(context.Background(), env, "log-project")
			require.Equal(t, tt.typ, r.GetType())
			require.Equal(t, tt.labels, r.GetLabels())
		})
	}
}

func TestDetectProject(t *testing.T) {
	_, err := DetectProject(context.Background(), Env{})
	require.Error(t, err, "no metadata server")
	p, err := DetectProject(context.Background(), Env{Metadata: func(context.Context, string) (string, error) { return "sec\n", nil }})
	require.NoError(t, err)
	require.Equal(t, "sec", p)
	_, err = DetectProject(context.Background(), Env{Metadata: func(context.Context, string) (string, error) { return "", errors.New("down") }})
	require.Error(t, err)
}
