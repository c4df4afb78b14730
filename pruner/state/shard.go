package state

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"strings"
	"time"

	"github.com/ssh-pruner/ssh-pruner/keyparse"
)

// Target is what the state remembers of one metadata target: when a run
// last read it, and the keys it saw there, by fingerprint.
type Target struct {
	Read time.Time
	// ReadAt is when, by the wall clock, the read that Read stands for
	// started: the start of the window of a key that comes after it.
	// Kept by runs that attribute; zero otherwise.
	ReadAt time.Time
	Keys   map[string]Seen
	// Own are the pruner's own writes of the target that a key's window,
	// open or to come, may still hold: never a candidate for who added
	// a key.
	Own []OwnWrite
}

// OwnWrite is a metadata write the pruner made: the operation the audit
// log names it by, and when it was done, by the wall clock.
type OwnWrite struct {
	Operation string
	At        time.Time
}

// maxOwnWrites bounds the own writes a target keeps; a run writes a
// target at most a few times.
const maxOwnWrites = 64

// Shard is what the state remembers of one project: its own metadata
// and its VMs, by target name (plan.Target.String). One object a project,
// read when the project is handled and written when it changed, keeps
// the memory of a run bounded by the projects under way, whatever the
// size of the organization.
type Shard struct {
	Project string
	Targets map[string]Target
}

// Keys counts the keys the shard remembers.
func (s Shard) Keys() int {
	n := 0
	for _, t := range s.Targets {
		n += len(t.Keys)
	}
	return n
}

// The format of a project's object. Times are Unix seconds; a first
// sighting is rounded up to its second, so that it can only make a key
// younger, never older. A key costs about 80 bytes, plus its attribution
// (who added it, the client, when: about 100 more with a principal of 30
// characters, BenchmarkProjectState) or, until a run settles it, its
// window (w and u, in milliseconds: 36):
//
//	{"kind":"ssh-pruner-project-state","version":2,"project":"p","written":1764000000,
//	 "targets":{"projects/p":{"read":1764000000,"keys":{"SHA256:…":{"f":1764000000,"l":1764000000}}}}}
const (
	shardKind = "ssh-pruner-project-state"
	// Version is the version of the sharded state: the run object and
	// the projects' objects.
	Version = 2
	// MaxShardSize bounds a project's object: a project of 10,000 VMs
	// with 20 keys each takes 16 MB.
	MaxShardSize = 64 << 20
	// clockSkew is how far ahead of the reader's clock an object may say
	// it was written before it is taken for a bad state: another machine's
	// clock, within reason.
	clockSkew = time.Hour
)

type shardFile struct {
	Kind    string                     `json:"kind"`
	Version int                        `json:"version"`
	Project string                     `json:"project"`
	Written int64                      `json:"written"`
	Targets map[string]shardTargetFile `json:"targets"`
}

type shardTargetFile struct {
	Read int64 `json:"read"`
	// ReadAt is in Unix milliseconds, rounded down: two writes a second
	// apart are two windows, not one.
	ReadAt int64                   `json:"ra,omitempty"`
	Keys   map[string]shardKeyFile `json:"keys"`
	Own    []ownWriteFile          `json:"own,omitempty"`
}

type shardKeyFile struct {
	First int64 `json:"f"`
	Last  int64 `json:"l"`
	// After and Until are a key's window while it is not attributed: the
	// Unix milliseconds of the read before it (0 for none), rounded down,
	// and of the read that found it, rounded up.
	After int64 `json:"w,omitempty"`
	Until int64 `json:"u,omitempty"`
	// Attr is who added the key, once settled.
	Attr *shardAttrFile `json:"a,omitempty"`
}

// EncodeShard gives the bytes of a project's object, written at written
// (the wall clock). The same shard gives the same bytes.
func EncodeShard(s Shard, written time.Time) ([]byte, error) {
	f := shardFile{Kind: shardKind, Version: Version, Project: s.Project, Written: written.Unix(),
		Targets: make(map[string]shardTargetFile, len(s.Targets))}
	for name, t := range s.Targets {
		// A read is rounded down: it opens the window of the keys that
		// come after it (package attribution), which may start early,
		// never late.
		tf := shardTargetFile{Read: t.Read.Unix(), Keys: make(map[string]shardKeyFile, len(t.Keys))}
		if !t.ReadAt.IsZero() {
			tf.ReadAt = t.ReadAt.UnixMilli()
		}
		for _, o := range t.Own {
			tf.Own = append(tf.Own, ownWriteFile{Operation: o.Operation, At: ceilUnix(o.At)})
		}
		for fp, seen := range t.Keys {
			kf := shardKeyFile{First: ceilUnix(seen.First), Last: ceilUnix(seen.Last), Attr: encodeAttr(seen.Attr)}
			if seen.Attr == nil && !seen.Until.IsZero() {
				kf.Until = ceilMilli(seen.Until)
				if !seen.After.IsZero() {
					kf.After = seen.After.UnixMilli()
				}
			}
			tf.Keys[fp] = kf
		}
		f.Targets[name] = tf
	}
	data, err := json.Marshal(f)
	if err != nil {
		return nil, fmt.Errorf("encode state of project %s: %w", s.Project, err)
	}
	return append(data, '\n'), nil
}

// ceilMilli is t in Unix milliseconds, rounded up.
func ceilMilli(t time.Time) int64 {
	ms := t.UnixMilli()
	if t.Nanosecond()%int(time.Millisecond) > 0 {
		ms++
	}
	return ms
}

// ceilUnix is t in Unix seconds, rounded up.
func ceilUnix(t time.Time) int64 {
	s := t.Unix()
	if t.Nanosecond() > 0 {
		s++
	}
	return s
}

// DecodeShard reads a project's object and checks all of it. An object
// that is not whole and right (not JSON, another kind or project, a name
// or fingerprint that no run writes, a key or target twice, written in
// the future) is refused with an error that names where, every string of
// the input escaped. Times ahead of now, which a clock ahead wrote, are
// taken as now: a key is never older than what is seen of it, and no
// person is needed; each is said in a warning naming how far ahead.
func DecodeShard(data []byte, project string, now time.Time) (Shard, []string, error) {
	if len(data) > MaxShardSize {
		return Shard{}, nil, fmt.Errorf("%d bytes, more than the %d a project's state may have", len(data), MaxShardSize)
	}
	if err := noDuplicateKeys(data); err != nil {
		return Shard{}, nil, err
	}
	var f shardFile
	if err := decodeStrict(data, &f); err != nil {
		return Shard{}, nil, err
	}
	switch {
	case f.Kind != shardKind:
		return Shard{}, nil, fmt.Errorf(`kind "%s", want "%s"`, keyparse.Printable(f.Kind), shardKind)
	case f.Version != Version:
		return Shard{}, nil, fmt.Errorf("version %d, this ssh-pruner reads version %d", f.Version, Version)
	case f.Project != project:
		return Shard{}, nil, fmt.Errorf(`project "%s", want "%s"`, keyparse.Printable(f.Project), keyparse.Printable(project))
	case writtenAhead(f.Written):
		return Shard{}, nil, fmt.Errorf("written %s, in the future", keyparse.FormatTime(time.Unix(f.Written, 0)))
	case f.Targets == nil:
		return Shard{}, nil, errors.New("no targets")
	}
	s := Shard{Project: project, Targets: make(map[string]Target, len(f.Targets))}
	var ahead aheadTimes
	for name, tf := range f.Targets {
		t, err := decodeTarget(name, project, tf, now, &ahead)
		if err != nil {
			return Shard{}, nil, err
		}
		s.Targets[name] = t
	}
	return s, ahead.warnings(), nil
}

func decodeTarget(name, project string, tf shardTargetFile, now time.Time, ahead *aheadTimes) (Target, error) {
	where := fmt.Sprintf(`target "%s"`, keyparse.Printable(name))
	if err := checkTargetName(name); err != nil {
		return Target{}, fmt.Errorf("%s: %v", where, err)
	}
	if !strings.HasPrefix(name+"/", "projects/"+project+"/") {
		return Target{}, fmt.Errorf("%s: not of project %s", where, keyparse.Printable(project))
	}
	if tf.Keys == nil {
		return Target{}, fmt.Errorf("%s: no keys", where)
	}
	t := Target{Read: ahead.clamp(unixTime(tf.Read), now), Keys: make(map[string]Seen, len(tf.Keys))}
	var err error
	if t.ReadAt, err = decodeReadAt(tf.ReadAt); err != nil {
		return Target{}, fmt.Errorf("%s: %v", where, err)
	}
	if t.Own, err = decodeOwn(tf.Own); err != nil {
		return Target{}, fmt.Errorf("%s: %v", where, err)
	}
	for fp, k := range tf.Keys {
		seen, err := decodeKey(fp, k, now, ahead)
		if err != nil {
			return Target{}, fmt.Errorf(`%s, key "%s": %v`, where, keyparse.Printable(fp), err)
		}
		t.Keys[fp] = seen
	}
	return t, nil
}

// decodeKey checks what a project's object says of one key.
func decodeKey(fp string, k shardKeyFile, now time.Time, ahead *aheadTimes) (Seen, error) {
	switch {
	case !keyparse.IsFingerprint(fp):
		return Seen{}, errors.New("not a SHA256 fingerprint")
	case k.First <= 0 || k.Last <= 0:
		return Seen{}, errors.New("f and l (first and last seen) are both needed")
	case k.Last < k.First:
		return Seen{}, errors.New("last seen before first seen")
	case k.After < 0 || k.Until < 0 || k.After > 0 && k.Until == 0 || k.Until > 0 && k.After > k.Until:
		return Seen{}, errors.New("w and u (the window) are a start no later than an end")
	case k.Until > 0 && k.Attr != nil:
		return Seen{}, errors.New("a window and an attribution: a key has one until it has the other")
	}
	attr, err := decodeAttr(k.Attr)
	if err != nil {
		return Seen{}, err
	}
	// A window is by the wall clock, and is not clamped: an end ahead
	// only makes the window wider.
	return Seen{First: ahead.clamp(unixTime(k.First), now), Last: ahead.clamp(unixTime(k.Last), now),
		After: unixMilli(k.After), Until: unixMilli(k.Until), Attr: attr}, nil
}

// writtenAhead tells whether an object says it was written later than
// the wall clock allows: a write is stamped with the writer's wall clock
// (not the run's clock, which tests fix), so only a hand edit or a clock
// far ahead gives one, and a person must look.
func writtenAhead(written int64) bool {
	return time.Unix(written, 0).After(time.Now().Add(clockSkew))
}

func unixMilli(ms int64) time.Time {
	if ms <= 0 {
		return time.Time{}
	}
	return time.UnixMilli(ms).UTC()
}

func unixTime(s int64) time.Time {
	if s <= 0 || s > math.MaxInt64/2 {
		return time.Time{}
	}
	return time.Unix(s, 0).UTC()
}

// aheadTimes takes times ahead of the clock as now, and keeps how far
// ahead the furthest was.
type aheadTimes struct {
	n   int
	max time.Duration
}

func (a *aheadTimes) clamp(t, now time.Time) time.Time {
	if !t.After(now) {
		return t
	}
	if t.Sub(now) < time.Second {
		// A time rounded up to its second, read in that second: no
		// clock is ahead.
		return now.UTC()
	}
	a.n++
	a.max = max(a.max, t.Sub(now))
	return now.UTC()
}

func (a aheadTimes) warnings() []string {
	if a.n == 0 {
		return nil
	}
	return []string{fmt.Sprintf("%d times up to %s ahead of this run's clock taken as now: those keys are removed later, never sooner", a.n, a.max.Round(time.Second))}
}

// decodeStrict decodes one JSON value into v, refusing unknown fields and
// anything after it.
func decodeStrict(data []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return fmt.Errorf("not a state: %s", jsonError(data, err))
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return errors.New("not a state: data after its end")
	}
	return nil
}

// noDuplicateKeys refuses a JSON document in which an object names a key
// twice: encoding/json keeps the last silently, and a state that says
// two things of one key is not one a run wrote.
func noDuplicateKeys(data []byte) error {
	type frame struct {
		keys    map[string]bool // nil for an array
		wantKey bool
	}
	var stack []*frame
	valueDone := func() {
		if n := len(stack); n > 0 && stack[n-1].keys != nil {
			stack[n-1].wantKey = true
		}
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	for {
		tok, err := dec.Token()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return fmt.Errorf("not a state: %s", jsonError(data, err))
		}
		if n := len(stack); n > 0 && stack[n-1].wantKey {
			if tok == json.Delim('}') {
				stack = stack[:n-1]
				valueDone()
				continue
			}
			key, _ := tok.(string) // the decoder gives an object's keys as strings
			if stack[n-1].keys[key] {
				return fmt.Errorf(`not a state: "%s" twice in one object`, keyparse.Printable(key))
			}
			stack[n-1].keys[key], stack[n-1].wantKey = true, false
			continue
		}
		switch tok {
		case json.Delim('{'):
			stack = append(stack, &frame{keys: map[string]bool{}, wantKey: true})
			continue
		case json.Delim('['):
			stack = append(stack, &frame{})
			continue
		case json.Delim(']'):
			stack = stack[:len(stack)-1]
		}
		valueDone()
	}
}
