package pruner

import (
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"
)

// WriteText renders the report for a person: one block per project with
// what is removed or moved, then a summary line.
//
//	web-prod: would change (2 to remove, 1 to move, 3 kept)
//	  remove  ssh-keys:3  alice  ssh-rsa  SHA256:...  expired 2026-11-01T10:00:00Z
func (r Report) WriteText(w io.Writer) error {
	ew := &errWriter{w: w}
	mode := "apply"
	if r.DryRun {
		mode = "dry run"
	}
	fmt.Fprintf(ew, "ssh-pruner %s, run %s, at %s\n\n", mode, r.RunID, r.Now.Format(time.RFC3339))
	for _, p := range r.Projects {
		fmt.Fprintf(ew, "%s: %s\n", p.Project, projectLine(p))
		if len(p.Decisions) == 0 {
			continue
		}
		tw := tabwriter.NewWriter(ew, 0, 0, 2, ' ', 0)
		for _, d := range p.Decisions {
			user := d.Username
			if d.GoogleUserName != "" && d.GoogleUserName != d.Username {
				user += " (" + d.GoogleUserName + ")"
			}
			reason := d.Reason
			if d.ExpireOn != nil {
				reason += " " + d.ExpireOn.Format(time.RFC3339)
			}
			fmt.Fprintf(tw, "  %s\t%s:%d\t%s\t%s\t%s\t%s\n",
				d.Action, d.MetadataKey, d.Line, orDash(user), orDash(d.KeyType), orDash(d.Fingerprint), reason)
		}
		tw.Flush()
	}
	fmt.Fprintf(ew, "\n%s\n", r.Summary())
	return ew.err
}

// Summary is the report in one line.
func (r Report) Summary() string {
	t := r.Totals
	var b strings.Builder
	fmt.Fprintf(&b, "%d %s: ", t.Projects, plural(t.Projects, "project", "projects"))
	if r.DryRun {
		fmt.Fprintf(&b, "%d would change, ", t.WouldChange)
	} else {
		fmt.Fprintf(&b, "%d changed, ", t.Changed)
	}
	fmt.Fprintf(&b, "%d unchanged, %d skipped, %d failed", t.Unchanged, t.Skipped, t.Failed)
	if t.Interrupted > 0 || t.NotStarted > 0 {
		fmt.Fprintf(&b, ", %d interrupted, %d not started", t.Interrupted, t.NotStarted)
	}
	if t.FoldersSkipped > 0 {
		fmt.Fprintf(&b, "; %d %s not listed", t.FoldersSkipped, plural(t.FoldersSkipped, "folder", "folders"))
	}
	removed, moved := "removed", "moved"
	if r.DryRun {
		removed, moved = "to remove", "to move"
	}
	fmt.Fprintf(&b, "; keys: %d %s, %d %s, %d kept", t.KeysRemoved, removed, t.KeysMoved, moved, t.KeysKept)
	switch {
	case r.Interrupted:
		b.WriteString(" (interrupted)")
	case r.DryRun && r.HasChanges():
		b.WriteString(" (dry run: nothing written; use --apply to write)")
	case r.DryRun:
		b.WriteString(" (dry run)")
	}
	return b.String()
}

func projectLine(p ProjectReport) string {
	switch p.Outcome {
	case OutcomeSkipped:
		return "skipped (" + p.Reason + ")"
	case OutcomeNotStarted:
		return "not started (the run was interrupted)"
	case OutcomeFailed, OutcomeInterrupted:
		if len(p.Decisions) > 0 {
			// A write that failed: it may have landed. Show what it tried.
			return fmt.Sprintf("%s: %s (the write tried %d removals and %d moves: check the project)", p.Outcome, p.Error, p.Removed, p.Moved)
		}
		return string(p.Outcome) + ": " + p.Error
	case OutcomeWouldChange:
		return fmt.Sprintf("would change (%d to remove, %d to move, %d kept)", p.Removed, p.Moved, p.Kept)
	case OutcomeChanged:
		return fmt.Sprintf("changed (%d removed, %d moved, %d kept)", p.Removed, p.Moved, p.Kept)
	default:
		return fmt.Sprintf("nothing to do (%d kept)", p.Kept)
	}
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// errWriter keeps the first write error so rendering code stays linear.
type errWriter struct {
	w   io.Writer
	err error
}

func (e *errWriter) Write(p []byte) (int, error) {
	if e.err != nil {
		return 0, e.err
	}
	n, err := e.w.Write(p)
	e.err = err
	return n, err
}
