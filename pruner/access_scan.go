package pruner

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/ssh-pruner/ssh-pruner/pruner/access"
	"github.com/ssh-pruner/ssh-pruner/pruner/report"
)

// AccessScanner reads a scope, without writing anything, to tell who can
// reach which VM: the project's metadata and one instance listing per
// project, nothing more (the dry-run role is enough).
type AccessScanner struct {
	Lister    ProjectLister
	Store     MetadataStore
	Instances InstanceStore
	// Exclude names project ids to leave out.
	Exclude []string
	// Concurrency bounds the projects read at once.
	Concurrency int
}

// Scan builds the access report of the scope at now. It returns an error
// only when the scope cannot be enumerated; what cannot be read is a gap
// in the report.
func (s AccessScanner) Scan(ctx context.Context, scope Scope, now time.Time) (access.AccessReport, error) {
	rep := access.AccessReport{Now: now.UTC()}
	inv, err := s.Lister.ListProjects(ctx, scope)
	if err != nil {
		return rep, fmt.Errorf("enumerate scope: %w", err)
	}
	for _, sk := range inv.Skipped {
		rep.Gaps = append(rep.Gaps, access.AccessGap{Resource: sk.Name, Reason: gapReason(sk.Err)})
	}
	var todo []Project
	for _, p := range inv.Projects {
		if slices.Contains(s.Exclude, p.ID) || (p.State != "" && p.State != "ACTIVE") {
			continue
		}
		todo = append(todo, p)
	}

	var mu sync.Mutex
	sem := make(chan struct{}, max(1, s.Concurrency))
	var wg sync.WaitGroup
	for _, p := range todo {
		if ctx.Err() != nil {
			rep.Gaps = append(rep.Gaps, access.AccessGap{Resource: "projects/" + p.ID, Reason: "interrupted"})
			continue
		}
		sem <- struct{}{}
		wg.Go(func() {
			defer func() { <-sem }()
			vms, gaps := s.project(ctx, p, now)
			mu.Lock()
			defer mu.Unlock()
			rep.VMs = append(rep.VMs, vms...)
			rep.Gaps = append(rep.Gaps, gaps...)
		})
	}
	wg.Wait()
	rep.Finish()
	return rep, nil
}

func (s AccessScanner) project(ctx context.Context, p Project, now time.Time) ([]access.VMReport, []access.AccessGap) {
	name := "projects/" + p.ID
	md, err := s.Store.ProjectMetadata(ctx, p.ID)
	switch {
	case errors.Is(err, ErrComputeDisabled):
		return nil, nil // no Compute Engine, no VM
	case err != nil:
		return nil, []access.AccessGap{{Resource: name, Reason: gapReason(err)}}
	}
	listing, err := s.Instances.ListInstances(ctx, p.ID)
	if err != nil {
		return nil, []access.AccessGap{{Resource: name, Reason: gapReason(err)}}
	}
	var gaps []access.AccessGap
	for _, z := range listing.Unreachable {
		gaps = append(gaps, access.AccessGap{Resource: name + "/" + strings.TrimPrefix(z, "/"), Reason: "unreachable"})
	}
	vms := make([]access.VMReport, 0, len(listing.Instances))
	for _, in := range listing.Instances {
		vms = append(vms, access.VMReportOf(in.Place(), in.VM(md.Items), now))
	}
	return vms, gaps
}

func gapReason(err error) string {
	if errors.Is(err, ErrForbidden) {
		return report.SkipForbidden
	}
	return err.Error()
}
