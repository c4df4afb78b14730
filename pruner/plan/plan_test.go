package plan

import (
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/ssh-pruner/ssh-pruner/keyparse"
)

var update = flag.Bool("update", false, "rewrite golden files")

type planInput struct {
	Now    time.Time `json:"now"`
	Policy struct {
		GoogleManagedUsers      []string `json:"googleManagedUsers"`
		KeepMisplacedGoogleKeys bool     `json:"keepMisplacedGoogleKeys"`
		MaxLifetime             string   `json:"maxLifetime"` // a time.Duration
		Grace                   string   `json:"grace"`       // a time.Duration
		Protected               []struct {
			Name, Username, GoogleUserName, Fingerprint, Item string
			Level                                             Level
			ReportOnly                                        bool
		} `json:"protected"`
	} `json:"policy"`
	Level   Level `json:"level,omitempty"` // project when empty
	Windows bool  `json:"windows,omitempty"`
	// FirstSeen is what the state remembers of the target's keys; a run
	// with a state but no memory of the target has {}.
	FirstSeen map[string]time.Time `json:"firstSeen,omitempty"`
	Metadata  Metadata             `json:"metadata"`
}

func (in planInput) plan() Input {
	level := in.Level
	if level == "" {
		level = LevelProject
	}
	return Input{Level: level, Windows: in.Windows, Metadata: in.Metadata, FirstSeen: in.FirstSeen}
}

func loadPlanInput(t *testing.T, path string) (planInput, Policy) {
	return loadPlanInputF(t, path)
}

func loadPlanInputF(t testing.TB, path string) (planInput, Policy) {
	t.Helper()
	raw, err := os.ReadFile(path)
	require.NoError(t, err)
	var in planInput
	dec := json.NewDecoder(strings.NewReader(string(raw)))
	dec.DisallowUnknownFields()
	require.NoError(t, dec.Decode(&in), path)
	policy, err := NewPolicy(in.Policy.GoogleManagedUsers, in.Policy.KeepMisplacedGoogleKeys)
	require.NoError(t, err)
	if in.Policy.MaxLifetime != "" {
		policy.MaxLifetime, err = time.ParseDuration(in.Policy.MaxLifetime)
		require.NoError(t, err, path)
	}
	if in.Policy.Grace != "" {
		policy.Grace, err = time.ParseDuration(in.Policy.Grace)
		require.NoError(t, err, path)
	}
	for _, r := range in.Policy.Protected {
		p := Protection{Name: r.Name, Fingerprint: r.Fingerprint, Item: r.Item, Level: r.Level, ReportOnly: r.ReportOnly}
		if r.Username != "" {
			p.Username = regexp.MustCompile(r.Username)
		}
		if r.GoogleUserName != "" {
			p.GoogleUserName = regexp.MustCompile(r.GoogleUserName)
		}
		policy.Protected = append(policy.Protected, p)
	}
	return in, policy
}

// TestPlanGolden plans each snapshot in testdata/plan and compares the plan
// with its golden file (go test ./pruner -run TestPlanGolden -update).
func TestPlanGolden(t *testing.T) {
	inputs, err := filepath.Glob("testdata/plan/*.input.json")
	require.NoError(t, err)
	require.NotEmpty(t, inputs)
	for _, path := range inputs {
		name := strings.TrimSuffix(filepath.Base(path), ".input.json")
		t.Run(name, func(t *testing.T) {
			in, policy := loadPlanInput(t, path)
			plan := Make(in.plan(), policy, in.Now)
			got, err := json.MarshalIndent(plan, "", "  ")
			require.NoError(t, err)
			got = append(got, '\n')
			golden := filepath.Join("testdata/plan", name+".golden.json")
			if *update {
				require.NoError(t, os.WriteFile(golden, got, 0o644))
			}
			want, err := os.ReadFile(golden)
			require.NoError(t, err, "run with -update to create it")
			require.Equal(t, string(want), string(got))

			checkPlanInvariants(t, in.plan(), policy, in.Now, plan)
		})
	}
}

// checkPlanInvariants asserts what must hold for every plan, whatever the
// input: the promises the tool makes about what it never loses.
func checkPlanInvariants(t testing.TB, in Input, policy Policy, now time.Time, plan Plan) {
	t.Helper()
	md := in.Metadata
	// Every item other than the two key items (and the guard's) is
	// identical, in its place.
	require.GreaterOrEqual(t, len(plan.Items), len(md.Items))
	for i, it := range md.Items {
		require.Equal(t, it.Key, plan.Items[i].Key, "item order")
		if it.Key != KeySSHKeys && it.Key != KeyLegacySSHKeys && (plan.Guard == nil || it.Key != plan.Guard.Key) {
			require.Equal(t, it.Value, plan.Items[i].Value, "item %s must not change", it.Key)
		}
	}
	if plan.Guard != nil {
		require.Equal(t, LevelInstance, in.Level, "only instances get a guard")
		require.True(t, blocksProjectKeys(md.Items), "a guard keeps a block that was there")
	}
	if in.Level == LevelInstance {
		// What the agent reads as blocking: on Linux a non-empty sshKeys
		// too, on Windows block-project-ssh-keys alone.
		before := agentBlocksProjectKeys(in.Windows, md.Items)
		after := agentBlocksProjectKeys(in.Windows, plan.Items)
		require.Equal(t, before, after, "an instance keeps blocking project keys as before")
		if in.Windows {
			require.Nil(t, plan.Guard, "sshKeys blocks nothing on Windows: no guard")
		}
	}
	// Every line kept is in the result of its item, byte for byte, in order.
	for i, it := range md.Items {
		if it.Key != KeySSHKeys && it.Key != KeyLegacySSHKeys {
			continue
		}
		out := keyparse.Parse(Value(plan.Items[i]))
		var outTexts []string
		for _, l := range out {
			outTexts = append(outTexts, l.Text)
		}
		var keptTexts []string
		for _, l := range keyparse.Parse(Value(it)) {
			if l.Invalid == keyparse.ReasonBlank {
				continue
			}
			if policy.lineDecision(in, it.Key, l, now).Action == ActionKeep {
				keptTexts = append(keptTexts, l.Text)
			}
		}
		requireSubsequence(t, outTexts, keptTexts, "kept lines of %s", it.Key)
	}
	// Nothing else is in the key items: every line is a kept one, or, in
	// the first sshKeys, a moved one.
	moved := map[string]bool{}
	for _, d := range plan.Decisions {
		if d.Action == ActionMove {
			moved[d.Fingerprint+"\x00"+d.Username] = true
		}
	}
	for _, it := range plan.Items {
		if it.Key != KeySSHKeys && it.Key != KeyLegacySSHKeys {
			continue
		}
		for _, l := range keyparse.Parse(Value(it)) {
			if l.Invalid == keyparse.ReasonBlank {
				continue
			}
			a := policy.lineDecision(in, it.Key, l, now).Action
			require.True(t, a == ActionKeep || moved[l.Fingerprint+"\x00"+l.DisplayUser()],
				"%s holds a line the plan neither kept nor moved: %q", it.Key, l.Text)
		}
	}
	// Planning the result again changes nothing: one pass is enough.
	again := Make(Input{Level: in.Level, Windows: in.Windows, Metadata: Metadata{Items: plan.Items}, FirstSeen: in.FirstSeen}, policy, now)
	require.False(t, again.Changed, "second plan must find nothing to do")
	require.Zero(t, again.Count(ActionRemove)+again.Count(ActionMove))
	// Nothing written when nothing changes.
	require.Equal(t, plan.Count(ActionRemove)+plan.Count(ActionMove) > 0 || plan.Guard != nil, plan.Changed)
}

// requireSubsequence asserts that want appears in got in the same order.
func requireSubsequence(t testing.TB, got, want []string, msg string, args ...any) {
	t.Helper()
	i := 0
	for _, g := range got {
		if i < len(want) && g == want[i] {
			i++
		}
	}
	require.Equal(t, len(want), i, append([]any{msg + ": %q not in order in %q"}, append(args, want, got)...)...)
}

// agentBlocksProjectKeys is the agents' rule, written out apart from
// guard.go as the oracle of the invariant: on Linux, a true
// block-project-ssh-keys or a non-empty sshKeys (guest-agent's
// Attributes.UnmarshalJSON); on Windows, block-project-ssh-keys alone
// (google_authorized_keys). pruner/access's EffectiveAccess follows the
// same rule, and the never-widen tests check the plan against it.
func agentBlocksProjectKeys(windows bool, items []Item) bool {
	block := false
	for _, it := range items {
		if it.Key == KeyBlockProjectKeys {
			b, err := strconv.ParseBool(Value(it))
			block = err == nil && b
			break
		}
	}
	if windows {
		return block
	}
	for _, it := range items {
		if it.Key == KeyLegacySSHKeys {
			return block || Value(it) != ""
		}
	}
	return block
}
