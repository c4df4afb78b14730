package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"text/tabwriter"
	"time"

	"github.com/ssh-pruner/ssh-pruner/keyparse"
	"github.com/ssh-pruner/ssh-pruner/pruner/state"
)

const stateUsage = `Usage: ssh-pruner state show --state LOCATION [--project ID] [--grace DURATION] [flags]
       ssh-pruner state release --state LOCATION [flags]

Looks after the state that --state keeps (a directory, or
gs://BUCKET/PREFIX/), so that no one edits its JSON by hand.

  show     what the state remembers: without --project, its run object
           (written when, migrated from where, and the hold); with
           --project, each target of the project, when it was last read,
           and each key by fingerprint with when it was first and last
           seen, and with --grace when its grace ends. No key material:
           the state holds none.
  release  lifts the hold that a run left when it stopped at
           --max-removals-per-run: until then every run with this state is
           a dry run. Read the report of the run that stopped first.

Examples:
  ssh-pruner state show --state gs://my-sec-project-ssh-pruner-state/state/
  ssh-pruner state show --state ./state/ --project web-prod --grace 24h
  ssh-pruner state release --state gs://my-sec-project-ssh-pruner-state/state/

Exit status: 0 done; 1 the state could not be read or written; 2 usage
error, or a state that is not whole and right.
`

func cmdState(ctx context.Context, args []string, _ io.Reader, stdout, _ io.Writer) error {
	if len(args) == 0 || !slices.Contains([]string{"show", "release"}, args[0]) {
		if len(args) > 0 && (args[0] == "-h" || args[0] == "--help" || args[0] == "help") {
			fmt.Fprint(stdout, stateUsage)
			return nil
		}
		return usageErrorf("state: want 'state show' or 'state release' (see 'ssh-pruner state --help')")
	}
	verb := args[0]
	o := newOptions("state "+verb, stateUsage, stdout)
	o.addAPIFlags()
	o.addStateFlag()
	project := o.fs.String("project", "", "(show) the project `ID` whose targets and keys to show")
	grace := o.fs.Duration("grace", 0, "(show) say when the grace of each key ends, for a grace of this `DURATION`")
	o.fs.StringVar(&o.output, "output", "text", "text or json")
	if err := o.parse(args[1:], false); err != nil {
		return err
	}
	if o.state == "" {
		return usageErrorf("state %s: --state is required", verb)
	}
	s, err := o.build(ctx, needs{})
	if err != nil {
		return err
	}
	store, closeStore, err := s.stateStore(ctx)
	if err != nil {
		return err
	}
	defer closeStore()
	now := s.clock()
	switch {
	case verb == "release":
		return releaseHold(ctx, store, now, stdout)
	case *project != "":
		return showProject(ctx, store, *project, *grace, s.output, now, stdout)
	}
	return showRun(ctx, store, s.output, now, stdout)
}

func releaseHold(ctx context.Context, store state.Store, now time.Time, stdout io.Writer) error {
	h, err := state.Release(ctx, store, now)
	if err != nil {
		return stateError(err)
	}
	if h == nil {
		fmt.Fprintf(stdout, "%s holds no run: nothing to release\n", keyparse.Printable(store.String()))
		return nil
	}
	fmt.Fprintf(stdout, "released: %s\nThe next run with this state writes again.\n", keyparse.Printable(h.String()))
	return nil
}

func showRun(ctx context.Context, store state.Store, output string, now time.Time, stdout io.Writer) error {
	run, err := state.ReadRun(ctx, store, now)
	if errors.Is(err, state.ErrNoState) {
		return fmt.Errorf("%s holds no state yet (a first run makes it)", keyparse.Printable(store.String()))
	}
	if err != nil {
		return stateError(err)
	}
	if output == "json" {
		return writeJSON(stdout, run)
	}
	fmt.Fprintf(stdout, "state %s, version %d, written %s\n", keyparse.Printable(store.String()), state.Version, keyparse.FormatTime(run.Written))
	if run.MigratedFrom != "" {
		fmt.Fprintf(stdout, "migrated from %s\n", keyparse.Printable(run.MigratedFrom))
	}
	if run.Hold != nil {
		fmt.Fprintf(stdout, "held: %s\n", keyparse.Printable(run.Hold.String()))
	} else {
		fmt.Fprintln(stdout, "not held: runs write")
	}
	return nil
}

// shownKey is one key of 'state show --project', in its JSON form.
type shownKey struct {
	Target      string    `json:"target"`
	Fingerprint string    `json:"fingerprint"`
	FirstSeen   time.Time `json:"firstSeen"`
	LastSeen    time.Time `json:"lastSeen"`
	GraceEnds   string    `json:"graceEnds,omitempty"`
}

func showProject(ctx context.Context, store state.Store, id string, grace time.Duration, output string, now time.Time, stdout io.Writer) error {
	sh, _, warnings, err := state.ReadProject(ctx, store, id, now)
	if err != nil {
		return stateError(err)
	}
	var keys []shownKey
	var text bytes.Buffer
	tw := tabwriter.NewWriter(&text, 0, 0, 2, ' ', 0)
	names := sortedTargets(sh)
	for _, name := range names {
		t := sh.Targets[name]
		fmt.Fprintf(tw, "%s: read %s, %d keys\n", keyparse.Printable(name), keyparse.FormatTime(t.Read), len(t.Keys))
		for _, fp := range sortedKeys(t) {
			seen := t.Keys[fp]
			k := shownKey{Target: name, Fingerprint: fp, FirstSeen: seen.First, LastSeen: seen.Last}
			if grace > 0 {
				k.GraceEnds = keyparse.FormatTime(seen.First.Add(grace))
			}
			keys = append(keys, k)
			fmt.Fprintf(tw, "  %s\tfirst seen %s\tlast seen %s\t%s\n", fp, keyparse.FormatTime(seen.First), keyparse.FormatTime(seen.Last), graceCell(k))
		}
	}
	tw.Flush()
	if output == "json" {
		return writeJSON(stdout, struct {
			Project  string     `json:"project"`
			Keys     []shownKey `json:"keys"`
			Warnings []string   `json:"warnings,omitempty"`
		}{id, append([]shownKey{}, keys...), warnings})
	}
	if len(names) == 0 {
		fmt.Fprintf(stdout, "%s: the state remembers nothing of this project\n", keyparse.Printable(id))
		return nil
	}
	stdout.Write(text.Bytes())
	for _, w := range warnings {
		fmt.Fprintf(stdout, "warning: %s\n", keyparse.Printable(w))
	}
	return nil
}

func graceCell(k shownKey) string {
	if k.GraceEnds == "" {
		return ""
	}
	return "grace ends " + k.GraceEnds
}

func sortedTargets(sh state.Shard) []string {
	var out []string
	for name := range sh.Targets {
		out = append(out, name)
	}
	slices.Sort(out)
	return out
}

func sortedKeys(t state.Target) []string {
	var out []string
	for fp := range t.Keys {
		out = append(out, fp)
	}
	slices.Sort(out)
	return out
}

// stateError is exit status 2 for a state that is not whole and right,
// 1 for one that could not be read or written.
func stateError(err error) error {
	var bad *state.BadStateError
	if errors.As(err, &bad) {
		return usageErrorf("%v", bad)
	}
	return err
}

func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}
