package main

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"syscall"

	"golang.org/x/sys/unix"

	"github.com/ssh-pruner/ssh-pruner/pruner/atomicfile"
)

// How --report and --plan-out are written, by what the path names:
//
//   - a regular file, or nothing yet: a temporary file next to it, renamed
//     over it, so that a reader never sees half a file and a failed write
//     leaves the old one whole. An existing file keeps its permissions.
//   - a symlink: followed, link after link, to the path it names in the
//     end, which is then written as if it had been given (the link stays
//     a link). Renaming over the link itself would replace it with a
//     file, and break whatever else reads through it.
//   - /dev/stdout, /dev/stderr, /dev/fd/N, /proc/self/fd/N: the
//     process's own descriptors, written straight, appended: behind them
//     is whatever the shell opened (a terminal, a pipe, a file the text
//     report went to first), which a rename would not reach.
//   - a FIFO, a terminal, /dev/null: opened and written straight; a FIFO
//     no one reads from is refused rather than waited on.
//   - any other device (a disk, /dev/full, /dev/mem), a socket, a
//     directory: refused before the run, exit 2. No report belongs there,
//     and as root a rename would have replaced the device node.

// outputKind is how an output path is written.
type outputKind int

const (
	outputAtomic outputKind = iota // temporary file and rename
	outputStream                   // opened and written, never renamed over
)

// maxSymlinks bounds the links followed, as the kernel's ELOOP does.
const maxSymlinks = 40

// procFD names a process's descriptors under /proc.
var procFD = regexp.MustCompile(`^/proc/(self|thread-self|[0-9]+)/fd/[0-9]+$`)

// isDescriptorPath tells whether path names one of the process's own
// descriptors. Their targets are "magic links" (pipe:[123], or the file
// the shell opened) that only opening them reaches.
func isDescriptorPath(path string) bool {
	switch p := filepath.Clean(path); {
	case p == "/dev/stdout", p == "/dev/stderr", p == "/dev/stdin":
		return true
	case filepath.Dir(p) == "/dev/fd":
		_, err := strconv.Atoi(filepath.Base(p))
		return err == nil
	default:
		return procFD.MatchString(p)
	}
}

// outputTarget decides how path is written: the path to write (a
// symlink's final target) and how, or why it is refused.
func outputTarget(path string) (string, outputKind, error) {
	p := path
	for range maxSymlinks {
		if isDescriptorPath(p) {
			return p, outputStream, nil
		}
		fi, err := os.Lstat(p)
		switch {
		case errors.Is(err, fs.ErrNotExist):
			return p, outputAtomic, nil // a new file, maybe where a link points
		case err != nil:
			return "", 0, err
		case fi.Mode()&fs.ModeSymlink == 0:
			kind, err := outputKindOf(p, fi)
			return p, kind, err
		}
		target, err := os.Readlink(p)
		if err != nil {
			return "", 0, err
		}
		if !filepath.IsAbs(target) {
			target = filepath.Join(filepath.Dir(p), target)
		}
		p = target
	}
	return "", 0, fmt.Errorf("more than %d symlinks", maxSymlinks)
}

// outputKindOf is how a path that is no symlink is written, by its mode.
func outputKindOf(path string, fi fs.FileInfo) (outputKind, error) {
	m := fi.Mode()
	switch {
	case m.IsRegular():
		return outputAtomic, nil
	case m.IsDir():
		return 0, errors.New("a directory: give a file")
	case m&fs.ModeNamedPipe != 0:
		return outputStream, nil
	case m&fs.ModeCharDevice != 0 && (isDevNull(fi) || isTerminalDevice(fi)):
		return outputStream, nil
	case m&fs.ModeCharDevice != 0:
		return 0, fmt.Errorf("a device that is neither a terminal nor %s: refused, give a file, a pipe or a terminal", os.DevNull)
	case m&fs.ModeDevice != 0:
		return 0, errors.New("a block device: refused, give a file, a pipe or a terminal")
	case m&fs.ModeSocket != 0:
		return 0, errors.New("a socket: refused, give a file, a pipe or a terminal")
	}
	return 0, fmt.Errorf("not a file (%v): refused", m.Type())
}

// isDevNull tells whether fi is the null device, under any name.
func isDevNull(fi fs.FileInfo) bool {
	null, err := os.Stat(os.DevNull)
	return err == nil && os.SameFile(fi, null)
}

// isTerminalDevice tells whether a character device is a terminal,
// without opening it: opening some devices acts (a watchdog starts
// counting). Linux names each registered device's class in sysfs; the
// pseudo-terminals of /dev/pts (majors 136 to 143) are not registered
// there.
func isTerminalDevice(fi fs.FileInfo) bool {
	st, ok := fi.Sys().(*syscall.Stat_t)
	if !ok {
		return false
	}
	major, minor := unix.Major(uint64(st.Rdev)), unix.Minor(uint64(st.Rdev))
	if major >= 136 && major <= 143 {
		return true
	}
	class, err := os.Readlink(fmt.Sprintf("/sys/dev/char/%d:%d/subsystem", major, minor))
	return err == nil && filepath.Base(class) == "tty"
}

// checkOutput checks, before the run, that path can be written as
// outputTarget decides, without writing it: a FIFO is not opened (its
// reader would see the end of its input).
func checkOutput(path string) error {
	target, kind, err := outputTarget(path)
	switch {
	case err != nil:
		return err
	case kind == outputAtomic:
		return checkWritableDir(target)
	case isDescriptorPath(target):
		return nil // the process's own: open already
	}
	return unix.Access(target, unix.W_OK)
}

// writeOutput writes path as outputTarget decides.
func writeOutput(path string, write func(io.Writer) error) error {
	target, kind, err := outputTarget(path)
	if err != nil {
		return err
	}
	if kind == outputAtomic {
		return writeAtomic(target, write)
	}
	// O_APPEND: behind /dev/stdout may be the file the text report was
	// just written to. O_NONBLOCK: a FIFO no one reads from is refused
	// (ENXIO) rather than waited on for ever; writes still block, in Go's
	// poller. O_NOCTTY: a terminal does not become the controlling one.
	f, err := os.OpenFile(target, os.O_WRONLY|os.O_APPEND|syscall.O_NONBLOCK|syscall.O_NOCTTY, 0)
	if errors.Is(err, syscall.ENXIO) {
		return errors.New("a FIFO that no one reads from")
	}
	if err != nil {
		return err
	}
	err = write(f)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}

// writeAtomic streams into a temporary file in path's directory, then
// renames it over path. A reader never sees half a file, and a failed
// write leaves no stale one in its place. An existing file keeps its
// permissions: a report made 0600 must not become readable by all.
func writeAtomic(path string, write func(io.Writer) error) error {
	perm := fs.FileMode(0o644)
	if fi, err := os.Stat(path); err == nil && fi.Mode().IsRegular() {
		perm = fi.Mode().Perm()
	}
	return atomicfile.Write(path, perm, write)
}
