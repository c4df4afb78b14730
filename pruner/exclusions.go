package pruner

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"

	"github.com/ssh-pruner/ssh-pruner/pruner/internal/textfmt"

	"github.com/ssh-pruner/ssh-pruner/keyparse"
)

// Checker tells whether a project or a folder exists and may be read. A
// lister that is one has the exclusions of a run checked before anything
// is written: a misspelt --exclude-project leaves alone a project no one
// has and prunes the one that was meant.
type Checker interface {
	CheckProject(ctx context.Context, id string) error
	CheckFolder(ctx context.Context, id string) error
}

// ExclusionError names the exclusions that name nothing the caller can
// read: the run did not start.
type ExclusionError struct {
	Unknown []string // "project P: why", "folder F: why"
}

func (e *ExclusionError) Error() string {
	return fmt.Sprintf("%d %s that name nothing readable, so nothing was written (a typo would prune what it meant to leave alone): %s",
		len(e.Unknown), textfmt.Plural(len(e.Unknown), "exclusion", "exclusions"), strings.Join(e.Unknown, "; "))
}

// checkExclusions asks the lister, when it is a Checker, for every
// excluded project and folder, at once.
func (r *Reconciler) checkExclusions(ctx context.Context) error {
	c, ok := r.Lister.(Checker)
	if !ok || len(r.Exclude)+len(r.OptOuts.Folders) == 0 {
		return nil
	}
	var mu sync.Mutex
	var unknown []string
	var wg sync.WaitGroup
	note := func(what string, err error) {
		if err != nil {
			mu.Lock()
			unknown = append(unknown, what+": "+keyparse.PrintableN(err.Error(), 300))
			mu.Unlock()
		}
	}
	for _, id := range r.Exclude {
		wg.Go(func() { note("project "+keyparse.Printable(id), c.CheckProject(ctx, id)) })
	}
	for _, f := range r.OptOuts.Folders {
		wg.Go(func() { note("folder "+keyparse.Printable(f), c.CheckFolder(ctx, f)) })
	}
	wg.Wait()
	if err := ctx.Err(); err != nil {
		return err
	}
	if len(unknown) > 0 {
		slices.Sort(unknown)
		return &ExclusionError{Unknown: unknown}
	}
	return nil
}
