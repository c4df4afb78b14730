// Package textfmt holds what the text views of the report and of the
// access answer share: aligned columns, plurals, and a writer that keeps
// its first error so that rendering code stays linear.
package textfmt

import (
	"fmt"
	"io"
	"strings"
	"unicode/utf8"
)

// Line is a line of free text, or a row of cells to align. A row's indent
// is part of its first cell, so that the columns after it line up at
// every depth.
type Line struct {
	Text  string
	Cells []string
}

// WriteAligned pads every row's cells to the widest cell of its column
// over all rows; free text lines pass as they are.
func WriteAligned(w io.Writer, lines []Line) {
	var c Columns
	c.Measure(lines)
	c.Write(w, lines)
}

// Columns are the widths of the columns of aligned rows, but the last
// cell's, which is not padded. Measured part by part, they let a long
// report be written part by part, aligned as WriteAligned would align it
// whole, without holding all its rows at once.
type Columns []int

// Measure widens the columns to the cells of lines.
func (c *Columns) Measure(lines []Line) {
	for _, l := range lines {
		for i, cell := range l.Cells {
			if i == len(l.Cells)-1 {
				break // the last cell is not padded
			}
			if i >= len(*c) {
				*c = append(*c, 0)
			}
			(*c)[i] = max((*c)[i], utf8.RuneCountInString(cell))
		}
	}
}

// Write writes lines, each row's cells padded to the columns; free text
// lines pass as they are. The columns must have been measured over these
// rows (and any others to align with).
func (c Columns) Write(w io.Writer, lines []Line) {
	for _, l := range lines {
		if l.Cells == nil {
			fmt.Fprintln(w, l.Text)
			continue
		}
		var b strings.Builder
		for i, cell := range l.Cells {
			b.WriteString(cell)
			if i < len(l.Cells)-1 {
				b.WriteString(strings.Repeat(" ", c[i]-utf8.RuneCountInString(cell)+2))
			}
		}
		fmt.Fprintln(w, b.String())
	}
}

// Plural is one when n is 1, else many.
func Plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

// OrDash stands a dash for an empty cell, so that columns stay readable.
func OrDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// ErrWriter keeps the first write error; every later write fails with it.
type ErrWriter struct {
	W   io.Writer
	Err error
}

func (e *ErrWriter) Write(p []byte) (int, error) {
	if e.Err != nil {
		return 0, e.Err
	}
	n, err := e.W.Write(p)
	e.Err = err
	return n, err
}
