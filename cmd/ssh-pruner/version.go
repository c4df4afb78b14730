package main

import (
	"context"
	"fmt"
	"io"
	"runtime/debug"
)

// stampedVersion is set at build time:
// go build -ldflags "-X main.stampedVersion=v1.2.3" ./cmd/ssh-pruner
var stampedVersion string

// version is the stamped version, else the module version and VCS revision
// from the build info, else "devel".
func version() string {
	if stampedVersion != "" {
		return stampedVersion
	}
	info, ok := debug.ReadBuildInfo()
	if !ok {
		return "devel"
	}
	v := info.Main.Version
	if v != "" && v != "(devel)" {
		return v // a module version; a pseudo-version holds the revision already
	}
	v = "devel"
	for _, s := range info.Settings {
		if s.Key == "vcs.revision" && len(s.Value) >= 12 {
			v += "+" + s.Value[:12]
		}
	}
	return v
}

const versionUsage = `Usage: ssh-pruner version

Prints the version: the one stamped at build time (-ldflags
"-X main.stampedVersion=v1.2.3", as the Dockerfile does), else the module
version and VCS revision that Go recorded in the binary.

Example:
  ssh-pruner version
`

func cmdVersion(_ context.Context, args []string, _ io.Reader, stdout, stderr io.Writer) error {
	fs := newFlagSet("version", versionUsage, stdout)
	if err := parseFlagsOnly(fs, args); err != nil {
		return err
	}
	_, err := fmt.Fprintf(stdout, "ssh-pruner %s\n", version())
	return err
}
