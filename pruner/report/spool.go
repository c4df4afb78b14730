package report

import (
	"cmp"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"sync"
	"time"

	"github.com/ssh-pruner/ssh-pruner/pruner/internal/textfmt"
)

// Part is where a project's report goes in the report's order: first the
// projects named in the scope that could not be listed, then the
// projects left alone (excluded, opted out, not active), then the
// projects handled, each part in the order the listing gave them.
type Part uint8

// The parts of a report's projects, in order.
const (
	PartUnlisted Part = iota
	PartSkipped
	PartHandled
	numParts
)

// spoolMemory is how many bytes of rendered reports a Spool keeps in
// memory before it moves them to a file: a run of a few thousand
// projects (the tests, most organizations) never makes one.
var spoolMemory = 4 << 20

// Spool takes the projects' reports of a run as each project finishes,
// counts them into the totals and keeps them rendered, both as the JSON
// and as the text lines of the report, in memory up to spoolMemory bytes
// and then in a temporary file; the report is written from it in the
// report's order (Part, then the listing's), byte for byte as from
// Report.Projects. A run of 100,000 projects held their 100,000 reports
// until it printed them: most of its peak memory (BENCHMARKS.md, "The
// state at scale"). What is kept in memory per project is where its
// record is, 16 bytes.
//
// The file is made in Dir and unlinked at once, so that nothing is left
// behind, even when the process is killed; if it cannot be made (a
// read-only file system), the records stay in memory: the run goes on, as
// large as before. A record is, after the indented JSON:
//
//	uvarint lines, then for each line: uvarint cells (0 for free text),
//	then each cell (or the text) as uvarint length and bytes
type Spool struct {
	// Now is the clock of the run's plans, which the text needs for the
	// age of keys.
	Now time.Time
	// Dir is where the temporary file goes; "" for os.TempDir().
	Dir string

	mu     sync.Mutex
	buf    []byte   // the records, while in memory
	file   *os.File // the records, once moved to a file
	size   int64    // bytes of records
	index  [numParts][]spooled
	tally  Totals
	cols   textfmt.Columns
	count  int
	err    error // the first write that failed: the report cannot be whole
	closed bool
}

// spooled is where a project's record is: at off, its JSON then its
// text lines. jsonLen is 0 for a slot no project filled.
type spooled struct {
	off              int64
	jsonLen, textLen uint32
}

// Put takes the report of the project at seq of part, once it and all
// its instances are done. Safe for concurrent use.
func (s *Spool) Put(part Part, seq int, p ProjectReport) error {
	p.emptyLists()
	data, err := json.MarshalIndent(&p, "    ", "  ")
	if err != nil {
		return fmt.Errorf("encode report of project %s: %w", p.Project, err)
	}
	lines := projectLines(p, s.Now)
	rec := appendLines(data, lines)

	s.mu.Lock()
	defer s.mu.Unlock()
	switch {
	case s.closed:
		return errors.New("report spool: closed")
	case part >= numParts || seq < 0:
		return fmt.Errorf("report spool: no place %d/%d", part, seq)
	}
	idx := s.index[part]
	if seq >= len(idx) {
		idx = append(idx, make([]spooled, seq+1-len(idx))...)
		s.index[part] = idx
	}
	if idx[seq].jsonLen != 0 {
		return fmt.Errorf("report spool: project %s: place %d/%d taken twice", p.Project, part, seq)
	}
	off, err := s.write(rec)
	if err != nil {
		s.err = cmp.Or(s.err, err)
		return err
	}
	idx[seq] = spooled{off: off, jsonLen: uint32(len(data)), textLen: uint32(len(rec) - len(data))}
	s.tally.addProject(&p)
	s.cols.Measure(lines)
	s.count++
	return nil
}

// write appends a record, in memory until spoolMemory bytes, then in
// the file. s.mu is held.
func (s *Spool) write(rec []byte) (int64, error) {
	off := s.size
	if s.file == nil && len(s.buf)+len(rec) > spoolMemory {
		s.spill()
	}
	if s.file != nil {
		if _, err := s.file.WriteAt(rec, off); err != nil {
			return 0, fmt.Errorf("report spool: %w", err)
		}
	} else {
		s.buf = append(s.buf, rec...)
	}
	s.size += int64(len(rec))
	return off, nil
}

// spill moves the records to a temporary file, unlinked at once; when no
// file can be made, they stay in memory. s.mu is held.
func (s *Spool) spill() {
	f, err := os.CreateTemp(s.Dir, "ssh-pruner-report-*")
	if err != nil {
		return
	}
	if err := os.Remove(f.Name()); err != nil {
		f.Close()
		return // a file that would outlive the run: rather memory
	}
	if _, err := f.WriteAt(s.buf, 0); err != nil {
		f.Close()
		return
	}
	s.file, s.buf = f, nil
}

// InFile tells whether the records went to a file.
func (s *Spool) InFile() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.file != nil
}

// Close lets the records go. The report cannot be written after.
func (s *Spool) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.closed = true
	s.buf = nil
	s.index = [numParts][]spooled{}
	if s.file == nil {
		return nil
	}
	err := s.file.Close()
	s.file = nil
	return err
}

// totals counts the projects put so far.
func (s *Spool) totals() Totals {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.tally
}

// len counts the projects put so far.
func (s *Spool) len() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.count
}

// columns are the widths of the key rows of the projects put so far.
func (s *Spool) columns() textfmt.Columns {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append(textfmt.Columns(nil), s.cols...)
}

// each calls fn with each project's JSON and text record, in the
// report's order. The slices are fn's until it returns.
func (s *Spool) each(fn func(json, text []byte) error) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	switch {
	case s.closed:
		return errors.New("report spool: closed")
	case s.err != nil:
		return s.err
	}
	var scratch []byte
	for part := range s.index {
		for seq, at := range s.index[part] {
			if at.jsonLen == 0 {
				return fmt.Errorf("report spool: no report at place %d/%d", part, seq)
			}
			n := int64(at.jsonLen) + int64(at.textLen)
			var rec []byte
			if s.file == nil {
				rec = s.buf[at.off : at.off+n]
			} else {
				if int64(cap(scratch)) < n {
					scratch = make([]byte, n)
				}
				rec = scratch[:n]
				if _, err := s.file.ReadAt(rec, at.off); err != nil {
					return fmt.Errorf("report spool: %w", err)
				}
			}
			if err := fn(rec[:at.jsonLen], rec[at.jsonLen:]); err != nil {
				return err
			}
		}
	}
	return nil
}

// appendLines appends text lines to b as a record holds them.
func appendLines(b []byte, lines []textfmt.Line) []byte {
	b = binary.AppendUvarint(b, uint64(len(lines)))
	for _, l := range lines {
		b = binary.AppendUvarint(b, uint64(len(l.Cells)))
		if l.Cells == nil {
			b = appendString(b, l.Text)
			continue
		}
		for _, c := range l.Cells {
			b = appendString(b, c)
		}
	}
	return b
}

func appendString(b []byte, s string) []byte {
	b = binary.AppendUvarint(b, uint64(len(s)))
	return append(b, s...)
}

// readLines reads back the lines that appendLines wrote.
func readLines(b []byte) ([]textfmt.Line, error) {
	bad := errors.New("report spool: a record's text is cut short")
	uv := func() (int, bool) {
		v, n := binary.Uvarint(b)
		if n <= 0 || v > uint64(len(b)) {
			return 0, false
		}
		b = b[n:]
		return int(v), true
	}
	str := func() (string, bool) {
		n, ok := uv()
		if !ok || n > len(b) {
			return "", false
		}
		s := string(b[:n])
		b = b[n:]
		return s, true
	}
	n, ok := uv()
	if !ok {
		return nil, bad
	}
	lines := make([]textfmt.Line, n)
	for i := range lines {
		cells, ok := uv()
		if !ok {
			return nil, bad
		}
		if cells == 0 {
			if lines[i].Text, ok = str(); !ok {
				return nil, bad
			}
			continue
		}
		lines[i].Cells = make([]string, cells)
		for j := range lines[i].Cells {
			if lines[i].Cells[j], ok = str(); !ok {
				return nil, bad
			}
		}
	}
	return lines, nil
}
