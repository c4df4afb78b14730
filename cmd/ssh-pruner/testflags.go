//go:build ssh_pruner_testflags

package main

// A binary built with -tags ssh_pruner_testflags takes the flags that
// tests set (--now, --state-endpoint, --log-endpoint): tests that start
// ssh-pruner as a process build it so. A release build never has them.
func init() { testFlags = registerTestFlags }
