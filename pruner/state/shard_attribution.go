package state

import (
	"errors"
	"fmt"
	"time"

	"github.com/ssh-pruner/ssh-pruner/keyparse"
	"github.com/ssh-pruner/ssh-pruner/pruner/attribution"
)

// What a project's object keeps for attribution (package attribution):
// who added each key once a run settled it, the pruner's own writes of a
// target, and when each read of a target started. Only runs with
// --audit-logs write them; every run reads and keeps them.

type ownWriteFile struct {
	Operation string `json:"op"`
	At        int64  `json:"at"`
}

// shardAttrFile is an attribution.Result. No key material: a principal's
// email, a time, a client's name.
type shardAttrFile struct {
	Attribution string   `json:"r"`
	By          string   `json:"by,omitempty"`
	At          int64    `json:"at,omitempty"`
	Via         string   `json:"via,omitempty"`
	Candidates  []string `json:"c,omitempty"`
	Why         string   `json:"why,omitempty"`
}

func encodeAttr(r *attribution.Result) *shardAttrFile {
	if r == nil {
		return nil
	}
	f := &shardAttrFile{Attribution: r.Attribution, By: r.AddedBy, Via: r.AddedVia, Candidates: r.Candidates, Why: r.Why}
	if !r.AddedAt.IsZero() {
		f.At = r.AddedAt.Unix()
	}
	return f
}

// decodeAttr checks an attribution as a run writes it: a settled value,
// strings a run could have written, a bounded list.
func decodeAttr(f *shardAttrFile) (*attribution.Result, error) {
	if f == nil {
		return nil, nil
	}
	switch f.Attribution {
	case attribution.Window, attribution.OnlyWriter, attribution.Ambiguous, attribution.Unknown:
	default:
		return nil, fmt.Errorf(`attribution "%s": not one a run settles`, keyparse.Printable(f.Attribution))
	}
	if len(f.Candidates) > attribution.MaxCandidates {
		return nil, fmt.Errorf("%d candidates, more than the %d a run lists", len(f.Candidates), attribution.MaxCandidates)
	}
	for field, v := range map[string]string{"by": f.By, "via": f.Via} {
		if err := printable(field, v); err != nil {
			return nil, err
		}
	}
	if keyparse.Printable(f.Why) != f.Why || len(f.Why) > 1024 {
		return nil, fmt.Errorf(`why "%s": not as ssh-pruner writes it`, keyparse.Printable(f.Why))
	}
	for _, c := range f.Candidates {
		if err := printable("candidate", c); err != nil {
			return nil, err
		}
	}
	if (f.By != "") != (f.Attribution == attribution.Window || f.Attribution == attribution.OnlyWriter) || f.At < 0 {
		return nil, errors.New("by and at go with window and only-writer, and only with them")
	}
	r := &attribution.Result{Attribution: f.Attribution, AddedBy: f.By, AddedVia: f.Via, Candidates: f.Candidates, Why: f.Why}
	if f.At > 0 {
		r.AddedAt = unixTime(f.At)
	}
	return r, nil
}

// decodeReadAt reads when a target's read started (ra), by the wall clock
// and not clamped: a start ahead would narrow a window, so it is taken as
// no start at all.
func decodeReadAt(ms int64) (time.Time, error) {
	if ms < 0 {
		return time.Time{}, errors.New("ra (when the read started) is negative")
	}
	at := unixMilli(ms)
	if at.After(time.Now().Add(clockSkew)) {
		return time.Time{}, nil
	}
	return at, nil
}

// decodeOwn reads the pruner's own writes of a target.
func decodeOwn(files []ownWriteFile) ([]OwnWrite, error) {
	if len(files) > maxOwnWrites {
		return nil, fmt.Errorf("%d own writes, more than the %d a run keeps", len(files), maxOwnWrites)
	}
	var out []OwnWrite
	for _, o := range files {
		if err := printable("own.op", o.Operation); err != nil || o.Operation == "" || o.At <= 0 {
			return nil, fmt.Errorf(`own write "%s": an operation and a time are needed, as a run writes them`, keyparse.Printable(o.Operation))
		}
		out = append(out, OwnWrite{Operation: o.Operation, At: unixTime(o.At)})
	}
	return out, nil
}
