package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/ssh-pruner/ssh-pruner/gcp"
	"github.com/ssh-pruner/ssh-pruner/pruner/state"
)

// checkState checks --grace, --state and --state-endpoint before anything
// is read.
func (c *runConfig) checkState() error {
	switch {
	case c.grace < 0:
		return usageErrorf("--grace %v: want 0 (none) or more", c.grace)
	case c.grace > 0 && c.state == "":
		return usageErrorf("grace %v (--grace, or grace: of --policy) needs --state FILE or gs://BUCKET/OBJECT: without a memory of when each key was first seen, every run would start the clocks again and no key without expiry would ever go", c.grace)
	case c.state == "" && c.stateEndpoint != "":
		return usageErrorf("--state-endpoint is for a --state gs://BUCKET/OBJECT")
	case c.state == "":
		return nil
	}
	if strings.HasPrefix(c.state, "gs://") {
		if _, _, err := gcp.ParseGSURL(c.state); err != nil {
			return usageErrorf("--state %v", err)
		}
		if c.apiEndpoint != "" && c.stateEndpoint == "" {
			return usageErrorf("--state %s: the APIs are a fake (--api-endpoint), so the state needs a fake Cloud Storage too (--state-endpoint)", c.state)
		}
		if c.stateEndpoint != "" {
			if err := checkEndpoint(c.stateEndpoint); err != nil {
				return usageErrorf("--state-endpoint: %v", err)
			}
		}
		return nil
	}
	if c.stateEndpoint != "" {
		return usageErrorf("--state-endpoint is for a --state gs://BUCKET/OBJECT, not a file")
	}
	if strings.Contains(c.state, "://") {
		return usageErrorf("--state %q: want a file or gs://BUCKET/OBJECT", c.state)
	}
	if fi, err := os.Stat(c.state); err == nil && !fi.Mode().IsRegular() {
		return usageErrorf("--state %s: not a regular file", c.state)
	}
	if err := checkWritableDir(c.state); err != nil {
		return usageErrorf("--state %s: %v", c.state, err)
	}
	return nil
}

// openState opens the state of a pass. A state that cannot be read stops
// the pass before anything is written: exit 2 when it is not a state, 1
// when the store failed.
func openState(ctx context.Context, c *runConfig, now time.Time) (*state.Session, func(), error) {
	var store state.Store = state.File{Path: c.state}
	closeStore := func() {}
	if strings.HasPrefix(c.state, "gs://") {
		o := c.gcpOptions()
		o.StorageEndpoint = c.stateEndpoint
		obj, err := gcp.NewStateObject(ctx, o, c.state)
		if err != nil {
			return nil, nil, fmt.Errorf("state %s: %w", c.state, err)
		}
		store, closeStore = obj, func() { _ = obj.Close() }
	}
	s, err := state.Open(ctx, store, now)
	var bad *state.BadStateError
	switch {
	case errors.As(err, &bad):
		closeStore()
		return nil, nil, usageErrorf("%v", bad)
	case err != nil:
		closeStore()
		return nil, nil, err
	}
	return s, closeStore, nil
}
