package state

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/ssh-pruner/ssh-pruner/keyparse"
	"github.com/ssh-pruner/ssh-pruner/pruner/attribution"
)

// Seen is when the pruner first and last saw a key on a target, and who
// added it.
type Seen struct {
	First time.Time `json:"firstSeen"`
	Last  time.Time `json:"lastSeen"`
	// After and Until are, for a key not attributed yet, its window by
	// the wall clock: the read of its target before the key (zero for
	// none) and the read that first found it. Kept only by runs that
	// attribute (Sightings.TrackWindows), until the key is.
	After, Until time.Time `json:"-"`
	// Attr is who added the key, once settled; nil until then.
	Attr *attribution.Result `json:"-"`
}

// State is the single-object state of version 1: for each target, by
// name (plan.Target.String), the keys it saw, by fingerprint, and when.
// It is read only to be migrated into projects' objects (migrate.go).
type State struct {
	Targets map[string]map[string]Seen
}

// Keys counts the keys the state remembers over all targets.
func (s State) Keys() int {
	n := 0
	for _, keys := range s.Targets {
		n += len(keys)
	}
	return n
}

// The state's file format.
const (
	stateKind    = "ssh-pruner-state"
	stateVersion = 1
	// MaxStateSize bounds a state: 10,000 projects with 10 VMs of 5 keys
	// each take 75 MB (BenchmarkStateRun).
	MaxStateSize = 128 << 20
)

type stateFile struct {
	Kind    string                     `json:"kind"`
	Version int                        `json:"version"`
	Written time.Time                  `json:"written"`
	Targets map[string]map[string]Seen `json:"targets"`
}

// EncodeState gives the bytes of a state, written at written. The same
// state gives the same bytes (targets and keys in order).
func EncodeState(s State, written time.Time) ([]byte, error) {
	f := stateFile{Kind: stateKind, Version: stateVersion, Written: written.UTC(), Targets: s.Targets}
	if f.Targets == nil {
		f.Targets = map[string]map[string]Seen{}
	}
	// Compact: an indented state is a third larger.
	data, err := json.Marshal(f)
	if err != nil {
		// Only a time past year 9999 fails: a clock that far ahead.
		return nil, fmt.Errorf("encode state: %w", err)
	}
	return append(data, '\n'), nil
}

// DecodeState reads a single-object state of version 1 and checks all of
// it, as DecodeShard checks a project's object: a state that is not whole
// and right is refused, never half used, and times ahead of now are taken
// as now, each said in a warning.
func DecodeState(data []byte, now time.Time) (State, []string, error) {
	if len(data) > MaxStateSize {
		return State{}, nil, fmt.Errorf("%d bytes, more than the %d a state may have", len(data), MaxStateSize)
	}
	if err := noDuplicateKeys(data); err != nil {
		return State{}, nil, err
	}
	var f stateFile
	if err := decodeStrict(data, &f); err != nil {
		return State{}, nil, err
	}
	switch {
	case f.Kind != stateKind:
		return State{}, nil, fmt.Errorf(`kind "%s", want "%s"`, keyparse.Printable(f.Kind), stateKind)
	case f.Version != stateVersion:
		return State{}, nil, fmt.Errorf("version %d, this ssh-pruner reads version %d", f.Version, stateVersion)
	case writtenAhead(f.Written.Unix()):
		return State{}, nil, fmt.Errorf("written %s, in the future", keyparse.FormatTime(f.Written))
	case f.Targets == nil:
		return State{}, nil, errors.New("no targets")
	}
	var ahead aheadTimes
	for name, keys := range f.Targets {
		if err := checkTarget(name, keys, now, &ahead); err != nil {
			return State{}, nil, err
		}
	}
	return State{Targets: f.Targets}, ahead.warnings(), nil
}

// checkTarget checks what the state remembers of one target, and puts its
// times in UTC, those ahead of now taken as now.
func checkTarget(name string, keys map[string]Seen, now time.Time, ahead *aheadTimes) error {
	if err := checkTargetName(name); err != nil {
		return fmt.Errorf(`target "%s": %v`, keyparse.Printable(name), err)
	}
	if keys == nil {
		return fmt.Errorf(`target "%s": no keys`, keyparse.Printable(name))
	}
	for fp, seen := range keys {
		where := fmt.Sprintf(`target "%s", key "%s"`, keyparse.Printable(name), keyparse.Printable(fp))
		switch {
		case !keyparse.IsFingerprint(fp):
			return fmt.Errorf("%s: not a SHA256 fingerprint", where)
		case seen.First.IsZero() || seen.Last.IsZero():
			return fmt.Errorf("%s: firstSeen and lastSeen are both needed", where)
		case seen.Last.Before(seen.First):
			return fmt.Errorf("%s: lastSeen %s is before firstSeen %s", where, keyparse.FormatTime(seen.Last), keyparse.FormatTime(seen.First))
		}
		keys[fp] = Seen{First: ahead.clamp(seen.First.UTC(), now), Last: ahead.clamp(seen.Last.UTC(), now)}
	}
	return nil
}

// jsonError places a decoding error in the input by line.
func jsonError(data []byte, err error) string {
	var syn *json.SyntaxError
	var typ *json.UnmarshalTypeError
	off := int64(-1)
	switch {
	case errors.As(err, &syn):
		off = syn.Offset
	case errors.As(err, &typ):
		off = typ.Offset
	}
	msg := errorText(err.Error())
	if off < 0 || off > int64(len(data)) {
		return msg
	}
	return fmt.Sprintf("line %d: %s", bytes.Count(data[:off], []byte("\n"))+1, msg)
}

// checkTargetName accepts the names Target.String gives.
func checkTargetName(name string) error {
	rest, ok := strings.CutPrefix(name, "projects/")
	if !ok {
		return errors.New("want projects/P or projects/P/zones/Z/instances/I")
	}
	parts := strings.Split(rest, "/")
	switch {
	case len(parts) == 1 && parts[0] != "":
		return nil
	case len(parts) == 5 && parts[0] != "" && parts[1] == "zones" && parts[2] != "" && parts[3] == "instances" && parts[4] != "":
		return nil
	}
	return errors.New("want projects/P or projects/P/zones/Z/instances/I")
}

// errorText makes a decoder's message safe to print: it quotes the
// input's bytes (a time that does not parse), which may hold terminal
// escapes, and a value of any length. A backslash stays as it is: the
// decoder's own quoting already escapes with it.
func errorText(s string) string {
	const max = 300
	var b strings.Builder
	for i, r := range s {
		if b.Len() >= max {
			fmt.Fprintf(&b, "…(+%d bytes)", len(s)-i)
			break
		}
		switch {
		case r == utf8.RuneError:
			b.WriteString(`\ufffd`)
		case unicode.IsPrint(r):
			b.WriteRune(r)
		default:
			q := strconv.QuoteRuneToASCII(r)
			b.WriteString(q[1 : len(q)-1])
		}
	}
	return b.String()
}
