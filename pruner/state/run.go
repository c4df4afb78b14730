package state

import (
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/ssh-pruner/ssh-pruner/keyparse"
)

// Hold is what a run that stopped at the run's removal limit leaves in
// the state: until a person releases it ('ssh-pruner state release'),
// every run with this state is a dry run, so that the first cleanup of
// an organization is read before it is finished.
type Hold struct {
	Since time.Time `json:"since"`
	RunID string    `json:"runId"`
	// Limit is the run's removal limit; Held the targets it held.
	Limit int `json:"limit"`
	Held  int `json:"held"`
}

// String says what the hold is, for reports and logs.
func (h Hold) String() string {
	return fmt.Sprintf("run %s stopped at its limit of %d removals on %s, holding %d targets; every run is a dry run until 'ssh-pruner state release'",
		keyparse.Printable(h.RunID), h.Limit, keyparse.FormatTime(h.Since), h.Held)
}

// runFile is the run object: small, and written only when what is
// run-wide changes (the first run, a migration, a hold and its release),
// so that runs sharded by folder over one prefix do not contend.
//
//	{"kind":"ssh-pruner-state","version":2,"written":1764000000,"hold":{...}}
type runFile struct {
	Kind    string `json:"kind"`
	Version int    `json:"version"`
	Written int64  `json:"written"`
	// MigratedFrom names the single-object state the projects' objects
	// were made from, once.
	MigratedFrom string `json:"migratedFrom,omitempty"`
	Hold         *Hold  `json:"hold,omitempty"`
}

func encodeRun(f runFile, written time.Time) ([]byte, error) {
	f.Kind, f.Version, f.Written = stateKind, Version, written.Unix()
	data, err := marshalLine(f)
	if err != nil {
		return nil, fmt.Errorf("encode state: %w", err)
	}
	return data, nil
}

// decodeRun reads the run object. A legacy single-object state under the
// run object's name (version 1) is told apart by errLegacy.
func decodeRun(data []byte, now time.Time) (runFile, error) {
	if err := noDuplicateKeys(data); err != nil {
		return runFile{}, err
	}
	var probe struct {
		Kind    string
		Version int
	}
	if json.Unmarshal(data, &probe) == nil && probe.Kind == stateKind && probe.Version == stateVersion {
		return runFile{}, fmt.Errorf("a single-object state of version 1, where the run object of version %d goes: move it to %s beside it, and it is migrated on the next run", Version, LegacyObject)
	}
	var f runFile
	if err := decodeStrict(data, &f); err != nil {
		return runFile{}, err
	}
	switch {
	case f.Kind != stateKind:
		return f, fmt.Errorf(`kind "%s", want "%s"`, keyparse.Printable(f.Kind), stateKind)
	case f.Version != Version:
		return f, fmt.Errorf("version %d, this ssh-pruner reads version %d", f.Version, Version)
	case writtenAhead(f.Written):
		return f, fmt.Errorf("written %s, in the future", keyparse.FormatTime(time.Unix(f.Written, 0)))
	}
	if h := f.Hold; h != nil {
		if h.Since.IsZero() || h.Limit < 0 || h.Held < 0 {
			return f, errors.New("hold: since, limit and held are needed")
		}
		if err := printable("hold.runId", h.RunID); err != nil {
			return f, err
		}
	}
	return f, nil
}

func printable(field, v string) error {
	if keyparse.Printable(v) != v || len(v) > 256 {
		return fmt.Errorf(`%s "%s": not as ssh-pruner writes it`, field, keyparse.Printable(v))
	}
	return nil
}
