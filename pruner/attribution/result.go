package attribution

import "time"

// The values of Result.Attribution.
const (
	Window     = "window"
	OnlyWriter = "only-writer"
	Ambiguous  = "ambiguous"
	Unknown    = "unknown"
	Pending    = "pending"
)

// MaxCandidates bounds the candidates a result lists; a window with more
// writers says how many in Why.
const MaxCandidates = 10

// Result is who added a key.
type Result struct {
	// Attribution is one of the values above.
	Attribution string
	// AddedBy, AddedAt and AddedVia are the write that added the key,
	// for window and only-writer: the first write of the key items by
	// that principal in the window.
	AddedBy  string
	AddedAt  time.Time
	AddedVia string
	// Candidates are the principals that wrote the key items in the
	// window, sorted, for ambiguous.
	Candidates []string
	// Why says why the result is unknown or pending, or what limits it.
	Why string
}

// Settled tells whether the result is final: every result but pending.
// A pending key is attributed again by a later run.
func (r Result) Settled() bool { return r.Attribution != Pending && r.Attribution != "" }

// Attributed tells whether one principal is named.
func (r Result) Attributed() bool { return r.AddedBy != "" }
