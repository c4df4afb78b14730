package main

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func TestLogDestinationUsageErrors(t *testing.T) {
	clearEnv(t)
	_, url := demoFake(t)
	detect := detectLogProject
	t.Cleanup(func() { detectLogProject = detect })
	detectLogProject = func(context.Context) (string, error) { return "", errors.New("not on Google Cloud") }

	for _, tt := range []struct {
		name string
		args []string
		want string
	}{
		{"unknown destination", []string{"--log-destination", "syslog"}, `--log-destination "syslog"`},
		{"no project", []string{"--log-destination", "cloud-logging"}, "needs --log-project"},
		{"no project, both", []string{"--log-destination", "both"}, "needs --log-project"},
		{"empty log name", []string{"--log-destination", "both", "--log-project", "p", "--log-name", ""}, "--log-name"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			_, errOut, code := cli(t, context.Background(), nil, runArgs(url, tt.args...)...)
			require.Equal(t, 2, code, errOut)
			require.Contains(t, errOut, tt.want)
			require.Equal(t, 1, strings.Count(errOut, "\n"), "one line: %q", errOut)
		})
	}
}

// TestCloudLoggingUnreachable: nothing listens at the Cloud Logging
// endpoint. The run goes on, says so once, and the entries go to stderr.
func TestCloudLoggingUnreachable(t *testing.T) {
	clearEnv(t)
	_, url := demoFake(t)
	probe := cloudProbeTimeout
	t.Cleanup(func() { cloudProbeTimeout = probe })
	cloudProbeTimeout = 200 * time.Millisecond

	out, errOut, code := cli(t, context.Background(), nil, runArgs(url,
		"--log-destination", "cloud-logging", "--log-project", "sec-project", "--log-endpoint", freeAddr(t))...)
	require.Equal(t, 0, code, errOut)
	require.NotEmpty(t, out, "the report")
	require.Equal(t, 1, strings.Count(errOut, "cloud logging unavailable"), errOut)
	require.Contains(t, errOut, `"logProject":"sec-project"`)
	require.Contains(t, errOut, `"message":"key would be removed"`, "entries went to stderr")
	require.Contains(t, errOut, `"message":"run finished"`)
}

// TestTextLogLeavesKeysToTheReport: text logs (a terminal's) leave the key
// decisions to the report below them, unless --log-level debug; the
// target outcomes and warnings stay. JSON logs keep every decision.
func TestTextLogLeavesKeysToTheReport(t *testing.T) {
	clearEnv(t)
	_, url := demoFake(t)
	count := func(format, level string) (keys, targets int) {
		_, errOut, code := cli(t, context.Background(), nil, runArgs(url, "--log-format", format, "--log-level", level)...)
		require.Contains(t, []int{0, 3}, code, errOut)
		for _, line := range strings.Split(errOut, "\n") {
			switch {
			case strings.Contains(line, "event=key"), strings.Contains(line, `"event":"key"`):
				keys++
			case strings.Contains(line, "event=project"), strings.Contains(line, `"event":"project"`):
				targets++
			}
		}
		return keys, targets
	}
	keys, targets := count("text", "info")
	require.Zero(t, keys, "no line per key above the plan")
	require.Positive(t, targets)
	keys, _ = count("text", "debug")
	require.Positive(t, keys, "asked for, they are there")
	keys, _ = count("json", "info")
	require.Positive(t, keys, "machines keep every decision")
}
