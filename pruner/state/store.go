package state

import (
	"context"
	"errors"
	"fmt"
	"strings"
)

// Errors of a Store.
var (
	// ErrNoState: the store holds no such object yet.
	ErrNoState = errors.New("no state yet")
	// ErrConflict: the object changed since it was loaded; another run
	// wrote it.
	ErrConflict = errors.New("state changed since it was read")
)

// Store keeps the state's objects between runs, as bytes, by name:
// RunObject, and one object a project (ProjectObject). Only the pruner
// may write them: a key's age must not be up to whoever can add the key.
//
// A store never lets two runs overwrite each other: Save writes an object
// only if it is still at the version Load read ("" for one that must not
// exist yet), else it fails with an error that wraps ErrConflict and
// writes nothing.
type Store interface {
	// Load reads an object and a token of its version; an error that
	// wraps ErrNoState when there is none.
	Load(ctx context.Context, name string) (data []byte, version string, err error)
	// Save writes an object if it is still at version and returns the
	// new version.
	Save(ctx context.Context, name string, data []byte, version string) (string, error)
	// String says where the state lives, for messages.
	String() string
}

// Names of the state's objects under its prefix.
const (
	// RunObject holds what is run-wide: the format's version and a hold.
	RunObject = "run.json"
	// LegacyObject is where the single-object state of version 1 was
	// kept, beside the prefix's objects: a prefix that holds one is
	// migrated on first read.
	LegacyObject = "state.json"
)

// ProjectObject names the object of a project.
func ProjectObject(project string) (string, error) {
	if err := checkProjectID(project); err != nil {
		return "", err
	}
	return "projects/" + project + ".json", nil
}

// checkProjectID accepts what Resource Manager names projects with
// (lowercase letters, digits, hyphens, and a domain prefix before a
// colon): nothing that could leave the state's prefix.
func checkProjectID(id string) error {
	if id == "" || len(id) > 100 || strings.Trim(id, "abcdefghijklmnopqrstuvwxyz0123456789-.:") != "" || strings.Contains(id, "..") {
		return fmt.Errorf("project id %q: not one a state names", id)
	}
	return nil
}
