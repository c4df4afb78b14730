package state

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"
)

// migrated says what a migration did.
type migrated struct{ projects int }

// migrate splits a single-object state of version 1 (LegacyObject, beside
// the run object) into projects' objects, each created only if absent: a
// migration cut short is taken up again by the next run, and never
// overwrites what a run wrote since. nil when there is nothing to migrate.
// The legacy object is left as it was, for a person to delete.
func migrate(ctx context.Context, store Store, now time.Time, warn func(string)) (*migrated, error) {
	lctx, cancel := context.WithTimeout(ctx, Timeout)
	data, _, err := store.Load(lctx, LegacyObject)
	cancel()
	switch {
	case errors.Is(err, ErrNoState):
		return nil, nil
	case err != nil:
		return nil, fmt.Errorf("read state %s%s: %w", store, LegacyObject, err)
	}
	old, warnings, err := DecodeState(data, now)
	if err != nil {
		return nil, &BadStateError{Location: store.String() + LegacyObject, Err: err}
	}
	for _, w := range warnings {
		warn(store.String() + LegacyObject + ": " + w)
	}
	shards := map[string]*Shard{}
	for name, keys := range old.Targets {
		project := projectOf(name)
		sh := shards[project]
		if sh == nil {
			sh = &Shard{Project: project, Targets: map[string]Target{}}
			shards[project] = sh
		}
		sh.Targets[name] = Target{Read: lastRead(Target{Keys: keys}), Keys: keys}
	}
	for project, sh := range shards {
		name, err := ProjectObject(project)
		if err != nil {
			return nil, &BadStateError{Location: store.String() + LegacyObject, Err: err}
		}
		data, err := EncodeShard(*sh, time.Now())
		if err != nil {
			return nil, err
		}
		wctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), Timeout)
		_, err = store.Save(wctx, name, data, "")
		cancel()
		if err != nil && !errors.Is(err, ErrConflict) {
			return nil, fmt.Errorf("migrate state of project %s: %w", project, err)
		}
	}
	return &migrated{projects: len(shards)}, nil
}

// projectOf is the project of a target name: projects/P[/zones/Z/instances/I].
func projectOf(name string) string {
	rest := strings.TrimPrefix(name, "projects/")
	p, _, _ := strings.Cut(rest, "/")
	return p
}
