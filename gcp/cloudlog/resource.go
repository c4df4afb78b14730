package cloudlog

import (
	"context"
	"os"
	"strings"
	"time"

	"cloud.google.com/go/compute/metadata"
	mrpb "google.golang.org/genproto/googleapis/api/monitoredres"
)

// Env is what DetectResource and DetectProject read. Tests replace it.
type Env struct {
	// Getenv reads an environment variable.
	Getenv func(string) string
	// ReadFile reads a file, such as the pod's namespace file.
	ReadFile func(string) ([]byte, error)
	// Metadata reads a path of the Compute Engine metadata server, such
	// as "project/project-id"; nil when there is no metadata server.
	Metadata func(ctx context.Context, path string) (string, error)
}

// OSEnv is the process's environment, with the metadata server when the
// process runs on Google Cloud.
func OSEnv() Env {
	return Env{
		Getenv:   os.Getenv,
		ReadFile: os.ReadFile,
		Metadata: func(ctx context.Context, path string) (string, error) {
			if !metadata.OnGCEWithContext(ctx) {
				return "", errNoMetadata
			}
			return metadata.GetWithContext(ctx, path)
		},
	}
}

type constError string

func (e constError) Error() string { return string(e) }

const errNoMetadata = constError("not on Google Cloud: no metadata server")

// namespaceFile is where Kubernetes mounts the pod's namespace, with its
// service account token.
const namespaceFile = "/var/run/secrets/kubernetes.io/serviceaccount/namespace"

// detectTimeout bounds the questions to the metadata server.
const detectTimeout = 5 * time.Second

// DetectResource names the monitored resource the entries are about.
//
// In Kubernetes (KUBERNETES_SERVICE_HOST is set) it is k8s_container:
//
//	label           from
//	project_id      metadata project/project-id, else project
//	location        $CLUSTER_LOCATION, else metadata instance/attributes/cluster-location
//	cluster_name    $CLUSTER_NAME, else metadata instance/attributes/cluster-name
//	namespace_name  $POD_NAMESPACE (downward API), else the service account's namespace file
//	pod_name        $POD_NAME (downward API), else $HOSTNAME
//	container_name  $CONTAINER_NAME
//
// Elsewhere, or when the cluster, its location, the namespace or the pod
// cannot be told, it is global, in project.
func DetectResource(ctx context.Context, env Env, project string) *mrpb.MonitoredResource {
	global := &mrpb.MonitoredResource{Type: "global", Labels: map[string]string{"project_id": project}}
	if env.Getenv == nil || env.Getenv("KUBERNETES_SERVICE_HOST") == "" {
		return global
	}
	ctx, cancel := context.WithTimeout(ctx, detectTimeout)
	defer cancel()
	md := func(path string) string {
		if env.Metadata == nil || ctx.Err() != nil {
			return ""
		}
		v, err := env.Metadata(ctx, path)
		if err != nil {
			return ""
		}
		return strings.TrimSpace(v)
	}
	first := func(vs ...func() string) string {
		for _, v := range vs {
			if s := v(); s != "" {
				return s
			}
		}
		return ""
	}
	getenv := func(k string) func() string { return func() string { return env.Getenv(k) } }
	labels := map[string]string{
		"project_id":   first(func() string { return md("project/project-id") }, func() string { return project }),
		"location":     first(getenv("CLUSTER_LOCATION"), func() string { return md("instance/attributes/cluster-location") }),
		"cluster_name": first(getenv("CLUSTER_NAME"), func() string { return md("instance/attributes/cluster-name") }),
		"namespace_name": first(getenv("POD_NAMESPACE"), func() string {
			if env.ReadFile == nil {
				return ""
			}
			b, err := env.ReadFile(namespaceFile)
			if err != nil {
				return ""
			}
			return strings.TrimSpace(string(b))
		}),
		"pod_name":       first(getenv("POD_NAME"), getenv("HOSTNAME")),
		"container_name": env.Getenv("CONTAINER_NAME"),
	}
	for _, k := range []string{"project_id", "location", "cluster_name", "namespace_name", "pod_name"} {
		if labels[k] == "" {
			return global
		}
	}
	return &mrpb.MonitoredResource{Type: "k8s_container", Labels: labels}
}

// DetectProject is the project of the metadata server: in GKE, the
// project of the cluster. It fails off Google Cloud.
func DetectProject(ctx context.Context, env Env) (string, error) {
	if env.Metadata == nil {
		return "", errNoMetadata
	}
	ctx, cancel := context.WithTimeout(ctx, detectTimeout)
	defer cancel()
	p, err := env.Metadata(ctx, "project/project-id")
	if err != nil {
		return "", err
	}
	if p = strings.TrimSpace(p); p == "" {
		return "", errNoMetadata
	}
	return p, nil
}
