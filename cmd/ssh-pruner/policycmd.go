package main

import (
	"context"
	"fmt"
	"io"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/ssh-pruner/ssh-pruner/pruner"
)

const policyUsage = `Usage: ssh-pruner policy check FILE

Checks a policy file (--policy of run, schedule and demo) and prints the
policy it gives, defaults filled in. A bad file is one line naming the
file, the line and the field; exit status 2.

Example:
  ssh-pruner policy check testdata/policy-example.yaml
`

// effectivePolicy is what policy check prints: the policy as a reviewed
// plan records it (planPolicy), and the settings that choose targets.
type effectivePolicy struct {
	planPolicy `yaml:",inline"`
	Instances  bool                `yaml:"instances"`
	Limits     map[string]string   `yaml:"limits"`
	Exclude    map[string][]string `yaml:"exclude"`
	OnlyLabels []string            `yaml:"onlyLabels"`
}

func cmdPolicy(_ context.Context, args []string, _ io.Reader, stdout, _ io.Writer) error {
	if len(args) == 1 && (args[0] == "-h" || args[0] == "--help" || args[0] == "help") {
		fmt.Fprint(stdout, policyUsage)
		return nil
	}
	if len(args) != 2 || args[0] != "check" {
		return usageErrorf("policy: want 'policy check FILE' (see 'ssh-pruner policy --help')")
	}
	cfg := &runConfig{instances: true, policyFile: args[1]}
	cfg.maxPerTarget, cfg.maxPerRun = fmt.Sprint(pruner.DefaultLimits.PerTarget), pruner.DefaultLimits.PerRun
	if err := cfg.applyPolicyFile(func(string) bool { return false }); err != nil {
		return err
	}
	p, err := cfg.policy()
	if err != nil {
		return err
	}
	if _, err := cfg.limits(); err != nil {
		return err
	}
	out := effectivePolicy{
		planPolicy: toPlanPolicy(p),
		Instances:  cfg.instances,
		Limits:     map[string]string{"perTarget": cfg.maxPerTarget, "perRun": fmt.Sprint(cfg.maxPerRun)},
		Exclude:    map[string][]string{"projects": cfg.exclude, "folders": cfg.excludeFolders, "labels": cfg.excludeLabels},
		OnlyLabels: cfg.onlyLabels,
	}
	data, err := yaml.Marshal(out)
	if err != nil {
		return fmt.Errorf("policy: %w", err)
	}
	fmt.Fprintf(stdout, "# %s: valid\n%s", strings.ReplaceAll(args[1], "\n", " "), data)
	return nil
}
