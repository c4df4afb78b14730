package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"strings"
	"time"

	"github.com/ssh-pruner/ssh-pruner/gcp"
	"github.com/ssh-pruner/ssh-pruner/pruner"
)

// stateTimeout bounds the read of the state at the start of a pass and
// its write at the end; the write is let finish after an interruption,
// within the pod's three minutes of grace (deploy/).
const stateTimeout = 60 * time.Second

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

// passState is the state of one pass: where it lives, the version read,
// and the pass's memory.
type passState struct {
	store   pruner.StateStore
	close   func()
	version string
	seen    *pruner.Sightings
	report  pruner.StateReport
	log     *slog.Logger
}

// openState reads the state at the start of a pass. A state that cannot
// be read stops the pass before anything is written: exit 2 when it is
// not a state, 1 when the store failed.
func openState(ctx context.Context, c *runConfig, now time.Time, log *slog.Logger) (*passState, error) {
	ps := &passState{close: func() {}, log: log}
	if strings.HasPrefix(c.state, "gs://") {
		o := c.gcpOptions()
		o.StorageEndpoint = c.stateEndpoint
		obj, err := gcp.NewStateObject(ctx, o, c.state)
		if err != nil {
			return nil, fmt.Errorf("state %s: %w", c.state, err)
		}
		ps.store, ps.close = obj, func() { _ = obj.Close() }
	} else {
		ps.store = fileState{path: c.state}
	}
	ps.report = pruner.StateReport{Location: ps.store.String()}
	if c.grace > 0 {
		ps.report.Grace = c.grace.String()
	}

	lctx, cancel := context.WithTimeout(ctx, stateTimeout)
	defer cancel()
	data, version, err := ps.store.Load(lctx)
	var st pruner.State
	if errors.Is(err, pruner.ErrNoState) {
		// Made now, empty, rather than at the end: a bucket that does not
		// exist or a write that is not allowed stops the run before it
		// writes metadata, instead of every run passing for a first one.
		var empty []byte
		if empty, err = pruner.EncodeState(st, time.Now()); err == nil {
			version, err = ps.store.Save(lctx, empty, "")
		}
		if err != nil {
			ps.close()
			return nil, fmt.Errorf("create state %s: %w", ps.store, err)
		}
		err = errNoStateYet
	}
	switch {
	case errors.Is(err, errNoStateYet):
		ps.report.FirstRun = true
		attrs := []slog.Attr{slog.String(pruner.LogEvent, pruner.EventState), slog.String(pruner.LogState, ps.store.String())}
		if c.grace > 0 {
			attrs = append(attrs, slog.String(pruner.LogGraceEnds, now.Add(c.grace).UTC().Format(time.RFC3339)))
		}
		log.LogAttrs(ctx, slog.LevelWarn, "no state yet: first run, every key's clock starts now, and no key without expiry is removed before its grace ends", attrs...)
	case err != nil:
		ps.close()
		return nil, fmt.Errorf("read state %s: %w", ps.store, err)
	default:
		if st, err = pruner.DecodeState(data, now); err != nil {
			ps.close()
			return nil, usageErrorf("state %s: %v", ps.store, err)
		}
	}
	ps.version = version
	ps.seen = pruner.NewSightings(st)
	return ps, nil
}

var errNoStateYet = errors.New("no state yet")

// save writes the pass's memory at its end, an interrupted end too: the
// write is let finish. A state another run wrote meanwhile is left as it
// is, and the report says this pass's times were not saved.
func (ps *passState) save(ctx context.Context, rep *pruner.Report) {
	defer ps.close()
	st := ps.seen.State(rep.Now)
	ps.report.Keys = st.Keys()
	rep.State = &ps.report
	data, err := pruner.EncodeState(st, time.Now())
	if err == nil {
		sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), stateTimeout)
		_, err = ps.store.Save(sctx, data, ps.version)
		cancel()
	}
	attrs := []slog.Attr{slog.String(pruner.LogEvent, pruner.EventState), slog.String(pruner.LogState, ps.store.String()),
		slog.Int(pruner.LogKeys, ps.report.Keys), slog.String(pruner.LogRunID, rep.RunID)}
	switch {
	case errors.Is(err, pruner.ErrStateConflict):
		ps.report.Error = fmt.Sprintf("another run saved it after this run read it (%v): the first-seen times of this run are not saved, and its metadata writes stand", err)
	case err != nil:
		ps.report.Error = fmt.Sprintf("save: %v", err)
	default:
		ps.report.Saved = true
		ps.log.LogAttrs(ctx, slog.LevelInfo, "state saved", attrs...)
		return
	}
	ps.log.LogAttrs(ctx, slog.LevelError, "state not saved", append(attrs, slog.String(pruner.LogError, ps.report.Error))...)
}
