package report

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/ssh-pruner/ssh-pruner/pruner/access"
	"github.com/ssh-pruner/ssh-pruner/pruner/plan"
)

// spoolProject is a project's report with what the text and the JSON
// render: listed decisions of every kind, hostile names (escapes, HTML,
// bytes that are not UTF-8, wide runes that widen the columns), dirty and
// clean instances, gaps, a posture.
func spoolProject(i int) ProjectReport {
	id := fmt.Sprintf("project-%03d", i)
	user := []string{"alice", "<b>\x1b[31m\xff\xfe", "日本語のユーザー", "bob\u202e"}[i%4]
	d := plan.Decision{MetadataKey: "ssh-keys", Line: i % 7, Action: plan.ActionRemove, Reason: "no-expiry", Username: user,
		KeyType: "ssh-ed25519", Fingerprint: fmt.Sprintf("SHA256:%043d", i), GoogleUserName: user + "@example.com"}
	grace := d
	grace.Action, grace.Reason, grace.Otherwise, grace.GraceEnds, grace.FirstSeen = plan.ActionKeep, plan.ReasonGrace, "no-expiry", "2026-11-24T12:00:00Z", "2026-11-20T12:00:00Z"
	p := ProjectReport{TargetReport: TargetReport{Target: plan.Target{Project: id}, Kept: 3}}
	switch i % 6 {
	case 0:
		p.Outcome = OutcomeUnchanged
	case 1:
		p.Outcome, p.Removed, p.Decisions = OutcomeChanged, 1, []plan.Decision{d, grace}
		p.Guard = &plan.Guard{Key: "block-project-ssh-keys", Value: "TRUE", Reason: "instance-sshKeys-emptied"}
	case 2:
		p.Outcome, p.Reason = OutcomeSkipped, SkipForbidden+"\x1b]0;x\a"
	case 3:
		p.Outcome, p.Error, p.Decisions = OutcomeFailed, "set metadata: \xff boom", []plan.Decision{d}
	case 4:
		p.Outcome, p.Hold, p.Reason, p.Decisions = OutcomeHeld, "removals past the limit", "run-limit", []plan.Decision{}
	case 5:
		p.Outcome, p.Decisions = OutcomeUnchanged, []plan.Decision{grace}
	}
	if i%3 == 0 {
		for j := range i % 5 {
			in := TargetReport{Target: plan.Target{Project: id, Zone: "europe-west1-b", Instance: fmt.Sprintf("vm-%d", j)}, Outcome: OutcomeUnchanged, Kept: 2}
			if j%2 == 1 {
				in.Outcome, in.Removed, in.Decisions, in.Windows = OutcomeWouldChange, 1, []plan.Decision{d}, true
			}
			p.Instances = append(p.Instances, in)
		}
		p.UnreachableZones = []string{"us-central1-a"}
		p.Posture = &access.Posture{VMs: i % 5, OSLoginOff: 1}
	}
	if i%11 == 0 {
		p.InstancesError = "list instances: \x00nope"
	}
	return p
}

// TestSpoolWritesAsProjects checks that a report whose projects went to
// a spool, in any order of finishing, is written byte for byte as the
// same report with the projects in Projects, text and JSON, whether the
// spool kept them in memory or moved them to a file; and that it counts
// the same totals.
func TestSpoolWritesAsProjects(t *testing.T) {
	now := time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)
	parts := map[Part]int{PartUnlisted: 2, PartSkipped: 5, PartHandled: 60}
	for _, tc := range []struct {
		name   string
		memory int
		file   bool
	}{{"memory", 4 << 20, false}, {"file", 1 << 10, true}} {
		t.Run(tc.name, func(t *testing.T) {
			defer func(m int) { spoolMemory = m }(spoolMemory)
			spoolMemory = tc.memory

			base := Report{RunID: "run-\x1b[2J", DryRun: true, Now: now, ScopeError: "listing stopped: \xff",
				Folders: []FolderReport{{Folder: "folders/1", Reason: SkipForbidden}, {Folder: "folders/2", Error: "boom"}},
				Labels:  []LabelMatch{{Label: "env=dev", Rule: "exclude", Projects: 2}}}
			want := base
			s := &Spool{Now: now, Dir: t.TempDir()}
			type put struct {
				part Part
				seq  int
				p    ProjectReport
			}
			var puts []put
			i := 0
			for _, part := range []Part{PartUnlisted, PartSkipped, PartHandled} {
				for seq := range parts[part] {
					p := spoolProject(i)
					i++
					want.Projects = append(want.Projects, p)
					puts = append(puts, put{part, seq, p})
				}
			}
			rand.New(rand.NewPCG(1, 2)).Shuffle(len(puts), func(a, b int) { puts[a], puts[b] = puts[b], puts[a] })
			for _, p := range puts {
				require.NoError(t, s.Put(p.part, p.seq, p.p))
			}
			require.Error(t, s.Put(puts[0].part, puts[0].seq, puts[0].p), "a place taken twice")
			require.Equal(t, tc.file, s.InFile())

			got := base
			got.Spool = s
			want.Finish()
			got.Finish()
			require.Equal(t, want.Totals, got.Totals)
			require.Empty(t, got.Projects)

			for _, write := range []func(Report, *bytes.Buffer) error{
				func(r Report, b *bytes.Buffer) error { return r.WriteJSON(b) },
				func(r Report, b *bytes.Buffer) error { return r.WriteText(b) },
			} {
				var wb, gb bytes.Buffer
				require.NoError(t, write(want, &wb))
				require.NoError(t, write(got, &gb))
				require.Equal(t, wb.String(), gb.String())
			}
			require.NoError(t, s.Close())
			require.Error(t, got.WriteJSON(&bytes.Buffer{}), "closed")
		})
	}
}

// TestSpoolMissingProject checks that a report with a place no project
// filled is not written as if it were whole.
func TestSpoolMissingProject(t *testing.T) {
	s := &Spool{Now: time.Now()}
	require.NoError(t, s.Put(PartHandled, 1, spoolProject(1)))
	rep := Report{Spool: s}
	rep.Finish()
	require.ErrorContains(t, rep.WriteJSON(&bytes.Buffer{}), "no report at place 2/0")
}
