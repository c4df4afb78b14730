package report

import (
	"bufio"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/ssh-pruner/ssh-pruner/pruner/internal/textfmt"

	"github.com/ssh-pruner/ssh-pruner/keyparse"
	"github.com/ssh-pruner/ssh-pruner/pruner/attribution"
	"github.com/ssh-pruner/ssh-pruner/pruner/plan"
)

// WriteText renders the report for a person: one block per project with
// what is removed or moved, its instances that are not clean beneath it,
// the folders not listed, then a summary line. The columns of the key rows
// are aligned across the whole report.
//
//	web-prod: would change (2 to remove, 1 to move, 3 kept)
//	  remove  ssh-keys:3  alice  ssh-rsa  SHA256:...  expired 2026-11-01T10:00:00Z
//	  instance europe-west1-b/web-1: would change (1 to remove, 0 kept)
//	    remove  sshKeys:1  bob  ssh-ed25519  SHA256:...  no-expiry
//	    set     block-project-ssh-keys=TRUE  (instance-sshKeys-emptied)
func (r Report) WriteText(w io.Writer) error {
	var out []textfmt.Line
	for _, p := range r.Projects {
		out = append(out, projectLines(p, r.Now)...)
	}
	var cols textfmt.Columns
	if r.Spool != nil {
		cols = r.Spool.columns()
	}
	cols.Measure(out)
	tail := r.tailLines()

	ew := &textfmt.ErrWriter{W: w}
	mode := "apply"
	if r.DryRun {
		mode = "dry run"
	}
	fmt.Fprintf(ew, "ssh-pruner %s, run %s, at %s\n\n", mode, keyparse.Printable(r.RunID), r.Now.Format(time.RFC3339))
	cols.Write(ew, out)
	if r.Spool != nil {
		bw := bufio.NewWriterSize(ew, 64<<10)
		err := r.Spool.each(func(_, text []byte) error {
			lines, err := readLines(text)
			if err != nil {
				return err
			}
			cols.Write(bw, lines)
			return nil
		})
		if err != nil {
			return err
		}
		if err := bw.Flush(); err != nil {
			return err
		}
	}
	cols.Write(ew, tail)
	r.writeFooter(ew)
	return ew.Err
}

// tailLines are the lines after the projects: the folders not listed,
// and why the scope or the run stopped.
func (r Report) tailLines() []textfmt.Line {
	var tail []textfmt.Line
	for _, f := range r.Folders {
		why := f.Reason
		if why == "" {
			why = f.Error
		}
		tail = append(tail, textfmt.Line{Text: keyparse.Printable(f.Folder) + ": not listed (" + keyparse.Printable(why) + ")"})
	}
	if r.ScopeError != "" {
		tail = append(tail, textfmt.Line{Text: "scope not listed to the end: " + keyparse.Printable(r.ScopeError)})
	}
	if r.Error != "" {
		tail = append(tail, textfmt.Line{Text: "run failed: " + keyparse.Printable(r.Error)})
	}
	return tail
}

// writeFooter writes the summary and what the run found beside it.
func (r Report) writeFooter(w io.Writer) {
	fmt.Fprintf(w, "\n%s\n", r.Summary())
	if r.Totals.Posture.VMs > 0 {
		fmt.Fprintf(w, "Posture, as found: %s\n", r.Totals.Posture)
	}
	if len(r.Labels) > 0 {
		fmt.Fprintf(w, "Labels: %s\n", labelsLine(r.Labels))
	}
	if r.State != nil {
		fmt.Fprintf(w, "State: %s\n", r.State.line(r.Now))
	}
	if r.Attribution != nil {
		fmt.Fprintf(w, "Attribution: %s\n", r.Attribution.line())
	}
}

// projectLines are the lines of a project in the text: its own, its
// key rows, then its instances that are not clean.
func projectLines(p ProjectReport, now time.Time) []textfmt.Line {
	out := []textfmt.Line{{Text: keyparse.Printable(p.Project) + ": " + targetLine(p.TargetReport)}}
	out = append(out, decisionLines("  ", p.TargetReport, now)...)
	return append(out, instanceLines(p, now)...)
}

// line says in a sentence what the run did with its state.
func (s StateReport) line(now time.Time) string {
	where := keyparse.Printable(s.Location)
	var b strings.Builder
	switch {
	case s.Error != "":
		fmt.Fprintf(&b, "%s not saved: %s", where, keyparse.Printable(s.Error))
	default:
		fmt.Fprintf(&b, "%s saved, %d %s remembered of the projects handled, %d %s written",
			where, s.Keys, textfmt.Plural(s.Keys, "key", "keys"), s.ProjectsWritten, textfmt.Plural(s.ProjectsWritten, "project's object", "projects' objects"))
	}
	if s.Migrated > 0 {
		fmt.Fprintf(&b, "; migrated from a single-object state: %d %s", s.Migrated, textfmt.Plural(s.Migrated, "project", "projects"))
	}
	if s.FirstRun {
		b.WriteString("; first run: there was no state, every key's clock started now")
		if g, err := time.ParseDuration(s.Grace); err == nil && g > 0 {
			fmt.Fprintf(&b, ", and no key without expiry is removed before %s", keyparse.FormatTime(now.Add(g)))
		}
	}
	if s.Hold != "" {
		fmt.Fprintf(&b, "\nHeld: %s", keyparse.Printable(s.Hold))
	}
	for _, w := range s.Warnings {
		fmt.Fprintf(&b, "\nState warning: %s", keyparse.Printable(w))
	}
	return b.String()
}

// keyAge says for how long a key has been seen, from its first-seen time
// in the report: 45m, 5h, 3d. "" when the time is unknown, or the key was
// first seen in this run: on a first run every key is, and saying so on
// every line would hide the keys that are old.
func keyAge(firstSeen string, now time.Time) string {
	t, err := time.Parse(time.RFC3339Nano, firstSeen)
	if err != nil || !t.Before(now) {
		return ""
	}
	switch d := now.Sub(t); {
	case d < time.Minute:
		return "less than a minute"
	case d < time.Hour:
		return fmt.Sprintf("%dm", int(d/time.Minute))
	case d < 48*time.Hour:
		return fmt.Sprintf("%dh", int(d/time.Hour))
	default:
		return fmt.Sprintf("%dd", int(d/(24*time.Hour)))
	}
}

func instanceLines(p ProjectReport, now time.Time) []textfmt.Line {
	var out []textfmt.Line
	clean := 0
	for _, in := range p.Instances {
		if in.Outcome == OutcomeUnchanged && len(in.Decisions) == 0 {
			clean++
			continue
		}
		name := keyparse.Printable(in.Zone) + "/" + keyparse.Printable(in.Instance)
		out = append(out, textfmt.Line{Text: "  instance " + name + ": " + targetLine(in)})
		out = append(out, decisionLines("    ", in, now)...)
	}
	if clean > 0 {
		out = append(out, textfmt.Line{Text: fmt.Sprintf("  %d %s with nothing to do", clean, textfmt.Plural(clean, "instance", "instances"))})
	}
	for _, z := range p.UnreachableZones {
		out = append(out, textfmt.Line{Text: "  zone " + keyparse.Printable(z) + ": unreachable, its instances were not seen"})
	}
	if p.InstancesError != "" {
		out = append(out, textfmt.Line{Text: "  instances not listed: " + keyparse.Printable(p.InstancesError)})
	}
	if p.Posture != nil && p.Posture.VMs > 0 {
		out = append(out, textfmt.Line{Text: "  posture: " + p.Posture.String()})
	}
	return out
}

func decisionLines(indent string, tr TargetReport, now time.Time) []textfmt.Line {
	var out []textfmt.Line
	for _, d := range tr.Decisions {
		user := d.Username
		if d.GoogleUserName != "" && d.GoogleUserName != d.Username {
			user += " (" + d.GoogleUserName + ")"
		}
		reason := d.Reason
		switch {
		case d.Rule != "" && d.Otherwise != "":
			reason += " (rule " + keyparse.Printable(d.Rule) + ", otherwise " + d.Otherwise + ")"
		case d.Rule != "":
			reason += " (rule " + keyparse.Printable(d.Rule) + ")"
		}
		if d.ExpireOn != "" {
			reason += " " + d.ExpireOn
		}
		if d.GraceEnds != "" {
			reason += " until " + d.GraceEnds
		}
		if age := keyAge(d.FirstSeen, now); age != "" {
			reason += " (seen for " + age + ")"
		}
		reason += addedPhrase(d.Added)
		out = append(out, textfmt.Line{Cells: []string{
			indent + string(d.Action), fmt.Sprintf("%s:%d", d.MetadataKey, d.Line), textfmt.OrDash(user), textfmt.OrDash(d.KeyType), textfmt.OrDash(d.Fingerprint), reason,
		}})
	}
	if g := tr.Guard; g != nil {
		// Free text: a long cell here would widen every key row's column.
		out = append(out, textfmt.Line{Text: indent + "set     " + g.Key + "=" + g.Value + "  (" + g.Reason + ")"})
	}
	return out
}

// addedPhrase says who added a key, as far as attribution tells; nothing
// when it cannot say. Its strings are a decision's: escaped when the
// decision was made, checked when a plan file was read.
func addedPhrase(a plan.Added) string {
	switch a.Attribution {
	case attribution.Window:
		return ", added by " + a.AddedBy + " via " + a.AddedVia
	case attribution.OnlyWriter:
		return ", added by " + a.AddedBy + "? (only writer in the lookback)"
	case attribution.Ambiguous:
		return ", added by one of " + strings.ReplaceAll(a.Candidates, " ", ", ")
	}
	return ""
}

// line says what attribution found, for the report's footer.
func (a AttributionReport) line() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%d %s appeared: %d attributed, %d to the only writer, %d ambiguous, %d unknown",
		a.Appeared, textfmt.Plural(a.Appeared, "key", "keys"), a.Attributed, a.OnlyWriter, a.Ambiguous, a.Unknown)
	if a.Pending > 0 {
		fmt.Fprintf(&b, "; %d left to a later run", a.Pending)
	}
	if a.ClaimMismatches > 0 {
		fmt.Fprintf(&b, "; %d %s another identity", a.ClaimMismatches, textfmt.Plural(a.ClaimMismatches, "key claims", "keys claim"))
	}
	fmt.Fprintf(&b, " (audit logs %s, %d %s)", keyparse.Printable(a.AuditLogs), a.Queries, textfmt.Plural(a.Queries, "query", "queries"))
	if a.Error != "" {
		fmt.Fprintf(&b, "\nAudit logs not read: %s", keyparse.Printable(a.Error))
	}
	return b.String()
}

// Summary is the report in one line.
func (r Report) Summary() string {
	t := r.Totals
	var b strings.Builder
	fmt.Fprintf(&b, "%d %s: ", t.Projects, textfmt.Plural(t.Projects, "project", "projects"))
	writeCounts(&b, r.DryRun, t.OutcomeCounts)
	if t.Instances.Total > 0 {
		fmt.Fprintf(&b, "; %d %s: ", t.Instances.Total, textfmt.Plural(t.Instances.Total, "instance", "instances"))
		writeCounts(&b, r.DryRun, t.Instances.OutcomeCounts)
	}
	if t.FoldersSkipped > 0 {
		fmt.Fprintf(&b, "; %d %s not listed", t.FoldersSkipped, textfmt.Plural(t.FoldersSkipped, "folder", "folders"))
	}
	if t.ZonesUnreachable > 0 {
		fmt.Fprintf(&b, "; %d %s unreachable", t.ZonesUnreachable, textfmt.Plural(t.ZonesUnreachable, "zone", "zones"))
	}
	if t.InstanceListingsFailed > 0 {
		fmt.Fprintf(&b, "; instances of %d %s not listed", t.InstanceListingsFailed, textfmt.Plural(t.InstanceListingsFailed, "project", "projects"))
	}
	removed, moved := "removed", "moved"
	if r.DryRun {
		removed, moved = "to remove", "to move"
	}
	fmt.Fprintf(&b, "; keys: %d %s, %d %s, %d kept", t.KeysRemoved, removed, t.KeysMoved, moved, t.KeysKept)
	if t.KeysInGrace > 0 {
		fmt.Fprintf(&b, " (%d in grace)", t.KeysInGrace)
	}
	if t.APIRetries > 0 || t.APIThrottled > 0 {
		fmt.Fprintf(&b, "; API calls retried: %d (%d throttled)", t.APIRetries, t.APIThrottled)
	}
	switch {
	case r.Error != "":
		b.WriteString(" (failed)")
	case r.Interrupted:
		b.WriteString(" (interrupted)")
	case r.ScopeError != "":
		b.WriteString(" (scope listed in part)")
	case r.DryRun && r.HasChanges():
		b.WriteString(" (dry run: nothing written; use --apply to write)")
	case r.DryRun:
		b.WriteString(" (dry run)")
	}
	return b.String()
}

func writeCounts(b *strings.Builder, dryRun bool, c OutcomeCounts) {
	if dryRun {
		fmt.Fprintf(b, "%d would change, ", c.WouldChange)
	} else {
		fmt.Fprintf(b, "%d changed, ", c.Changed)
	}
	fmt.Fprintf(b, "%d unchanged, %d skipped, %d failed", c.Unchanged, c.Skipped, c.Failed)
	if c.Held > 0 {
		fmt.Fprintf(b, ", %d held", c.Held)
	}
	if c.Interrupted > 0 || c.NotStarted > 0 {
		fmt.Fprintf(b, ", %d interrupted, %d not started", c.Interrupted, c.NotStarted)
	}
}

func targetLine(p TargetReport) string {
	switch p.Outcome {
	case OutcomeSkipped:
		return "skipped (" + keyparse.Printable(p.Reason) + ")"
	case OutcomeNotStarted:
		return "not started (the run was interrupted)"
	case OutcomeHeld:
		return "held, not written: " + p.Hold + " (" + p.Reason + ")"
	case OutcomeStale:
		return "stale, not written (" + keyparse.Printable(p.Reason) + ")"
	case OutcomeFailed, OutcomeInterrupted:
		if len(p.Decisions) > 0 {
			// A write that failed: it may have landed. Show what it tried.
			return fmt.Sprintf("%s: %s (the write tried %d removals and %d moves: check it)", p.Outcome, keyparse.Printable(p.Error), p.Removed, p.Moved)
		}
		return string(p.Outcome) + ": " + keyparse.Printable(p.Error)
	case OutcomeWouldChange:
		return fmt.Sprintf("would change (%d to remove, %d to move, %d kept)", p.Removed, p.Moved, p.Kept)
	case OutcomeChanged:
		return fmt.Sprintf("changed (%d removed, %d moved, %d kept)", p.Removed, p.Moved, p.Kept)
	default:
		return fmt.Sprintf("nothing to do (%d kept)", p.Kept)
	}
}

// labelsLine says what each label matched; one that matched nothing may
// be a typo, which no API can tell.
func labelsLine(ms []LabelMatch) string {
	parts := make([]string, len(ms))
	for i, m := range ms {
		what := "left alone"
		if m.Rule == "only" {
			what = "opted in"
		}
		switch {
		case m.Projects == 0 && m.VMs == 0:
			parts[i] = fmt.Sprintf("%s %s matched nothing (a typo?)", m.Rule, keyparse.Printable(m.Label))
		default:
			parts[i] = fmt.Sprintf("%s %s %s %d %s, %d %s", m.Rule, keyparse.Printable(m.Label), what,
				m.Projects, textfmt.Plural(m.Projects, "project", "projects"), m.VMs, textfmt.Plural(m.VMs, "VM", "VMs"))
		}
	}
	return strings.Join(parts, "; ")
}
