package main

import (
	"context"
	"crypto/ed25519"
	"encoding/json"
	"net/http/httptest"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"golang.org/x/crypto/ssh"
	"golang.org/x/oauth2"
	compute "google.golang.org/api/compute/v1"
	"google.golang.org/api/option"

	sshpruner "github.com/ssh-pruner/ssh-pruner"
	"github.com/ssh-pruner/ssh-pruner/gcp/gcpfake"
	"github.com/ssh-pruner/ssh-pruner/keyparse"
	"github.com/ssh-pruner/ssh-pruner/pruner/attribution"
	"github.com/ssh-pruner/ssh-pruner/pruner/plan"
	"github.com/ssh-pruner/ssh-pruner/pruner/report"
)

// auditView is the log view of the demo organization's aggregated sink.
const auditView = "projects/sec-audit-logs-2a7c/locations/global/buckets/org-audit/views/_AllLogs"

// User agents as the clients send them.
const (
	uaGcloudSSH   = "google-cloud-sdk gcloud/528.0.0 command/gcloud.compute.ssh invocation-id/0b7c environment/None environment-version/None client-os/LINUX"
	uaAddMetadata = "google-cloud-sdk gcloud/528.0.0 command/gcloud.compute.project-info.add-metadata invocation-id/1c8d"
	uaConsole     = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0 Safari/537.36,gzip(gfe)"
)

// wallFake serves the demo organization on the wall clock, so that its
// audit log's entries are stamped as the writes happen, with mallory as
// one more principal.
func wallFake(t *testing.T) (*gcpfake.Fake, string) {
	t.Helper()
	seed, err := gcpfake.ParseSeed(sshpruner.DemoOrganization)
	require.NoError(t, err)
	seed.Clock = time.Time{}
	seed.Principals["mallory-token"] = gcpfake.Principal{Email: "mallory@example.com"}
	f, err := gcpfake.New(seed)
	require.NoError(t, err)
	srv := httptest.NewServer(f)
	t.Cleanup(srv.Close)
	return f, srv.URL
}

// newKeyLine is a key line of a fresh key, and its fingerprint.
func newKeyLine(t *testing.T, user string) (line, fp string) {
	t.Helper()
	pub, _, err := ed25519.GenerateKey(nil)
	require.NoError(t, err)
	sp, err := ssh.NewPublicKey(pub)
	require.NoError(t, err)
	line = user + ":" + strings.TrimSpace(string(ssh.MarshalAuthorizedKey(sp))) + " " + user
	return line, keyparse.Parse(line)[0].Fingerprint
}

// writeAs adds a key line to a project's (or, with zone and name, a
// VM's) ssh-keys through the Compute API, as the principal of token
// calling with userAgent.
func writeAs(t *testing.T, url, token, userAgent, project, zone, name, line string) {
	t.Helper()
	ctx := context.Background()
	c, err := compute.NewService(ctx, option.WithEndpoint(url+"/compute/v1/"), option.WithUserAgent(userAgent),
		option.WithTokenSource(oauth2.StaticTokenSource(&oauth2.Token{AccessToken: token})))
	require.NoError(t, err)
	require.NoError(t, appendKeyLineVia(ctx, c, project, zone, name, line))
}

// appendKeyLineVia appends a line to a project's (or, with zone and
// name, a VM's) ssh-keys with c, as gcloud does: read, write over the
// fingerprint read, wait for the operation.
func appendKeyLineVia(ctx context.Context, c *compute.Service, project, zone, name, line string) error {
	add := func(md *compute.Metadata) *compute.Metadata {
		for _, it := range md.Items {
			if it.Key == "ssh-keys" {
				v := *it.Value + "\n" + line
				it.Value = &v
				return md
			}
		}
		md.Items = append(md.Items, &compute.MetadataItems{Key: "ssh-keys", Value: &line})
		return md
	}
	if zone == "" {
		p, err := c.Projects.Get(project).Context(ctx).Do()
		if err != nil {
			return err
		}
		op, err := c.Projects.SetCommonInstanceMetadata(project, add(p.CommonInstanceMetadata)).Context(ctx).Do()
		if err != nil {
			return err
		}
		_, err = c.GlobalOperations.Wait(project, op.Name).Context(ctx).Do()
		return err
	}
	in, err := c.Instances.Get(project, zone, name).Context(ctx).Do()
	if err != nil {
		return err
	}
	op, err := c.Instances.SetMetadata(project, zone, name, add(in.Metadata)).Context(ctx).Do()
	if err != nil {
		return err
	}
	_, err = c.ZoneOperations.Wait(project, zone, op.Name).Context(ctx).Do()
	return err
}

// decisionOf finds the decision of a key on a target of the report.
func decisionOf(t *testing.T, rep report.Report, target, fp string) plan.Decision {
	t.Helper()
	for _, p := range rep.Projects {
		for _, tr := range append([]report.TargetReport{p.TargetReport}, p.Instances...) {
			if tr.Target.String() != target {
				continue
			}
			for _, d := range tr.Decisions {
				if d.Fingerprint == fp {
					return d
				}
			}
		}
	}
	t.Fatalf("no decision of %s on %s", fp, target)
	return plan.Decision{}
}

// TestRunAttributesKeys: runs with --state and --audit-logs against the
// fake, with keys written between them by principals calling with their
// own tokens, through Google's Compute client. Each key is attributed to
// the principal that wrote it, with the client its user agent names; two
// writers between two runs make both keys ambiguous; a key named alice
// written by mallory raises the claim; the pruner's own writes (--apply
// removes keys between the runs) are never a candidate.
func TestRunAttributesKeys(t *testing.T) {
	clearEnv(t)
	_, url := wallFake(t)
	dir := filepath.Join(t.TempDir(), "state") + "/"
	run := func(extra ...string) (report.Report, string) {
		t.Helper()
		args := append([]string{"run", "--organization", demoOrg, "--api-endpoint", url, "--qps", "0", "--grace", "24h",
			"--state", dir, "--audit-logs", auditView, "--audit-log-delay", "0", "--output", "json"}, extra...)
		out, errOut, code := cli(t, context.Background(), nil, args...)
		require.Contains(t, []int{0, 3}, code, errOut)
		var rep report.Report
		require.NoError(t, json.Unmarshal([]byte(out), &rep), out)
		require.NotNil(t, rep.Attribution)
		require.Empty(t, rep.Attribution.Error)
		return rep, errOut
	}
	const project, zone, vm = "web-prod-eu", "europe-west1-b", "web-eu-1"
	projectTarget := "projects/" + project
	vmTarget := projectTarget + "/zones/" + zone + "/instances/" + vm

	// The first run finds the demo's keys on targets it never read: no
	// window, unknown. It applies, so its own writes are in the next
	// window.
	rep, _ := run("--apply")
	require.Greater(t, rep.Totals.Changed+rep.Totals.Instances.Changed, 0, "the pruner wrote: its operations are in the log")
	require.Greater(t, rep.Attribution.Unknown, 0)
	require.Zero(t, rep.Attribution.Attributed)
	require.Zero(t, rep.Attribution.Queries, "no window, nothing to read")

	// alice adds a key with gcloud compute ssh, and one to a VM.
	aliceLine, aliceFP := newKeyLine(t, "alice")
	writeAs(t, url, "alice-token", uaGcloudSSH, project, "", "", aliceLine)
	aliceVMLine, aliceVMFP := newKeyLine(t, "alice")
	writeAs(t, url, "alice-token", uaConsole, project, zone, vm, aliceVMLine)
	rep, errOut := run("--apply")
	d := decisionOf(t, rep, projectTarget, aliceFP)
	require.Equal(t, attribution.Window, d.Attribution, d.AttributionWhy)
	require.Equal(t, "alice@example.com", d.AddedBy)
	require.Equal(t, attribution.ViaGcloudSSH, d.AddedVia)
	require.NotEmpty(t, d.AddedAt)
	d = decisionOf(t, rep, vmTarget, aliceVMFP)
	require.Equal(t, attribution.Window, d.Attribution, d.AttributionWhy)
	require.Equal(t, "alice@example.com", d.AddedBy)
	require.Equal(t, attribution.ViaConsole, d.AddedVia)
	require.Equal(t, 2, rep.Attribution.Attributed)
	require.Equal(t, 2, rep.Attribution.Queries, "one query, and one for the newer entries when the VM, read after it, needed them")
	require.Contains(t, errOut, `"event":"key-appeared"`)
	require.Contains(t, errOut, `"addedBy":"alice@example.com"`)
	require.NotContains(t, errOut, "claim-mismatch", "alice named herself")

	// bob adds a key with add-metadata: bob's, though the pruner wrote the
	// project in between (its operation is its own).
	bobLine, bobFP := newKeyLine(t, "bob")
	writeAs(t, url, "bob-token", uaAddMetadata, project, "", "", bobLine)
	rep, _ = run()
	d = decisionOf(t, rep, projectTarget, bobFP)
	require.Equal(t, attribution.Window, d.Attribution, d.AttributionWhy)
	require.Equal(t, "bob@example.com", d.AddedBy)
	require.Equal(t, attribution.ViaGcloudAddMetadata, d.AddedVia)
	// alice's key, settled a run ago, keeps who added it.
	require.Equal(t, "alice@example.com", decisionOf(t, rep, projectTarget, aliceFP).AddedBy)
	require.Equal(t, 1, rep.Attribution.Appeared, "each key appears once")

	// Two writers between two runs: both keys are ambiguous, naming both.
	carolLine, carolFP := newKeyLine(t, "carol")
	writeAs(t, url, "alice-token", uaGcloudSSH, project, "", "", carolLine)
	// mallory adds a key that says it is alice's.
	fakeLine, fakeFP := newKeyLine(t, "alice")
	writeAs(t, url, "mallory-token", uaGcloudSSH, project, "", "", fakeLine)
	rep, _ = run()
	for _, fp := range []string{carolFP, fakeFP} {
		d = decisionOf(t, rep, projectTarget, fp)
		require.Equal(t, attribution.Ambiguous, d.Attribution)
		require.Equal(t, "alice@example.com mallory@example.com", d.Candidates)
		require.Empty(t, d.AddedBy)
	}
	require.Equal(t, 2, rep.Attribution.Ambiguous)

	// mallory alone: the claim is raised.
	fake2Line, fake2FP := newKeyLine(t, "alice")
	writeAs(t, url, "mallory-token", uaGcloudSSH, project, zone, vm, fake2Line)
	rep, errOut = run()
	d = decisionOf(t, rep, vmTarget, fake2FP)
	require.Equal(t, "mallory@example.com", d.AddedBy)
	require.Equal(t, 1, rep.Attribution.ClaimMismatches)
	require.Contains(t, errOut, `"event":"claim-mismatch"`)
	require.Contains(t, errOut, "key claims another identity: alice added by mallory@example.com")

	// The text report says who added each key, and what the run found.
	text, errOut, code := cli(t, context.Background(), nil, "run", "--organization", demoOrg, "--api-endpoint", url, "--qps", "0",
		"--grace", "24h", "--state", dir, "--audit-logs", auditView, "--audit-log-delay", "0")
	require.Equal(t, 0, code, errOut)
	require.Contains(t, text, "added by alice@example.com via gcloud compute ssh")
	require.Contains(t, text, "added by bob@example.com via gcloud add-metadata")
	require.Contains(t, text, "added by one of alice@example.com, mallory@example.com")
	require.Contains(t, text, "Attribution: 0 keys appeared: 0 attributed, 0 to the only writer, 0 ambiguous, 0 unknown (audit logs "+auditView)

	// Never the pruner: no key of any run names it.
	for _, p := range rep.Projects {
		for _, tr := range append([]report.TargetReport{p.TargetReport}, p.Instances...) {
			for _, d := range tr.Decisions {
				require.NotContains(t, d.AddedBy+" "+d.Candidates, gcpfake.DefaultPrincipalEmail, "%s %s", tr.Target, d.Fingerprint)
			}
		}
	}
}

// TestRunAttributionFlags: what --audit-logs and its flags refuse, each
// in one line, exit 2, before anything is read.
func TestRunAttributionFlags(t *testing.T) {
	clearEnv(t)
	_, url := wallFake(t)
	dir := filepath.Join(t.TempDir(), "state") + "/"
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"--state", dir, "--audit-logs", "logs/everything"}, `--audit-logs: "logs/everything" is not a log view`},
		{[]string{"--state", dir, "--audit-logs", "projects/p\x1b[31m"}, `--audit-logs: "projects/p\x1b[31m" is not`},
		{[]string{"--audit-logs", auditView}, "--audit-logs needs --state"},
		{[]string{"--state", dir, "--audit-logs", auditView, "--attribution-lookback", "9600h1s"}, "--attribution-lookback 9600h0m1s: want 0 to 9600h0m0s"},
		{[]string{"--state", dir, "--audit-logs", auditView, "--audit-log-delay", "-1s"}, "--audit-log-delay -1s"},
		{[]string{"--state", dir, "--require-attribution"}, "--require-attribution goes with --audit-logs"},
		{[]string{"--state", dir, "--attribution-lookback", "1h"}, "--attribution-lookback goes with --audit-logs"},
	} {
		_, errOut, code := cli(t, context.Background(), nil, append([]string{"run", "--organization", demoOrg, "--api-endpoint", url}, c.args...)...)
		require.Equal(t, 2, code, "%q: %s", c.args, errOut)
		require.Contains(t, errOut, c.want)
		requireCleanLine(t, errOut)
	}
}

// TestRunAttributionLogsUnreadable: logs that cannot be read (403 here)
// leave the new keys unattributed, with the reason, and pruning goes on:
// the run ends as it would, unless --require-attribution makes it exit 1.
// The keys keep their windows, and the next run that can read the logs
// attributes them.
func TestRunAttributionLogsUnreadable(t *testing.T) {
	clearEnv(t)
	_, url := wallFake(t)
	dir := filepath.Join(t.TempDir(), "state") + "/"
	run := func(logs string, extra ...string) (report.Report, string, int) {
		t.Helper()
		args := append([]string{"run", "--project", "web-prod-eu", "--api-endpoint", url, "--qps", "0", "--grace", "24h",
			"--state", dir, "--audit-logs", logs, "--audit-log-delay", "0", "--output", "json"}, extra...)
		out, errOut, code := cli(t, context.Background(), nil, args...)
		var rep report.Report
		require.NoError(t, json.Unmarshal([]byte(out), &rep), out)
		return rep, errOut, code
	}
	const nowhere = "projects/no-such-logs-project"
	_, errOut, code := run(nowhere, "--apply")
	require.Equal(t, 0, code, errOut)

	line, fp := newKeyLine(t, "alice")
	writeAs(t, url, "alice-token", uaGcloudSSH, "web-prod-eu", "", "", line)
	rep, errOut, code := run(nowhere)
	require.Equal(t, 0, code, "pruning goes on: %s", errOut)
	require.Contains(t, rep.Attribution.Error, "HTTP 403")
	d := decisionOf(t, rep, "projects/web-prod-eu", fp)
	require.Equal(t, attribution.Unknown, d.Attribution)
	require.Contains(t, d.AttributionWhy, "audit logs not read")
	require.Equal(t, plan.ReasonGrace, d.Reason, "the key is decided as without attribution")
	require.Contains(t, errOut, `"event":"audit-logs"`)
	require.Equal(t, 1, strings.Count(errOut, `"event":"audit-logs"`), "said once")
	require.NotContains(t, errOut, `"event":"key-appeared"`, "not settled")

	_, errOut, code = run(nowhere, "--require-attribution")
	require.Equal(t, 1, code, errOut)

	rep, errOut, code = run(auditView)
	require.Equal(t, 0, code, errOut)
	require.Empty(t, rep.Attribution.Error)
	d = decisionOf(t, rep, "projects/web-prod-eu", fp)
	require.Equal(t, attribution.Window, d.Attribution, d.AttributionWhy)
	require.Equal(t, "alice@example.com", d.AddedBy)
	require.Contains(t, errOut, `"event":"key-appeared"`)
}

// TestRunAttributionLookback: on a first run, --attribution-lookback
// attributes a key to the only writer of the target's key items in the
// lookback (only-writer); keys with no write there are unknown.
func TestRunAttributionLookback(t *testing.T) {
	clearEnv(t)
	_, url := wallFake(t)
	line, fp := newKeyLine(t, "bob")
	writeAs(t, url, "bob-token", uaAddMetadata, "api-prod-7f3a", "", "", line)
	dir := filepath.Join(t.TempDir(), "state") + "/"
	out, errOut, code := cli(t, context.Background(), nil, "run", "--project", "api-prod-7f3a", "--api-endpoint", url, "--qps", "0",
		"--state", dir, "--audit-logs", auditView, "--audit-log-delay", "0", "--attribution-lookback", "24h", "--output", "json")
	require.Contains(t, []int{0, 3}, code, errOut)
	var rep report.Report
	require.NoError(t, json.Unmarshal([]byte(out), &rep))
	d := decisionOf(t, rep, "projects/api-prod-7f3a", fp)
	require.Equal(t, attribution.OnlyWriter, d.Attribution, d.AttributionWhy)
	require.Equal(t, "bob@example.com", d.AddedBy)
	// Every other key of the project is bob's too, as far as the logs can
	// tell: he is the only writer of the item. That is what only-writer
	// means, and why it is weaker than window.
	require.Greater(t, rep.Attribution.OnlyWriter, 1)
	require.Equal(t, 2, rep.Attribution.Queries, "one, and the newer entries for the VMs listed after it")
	// A VM no one wrote in the lookback: unknown.
	require.Greater(t, rep.Attribution.Unknown, 0)
}

// firstAttributingRun serves the demo organization on the wall clock and
// runs ssh-pruner once on api-prod-7f3a with a state and the audit logs,
// so that keys written after it have a window; it gives the fake's URL,
// the state's directory and the run's arguments.
func firstAttributingRun(t *testing.T) (url, dir string, args []string) {
	t.Helper()
	clearEnv(t)
	_, url = wallFake(t)
	dir = filepath.Join(t.TempDir(), "state") + "/"
	args = []string{"run", "--project", "api-prod-7f3a", "--api-endpoint", url, "--qps", "0", "--grace", "24h",
		"--state", dir, "--audit-logs", auditView, "--audit-log-delay", "0"}
	_, errOut, code := cli(t, context.Background(), nil, args...)
	require.Equal(t, 0, code, errOut)
	return url, dir, args
}

// TestAccessShowsWhoAddedKeys: ssh-pruner access --state shows, for each
// key that opens a VM, the principal a run attributed it to, by VM and by
// identity, and writes nothing to the state.
func TestAccessShowsWhoAddedKeys(t *testing.T) {
	url, dir, args := firstAttributingRun(t)
	line, fp := newKeyLine(t, "alice")
	writeAs(t, url, "mallory-token", uaGcloudSSH, "api-prod-7f3a", "", "", line)
	_, errOut, code := cli(t, context.Background(), nil, args...)
	require.Equal(t, 0, code, errOut)
	before := stateOfDir(t, dir, demoNow)

	out, errOut, code := cli(t, context.Background(), nil, "access", "--project", "api-prod-7f3a", "--api-endpoint", url, "--state", dir, "--by", "vm")
	require.Equal(t, 0, code, errOut)
	require.Regexp(t, `\n  alice +`+regexp.QuoteMeta(fp)+` .* project ssh-keys, added by mallory@example\.com via gcloud compute ssh\n`, out)
	out, _, _ = cli(t, context.Background(), nil, "access", "--project", "api-prod-7f3a", "--api-endpoint", url, "--state", dir)
	require.Contains(t, out, "added by mallory@example.com")
	out, _, _ = cli(t, context.Background(), nil, "access", "--project", "api-prod-7f3a", "--api-endpoint", url, "--state", dir, "--output", "json")
	require.Contains(t, out, `"addedBy": "mallory@example.com"`)
	require.Equal(t, before, stateOfDir(t, dir, demoNow), "access only reads the state")
}

// TestAttributionHostileMetadata: key lines that mallory@ writes to
// deceive whoever reads the outputs (terminal escapes in the username
// and in the google-ssh userName, a key blob where the username goes, a
// username of 200 KiB, an expiry past year 9999) are attributed to her,
// and no output (text and JSON report, the log with its key-appeared and
// claim entries, access by VM and by identity) carries a control
// character or a line longer than a few KiB.
func TestAttributionHostileMetadata(t *testing.T) {
	url, dir, args := firstAttributingRun(t)

	var lines []string
	for _, user := range []string{"\x1b]0;pwned\x07alice", "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOBmW4mj97", strings.Repeat("a", 200<<10)} {
		line, _ := newKeyLine(t, "u")
		lines = append(lines, user+strings.TrimPrefix(line, "u"))
	}
	for _, comment := range []string{
		`google-ssh {"userName":"\u001b[2J\u001b[Halice@example.com","expireOn":"2027-01-01T00:00:00+0000"}`,
		`google-ssh {"userName":"alice@example.com","expireOn":"10000-01-01T00:00:00+0000"}`,
	} {
		line, _ := newKeyLine(t, "alice")
		lines = append(lines, strings.TrimSuffix(line, " alice")+" "+comment)
	}
	writeAs(t, url, "mallory-token", uaGcloudSSH, "api-prod-7f3a", "", "", strings.Join(lines, "\n"))

	var outputs []string
	for _, extra := range [][]string{{"--output", "json"}, {"--log-level", "debug"}} {
		out, errOut, code := cli(t, context.Background(), nil, append(args, extra...)...)
		require.Contains(t, []int{0, 3}, code, errOut)
		outputs = append(outputs, out, errOut)
	}
	require.Equal(t, 5, strings.Count(outputs[1], `"event":"key-appeared"`), "each hostile key attributed")
	require.Contains(t, outputs[1], `"event":"claim-mismatch"`)
	require.Contains(t, outputs[1], `"addedBy":"mallory@example.com"`)
	for _, by := range []string{"vm", "identity"} {
		out, errOut, code := cli(t, context.Background(), nil, "access", "--project", "api-prod-7f3a", "--api-endpoint", url, "--state", dir, "--by", by)
		require.Equal(t, 0, code, errOut)
		require.Contains(t, out, "added by mallory@example.com")
		outputs = append(outputs, out, errOut)
	}
	for i, out := range outputs {
		require.NotRegexp(t, "[\x00-\x08\x0b-\x1f\x7f]", out, "output %d", i)
		for _, l := range strings.Split(out, "\n") {
			require.Less(t, len(l), 64<<10, "output %d: a line of %d bytes", i, len(l))
		}
	}
}
