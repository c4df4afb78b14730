// Package inputfile reads the files ssh-pruner is given (a policy, a
// reviewed plan, what inspect reads) with a bound on their size, in a way
// that gives way to a context: SIGINT or SIGTERM must stop a read of a
// FIFO that no one writes to, or of a terminal, at once.
//
// A FIFO is the hard case. open(2) of a FIFO for reading blocks until a
// writer comes, in the kernel, where no signal handled by Go reaches it.
// So every file is opened with O_NONBLOCK, which returns at once; then,
// since a FIFO that never had a writer reads as empty (EOF) rather than
// blocking, the read waits with poll(2) until a writer has written or
// come and gone, looking at the context between waits. Reads after that
// go through Go's poller where the file allows it (a FIFO, a terminal), and
// the context's end sets a deadline that stops a read under way.
package inputfile

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

// TooLargeError: the file holds more than the bound.
type TooLargeError struct{ Limit int64 }

func (e *TooLargeError) Error() string { return fmt.Sprintf("more than %d bytes", e.Limit) }

// pollInterval is how often a wait for a FIFO's writer looks at the
// context: well under the second within which an interrupt must answer.
const pollInterval = 50 * time.Millisecond

// File is an open input: at most Limit bytes of it can be read, and a read
// returns ctx's error once ctx is done.
type File struct {
	ctx   context.Context
	f     *os.File
	limit int64
	n     int64
	fifo  bool // a FIFO whose first byte (or EOF) has not come yet
	stop  func() bool
}

// Open opens path for reading at most limit bytes. A directory is refused.
func Open(ctx context.Context, path string, limit int64) (*File, error) {
	// O_NOCTTY: reading a terminal must not make it the process's
	// controlling terminal.
	f, err := os.OpenFile(path, os.O_RDONLY|syscall.O_NONBLOCK|syscall.O_NOCTTY, 0)
	if err != nil {
		return nil, err
	}
	fi, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, err
	}
	if fi.IsDir() {
		f.Close()
		return nil, errors.New("is a directory")
	}
	in := &File{ctx: ctx, f: f, limit: limit, fifo: fi.Mode()&os.ModeNamedPipe != 0}
	// A deadline in the past stops a read blocked in Go's poller. Files
	// the poller does not take (regular files, /dev/zero) never block.
	in.stop = context.AfterFunc(ctx, func() { _ = f.SetReadDeadline(time.Unix(1, 0)) })
	return in, nil
}

// Read reads as io.Reader does. Past the limit it returns a
// *TooLargeError; once ctx is done, ctx's error.
func (in *File) Read(p []byte) (int, error) {
	if err := in.ctx.Err(); err != nil {
		return 0, err
	}
	if in.fifo {
		if err := in.waitForWriter(); err != nil {
			return 0, err
		}
		in.fifo = false
	}
	if in.n > in.limit {
		return 0, &TooLargeError{Limit: in.limit}
	}
	if room := in.limit + 1 - in.n; int64(len(p)) > room {
		p = p[:room]
	}
	n, err := in.f.Read(p)
	in.n += int64(n)
	switch {
	case in.n > in.limit:
		return n, &TooLargeError{Limit: in.limit}
	case err != nil && in.ctx.Err() != nil:
		return n, in.ctx.Err()
	}
	return n, err
}

// waitForWriter waits until a FIFO has something to read, or has had a
// writer that left (then the read gives EOF), or ctx is done.
func (in *File) waitForWriter() error {
	raw, err := in.f.SyscallConn()
	if err != nil {
		return err
	}
	for {
		var ready bool
		var perr error
		if err := raw.Control(func(fd uintptr) {
			fds := []unix.PollFd{{Fd: int32(fd), Events: unix.POLLIN}}
			var n int
			n, perr = unix.Poll(fds, int(pollInterval/time.Millisecond))
			ready = n > 0
		}); err != nil {
			return err
		}
		switch {
		case perr != nil && !errors.Is(perr, unix.EINTR):
			return perr
		case ready:
			return nil
		case in.ctx.Err() != nil:
			return in.ctx.Err()
		}
	}
}

// Close closes the file.
func (in *File) Close() error {
	in.stop()
	return in.f.Close()
}

// ReadAll reads the whole of path, at most limit bytes, giving way to ctx.
func ReadAll(ctx context.Context, path string, limit int64) ([]byte, error) {
	in, err := Open(ctx, path, limit)
	if err != nil {
		return nil, err
	}
	defer in.Close()
	return io.ReadAll(in)
}
