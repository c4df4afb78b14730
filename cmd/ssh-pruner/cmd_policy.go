package main

import (
	"context"
	"fmt"
	"io"

	"go.yaml.in/yaml/v3"

	"github.com/ssh-pruner/ssh-pruner/pruner/policy"
)

const policyUsage = `Usage: ssh-pruner policy check FILE

Checks a policy file (--policy of run, schedule and demo) and prints the
policy it gives, defaults filled in, in the same schema: what it prints
is a policy file that gives the same policy. A bad file is one line
naming the file, the line and the field; exit status 2.

Example:
  ssh-pruner policy check testdata/policy-example.yaml
`

func cmdPolicy(ctx context.Context, args []string, _ io.Reader, stdout, _ io.Writer) error {
	if len(args) == 1 && (args[0] == "-h" || args[0] == "--help" || args[0] == "help") {
		fmt.Fprint(stdout, policyUsage)
		return nil
	}
	if len(args) != 2 || args[0] != "check" {
		return usageErrorf("policy: want 'policy check FILE' (see 'ssh-pruner policy --help')")
	}
	c, err := policy.Load(ctx, args[1])
	if err != nil {
		return usageErrorf("policy: %v", err)
	}
	data, err := yaml.Marshal(c)
	if err != nil {
		return fmt.Errorf("policy: %w", err)
	}
	fmt.Fprintf(stdout, "# a valid ssh-pruner policy, defaults filled in\n%s", data)
	return nil
}
