package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
)

// envPrefix starts the environment variable of every flag: --max-attempts
// is SSH_PRUNER_MAX_ATTEMPTS. A flag given on the command line wins.
const envPrefix = "SSH_PRUNER_"

// envName is the environment variable that sets the flag called name.
func envName(name string) string {
	return envPrefix + strings.ToUpper(strings.ReplaceAll(name, "-", "_"))
}

// listFlag is a repeatable flag. From the environment it takes a
// comma-separated list.
type listFlag []string

func (l *listFlag) String() string { return strings.Join(*l, ",") }

func (l *listFlag) Set(v string) error {
	*l = append(*l, v)
	return nil
}

// commaSeparated marks listFlag so that an environment value is split.
func (l *listFlag) commaSeparated() {}

// patternFlag is a repeatable flag of regular expressions. Unlike listFlag,
// its environment value is one pattern: a comma belongs to the pattern
// ({1,20}).
type patternFlag []string

func (p *patternFlag) String() string { return strings.Join(*p, " ") }

func (p *patternFlag) Set(v string) error {
	*p = append(*p, v)
	return nil
}

// newFlagSet makes a flag set whose --help prints the given usage text and
// the flags, each with its environment variable, on stdout (asked for, it
// is output: ssh-pruner run --help | less).
func newFlagSet(name, usage string, stdout io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(stdout)
	fs.Usage = func() {
		fmt.Fprint(fs.Output(), usage)
		n := 0
		fs.VisitAll(func(*flag.Flag) { n++ })
		if n == 0 {
			return
		}
		fmt.Fprintln(fs.Output(), "\nFlags (each can also be set by the environment variable shown):")
		fs.VisitAll(func(f *flag.Flag) {
			if strings.HasPrefix(f.Usage, "(hidden)") {
				return
			}
			def := ""
			if f.DefValue != "" && f.DefValue != "false" && f.DefValue != "[]" {
				def = fmt.Sprintf(" (default %s)", f.DefValue)
			}
			_, usage := flag.UnquoteUsage(f)
			fmt.Fprintf(fs.Output(), "  --%s\n\t%s%s [%s]\n", f.Name, usage, def, envName(f.Name))
		})
	}
	return fs
}

// parseFlags parses args, then fills every flag not given from its
// environment variable. --help prints the usage and gives errHelp; a bad
// flag gives a one-line usage error (the flag package would print the
// whole usage after it).
func parseFlags(fs *flag.FlagSet, args []string) error {
	out := fs.Output()
	fs.SetOutput(io.Discard)
	err := fs.Parse(args)
	fs.SetOutput(out)
	switch {
	case errors.Is(err, flag.ErrHelp):
		fs.Usage()
		return errHelp
	case err != nil:
		return usageErrorf("%s: %v (see 'ssh-pruner %s --help')", fs.Name(), err, fs.Name())
	}
	given := make(map[string]bool)
	fs.Visit(func(f *flag.Flag) { given[f.Name] = true })
	fs.VisitAll(func(f *flag.Flag) {
		v := os.Getenv(envName(f.Name))
		// Hidden flags are for tests; from the environment, a leftover
		// could fix the clock or redirect the audit log unseen.
		if given[f.Name] || v == "" || err != nil || strings.HasPrefix(f.Usage, "(hidden)") {
			return
		}
		values := []string{v}
		if _, ok := f.Value.(interface{ commaSeparated() }); ok {
			values = strings.Split(v, ",")
		}
		for _, one := range values {
			if e := f.Value.Set(strings.TrimSpace(one)); e != nil {
				if b, ok := f.Value.(interface{ IsBoolFlag() bool }); ok && b.IsBoolFlag() {
					e = errors.New("want true or false")
				}
				err = usageErrorf("%s: environment %s=%q (--%s): %v", fs.Name(), envName(f.Name), v, f.Name, e)
				return
			}
		}
	})
	return err
}

// parseFlagsOnly is parseFlags for commands that take flags and no
// arguments.
func parseFlagsOnly(fs *flag.FlagSet, args []string) error {
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return usageErrorf("%s: unexpected argument %q", fs.Name(), fs.Arg(0))
	}
	return nil
}

// errHelp is returned after --help printed the usage: exit status 0.
var errHelp = errors.New("help requested")

// givenFlags are the flags set on the command line or by their
// environment variable: what overrides a --policy file.
func givenFlags(fs *flag.FlagSet) map[string]bool {
	given := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { given[f.Name] = true })
	fs.VisitAll(func(f *flag.Flag) {
		if os.Getenv(envName(f.Name)) != "" && !strings.HasPrefix(f.Usage, "(hidden)") {
			given[f.Name] = true
		}
	})
	return given
}
