package deploy

import (
	"go/ast"
	"go/parser"
	"go/token"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/ssh-pruner/ssh-pruner/pruner"
	"github.com/ssh-pruner/ssh-pruner/pruner/attribution"
	"github.com/ssh-pruner/ssh-pruner/pruner/plan"
	"github.com/ssh-pruner/ssh-pruner/pruner/policy"
	"github.com/ssh-pruner/ssh-pruner/pruner/report"
)

// What the filters, metrics and dashboard of deploy/ may compare with:
// the attribute keys of ssh-pruner's log entries and the values of its
// enumerated fields, taken from package pruner's constants. A constant
// renamed or gone there breaks this build; a value changed there no longer
// matches the filters here, and their tests fail. A key or value pruner
// adds is listed here when deploy/ starts to use it.

// logFields is the set of attribute keys of pruner's log entries: the Log*
// constants of pruner/logfields.go, every one.
var logFields = set(
	pruner.LogEvent, pruner.LogRunID, pruner.LogDryRun, pruner.LogProject, pruner.LogZone,
	pruner.LogInstance, pruner.LogFolder, pruner.LogValue, pruner.LogUnreachable, pruner.LogMetadataKey,
	pruner.LogLine, pruner.LogAction, pruner.LogReason, pruner.LogUsername, pruner.LogKeyType,
	pruner.LogFingerprint, pruner.LogGoogleUserName, pruner.LogExpireOn, pruner.LogOutcome, pruner.LogError,
	pruner.LogAttempt, pruner.LogKept, pruner.LogRemoved, pruner.LogMoved, pruner.LogIdentity,
	pruner.LogRule, pruner.LogKeyLevel, pruner.LogNoExpiry, pruner.LogFirstSeen, pruner.LogGraceEnds,
	pruner.LogState, pruner.LogKeys,
	// Attribution, from the audit logs (--audit-logs).
	pruner.LogAddedBy, pruner.LogAddedAt, pruner.LogAddedVia, pruner.LogAttribution, pruner.LogCandidates,
	pruner.LogWhy, pruner.LogAuditLogs,
	// The summary entry's totals.
	pruner.LogInterrupted, pruner.LogProjects, pruner.LogUnchanged, pruner.LogWouldChange, pruner.LogChanged,
	pruner.LogSkipped, pruner.LogFailed, pruner.LogNotStarted, pruner.LogInterruptedProjects, pruner.LogFoldersSkipped,
	pruner.LogInstances, pruner.LogInstancesChanged, pruner.LogInstancesWouldChange, pruner.LogInstancesFailed, pruner.LogZonesUnreachable,
	pruner.LogKeysKept, pruner.LogKeysRemoved, pruner.LogKeysMoved, pruner.LogKeysInGrace,
	pruner.LogKeysAppeared, pruner.LogKeysAttributed, pruner.LogKeysAmbiguous, pruner.LogKeysUnattributed, pruner.LogClaimMismatches,
	pruner.LogAPIRetries, pruner.LogAPIThrottled, pruner.LogOK, pruner.LogRunOutcome,
)

// fieldValues are the values pruner logs in each enumerated field, by key:
// a filter that compares one of these fields with anything else matches
// nothing. Reasons made of a prefix and a detail (invalid:<why>,
// state:<STATE>, excluded-folder:..., excluded-label:...) are left out:
// pruner does not export their prefixes, and no filter here uses one.
var fieldValues = map[string]map[string]bool{
	pruner.LogEvent: set(pruner.EventKey, pruner.EventProject, pruner.EventInstance, pruner.EventInstances, pruner.EventFolder,
		pruner.EventGuard, pruner.EventAccess, pruner.EventScope, pruner.EventSummary, pruner.EventState,
		pruner.EventKeyAppeared, pruner.EventClaim, pruner.EventAuditLogs),
	pruner.LogAction: set(string(plan.ActionKeep), string(plan.ActionRemove), string(plan.ActionMove)),
	pruner.LogOutcome: set(string(report.OutcomeUnchanged), string(report.OutcomeWouldChange), string(report.OutcomeChanged),
		string(report.OutcomeSkipped), string(report.OutcomeFailed), string(report.OutcomeInterrupted),
		string(report.OutcomeNotStarted), string(report.OutcomeHeld), string(report.OutcomeStale)),
	pruner.LogReason: set(
		// Of a key's decision, and of a guard.
		plan.ReasonUnexpired, plan.ReasonGoogleManaged, plan.ReasonExpired, plan.ReasonNoExpiry,
		plan.ReasonUserKeyInSSHKeys, plan.ReasonGoogleKeyMisplaced, plan.ReasonExpiryTooFar, plan.ReasonGrace,
		plan.ReasonProtected, plan.ReasonReportOnly, plan.ReasonKeepBlocked,
		// Of a target skipped, or held by the limits.
		report.SkipComputeDisabled, report.SkipForbidden, report.SkipExcluded, policy.SkipNotOptedIn, pruner.SkipGone,
		pruner.HoldTargetLimit, pruner.HoldRunLimit),
	pruner.LogMetadataKey: set(plan.KeySSHKeys, plan.KeyLegacySSHKeys, plan.KeyBlockProjectKeys),
	// A string, "true" or "false", on key and access entries.
	pruner.LogNoExpiry:   set("true", "false"),
	pruner.LogRunOutcome: set(pruner.RunOK, pruner.RunChanges, pruner.RunFailed),
	// Attribution's values, and the clients addedVia names (from the
	// user agent, which the client sends).
	pruner.LogAttribution: set(attribution.Window, attribution.OnlyWriter, attribution.Ambiguous, attribution.Unknown,
		attribution.Pending),
	pruner.LogAddedVia: set(attribution.ViaGcloudSSH, attribution.ViaGcloudAddMetadata, attribution.ViaConsole,
		attribution.ViaTerraform, attribution.ViaPruner, attribution.ViaOther),
}

func set(values ...string) map[string]bool {
	out := make(map[string]bool, len(values))
	for _, v := range values {
		out[v] = true
	}
	return out
}

// TestLogFieldsAreComplete reads pruner/logfields.go: every Log* key it
// declares is in logFields, every Event* and Run* value in fieldValues.
// A key or value added there and not here would be refused to a filter
// that uses it; one listed here by hand and not there cannot be.
func TestLogFieldsAreComplete(t *testing.T) {
	f, err := parser.ParseFile(token.NewFileSet(), "../pruner/logfields.go", nil, 0)
	require.NoError(t, err)
	want := map[string]map[string]bool{"Log": logFields, "Event": fieldValues[pruner.LogEvent], "Run": fieldValues[pruner.LogRunOutcome]}
	seen := map[string]int{}
	for _, d := range f.Decls {
		g, ok := d.(*ast.GenDecl)
		if !ok || g.Tok != token.CONST {
			continue
		}
		for _, spec := range g.Specs {
			vs := spec.(*ast.ValueSpec)
			for i, name := range vs.Names {
				lit, ok := vs.Values[i].(*ast.BasicLit)
				require.True(t, ok, "%s is a string literal", name.Name)
				value, err := strconv.Unquote(lit.Value)
				require.NoError(t, err)
				for prefix, values := range want {
					if strings.HasPrefix(name.Name, prefix) {
						require.True(t, values[value], "pruner.%s = %q is not listed in logfields_test.go", name.Name, value)
						seen[prefix]++
					}
				}
			}
		}
	}
	for prefix, values := range want {
		require.Equal(t, len(values), seen[prefix], "%s* constants: logfields_test.go lists as many as pruner declares", prefix)
	}
}
