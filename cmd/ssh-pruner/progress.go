package main

import (
	"fmt"
	"io"
	"os"
	"sync"
	"time"
	"unicode/utf8"

	"golang.org/x/term"

	"github.com/ssh-pruner/ssh-pruner/pruner/report"
)

// isTerminal tells whether w is a terminal: then a person reads it. The
// progress line writes to one, and only to one.
func isTerminal(w io.Writer) bool {
	if _, ok := w.(*progress); ok {
		return true
	}
	f, ok := w.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}

// progress draws one live line on a terminal (targets done out of those
// found, changed, failed, rate, time left) below the log lines, which
// pass through it: it clears its line, lets the log line out, and draws
// the line again. It is the run's pruner.Observer.
type progress struct {
	w   io.Writer
	now func() time.Time

	mu                                        sync.Mutex
	start, drawn                              time.Time
	total, done, changed, wouldChange, failed int
	shown                                     bool // a progress line is on the screen
}

// redrawEvery bounds how often the line is drawn: a fast run must not
// spend its time on the terminal.
const redrawEvery = 100 * time.Millisecond

// clearLine returns the cursor to the start of the line and erases it.
const clearLine = "\r\x1b[K"

func newProgress(w io.Writer, now func() time.Time) *progress {
	return &progress{w: w, now: now, start: now()}
}

// Found is pruner.Observer's: n more targets to do.
func (p *progress) Found(n int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.total += n
	p.draw(false)
}

// Finished is pruner.Observer's: one target done.
func (p *progress) Finished(o report.Outcome) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.done++
	switch o {
	case report.OutcomeChanged:
		p.changed++
	case report.OutcomeWouldChange:
		p.wouldChange++
	case report.OutcomeFailed, report.OutcomeInterrupted:
		p.failed++
	}
	p.draw(false)
}

// Write lets a log line out above the progress line.
func (p *progress) Write(b []byte) (int, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.shown {
		io.WriteString(p.w, clearLine)
		p.shown = false
	}
	n, err := p.w.Write(b)
	p.draw(true)
	return n, err
}

// Close takes the progress line off the screen, before the report.
func (p *progress) Close() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.shown {
		io.WriteString(p.w, clearLine)
		p.shown = false
	}
}

func (p *progress) draw(force bool) {
	now := p.now()
	if p.total == 0 || (!force && p.shown && now.Sub(p.drawn) < redrawEvery) {
		return
	}
	p.drawn, p.shown = now, true
	io.WriteString(p.w, clearLine+fit(p.line(now), p.width()))
}

// width is how many columns the terminal has now (it may be resized
// during a run); 0 when it cannot tell.
func (p *progress) width() int {
	f, ok := p.w.(*os.File)
	if !ok {
		return 0
	}
	w, _, err := term.GetSize(int(f.Fd()))
	if err != nil {
		return 0
	}
	return w
}

// fit cuts a line to fewer columns than the terminal has: a line that
// wraps leaves its first rows behind when \r\x1b[K clears only the last.
func fit(line string, width int) string {
	if width <= 1 || utf8.RuneCountInString(line) < width {
		return line
	}
	r := []rune(line)
	return string(r[:width-2]) + "…"
}

func (p *progress) line(now time.Time) string {
	// A dry run changes nothing: what it found is said as what would be.
	changed := fmt.Sprintf("%d changed", p.changed)
	if p.wouldChange > 0 {
		changed = fmt.Sprintf("%d would change", p.wouldChange)
		if p.changed > 0 {
			changed = fmt.Sprintf("%d changed, %d would change", p.changed, p.wouldChange)
		}
	}
	s := fmt.Sprintf("ssh-pruner: %d/%d targets done, %s, %d failed", p.done, p.total, changed, p.failed)
	elapsed := now.Sub(p.start)
	if p.done == 0 || elapsed <= 0 {
		return s
	}
	rate := float64(p.done) / elapsed.Seconds()
	s += fmt.Sprintf(", %.1f/s", rate)
	if left := p.total - p.done; left > 0 {
		s += ", about " + time.Duration(float64(left)/rate*float64(time.Second)).Round(time.Second).String() + " left"
	}
	return s
}
