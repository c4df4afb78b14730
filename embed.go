// Package sshpruner holds the files the ssh-pruner binary carries with it.
// The code lives in the packages below: keyparse, pruner, gcp, cmd.
package sshpruner

import _ "embed"

// DemoOrganization is the seed of the fake organization that
// `ssh-pruner demo` runs against (testdata/demo-org.json).
//
//go:embed testdata/demo-org.json
var DemoOrganization []byte
