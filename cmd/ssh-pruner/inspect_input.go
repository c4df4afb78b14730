package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"unicode/utf8"

	"golang.org/x/term"

	"github.com/ssh-pruner/ssh-pruner/pruner/inputfile"
)

// maxInput bounds what inspect reads: far above the 512 KiB that a
// project's metadata can hold, with room for gcloud's JSON around it.
const maxInput = 16 << 20

// stdinNotice is what inspect says when it reads a terminal: a person who
// typed the command without FILE would otherwise wait for output that
// never comes.
const stdinNotice = "ssh-pruner: inspect reads standard input: paste an ssh-keys value or gcloud's output, then Ctrl-D on a line of its own (or give a FILE)\n"

// readInput reads FILE, or stdin for "" and "-", at most maxInput bytes.
// Both reads give way to ctx (SIGINT): a terminal, or a FIFO that never
// ends or has no writer, must not hold the command.
func readInput(ctx context.Context, arg string, stdin io.Reader, stderr io.Writer) (name string, data []byte, err error) {
	if arg != "" && arg != "-" {
		data, err = inputfile.ReadAll(ctx, arg, maxInput)
		return arg, data, inputError(arg, err)
	}
	if f, ok := stdin.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
		fmt.Fprint(stderr, stdinNotice)
	}
	type result struct {
		data []byte
		err  error
	}
	done := make(chan result, 1)
	// Standard input is already open and may not take a deadline (a
	// terminal left blocking): the read runs on its own, and an interrupt
	// leaves it behind, as the process is about to exit.
	go func() {
		d, err := io.ReadAll(&io.LimitedReader{R: stdin, N: maxInput + 1})
		if err == nil && len(d) > maxInput {
			err = &inputfile.TooLargeError{Limit: maxInput}
		}
		done <- result{d, err}
	}()
	select {
	case <-ctx.Done():
		return "stdin", nil, inputError("stdin", ctx.Err())
	case res := <-done:
		return "stdin", res.data, inputError("stdin", res.err)
	}
}

// inputError is the one line of a failed read of name.
func inputError(name string, err error) error {
	var pe *fs.PathError
	switch {
	case err == nil:
		return nil
	case errors.As(err, new(*inputfile.TooLargeError)):
		return fmt.Errorf("%s: larger than %d MiB", name, maxInput>>20)
	case errors.As(err, &pe) && pe.Op == "open":
		return err // "open NAME: ..."
	}
	return fmt.Errorf("read %s: %w", name, err)
}

// plainText refuses what is no ssh-keys value nor gcloud's JSON of one
// resource, saying what it looks like: a table of "invalid" lines would
// read as a verdict on keys that were never given.
func plainText(data []byte) error {
	switch {
	case bytes.HasPrefix(data, []byte("\xef\xbb\xbf")):
		return errors.New("starts with a UTF-8 byte order mark: save it without one")
	case bytes.HasPrefix(data, []byte("\xff\xfe")) || bytes.HasPrefix(data, []byte("\xfe\xff")):
		return errors.New("UTF-16 text: convert it to UTF-8 (iconv -f UTF-16 -t UTF-8)")
	case bytes.IndexByte(data, 0) >= 0:
		return errors.New("binary data (NUL bytes): not a key list")
	case !utf8.Valid(data):
		return errors.New("not UTF-8 text")
	}
	if t := bytes.TrimSpace(data); len(t) > 0 && t[0] == '[' && json.Valid(t) {
		return errors.New("a JSON array (gcloud's list output?): give one resource, from gcloud compute project-info describe --format=json or gcloud compute instances describe --format=json")
	}
	return nil
}
