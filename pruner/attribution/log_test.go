package attribution_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/ssh-pruner/ssh-pruner/pruner/attribution"
)

var t0 = time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)

func at(min int) time.Time { return t0.Add(time.Duration(min) * time.Minute) }

const proj = "projects/p"

func TestWindow(t *testing.T) {
	writes := []attribution.Write{
		{Target: proj, At: at(10), Principal: "alice@example.com", Via: attribution.ViaGcloudSSH, Operation: "op-1"},
		{Target: proj, At: at(20), Principal: "pruner@sec.iam.gserviceaccount.com", Via: attribution.ViaPruner, Operation: "op-own"},
		{Target: proj, At: at(30), Principal: "bob@example.com", Via: attribution.ViaGcloudAddMetadata, Operation: "op-2"},
		{Target: proj, At: at(35), Principal: "alice@example.com", Via: attribution.ViaConsole, Operation: "op-3"},
		{Target: proj + "/zones/z/instances/vm", At: at(40), Principal: "carol@example.com", Via: attribution.ViaOther, Operation: "op-4"},
	}
	log := attribution.NewLog(writes, at(0), at(60))
	own := func(op string) bool { return op == "op-own" }
	for _, c := range []struct {
		name          string
		target        string
		after, until  time.Time
		want          attribution.Result
		wantWhyPrefix string
	}{
		{name: "one writer", target: proj, after: at(0), until: at(15),
			want: attribution.Result{Attribution: attribution.Window, AddedBy: "alice@example.com", AddedAt: at(10), AddedVia: attribution.ViaGcloudSSH}},
		{name: "the pruner's own write is no candidate", target: proj, after: at(15), until: at(25),
			want: attribution.Result{Attribution: attribution.Unknown}, wantWhyPrefix: "no write of ssh-keys"},
		{name: "own write beside one writer", target: proj, after: at(15), until: at(32),
			want: attribution.Result{Attribution: attribution.Window, AddedBy: "bob@example.com", AddedAt: at(30), AddedVia: attribution.ViaGcloudAddMetadata}},
		{name: "two writers", target: proj, after: at(0), until: at(40),
			want: attribution.Result{Attribution: attribution.Ambiguous, Candidates: []string{"alice@example.com", "bob@example.com"}}},
		{name: "a write at after is before the window", target: proj, after: at(10), until: at(20),
			want: attribution.Result{Attribution: attribution.Unknown}, wantWhyPrefix: "no write"},
		{name: "a write at until is in it", target: proj, after: at(25), until: at(30),
			want: attribution.Result{Attribution: attribution.Window, AddedBy: "bob@example.com", AddedAt: at(30), AddedVia: attribution.ViaGcloudAddMetadata}},
		{name: "instance writes are the instance's", target: proj + "/zones/z/instances/vm", after: at(0), until: at(60),
			want: attribution.Result{Attribution: attribution.Window, AddedBy: "carol@example.com", AddedAt: at(40), AddedVia: attribution.ViaOther}},
		{name: "no earlier read", target: proj, until: at(15),
			want: attribution.Result{Attribution: attribution.Unknown}, wantWhyPrefix: "no earlier read"},
		{name: "window before the logs", target: proj, after: at(-5), until: at(15),
			want: attribution.Result{Attribution: attribution.Unknown}, wantWhyPrefix: "the window starts"},
		{name: "window past the logs", target: proj, after: at(0), until: at(61),
			want: attribution.Result{Attribution: attribution.Pending}, wantWhyPrefix: "the logs read end"},
	} {
		t.Run(c.name, func(t *testing.T) {
			got := log.Window(c.target, c.after, c.until, own)
			require.Regexp(t, "^"+c.wantWhyPrefix, got.Why)
			got.Why = ""
			require.Equal(t, c.want, got)
			require.Equal(t, c.want.Attribution != attribution.Pending, got.Settled())
		})
	}
}

func TestBackfill(t *testing.T) {
	log := attribution.NewLog([]attribution.Write{
		{Target: proj, At: at(10), Principal: "alice@example.com", Via: attribution.ViaTerraform, Operation: "op-1"},
		{Target: proj, At: at(20), Principal: "alice@example.com", Via: attribution.ViaGcloudSSH, Operation: "op-2"},
		{Target: "projects/q", At: at(20), Principal: "alice@example.com", Operation: "op-3"},
		{Target: "projects/q", At: at(25), Principal: "bob@example.com", Operation: "op-4"},
	}, at(0), at(60))
	got := log.Backfill(proj, at(0), at(50), nil)
	require.Equal(t, attribution.Result{Attribution: attribution.OnlyWriter, AddedBy: "alice@example.com", AddedAt: at(10), AddedVia: attribution.ViaTerraform}, got)
	got = log.Backfill("projects/q", at(0), at(50), nil)
	require.Equal(t, attribution.Ambiguous, got.Attribution)
	require.Equal(t, []string{"alice@example.com", "bob@example.com"}, got.Candidates)
	got = log.Backfill("projects/r", at(0), at(50), nil)
	require.Equal(t, attribution.Unknown, got.Attribution)
	require.Contains(t, got.Why, "in the lookback")
	require.Equal(t, attribution.Unknown, log.Backfill(proj, at(-1), at(50), nil).Attribution)
}

func TestLogAddMergesSpans(t *testing.T) {
	log := attribution.NewLog([]attribution.Write{{Target: proj, At: at(30), Principal: "a@x", Operation: "op-1"}}, at(20), at(40))
	// An older span, then a newer one that repeats an operation.
	log.Add([]attribution.Write{{Target: proj, At: at(5), Principal: "b@x", Operation: "op-0"}}, at(0), at(20))
	log.Add([]attribution.Write{{Target: proj, At: at(30), Principal: "a@x", Operation: "op-1"}, {Target: proj, At: at(50), Principal: "c@x", Operation: "op-2"}}, at(25), at(60))
	require.Equal(t, at(0), log.From)
	require.Equal(t, at(60), log.To)
	require.Equal(t, 3, log.Writes())
	got := log.Window(proj, at(0), at(60), nil)
	require.Equal(t, []string{"a@x", "b@x", "c@x"}, got.Candidates)
}

func TestCandidatesBounded(t *testing.T) {
	var ws []attribution.Write
	for i := range attribution.MaxCandidates + 5 {
		ws = append(ws, attribution.Write{Target: proj, At: at(i + 1), Principal: string(rune('a'+i)) + "@x"})
	}
	got := attribution.NewLog(ws, at(0), at(60)).Window(proj, at(0), at(60), nil)
	require.Len(t, got.Candidates, attribution.MaxCandidates)
	require.Contains(t, got.Why, "15 principals")
}

func TestVia(t *testing.T) {
	for ua, want := range map[string]string{
		"google-cloud-sdk gcloud/528.0.0 command/gcloud.compute.ssh invocation-id/1 environment/None":             attribution.ViaGcloudSSH,
		"google-cloud-sdk gcloud/528.0.0 command/gcloud.compute.project-info.add-metadata invocation-id/2":        attribution.ViaGcloudAddMetadata,
		"google-cloud-sdk gcloud/528.0.0 command/gcloud.compute.instances.add-metadata,gzip(gfe)":                 attribution.ViaGcloudAddMetadata,
		"Terraform/1.9.0 (+https://www.terraform.io) Terraform-Plugin-SDK/2.10.1 terraform-provider-google/6.0.0": attribution.ViaTerraform,
		"Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36,gzip(gfe)":                                            attribution.ViaConsole,
		"ssh-pruner/v1.2.3 google-api-go-client/0.5":                                                              attribution.ViaPruner,
		"google-cloud-sdk gcloud/528.0.0 command/gcloud.compute.instances.create":                                 attribution.ViaOther,
		"": attribution.ViaOther,
	} {
		require.Equal(t, want, attribution.Via(ua), ua)
	}
}

func TestClaimsOther(t *testing.T) {
	for _, c := range []struct {
		username, googleUserName, principal string
		claimed                             string
		other                               bool
	}{
		{"alice", "", "alice@example.com", "alice", false},
		{"Alice_Smith", "", "alice.smith@example.com", "Alice_Smith", false},
		{"alice", "", "mallory@example.com", "alice", true},
		{"root", "", "mallory@example.com", "root", true},
		{"alice", "alice@example.com", "alice@example.com", "alice@example.com", false},
		{"mallory", "ALICE@example.com", "alice@example.com", "ALICE@example.com", false},
		{"alice", "alice@example.com", "mallory@example.com", "alice@example.com", true},
		{"", "", "mallory@example.com", "", false},
		{"alice", "", "", "", false},
	} {
		claimed, other := attribution.ClaimsOther(c.username, c.googleUserName, c.principal)
		require.Equal(t, c.claimed, claimed, c)
		require.Equal(t, c.other, other, c)
	}
}
