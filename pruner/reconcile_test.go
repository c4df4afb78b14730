package pruner_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/ssh-pruner/ssh-pruner/pruner"
	"github.com/ssh-pruner/ssh-pruner/pruner/inmemory"
	"github.com/ssh-pruner/ssh-pruner/pruner/plan"
	"github.com/ssh-pruner/ssh-pruner/pruner/report"
)

var now = time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)

// Keys of the tests, made with ssh-keygen (the same as testdata/plan).
const (
	aliceOK   = `alice:ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAID4HA5BHwR5AoSPKRkXOWloD3mzvgx8wyG2sVJFoIZrN google-ssh {"userName":"alice@example.com","expireOn":"2026-12-01T10:00:00+0000"}`
	bobOld    = `bob:ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIIpiyAOT3jvHIrWjbMjPpDEIF5cyz6w8k3Xi8g4UF9Gb google-ssh {"userName":"bob@example.com","expireOn":"2026-11-01T10:00:00+0000"}`
	erinPerm  = `erin:ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOBmW4mj97/g/VhkrK2oOQnDYeL60BCCie3SPPb+LZtt erin@host`
	gkeKey    = `gke-1a2b3c4d5e6f7a8b9c0d:ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIAdAopp+vxmtEwjcFSkSDB7oQGofj6/T8e6phqKdJ5Kc gke-1a2b3c4d5e6f7a8b9c0d@gke-cluster`
	startup   = "#!/bin/sh\necho hi\n"
	zoneB     = "europe-west1-b"
	projectID = "web-prod"
)

func proj(id string) plan.Target { return plan.Target{Project: id} }

func vm(name string) plan.Target {
	return plan.Target{Project: projectID, Zone: zoneB, Instance: name}
}

// org is one project with three instances: one clean, one with an
// instance ssh-keys to prune, one whose instance sshKeys holds only keys
// the policy removes.
func org() *inmemory.Store {
	s := inmemory.New()
	s.AddProject(projectID, inmemory.Items("startup-script", startup, "ssh-keys", aliceOK+"\n"+bobOld+"\n"+erinPerm+"\n"))
	s.AddInstance(pruner.Instance{Project: projectID, Zone: zoneB, Name: "clean"}, inmemory.Items("ssh-keys", aliceOK))
	s.AddInstance(pruner.Instance{Project: projectID, Zone: zoneB, Name: "dirty"}, inmemory.Items("ssh-keys", erinPerm+"\n"+aliceOK+"\n", "startup-script", startup))
	s.AddInstance(pruner.Instance{Project: projectID, Zone: zoneB, Name: "legacy"}, inmemory.Items("sshKeys", erinPerm))
	return s
}

func reconciler(s *inmemory.Store, apply bool) *pruner.Reconciler {
	policy, err := plan.NewPolicy(nil, false)
	if err != nil {
		panic(err)
	}
	return &pruner.Reconciler{
		Lister: s, Store: s, Instances: s, Policy: policy, Apply: apply,
		Now: func() time.Time { return now }, Concurrency: 4, MaxAttempts: 3, RunID: "test",
	}
}

func instance(t *testing.T, pr report.ProjectReport, name string) report.TargetReport {
	t.Helper()
	for _, in := range pr.Instances {
		if in.Instance == name {
			return in
		}
	}
	t.Fatalf("no instance %s in the report of %s", name, pr.Project)
	return report.TargetReport{}
}

func project(t *testing.T, rep report.Report, id string) report.ProjectReport {
	t.Helper()
	for _, p := range rep.Projects {
		if p.Project == id {
			return p
		}
	}
	t.Fatalf("no project %s in the report", id)
	return report.ProjectReport{}
}

func itemValue(items []plan.Item, key string) (string, bool) {
	for _, it := range items {
		if it.Key == key && it.Value != nil {
			return *it.Value, true
		}
	}
	return "", false
}

func TestReconcileDryRunWritesNothing(t *testing.T) {
	s := org()
	rep, err := reconciler(s, false).Run(context.Background(), pruner.Scope{Organization: "1"})
	require.NoError(t, err)
	require.Zero(t, s.Writes())
	require.True(t, rep.OK())
	require.True(t, rep.DryRun)
	p := project(t, rep, projectID)
	require.Equal(t, report.OutcomeWouldChange, p.Outcome)
	require.Equal(t, 2, p.Removed)
	require.Equal(t, report.OutcomeUnchanged, instance(t, p, "clean").Outcome)
	require.Equal(t, report.OutcomeWouldChange, instance(t, p, "dirty").Outcome)
	legacy := instance(t, p, "legacy")
	require.Equal(t, report.OutcomeWouldChange, legacy.Outcome)
	require.NotNil(t, legacy.Guard, "emptying the instance sshKeys must keep project keys blocked")
	require.Equal(t, report.InstanceTotals{Total: 3, OutcomeCounts: report.OutcomeCounts{Unchanged: 1, WouldChange: 2}}, rep.Totals.Instances)
	require.Equal(t, 4, rep.Totals.KeysRemoved)
}

func TestReconcileApplyConverges(t *testing.T) {
	s := org()
	rep, err := reconciler(s, true).Run(context.Background(), pruner.Scope{Organization: "1"})
	require.NoError(t, err)
	require.True(t, rep.OK())
	require.Equal(t, 3, s.Writes(), "the project and the two instances that change")

	got, _ := itemValue(s.Get(proj(projectID)), "ssh-keys")
	require.Equal(t, aliceOK+"\n", got, "the kept line, byte for byte")
	got, _ = itemValue(s.Get(proj(projectID)), "startup-script")
	require.Equal(t, startup, got)
	got, _ = itemValue(s.Get(vm("dirty")), "ssh-keys")
	require.Equal(t, aliceOK+"\n", got)
	legacy := s.Get(vm("legacy"))
	got, _ = itemValue(legacy, "sshKeys")
	require.Empty(t, got)
	got, _ = itemValue(legacy, plan.KeyBlockProjectKeys)
	require.Equal(t, "TRUE", got)

	again, err := reconciler(s, true).Run(context.Background(), pruner.Scope{Organization: "1"})
	require.NoError(t, err)
	require.False(t, again.HasChanges(), again.Summary())
	require.Equal(t, 3, s.Writes(), "a second apply writes nothing")
}

func TestReconcileConflictIsPlannedAgain(t *testing.T) {
	for _, target := range []plan.Target{proj(projectID), vm("dirty")} {
		t.Run(target.String(), func(t *testing.T) {
			s := org()
			// Between our read and our write someone adds a key of their own.
			s.BeforeNextWrite(target, func(s *inmemory.Store) {
				items := s.Get(target)
				v, _ := itemValue(items, "ssh-keys")
				s.Set(target, append(items[:0:0], inmemory.Items("ssh-keys", v+gkeKey+"\n", "added-by", "them")...))
			})
			rep, err := reconciler(s, true).Run(context.Background(), pruner.Scope{Organization: "1"})
			require.NoError(t, err)
			require.True(t, rep.OK(), rep.Summary())
			tr := project(t, rep, projectID).TargetReport
			if target.Level() == plan.LevelInstance {
				tr = instance(t, project(t, rep, projectID), target.Instance)
			}
			require.Equal(t, 2, tr.Attempts)
			require.Equal(t, report.OutcomeChanged, tr.Outcome)
			items := s.Get(target)
			v, _ := itemValue(items, "added-by")
			require.Equal(t, "them", v, "the concurrent writer's item survives")
			keys, _ := itemValue(items, "ssh-keys")
			require.Contains(t, keys, aliceOK)
			if target.Level() == plan.LevelInstance {
				require.Contains(t, keys, gkeKey, "a Google key stays at instance level")
			}
		})
	}
}

func TestReconcileConflictForeverFails(t *testing.T) {
	s := org()
	var mu sync.Mutex
	n := 0
	var again func(*inmemory.Store)
	again = func(s *inmemory.Store) {
		mu.Lock()
		n++
		mu.Unlock()
		items := s.Get(vm("dirty"))
		s.Set(vm("dirty"), append(items, inmemory.Items(fmt.Sprintf("k%d", n), "v")...))
		s.BeforeNextWrite(vm("dirty"), again)
	}
	s.BeforeNextWrite(vm("dirty"), again)
	rep, err := reconciler(s, true).Run(context.Background(), pruner.Scope{Organization: "1"})
	require.NoError(t, err)
	require.False(t, rep.OK())
	dirty := instance(t, project(t, rep, projectID), "dirty")
	require.Equal(t, report.OutcomeFailed, dirty.Outcome)
	require.Contains(t, dirty.Error, "attempt 3 of 3")
	require.Equal(t, 1, rep.Totals.Instances.Failed)
	require.Equal(t, report.OutcomeChanged, project(t, rep, projectID).Outcome, "one failing target does not stop the others")
}

func TestReconcileSkipsAndFailures(t *testing.T) {
	for _, tc := range []struct {
		name    string
		setup   func(s *inmemory.Store)
		scope   pruner.Scope
		exclude []string
		check   func(t *testing.T, rep report.Report, s *inmemory.Store)
	}{
		{
			name:    "excluded project and its instances untouched",
			exclude: []string{projectID},
			check: func(t *testing.T, rep report.Report, s *inmemory.Store) {
				p := project(t, rep, projectID)
				require.Equal(t, report.OutcomeSkipped, p.Outcome)
				require.Equal(t, report.SkipExcluded, p.Reason)
				require.Empty(t, p.Instances)
				require.Zero(t, s.Writes())
				require.True(t, rep.OK())
			},
		},
		{
			name:  "compute disabled",
			setup: func(s *inmemory.Store) { s.FailRead(proj(projectID), pruner.ErrComputeDisabled) },
			check: func(t *testing.T, rep report.Report, s *inmemory.Store) {
				p := project(t, rep, projectID)
				require.Equal(t, report.SkipComputeDisabled, p.Reason)
				require.Empty(t, p.Instances, "no instance listing for a project that cannot be read")
				require.True(t, rep.OK())
			},
		},
		{
			name:  "forbidden project of an organization is a skip",
			setup: func(s *inmemory.Store) { s.FailRead(proj(projectID), pruner.ErrForbidden) },
			check: func(t *testing.T, rep report.Report, s *inmemory.Store) {
				require.Equal(t, report.SkipForbidden, project(t, rep, projectID).Reason)
				require.True(t, rep.OK())
			},
		},
		{
			name:  "forbidden project named in the scope is a failure",
			setup: func(s *inmemory.Store) { s.FailRead(proj(projectID), pruner.ErrForbidden) },
			scope: pruner.Scope{Projects: []string{projectID}},
			check: func(t *testing.T, rep report.Report, s *inmemory.Store) {
				p := project(t, rep, projectID)
				require.Equal(t, report.OutcomeFailed, p.Outcome)
				require.Contains(t, p.Error, "named in the scope")
				require.False(t, rep.OK())
			},
		},
		{
			name:  "project being deleted",
			setup: func(s *inmemory.Store) { s.SetState(projectID, "DELETE_REQUESTED") },
			check: func(t *testing.T, rep report.Report, s *inmemory.Store) {
				require.Equal(t, "state:DELETE_REQUESTED", project(t, rep, projectID).Reason)
			},
		},
		{
			name: "folders apart from projects",
			setup: func(s *inmemory.Store) {
				s.AddSkipped("folders/42", fmt.Errorf("list: %w", pruner.ErrForbidden))
				s.AddSkipped("projects/typo", errors.New("get project typo: HTTP 403"))
			},
			check: func(t *testing.T, rep report.Report, s *inmemory.Store) {
				require.Equal(t, []report.FolderReport{{Folder: "folders/42", Reason: report.SkipForbidden}}, rep.Folders)
				require.Equal(t, 1, rep.Totals.FoldersSkipped)
				require.Equal(t, 2, rep.Totals.Projects, "web-prod and the named typo; the folder is not a project")
				require.Equal(t, report.OutcomeFailed, project(t, rep, "typo").Outcome)
			},
		},
		{
			name:  "an unreachable zone is a gap, not clean",
			setup: func(s *inmemory.Store) { s.SetUnreachable(projectID, "zones/"+zoneB) },
			check: func(t *testing.T, rep report.Report, s *inmemory.Store) {
				p := project(t, rep, projectID)
				require.Equal(t, []string{"zones/" + zoneB}, p.UnreachableZones)
				require.Empty(t, p.Instances)
				require.Equal(t, 1, rep.Totals.ZonesUnreachable)
				require.False(t, rep.OK())
				require.Contains(t, rep.Summary(), "1 zone unreachable")
			},
		},
		{
			name:  "instances that cannot be listed",
			setup: func(s *inmemory.Store) { s.FailList(projectID, errors.New("HTTP 500")) },
			check: func(t *testing.T, rep report.Report, s *inmemory.Store) {
				p := project(t, rep, projectID)
				require.Contains(t, p.InstancesError, "HTTP 500")
				require.Equal(t, report.OutcomeChanged, p.Outcome, "the project's own metadata is still pruned")
				require.False(t, rep.OK())
			},
		},
		{
			name: "instance deleted between listing and write",
			setup: func(s *inmemory.Store) {
				s.FailWrite(vm("dirty"), pruner.ErrNotFound)
			},
			check: func(t *testing.T, rep report.Report, s *inmemory.Store) {
				dirty := instance(t, project(t, rep, projectID), "dirty")
				require.Equal(t, report.OutcomeSkipped, dirty.Outcome)
				require.Equal(t, pruner.SkipGone, dirty.Reason)
				require.True(t, rep.OK())
			},
		},
		{
			name:  "a failed instance write keeps what it tried",
			setup: func(s *inmemory.Store) { s.FailWrite(vm("dirty"), errors.New("HTTP 503")) },
			check: func(t *testing.T, rep report.Report, s *inmemory.Store) {
				dirty := instance(t, project(t, rep, projectID), "dirty")
				require.Equal(t, report.OutcomeFailed, dirty.Outcome)
				require.Len(t, dirty.Decisions, 1)
				require.False(t, rep.OK())
				require.Zero(t, rep.Totals.KeysRemoved-3, "the failed write's key is not counted as removed")
			},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := org()
			if tc.setup != nil {
				tc.setup(s)
			}
			r := reconciler(s, true)
			r.Exclude = tc.exclude
			scope := tc.scope
			if scope.Organization == "" && len(scope.Projects) == 0 {
				scope.Organization = "1"
			}
			rep, err := r.Run(context.Background(), scope)
			require.NoError(t, err)
			tc.check(t, rep, s)
		})
	}
}

func TestReconcileInterrupted(t *testing.T) {
	s := inmemory.New()
	for i := range 20 {
		id := fmt.Sprintf("p%02d", i)
		s.AddProject(id, inmemory.Items("ssh-keys", erinPerm))
		s.AddInstance(pruner.Instance{Project: id, Zone: zoneB, Name: "vm"}, inmemory.Items("ssh-keys", erinPerm))
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var mu sync.Mutex
	var written []plan.Target
	s.OnWrite = func(t plan.Target) {
		mu.Lock()
		written = append(written, t)
		mu.Unlock()
		cancel() // the first write finished: stop the run
	}
	r := reconciler(s, true)
	r.Concurrency = 1
	rep, err := r.Run(ctx, pruner.Scope{Organization: "1"})
	require.NoError(t, err)
	require.True(t, rep.Interrupted)
	require.False(t, rep.OK())
	require.Len(t, written, 1, "nothing starts after the interruption")
	require.Equal(t, report.OutcomeChanged, rep.Projects[0].Outcome, "the write under way finished")
	require.Equal(t, "not listed: the run was interrupted", rep.Projects[0].InstancesError)
	require.Equal(t, 19, rep.Totals.NotStarted)
	require.Contains(t, rep.Summary(), "interrupted")
}

// countObserver counts what the reconciler says of its progress.
type countObserver struct {
	mu       sync.Mutex
	found    int
	finished map[report.Outcome]int
}

func (o *countObserver) Found(n int) { o.mu.Lock(); o.found += n; o.mu.Unlock() }
func (o *countObserver) Finished(out report.Outcome) {
	o.mu.Lock()
	o.finished[out]++
	o.mu.Unlock()
}

func TestReconcileObserver(t *testing.T) {
	s := org()
	obs := &countObserver{finished: map[report.Outcome]int{}}
	r := reconciler(s, false)
	r.Observer = obs
	_, err := r.Run(context.Background(), pruner.Scope{Organization: "1"})
	require.NoError(t, err)
	require.Equal(t, 4, obs.found, "one project and its three instances")
	require.Equal(t, map[report.Outcome]int{report.OutcomeWouldChange: 3, report.OutcomeUnchanged: 1}, obs.finished)
}

func TestReportTextHostileStrings(t *testing.T) {
	s := inmemory.New()
	evil := "ro\x1b[2Jot\u202e:ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOBmW4mj97/g/VhkrK2oOQnDYeL60BCCie3SPPb+LZtt x\r\n" +
		"ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOBmW4mj97/g/VhkrK2oOQnDYeL60BCCie3SPPb+LZtt root@host:2222\n"
	s.AddProject(projectID, inmemory.Items("ssh-keys", evil))
	rep, err := reconciler(s, false).Run(context.Background(), pruner.Scope{Organization: "1"})
	require.NoError(t, err)
	var b strings.Builder
	require.NoError(t, rep.WriteText(&b))
	out := b.String()
	for _, bad := range []string{"\x1b", "\r", "\u202e", "AAAAC3NzaC1lZDI1NTE5"} {
		require.NotContains(t, out, bad)
	}
	require.Contains(t, out, `ro\x1b[2Jot\u202e`)
	require.Contains(t, out, "ssh-ed25519…")
}

func TestReconcileInterruptedInstancesNotStarted(t *testing.T) {
	s := inmemory.New()
	s.AddProject(projectID, nil)
	for i := range 5 {
		s.AddInstance(pruner.Instance{Project: projectID, Zone: zoneB, Name: fmt.Sprintf("vm%d", i)}, inmemory.Items("ssh-keys", erinPerm))
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	s.OnWrite = func(plan.Target) { cancel() }
	r := reconciler(s, true)
	r.Concurrency = 1
	rep, err := r.Run(ctx, pruner.Scope{Organization: "1"})
	require.NoError(t, err)
	require.Equal(t, 1, s.Writes())
	require.Equal(t, report.InstanceTotals{Total: 5, OutcomeCounts: report.OutcomeCounts{Changed: 1, NotStarted: 4}}, rep.Totals.Instances)
	require.False(t, rep.OK())
}
