package main

import (
	"crypto/ed25519"
	"crypto/rand"
	"encoding/pem"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"golang.org/x/crypto/ssh"

	compute "google.golang.org/api/compute/v1"
	"google.golang.org/api/option"

	"github.com/ssh-pruner/ssh-pruner/gcp"
	"github.com/ssh-pruner/ssh-pruner/pruner"
	"github.com/ssh-pruner/ssh-pruner/pruner/plan"
)

// sshStub stands in for ssh, scp and ssh-keygen, which gcloud compute ssh
// requires on PATH: ssh records its arguments, one call a line, and
// succeeds, so that gcloud's wait for the key to propagate and its
// session end at once; the others must not be called, as the key exists.
const sshStub = `#!/bin/sh
case "$(basename "$0")" in
ssh) printf '%s\n' "$*" >>"$SSH_STUB_LOG"; exit 0 ;;
*) echo "stub $0 called: $*" >&2; exit 1 ;;
esac
`

// TestGcloudSSH runs the installed gcloud compute ssh against gcp-fake,
// with ssh stubbed, and shows where it writes the user's key: to the
// project's ssh-keys for an instance that takes project keys, as a
// google-ssh entry with --ssh-key-expire-after, and to the instance's own
// ssh-keys where block-project-ssh-keys is set. It connects to the
// instance's natIP. With --dry-run gcloud prints the ssh command but
// writes no key: it returns before it adds one. Then ssh-pruner prunes
// what gcloud wrote.
func TestGcloudSSH(t *testing.T) {
	gcloudPath, ctx := installedGcloud(t, 60*time.Second)
	url, log := startBinary(t, "--listen", "127.0.0.1:0", "--operation-polls", "1")

	dir := t.TempDir()
	bin := filepath.Join(dir, "bin")
	require.NoError(t, os.Mkdir(bin, 0o755))
	for _, name := range []string{"ssh", "scp", "ssh-keygen"} {
		require.NoError(t, os.WriteFile(filepath.Join(bin, name), []byte(sshStub), 0o755))
	}
	sshLog := filepath.Join(dir, "ssh.log")
	gcloud := gcloudRunner(t, ctx, gcloudPath,
		"PATH="+bin+string(os.PathListSeparator)+os.Getenv("PATH"),
		"HOME="+filepath.Join(dir, "home"), // ~/.ssh/google_compute_known_hosts
		"SSH_STUB_LOG="+sshLog,
		"CLOUDSDK_API_ENDPOINT_OVERRIDES_COMPUTE="+url+"/compute/v1/",
		"CLOUDSDK_AUTH_DISABLE_CREDENTIALS=true",
		"CLOUDSDK_CORE_PROJECT=api-prod-7f3a",
	)
	goClient, err := compute.NewService(ctx, option.WithEndpoint(url+"/compute/v1/"), option.WithoutAuthentication())
	require.NoError(t, err)
	projectKeys := func(project string) []string {
		p, err := goClient.Projects.Get(project).Context(ctx).Do()
		require.NoError(t, err)
		return lines(value(p.CommonInstanceMetadata, "ssh-keys"))
	}
	instance := func(project, zone, name string) *compute.Instance {
		in, err := goClient.Instances.Get(project, zone, name).Context(ctx).Do()
		require.NoError(t, err)
		return in
	}
	sshCalls := func() []string {
		data, err := os.ReadFile(sshLog)
		if os.IsNotExist(err) {
			return nil
		}
		require.NoError(t, err)
		return lines(string(data))
	}

	t.Run("dry run writes nothing", func(t *testing.T) {
		key, _ := newKey(t, dir, "dry")
		before := instance("api-prod-7f3a", "europe-west1-d", "api-1")
		out := gcloud("compute", "ssh", "tester@api-1", "--zone", "europe-west1-d", "--project", "api-prod-7f3a",
			"--ssh-key-file", key, "--quiet", "--dry-run")
		natIP := natIPOf(t, before)
		require.Contains(t, out, "tester@"+natIP+"\n")
		require.NotContains(t, out, "ProxyCommand", "with an external address, no IAP tunnel")
		require.Contains(t, out, "HostKeyAlias=compute.5521904837261049382", "gcloud names the host by instance id")
		require.NotContains(t, log.String(), "setCommonInstanceMetadata")
		require.Empty(t, sshCalls())
	})

	const keyUser = "tester"
	tests := []struct {
		name                    string
		project, zone, instance string
		flags                   []string
		// inInstance: the key lands in the instance's ssh-keys, not the project's.
		inInstance bool
		entry      func(pub string) *regexp.Regexp
		write      string // the write gcloud makes, in the fake's log
	}{
		{
			name: "project keys", project: "api-prod-7f3a", zone: "europe-west1-d", instance: "api-1",
			entry: func(pub string) *regexp.Regexp {
				return regexp.MustCompile("^" + regexp.QuoteMeta(keyUser+":"+pub+" "+keyUser) + "$")
			},
			write: "/compute/v1/projects/api-prod-7f3a/setCommonInstanceMetadata",
		},
		{
			name: "expiring key", project: "api-prod-7f3a", zone: "europe-west1-d", instance: "api-1",
			flags: []string{"--ssh-key-expire-after", "1h"},
			entry: func(pub string) *regexp.Regexp {
				return regexp.MustCompile("^" + regexp.QuoteMeta(keyUser+":"+pub+` google-ssh {"userName":"`+keyUser+`","expireOn":"`) +
					`(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+0000)"}$`)
			},
			write: "/compute/v1/projects/api-prod-7f3a/setCommonInstanceMetadata",
		},
		{
			name: "blocked project keys", project: "web-prod-eu", zone: "europe-west1-b", instance: "web-eu-1", inInstance: true,
			entry: func(pub string) *regexp.Regexp {
				return regexp.MustCompile("^" + regexp.QuoteMeta(keyUser+":"+pub+" "+keyUser) + "$")
			},
			write: "/compute/v1/projects/web-prod-eu/zones/europe-west1-b/instances/web-eu-1/setMetadata",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			key, pub := newKey(t, dir, strings.ReplaceAll(tt.name, " ", "-"))
			before := instance(tt.project, tt.zone, tt.instance)
			projectBefore := projectKeys(tt.project)
			calls := len(sshCalls())
			started := time.Now()

			args := append([]string{"compute", "ssh", keyUser + "@" + tt.instance, "--zone", tt.zone, "--project", tt.project,
				"--ssh-key-file", key, "--quiet"}, tt.flags...)
			gcloud(args...)

			after := instance(tt.project, tt.zone, tt.instance)
			got, unchanged := projectKeys(tt.project), lines(value(after.Metadata, "ssh-keys"))
			if tt.inInstance {
				got, unchanged = unchanged, got
				require.Equal(t, projectBefore, unchanged, "the project's keys are left alone")
			} else {
				require.Equal(t, before.Metadata.Fingerprint, after.Metadata.Fingerprint, "the instance's metadata is left alone")
			}
			re := tt.entry(pub)
			var found []string
			for _, l := range got {
				if m := re.FindStringSubmatch(l); m != nil {
					found = m
				}
			}
			require.NotNil(t, found, "no entry matching %s in:\n%s", re, strings.Join(got, "\n"))
			if len(found) > 1 { // an expiry
				expireOn, err := time.Parse("2006-01-02T15:04:05-0700", found[1])
				require.NoError(t, err)
				require.WithinRange(t, expireOn, started.Add(59*time.Minute), time.Now().Add(61*time.Minute))
			}
			require.Contains(t, log.String(), `path="`+tt.write+`?alt=json" status=200`)

			// gcloud waits for the key to propagate (ssh ... -- :), then
			// connects; both to nic0's external address.
			natIP := natIPOf(t, after)
			newCalls := sshCalls()[calls:]
			require.Len(t, newCalls, 2, "ssh calls: %q", newCalls)
			require.True(t, strings.HasSuffix(newCalls[0], " "+keyUser+"@"+natIP+" -- :"), newCalls[0])
			require.True(t, strings.HasSuffix(newCalls[1], " "+keyUser+"@"+natIP), newCalls[1])
			for _, c := range newCalls {
				require.Contains(t, c, "-i "+key)
				require.NotContains(t, c, "ProxyCommand", "with an external address, no IAP tunnel")
			}
		})
	}
	require.Regexp(t, `path="/compute/v1/projects/web-prod-eu/zones/europe-west1-b/operations/operation-[-0-9a-f]+/wait\?alt=json" status=200`,
		log.String(), "gcloud waited for the instance's operation")

	// Then ssh-pruner, through Google's clients, on what gcloud wrote: the
	// keys without expiry go, from the project and from the VM; the
	// expiring one stays. The clock is the real one, as gcloud's was.
	t.Run("then prune", func(t *testing.T) {
		// Our own transport, closed at the end, so that the fake's
		// graceful stop does not wait on this client's spare connections.
		tr := &http.Transport{}
		defer tr.CloseIdleConnections()
		c, err := gcp.New(ctx, gcp.Options{Endpoint: url, HTTPClient: &http.Client{Transport: tr}})
		require.NoError(t, err)
		policy, err := plan.NewPolicy(nil, false)
		require.NoError(t, err)
		r := &pruner.Reconciler{Lister: c, Store: c, Instances: c, Policy: policy, Apply: true,
			Now: time.Now, Concurrency: 4, MaxAttempts: 3, RunID: "gcloud"}
		rep, err := r.Run(ctx, pruner.Scope{Projects: []string{"api-prod-7f3a", "web-prod-eu"}})
		require.NoError(t, err)
		require.True(t, rep.OK(), rep.Summary())
		var testerKeys []string
		for _, l := range projectKeys("api-prod-7f3a") {
			if strings.HasPrefix(l, keyUser+":") {
				testerKeys = append(testerKeys, l)
			}
		}
		require.Len(t, testerKeys, 1, "of gcloud's two project keys only the expiring one stays: %q", testerKeys)
		require.Contains(t, testerKeys[0], "google-ssh")
		for _, l := range lines(value(instance("web-prod-eu", "europe-west1-b", "web-eu-1").Metadata, "ssh-keys")) {
			require.False(t, strings.HasPrefix(l, keyUser+":"), "gcloud's instance key without expiry is pruned: %s", l)
		}
	})
}

// natIPOf is the external address of an instance's nic0; without one,
// gcloud would quietly tunnel through IAP instead.
func natIPOf(t *testing.T, in *compute.Instance) string {
	t.Helper()
	require.NotEmpty(t, in.NetworkInterfaces)
	require.NotEmpty(t, in.NetworkInterfaces[0].AccessConfigs)
	ip := in.NetworkInterfaces[0].AccessConfigs[0].NatIP
	require.NotEmpty(t, ip, "instance %s has no natIP", in.Name)
	return ip
}

// newKey writes an ed25519 key pair for gcloud's --ssh-key-file, with
// the comment "tester", and returns the private key's path and the
// public key as "ssh-ed25519 AAAA...".
func newKey(t *testing.T, dir, name string) (path, pub string) {
	t.Helper()
	pk, sk, err := ed25519.GenerateKey(rand.Reader)
	require.NoError(t, err)
	block, err := ssh.MarshalPrivateKey(sk, "tester")
	require.NoError(t, err)
	path = filepath.Join(dir, name)
	require.NoError(t, os.WriteFile(path, pem.EncodeToMemory(block), 0o600))
	sshPub, err := ssh.NewPublicKey(pk)
	require.NoError(t, err)
	pub = strings.TrimSpace(string(ssh.MarshalAuthorizedKey(sshPub)))
	require.NoError(t, os.WriteFile(path+".pub", []byte(pub+" tester\n"), 0o644))
	return path, pub
}

func lines(s string) []string {
	var out []string
	for _, l := range strings.Split(s, "\n") {
		if l = strings.TrimSpace(l); l != "" {
			out = append(out, l)
		}
	}
	return out
}
