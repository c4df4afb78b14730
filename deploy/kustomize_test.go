package deploy

import (
	"os/exec"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/robfig/cron/v3"
	"github.com/ssh-pruner/ssh-pruner/gcp"
	"github.com/stretchr/testify/require"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/yaml"
)

// manifests is the output of one kustomization, decoded.
type manifests struct {
	namespace      corev1.Namespace
	serviceAccount corev1.ServiceAccount
	configMap      corev1.ConfigMap
	cronJob        batchv1.CronJob
}

// build runs `kubectl kustomize dir` and decodes its output strictly: an
// unknown field, a misspelt one included, fails the test.
func build(t *testing.T, dir string) manifests {
	t.Helper()
	kubectl, err := exec.LookPath("kubectl")
	if err != nil {
		t.Skip("kubectl not installed: kustomize output not checked")
	}
	out, err := exec.Command(kubectl, "kustomize", dir).Output()
	if ee, ok := err.(*exec.ExitError); ok {
		t.Fatalf("kubectl kustomize %s: %v\n%s", dir, err, ee.Stderr)
	}
	require.NoError(t, err)

	var m manifests
	seen := map[string]int{}
	for _, doc := range strings.Split(string(out), "\n---\n") {
		var meta metav1.TypeMeta
		require.NoError(t, yaml.Unmarshal([]byte(doc), &meta))
		kind := meta.APIVersion + "/" + meta.Kind
		seen[kind]++
		var into any
		switch kind {
		case "v1/Namespace":
			into = &m.namespace
		case "v1/ServiceAccount":
			into = &m.serviceAccount
		case "v1/ConfigMap":
			into = &m.configMap
		case "batch/v1/CronJob":
			into = &m.cronJob
		default:
			t.Fatalf("%s: unexpected object %s in the output", dir, kind)
		}
		require.NoError(t, yaml.UnmarshalStrict([]byte(doc), into), "%s: %s", dir, kind)
	}
	for kind, n := range seen {
		require.Equal(t, 1, n, "%s: objects of kind %s", dir, kind)
	}
	require.Len(t, seen, 4, "%s: want a Namespace, a ServiceAccount, a ConfigMap and a CronJob", dir)
	return m
}

func TestKustomizeBase(t *testing.T) {
	m := build(t, ".")
	checkManifests(t, m)
	args := m.cronJob.Spec.JobTemplate.Spec.Template.Spec.Containers[0].Args
	require.Contains(t, args, "--apply", "the production CronJob writes")
}

func TestKustomizeDryRunOverlay(t *testing.T) {
	base := build(t, ".")
	m := build(t, "overlays/dry-run")
	checkManifests(t, m)

	// The overlay is the base without --apply, and nothing else.
	want := base.cronJob.DeepCopy()
	c := &want.Spec.JobTemplate.Spec.Template.Spec.Containers[0]
	c.Args = slices.DeleteFunc(c.Args, func(a string) bool { return a == "--apply" })
	require.Equal(t, *want, m.cronJob)
	require.Equal(t, base.serviceAccount, m.serviceAccount)
	require.Equal(t, base.configMap, m.configMap)
}

// gsaPattern is a Google service account email.
var gsaPattern = regexp.MustCompile(`^[a-z][a-z0-9-]{4,28}[a-z0-9]@[a-z][a-z0-9-]{4,28}[a-z0-9]\.iam\.gserviceaccount\.com$`)

func checkManifests(t *testing.T, m manifests) {
	t.Helper()
	ns := m.namespace.Name
	require.NotEmpty(t, ns)
	require.Equal(t, "restricted", m.namespace.Labels["pod-security.kubernetes.io/enforce"],
		"the namespace enforces the restricted Pod Security Standard")
	for _, obj := range []metav1.ObjectMeta{m.serviceAccount.ObjectMeta, m.configMap.ObjectMeta, m.cronJob.ObjectMeta} {
		require.Equal(t, ns, obj.Namespace, "%s is in the namespace", obj.Name)
	}
	require.Regexp(t, gsaPattern, m.serviceAccount.Annotations["iam.gke.io/gcp-service-account"],
		"the ServiceAccount names its Google service account for Workload Identity")

	cj := m.cronJob.Spec
	checkSchedule(t, cj)
	require.Equal(t, batchv1.ForbidConcurrent, cj.ConcurrencyPolicy)
	job := cj.JobTemplate.Spec
	require.NotNil(t, job.BackoffLimit)
	require.NotNil(t, job.ActiveDeadlineSeconds)
	require.Positive(t, *job.ActiveDeadlineSeconds)

	pod := job.Template.Spec
	require.Equal(t, corev1.RestartPolicyNever, pod.RestartPolicy)
	require.Equal(t, m.serviceAccount.Name, pod.ServiceAccountName)
	checkNoKubernetesToken(t, pod)
	checkFailurePolicy(t, job)
	require.Len(t, pod.Containers, 1)
	require.Empty(t, pod.InitContainers)
	require.False(t, pod.HostNetwork || pod.HostPID || pod.HostIPC)
	psc := pod.SecurityContext
	require.NotNil(t, psc)
	require.NotNil(t, psc.RunAsNonRoot)
	require.True(t, *psc.RunAsNonRoot)
	require.NotNil(t, psc.SeccompProfile)
	require.Equal(t, corev1.SeccompProfileTypeRuntimeDefault, psc.SeccompProfile.Type)

	c := pod.Containers[0]
	checkContainerSecurity(t, c, psc)
	checkResources(t, c.Resources)
	require.Regexp(t, `^[a-z0-9.-]+(:[0-9]+)?/[a-z0-9._/-]+:[A-Za-z0-9._-]+$`, c.Image,
		"the image is a registry path with a tag")
	require.NotRegexp(t, `:latest$`, c.Image)
	checkArgs(t, c, m.configMap)
}

// checkSchedule parses the schedule as the CronJob controller does (robfig/cron's
// standard parser) and checks that the deadlines fit in one interval.
func checkSchedule(t *testing.T, cj batchv1.CronJobSpec) {
	t.Helper()
	spec := cj.Schedule
	if cj.TimeZone != nil {
		_, err := time.LoadLocation(*cj.TimeZone)
		require.NoError(t, err, "timeZone %q", *cj.TimeZone)
		spec = "CRON_TZ=" + *cj.TimeZone + " " + spec
	}
	sched, err := cron.ParseStandard(spec)
	require.NoError(t, err, "schedule %q", spec)

	// The shortest interval over a week of runs.
	at := time.Date(2026, 1, 5, 0, 0, 0, 0, time.UTC)
	interval := time.Duration(1<<63 - 1)
	for end := at.AddDate(0, 0, 7); at.Before(end); {
		next := sched.Next(at)
		if d := sched.Next(next).Sub(next); d < interval {
			interval = d
		}
		at = next
	}
	job := cj.JobTemplate.Spec
	require.NotNil(t, cj.StartingDeadlineSeconds)
	require.Positive(t, *cj.StartingDeadlineSeconds)
	require.Less(t, time.Duration(*cj.StartingDeadlineSeconds)*time.Second, interval,
		"startingDeadlineSeconds is shorter than the interval between runs")
	require.NotNil(t, job.ActiveDeadlineSeconds)
	require.Less(t, time.Duration(*job.ActiveDeadlineSeconds)*time.Second, interval,
		"a run is stopped before the next one is due (concurrencyPolicy Forbid would skip it)")
}

// checkNoKubernetesToken: the pod mounts no Kubernetes token. Workload
// Identity answers through the GKE metadata server, which knows the pod by
// its address; ssh-pruner calls no Kubernetes API; and the namespace of
// the log entries' k8s_container resource, which cloudlog would otherwise
// read beside the token, comes from the downward API.
func checkNoKubernetesToken(t *testing.T, pod corev1.PodSpec) {
	t.Helper()
	require.NotNil(t, pod.AutomountServiceAccountToken, "automountServiceAccountToken is set")
	require.False(t, *pod.AutomountServiceAccountToken, "no Kubernetes token in the pod")
	for _, v := range pod.Volumes {
		require.Nil(t, v.Secret, "volume %s: no secret", v.Name)
		if v.Projected != nil {
			for _, src := range v.Projected.Sources {
				require.Nil(t, src.ServiceAccountToken, "volume %s: no projected token", v.Name)
			}
		}
	}
	namespace := false
	for _, e := range pod.Containers[0].Env {
		if e.Name == "POD_NAMESPACE" && e.ValueFrom != nil && e.ValueFrom.FieldRef != nil {
			namespace = e.ValueFrom.FieldRef.FieldPath == "metadata.namespace"
		}
	}
	require.True(t, namespace, "POD_NAMESPACE from the downward API: the token's mount does not give it")
}

// checkFailurePolicy: the Job fails at once when the container exits 2, a
// usage or configuration error that a retry repeats; exit 1, and a kill,
// are counted against backoffLimit, which allows a retry. The CronJob does
// not ask for exit 3 (changes found), which would count as a failure.
func checkFailurePolicy(t *testing.T, job batchv1.JobSpec) {
	t.Helper()
	pod := job.Template.Spec
	require.NotNil(t, job.PodFailurePolicy, "a podFailurePolicy")
	require.Equal(t, corev1.RestartPolicyNever, pod.RestartPolicy, "podFailurePolicy takes restartPolicy Never only")
	require.NotNil(t, job.BackoffLimit)
	require.GreaterOrEqual(t, *job.BackoffLimit, int32(1), "a failed run is retried")
	c := pod.Containers[0]
	require.Equal(t, batchv1.PodFailurePolicyActionFailJob, failureAction(t, job.PodFailurePolicy, c.Name, 2), "exit 2 fails the Job")
	for _, code := range []int32{1, 137} {
		a := failureAction(t, job.PodFailurePolicy, c.Name, code)
		require.True(t, a == "" || a == batchv1.PodFailurePolicyActionCount, "exit %d is counted against backoffLimit, not %s", code, a)
	}
	require.NotContains(t, c.Args, "--exit-code-on-changes")
	for _, e := range c.Env {
		require.NotEqual(t, "SSH_PRUNER_EXIT_CODE_ON_CHANGES", e.Name)
	}
}

// failureAction is what the Job controller does when container exits with
// code: the action of the first rule that matches, "" when none does.
func failureAction(t *testing.T, p *batchv1.PodFailurePolicy, container string, code int32) batchv1.PodFailurePolicyAction {
	t.Helper()
	for i, r := range p.Rules {
		e := r.OnExitCodes
		require.NotNil(t, e, "rule %d: on exit codes, the kind this test reads", i)
		require.Empty(t, r.OnPodConditions, "rule %d", i)
		require.NotNil(t, e.ContainerName, "rule %d names its container", i)
		require.Equal(t, container, *e.ContainerName, "rule %d: the container", i)
		in := slices.Contains(e.Values, code)
		switch e.Operator {
		case batchv1.PodFailurePolicyOnExitCodesOpIn:
			if in {
				return r.Action
			}
		case batchv1.PodFailurePolicyOnExitCodesOpNotIn:
			if !in {
				return r.Action
			}
		default:
			t.Fatalf("rule %d: operator %q", i, e.Operator)
		}
	}
	return ""
}

func checkContainerSecurity(t *testing.T, c corev1.Container, pod *corev1.PodSecurityContext) {
	t.Helper()
	sc := c.SecurityContext
	require.NotNil(t, sc, "container %s has a securityContext", c.Name)
	require.NotNil(t, sc.AllowPrivilegeEscalation)
	require.False(t, *sc.AllowPrivilegeEscalation)
	require.NotNil(t, sc.ReadOnlyRootFilesystem)
	require.True(t, *sc.ReadOnlyRootFilesystem)
	if sc.Privileged != nil {
		require.False(t, *sc.Privileged)
	}
	if sc.RunAsNonRoot != nil {
		require.True(t, *sc.RunAsNonRoot)
	}
	for _, uid := range []*int64{sc.RunAsUser, pod.RunAsUser} {
		if uid != nil {
			require.NotZero(t, *uid, "runs as a user other than root")
		}
	}
	require.NotNil(t, sc.Capabilities)
	require.Equal(t, []corev1.Capability{"ALL"}, sc.Capabilities.Drop)
	require.Empty(t, sc.Capabilities.Add)
	if sc.SeccompProfile != nil {
		require.Equal(t, corev1.SeccompProfileTypeRuntimeDefault, sc.SeccompProfile.Type)
	}
}

func checkResources(t *testing.T, r corev1.ResourceRequirements) {
	t.Helper()
	for _, name := range []corev1.ResourceName{corev1.ResourceCPU, corev1.ResourceMemory} {
		req, ok := r.Requests[name]
		require.True(t, ok, "requests %s", name)
		limit, ok := r.Limits[name]
		require.True(t, ok, "limits %s", name)
		require.Positive(t, req.Cmp(resource.MustParse("0")), "request of %s", name)
		require.LessOrEqual(t, req.Cmp(limit), 0, "request of %s within its limit", name)
	}
}

// envRef is a $(VAR) reference, expanded by the kubelet from the container's env.
var envRef = regexp.MustCompile(`\$\(([A-Za-z_][A-Za-z0-9_]*)\)`)

// checkArgs checks the command line and the SSH_PRUNER_* environment
// against the flags of ssh-pruner run, as its --help lists them, and the
// environment's ConfigMap references against the ConfigMap.
func checkArgs(t *testing.T, c corev1.Container, cm corev1.ConfigMap) {
	t.Helper()
	args := c.Args
	require.NotEmpty(t, args)
	require.Equal(t, "run", args[0])
	flags, flagEnv := commandFlags(t, args[0])
	env := make(map[string]corev1.EnvVar)
	for _, e := range c.Env {
		env[e.Name] = e
		if ref := e.ValueFrom; ref != nil && ref.ConfigMapKeyRef != nil {
			require.Equal(t, cm.Name, ref.ConfigMapKeyRef.Name, "env %s", e.Name)
			require.Contains(t, cm.Data, ref.ConfigMapKeyRef.Key, "env %s", e.Name)
			require.NotEmpty(t, cm.Data[ref.ConfigMapKeyRef.Key], "env %s", e.Name)
		}
		// SSH_PRUNER_<FLAG> sets a flag: it must be one.
		if strings.HasPrefix(e.Name, "SSH_PRUNER_") {
			require.True(t, flagEnv[e.Name], "env %s sets no flag of ssh-pruner run", e.Name)
		}
	}

	for i, a := range args {
		if name, ok := strings.CutPrefix(a, "--"); ok {
			name, _, _ = strings.Cut(name, "=")
			require.True(t, flags[name], "argument %q is no flag of ssh-pruner run", a)
		}
		for _, m := range envRef.FindAllStringSubmatch(a, -1) {
			require.Contains(t, env, m[1], "argument %d refers to $(%s)", i, m[1])
		}
	}
	require.Equal(t, "both", argAfter(args, "--log-destination"))
	// --policy names a file of the ConfigMap, mounted read-only.
	policy := argAfter(args, "--policy")
	require.NotEmpty(t, policy, "the CronJob runs with the policy of deploy/base/policy.yaml")
	require.Contains(t, cm.Data, "policy.yaml")
	mounted := false
	for _, vm := range c.VolumeMounts {
		if strings.HasPrefix(policy, vm.MountPath+"/") && vm.ReadOnly {
			mounted = true
		}
	}
	require.True(t, mounted, "--policy %s lies in a read-only mount", policy)
	org := argAfter(args, "--organization")
	require.NotEmpty(t, org, "the CronJob prunes an organization")
	if m := envRef.FindStringSubmatch(org); m != nil {
		ref := env[m[1]].ValueFrom
		require.NotNil(t, ref)
		require.NotNil(t, ref.ConfigMapKeyRef)
		org = cm.Data[ref.ConfigMapKeyRef.Key]
	}
	require.Regexp(t, `^[0-9]+$`, org, "organization id")
	require.Contains(t, env, "SSH_PRUNER_LOG_PROJECT", "Cloud Logging needs a project")

	// The grace of the policy needs the state, which lives in Cloud
	// Storage: a pod's files do not outlive the run.
	require.Contains(t, cm.Data["policy.yaml"], "\ngrace: ", "the CronJob's policy gives keys without expiry a grace")
	ref := env["SSH_PRUNER_STATE"].ValueFrom
	require.NotNil(t, ref, "the CronJob keeps its state (SSH_PRUNER_STATE from the ConfigMap)")
	require.NotNil(t, ref.ConfigMapKeyRef)
	loc := cm.Data[ref.ConfigMapKeyRef.Key]
	_, _, err := gcp.ParseGSPrefix(loc)
	require.NoError(t, err, "the state is a prefix in Cloud Storage, as --state takes it: %s", loc)

	// Attribution reads the audit logs through the view that setup.sh
	// makes and lets the pruner read, in the log project.
	ref = env["SSH_PRUNER_AUDIT_LOGS"].ValueFrom
	require.NotNil(t, ref, "the CronJob attributes keys (SSH_PRUNER_AUDIT_LOGS from the ConfigMap)")
	require.NotNil(t, ref.ConfigMapKeyRef)
	require.Equal(t, auditViewName(cm.Data["SSH_PRUNER_LOG_PROJECT"]), cm.Data[ref.ConfigMapKeyRef.Key],
		"--audit-logs names the view of deploy/iam/setup.sh, in the log project")
	require.NotContains(t, args, "--require-attribution", "logs that cannot be read leave attribution unknown; pruning goes on")
}

// stateBucket is the bucket of the CronJob's state, from config.env.
func stateBucket(t *testing.T, m manifests) string {
	t.Helper()
	url := m.configMap.Data["SSH_PRUNER_STATE"]
	bucket, _, ok := strings.Cut(strings.TrimPrefix(url, "gs://"), "/")
	require.True(t, ok, "SSH_PRUNER_STATE %q", url)
	return bucket
}

// argAfter is the value of flag in args, given as "--flag value" or "--flag=value".
func argAfter(args []string, flag string) string {
	for i, a := range args {
		if a == flag && i+1 < len(args) {
			return args[i+1]
		}
		if v, ok := strings.CutPrefix(a, flag+"="); ok {
			return v
		}
	}
	return ""
}
