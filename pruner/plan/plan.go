package plan

import (
	"cmp"
	"strings"
	"time"

	"github.com/ssh-pruner/ssh-pruner/keyparse"
)

// Decision is what the policy decided for one key line. It describes the
// key without its material: the fingerprint identifies it. Every string
// taken from metadata is in keyparse.Printable form (bounded, escaped):
// a project editor chooses them.
type Decision struct {
	MetadataKey    string `json:"metadataKey"`
	Line           int    `json:"line"`
	Action         Action `json:"action"`
	Reason         string `json:"reason"`
	Username       string `json:"username"`
	KeyType        string `json:"keyType"`
	Fingerprint    string `json:"fingerprint"`
	GoogleUserName string `json:"googleUserName"`
	// ExpireOn is the key's expiry in UTC (keyparse.FormatTime); "" when
	// the key has none.
	ExpireOn string `json:"expireOn,omitempty"`
	// Rule names the protection that kept the key, if one did.
	Rule string `json:"rule,omitempty"`
	// Otherwise is, for a key kept only by a protection, a report-only
	// rule or the grace, the reason the policy would have removed or
	// moved it for: what a reviewer must see.
	Otherwise string `json:"otherwise,omitempty"`
	// FirstSeen is when the pruner first saw the key on this target, as
	// the state remembers it (keyparse.FormatTime); "" when the run keeps
	// no state.
	FirstSeen string `json:"firstSeen,omitempty"`
	// GraceEnds is, for a key kept by the grace, when the grace ends: the
	// first run after it removes the key.
	GraceEnds string `json:"graceEnds,omitempty"`
	Added
}

// Added is who added a key, from the audit logs (package attribution):
// empty when the run does not attribute keys. Planning leaves it empty;
// the reconciler fills it in.
type Added struct {
	// Attribution is window, only-writer, ambiguous, unknown or pending.
	Attribution string `json:"attribution,omitempty"`
	// AddedBy is the principal that wrote the key, for window and
	// only-writer; AddedAt (keyparse.FormatTime) when, and AddedVia the
	// client it said it was.
	AddedBy  string `json:"addedBy,omitempty"`
	AddedAt  string `json:"addedAt,omitempty"`
	AddedVia string `json:"addedVia,omitempty"`
	// Candidates are the principals of an ambiguous key, space-separated.
	Candidates string `json:"candidates,omitempty"`
	// AttributionWhy says why a key is unknown or pending.
	AttributionWhy string `json:"attributionWhy,omitempty"`
}

// Unattributed is the decision without who added its key: what planning
// decides, which a reviewed plan is compared on.
func (d Decision) Unattributed() Decision {
	d.Added = Added{}
	return d
}

// NeverExpires tells whether the decision's key line carries no expiry
// the agent reads and is not rejected for being invalid, whatever was
// decided: a key without expiry that a grace, a protection or a
// report-only rule keeps is one too. It reads what the decision keeps of
// the line: a Google-managed line is kept valid or not, without saying
// which, so one without expiry counts whether or not the agent accepts it.
func (d Decision) NeverExpires() bool {
	return d.ExpireOn == "" && !strings.HasPrefix(d.Reason, reasonInvalidPrefix) && !strings.HasPrefix(d.Otherwise, reasonInvalidPrefix)
}

// Plan is what pruning one target's metadata would change.
type Plan struct {
	// Decisions has one entry per key line of ssh-keys and sshKeys, in
	// item order then line order. Blank lines are not keys and have none.
	Decisions []Decision `json:"decisions"`
	// Items is the whole item list to write: every item of the input in
	// its order, only the values of ssh-keys and sshKeys possibly changed,
	// an sshKeys item appended when a Google key moves and there was none,
	// and the Guard's item set or appended.
	Items []Item `json:"items"`
	// Guard is the item the plan sets so that the prune widens no access;
	// nil when none is needed.
	Guard *Guard `json:"guard,omitempty"`
	// Changed is false when Items equals the input: nothing is to be written.
	Changed bool `json:"changed"`
}

// Listed appends to dst the decisions a report lists: what is
// removed or moved, and what only a protection, a report-only rule or the
// grace keeps, which a reviewer must see.
//
// A report keeps its decisions to the end of the run, so each is
// detached from the metadata it was planned from: the strings a line was
// parsed into (username, key type, google-ssh userName) are parts of the
// whole metadata value, and kept as they are they would keep every value
// with a listed key in memory, a few KB a project (up to 256 KiB), for
// the whole run.
func Listed(dst, ds []Decision) []Decision {
	for _, d := range ds {
		if d.Action != ActionKeep || d.Otherwise != "" {
			dst = append(dst, d.detached())
		}
	}
	return dst
}

// detached is d with its own copy of the strings parsed out of the
// metadata value.
func (d Decision) detached() Decision {
	d.Username = strings.Clone(d.Username)
	d.KeyType = strings.Clone(d.KeyType)
	d.GoogleUserName = strings.Clone(d.GoogleUserName)
	return d
}

// Count returns how many decisions took action a.
func (p Plan) Count(a Action) int {
	n := 0
	for _, d := range p.Decisions {
		if d.Action == a {
			n++
		}
	}
	return n
}

// Input is what planning one target needs.
type Input struct {
	Level Level
	// Windows tells that the target is a Windows VM's metadata, whose
	// agent reads keys by other rules (EffectiveAccess).
	Windows  bool
	Metadata Metadata
	// FirstSeen tells, by fingerprint, when each key was first seen on
	// the target (Sightings); a key it does not list is first seen now.
	// nil when the run keeps no state.
	FirstSeen map[string]time.Time
}

// Make applies the policy to a target's metadata as of now. It is
// pure: the same input always gives the same plan.
//
// A line that stays keeps its bytes. An item none of whose lines goes keeps
// its whole value, blank lines and line endings included; an item that
// loses a line is rewritten from the lines that stay, without blank lines.
// Items are never removed: an item that loses every line stays, empty.
// Google-managed keys move from ssh-keys to sshKeys at project level only.
func Make(in Input, policy Policy, now time.Time) Plan {
	md := in.Metadata
	plan := Plan{Items: make([]Item, len(md.Items))}
	copy(plan.Items, md.Items)

	var s sorted
	plan.Decisions = s.sort(in, policy, now)
	appended := s.toAppend()
	if len(appended) > 0 && s.legacy >= 0 {
		s.touched[s.legacy] = true
	}
	for i := range s.touched {
		var in []keyparse.Line
		if i == s.legacy {
			in = appended
		}
		v := joinLines(Value(md.Items[i]), s.kept[i], in)
		plan.Items[i].Value = &v
	}
	if len(appended) > 0 && s.legacy < 0 {
		v := joinLines("", nil, appended)
		plan.Items = append(plan.Items, Item{Key: KeyLegacySSHKeys, Value: &v})
	}
	plan.Items, plan.Guard = guardBlock(in, plan.Items)
	plan.Changed = !sameItems(md.Items, plan.Items)
	return plan
}

// sorted is where the lines of a target's key items go.
type sorted struct {
	moved   []keyparse.Line
	kept    map[int][]keyparse.Line // item index -> lines that stay
	touched map[int]bool            // item index -> a line left it
	legacy  int                     // index of the first sshKeys item; -1 for none
}

// sort decides every non-blank line of the key items, in item order then
// line order, and notes where each goes.
func (s *sorted) sort(in Input, policy Policy, now time.Time) []Decision {
	s.kept, s.touched, s.legacy = map[int][]keyparse.Line{}, map[int]bool{}, -1
	var ds []Decision
	for i, it := range in.Metadata.Items {
		if it.Key != KeySSHKeys && it.Key != KeyLegacySSHKeys {
			continue
		}
		if it.Key == KeyLegacySSHKeys && s.legacy < 0 {
			s.legacy = i
		}
		for _, l := range keyparse.Parse(Value(it)) {
			if l.Invalid == keyparse.ReasonBlank {
				continue
			}
			d := policy.lineDecision(in, it.Key, l, now)
			ds = append(ds, d)
			switch d.Action {
			case ActionKeep:
				s.kept[i] = append(s.kept[i], l)
			case ActionMove:
				s.moved = append(s.moved, l)
				s.touched[i] = true
			default:
				s.touched[i] = true
			}
		}
	}
	return ds
}

// toAppend is what moves into sshKeys: each moved grant once, and none
// that sshKeys already keeps.
func (s *sorted) toAppend() []keyparse.Line {
	if len(s.moved) == 0 {
		return nil
	}
	present := make(map[string]bool)
	if s.legacy >= 0 {
		for _, l := range s.kept[s.legacy] {
			present[identity(l)] = true
		}
	}
	var out []keyparse.Line
	for _, l := range s.moved {
		if !present[identity(l)] {
			present[identity(l)] = true
			out = append(out, l)
		}
	}
	return out
}

// lineDecision is the whole policy for one line of item key: the rules
// of decide, then the grace, then the protections, which have the last
// word.
func (p Policy) lineDecision(in Input, key string, l keyparse.Line, now time.Time) Decision {
	decided, why := p.decide(in.Level, key, l, now)
	first := firstSeen(in.FirstSeen, l, now)
	action, reason, graceEnds := p.grace(decided, why, first, now)
	action, reason, rule := p.protect(in.Level, key, l, action, reason)
	d := decision(key, l, action, reason)
	d.Rule = rule
	if action == ActionKeep && decided != ActionKeep {
		d.Otherwise = why
	}
	if in.FirstSeen != nil && l.Fingerprint != "" {
		d.FirstSeen = keyparse.FormatTime(first)
	}
	if reason == ReasonGrace {
		d.GraceEnds = keyparse.FormatTime(graceEnds)
	}
	return d
}

func decision(key string, l keyparse.Line, a Action, reason string) Decision {
	d := Decision{
		MetadataKey: key,
		Line:        l.Number,
		Action:      a,
		Reason:      reason,
		Username:    l.DisplayUser(),
		KeyType:     keyparse.Printable(l.KeyType),
		Fingerprint: l.Fingerprint,
	}
	if l.Google != nil {
		d.GoogleUserName = keyparse.Printable(l.Google.UserName)
	}
	if l.Expires() {
		d.ExpireOn = keyparse.FormatTime(l.ExpireOn)
	}
	return d
}

// identity tells two lines apart for moving without duplicating: the same
// user with the same key is the same grant, whatever the comment says.
func identity(l keyparse.Line) string {
	if l.Blob == "" {
		return "\x00" + strings.TrimSpace(l.Text)
	}
	return l.Username + "\x00" + l.KeyType + "\x00" + l.Blob
}

// joinLines rebuilds an item value from the lines that stay, each with its
// own bytes, then the lines moved in. Every line keeps its own line
// ending; one that had none (the last line of its item) gets "\n", never
// "\r\n": the agents split a value at "\n" only, so a "\r" before it is
// part of the line, and the guest agent of 2023 reads "google-ssh\r" as
// a comment that never expires (keyparse.OlderAgentNeverExpires). A "\r"
// the line did not have could open a VM to it. The value ends with a line
// ending only if the original did.
func joinLines(original string, kept, appended []keyparse.Line) string {
	lines := make([]keyparse.Line, 0, len(kept)+len(appended))
	lines = append(lines, kept...)
	lines = append(lines, appended...)
	var b strings.Builder
	for i, l := range lines {
		b.WriteString(l.Text)
		if i < len(lines)-1 || strings.HasSuffix(original, "\n") {
			b.WriteString(cmp.Or(l.EOL, "\n"))
		}
	}
	return b.String()
}

func sameItems(a, b []Item) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i].Key != b[i].Key || (a[i].Value == nil) != (b[i].Value == nil) || Value(a[i]) != Value(b[i]) {
			return false
		}
	}
	return true
}
