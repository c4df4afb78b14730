package attribution

import (
	"fmt"
	"slices"
	"strings"
	"time"
)

// Log is the metadata writes read from the audit logs, by target, and the
// span they cover: every write logged in (From, To] is in it. To is the
// time of the last read less the logs' delay, since an entry can reach
// the logs some time after its write.
type Log struct {
	From, To time.Time
	byTarget map[string][]Write // each in time order
}

// NewLog makes a Log of the writes read for (from, to]. Writes outside
// the span are left out, and the same operation logged twice counts once.
func NewLog(writes []Write, from, to time.Time) *Log {
	l := &Log{From: from, To: to, byTarget: map[string][]Write{}}
	l.Add(writes, from, to)
	return l
}

// Add merges the writes read for (from, to], which must meet or overlap
// the span the log covers, and widens the span to hold it.
func (l *Log) Add(writes []Write, from, to time.Time) {
	seen := map[string]bool{}
	for _, ws := range l.byTarget {
		for _, w := range ws {
			if w.Operation != "" {
				seen[w.Operation] = true
			}
		}
	}
	for _, w := range writes {
		if !w.At.After(from) || w.At.After(to) || w.Operation != "" && seen[w.Operation] {
			continue
		}
		seen[w.Operation] = w.Operation != ""
		l.byTarget[w.Target] = append(l.byTarget[w.Target], w)
	}
	for t, ws := range l.byTarget {
		slices.SortStableFunc(ws, func(a, b Write) int { return a.At.Compare(b.At) })
		l.byTarget[t] = ws
	}
	if from.Before(l.From) {
		l.From = from
	}
	if to.After(l.To) {
		l.To = to
	}
}

// Writes counts the writes the log holds.
func (l *Log) Writes() int {
	n := 0
	for _, ws := range l.byTarget {
		n += len(ws)
	}
	return n
}

// Window attributes a key that the target did not hold when read at after
// and held when read at until: the writes of its key items in (after,
// until], but for the operations own says are the pruner's. after zero
// means the target was never read before: the result is unknown (or,
// with Backfill, only-writer).
func (l *Log) Window(target string, after, until time.Time, own func(operation string) bool) Result {
	switch {
	case after.IsZero():
		return Result{Attribution: Unknown, Why: "no earlier read of the target to start the window from (first run, or a new target)"}
	case after.Before(l.From):
		return Result{Attribution: Unknown, Why: fmt.Sprintf("the window starts %s, before the logs read (from %s)", stamp(after), stamp(l.From))}
	case until.After(l.To):
		return Result{Attribution: Pending, Why: fmt.Sprintf("the logs read end %s, before the window does (%s): a later run attributes the key", stamp(l.To), stamp(until))}
	}
	return l.decide(target, after, until, own, Window)
}

// Backfill attributes a key found on a first read of the target: the
// writers of its key items in (from, until], from the start of the
// lookback. One writer is only-writer, not window: the key may be older.
func (l *Log) Backfill(target string, from, until time.Time, own func(operation string) bool) Result {
	switch {
	case from.Before(l.From):
		return Result{Attribution: Unknown, Why: fmt.Sprintf("the lookback starts %s, before the logs read (from %s)", stamp(from), stamp(l.From))}
	case until.After(l.To):
		return Result{Attribution: Pending, Why: fmt.Sprintf("the logs read end %s, before the target was read (%s): a later run attributes the key", stamp(l.To), stamp(until))}
	}
	r := l.decide(target, from, until, own, OnlyWriter)
	if r.Attribution == Unknown {
		r.Why = "no write of ssh-keys or sshKeys on the target in the lookback: the key is older, or came with the VM"
	}
	return r
}

func (l *Log) decide(target string, after, until time.Time, own func(string) bool, one string) Result {
	var first []Write // each candidate's first write in the window
	for _, w := range l.byTarget[target] {
		if !w.At.After(after) || w.At.After(until) || own != nil && own(w.Operation) {
			continue
		}
		if !slices.ContainsFunc(first, func(f Write) bool { return f.Principal == w.Principal }) {
			first = append(first, w)
		}
	}
	switch len(first) {
	case 0:
		return Result{Attribution: Unknown, Why: "no write of ssh-keys or sshKeys logged on the target in the window: written at VM creation, or outside the logs read"}
	case 1:
		w := first[0]
		return Result{Attribution: one, AddedBy: w.Principal, AddedAt: w.At, AddedVia: w.Via}
	}
	names := make([]string, len(first))
	for i, w := range first {
		names[i] = w.Principal
	}
	slices.Sort(names)
	r := Result{Attribution: Ambiguous, Candidates: names}
	if len(names) > MaxCandidates {
		r.Candidates = names[:MaxCandidates]
		r.Why = fmt.Sprintf("%d principals wrote the key items in the window; the first %d listed", len(names), MaxCandidates)
	}
	return r
}

func stamp(t time.Time) string { return t.UTC().Format(time.RFC3339) }

// ClaimsOther tells whether a key's self-declared name names someone
// other than the principal that added it, and gives that name. The
// google-ssh userName is an email, compared whole; a username (before the
// colon of the line) is compared with the principal's local part, as
// Google derives usernames from emails: case folded, with . and - as _.
// A key without a name claims nobody.
func ClaimsOther(username, googleUserName, principal string) (claimed string, other bool) {
	if principal == "" {
		return "", false
	}
	if googleUserName != "" {
		return googleUserName, !strings.EqualFold(googleUserName, principal)
	}
	if username == "" {
		return "", false
	}
	local, _, _ := strings.Cut(principal, "@")
	return username, userKey(username) != userKey(local)
}

func userKey(s string) string {
	return strings.NewReplacer(".", "_", "-", "_").Replace(strings.ToLower(s))
}
