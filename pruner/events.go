package pruner

import (
	"context"
	"log/slog"
	"strconv"
	"time"

	"github.com/ssh-pruner/ssh-pruner/pruner/access"
	"github.com/ssh-pruner/ssh-pruner/pruner/plan"
	"github.com/ssh-pruner/ssh-pruner/pruner/report"
)

// targetAttrs name a target in a log entry: the project, and for an
// instance its zone and name.
func targetAttrs(t plan.Target) []any {
	if t.Level() == plan.LevelInstance {
		return []any{slog.String(LogProject, t.Project), slog.String(LogZone, t.Zone), slog.String(LogInstance, t.Instance)}
	}
	return []any{slog.String(LogProject, t.Project)}
}

// logDecisions writes one entry per key decision: removals and moves at
// info, user keys kept at debug. Google-managed keys kept are at info:
// their only credential is a username pattern, which anyone who can write
// metadata can imitate, so every one of them must be in sight.
// Entries carry the fingerprint, never the key.
func (r *Reconciler) logDecisions(ctx context.Context, log *slog.Logger, pl plan.Plan) {
	for _, d := range pl.Decisions {
		level := slog.LevelInfo
		if d.Action == plan.ActionKeep && d.Reason != plan.ReasonGoogleManaged && d.Reason != plan.ReasonProtected && d.Reason != plan.ReasonReportOnly && d.Reason != plan.ReasonGrace {
			level = slog.LevelDebug
		}
		if !log.Enabled(ctx, level) {
			continue
		}
		msg := decisionMessage(d.Action, !r.Apply)
		if d.Reason == plan.ReasonGrace {
			msg = "key kept until its grace ends"
		}
		attrs := []slog.Attr{
			slog.String(LogEvent, EventKey),
			slog.String(LogMetadataKey, d.MetadataKey),
			slog.Int(LogLine, d.Line),
			slog.String(LogAction, string(d.Action)),
			slog.String(LogReason, d.Reason),
			slog.String(LogUsername, d.Username),
			slog.String(LogKeyType, d.KeyType),
			slog.String(LogFingerprint, d.Fingerprint),
			slog.String(LogGoogleUserName, d.GoogleUserName),
			slog.String(LogExpireOn, d.ExpireOn),
			slog.String(LogRule, d.Rule),
			slog.String(LogFirstSeen, d.FirstSeen),
			slog.String(LogGraceEnds, d.GraceEnds),
			// reason says what was decided, not what the key is: a key
			// without expiry is "grace", "protected" or "report-only"
			// while kept. The metric of keys without expiry counts this.
			slog.String(LogNoExpiry, strconv.FormatBool(d.NeverExpires())),
		}
		if d.Attribution != "" {
			attrs = append(attrs, slog.String(LogAttribution, d.Attribution), slog.String(LogAddedBy, d.AddedBy),
				slog.String(LogAddedAt, d.AddedAt), slog.String(LogAddedVia, d.AddedVia),
				slog.String(LogCandidates, d.Candidates), slog.String(LogWhy, d.AttributionWhy))
		}
		log.LogAttrs(ctx, level, msg, attrs...)
	}
	if g := pl.Guard; g != nil {
		msg := "item set to keep project keys blocked"
		if !r.Apply {
			msg = "item would be set to keep project keys blocked"
		}
		log.LogAttrs(ctx, slog.LevelInfo, msg,
			slog.String(LogEvent, EventGuard),
			slog.String(LogMetadataKey, g.Key),
			slog.String(LogValue, g.Value),
			slog.String(LogReason, g.Reason),
		)
	}
}

func decisionMessage(a plan.Action, dryRun bool) string {
	switch {
	case a == plan.ActionRemove && dryRun:
		return "key would be removed"
	case a == plan.ActionRemove:
		return "key removed"
	case a == plan.ActionMove && dryRun:
		return "key would be moved to sshKeys"
	case a == plan.ActionMove:
		return "key moved to sshKeys"
	default:
		return "key kept"
	}
}

// logTarget writes the outcome of one target: errors for failures,
// warnings for what the caller may not see or what was left undone (a
// gap in the coverage, a plan held by the limits or a reviewed plan gone
// stale: someone must look), info otherwise. It is the one entry with an
// outcome per target: metrics count targets by it.
func (r *Reconciler) logTarget(ctx context.Context, tr report.TargetReport) {
	r.log().LogAttrs(ctx, targetLevel(tr), targetMessage(tr), targetEntry(tr)...)
}

func targetLevel(tr report.TargetReport) slog.Level {
	switch {
	case tr.Outcome == report.OutcomeFailed || tr.Outcome == report.OutcomeInterrupted:
		return slog.LevelError
	case tr.Outcome == report.OutcomeNotStarted || tr.Outcome == report.OutcomeStale || tr.Outcome == report.OutcomeHeld:
		return slog.LevelWarn
	case tr.Outcome == report.OutcomeSkipped && tr.Reason == report.SkipForbidden:
		return slog.LevelWarn
	}
	return slog.LevelInfo
}

func targetMessage(tr report.TargetReport) string {
	if tr.Level() == plan.LevelInstance {
		return "instance " + string(tr.Outcome)
	}
	return "project " + string(tr.Outcome)
}

// targetEntry is the attributes of a target's outcome entry.
func targetEntry(tr report.TargetReport) []slog.Attr {
	attrs := []slog.Attr{slog.String(LogEvent, eventOf(tr.Target))}
	for _, a := range targetAttrs(tr.Target) {
		attrs = append(attrs, a.(slog.Attr))
	}
	attrs = append(attrs,
		slog.String(LogOutcome, string(tr.Outcome)),
		slog.Int(LogKept, tr.Kept),
		slog.Int(LogRemoved, tr.Removed),
		slog.Int(LogMoved, tr.Moved),
	)
	if tr.Reason != "" {
		attrs = append(attrs, slog.String(LogReason, tr.Reason))
	}
	if tr.Error != "" {
		attrs = append(attrs, slog.String(LogError, tr.Error))
	}
	return attrs
}

// logFolder writes a folder that could not be listed: a gap in the scope.
func (r *Reconciler) logFolder(ctx context.Context, fr report.FolderReport) {
	attrs := []slog.Attr{
		slog.String(LogEvent, EventFolder),
		slog.String(LogFolder, fr.Folder),
		slog.String(LogOutcome, string(report.OutcomeSkipped)),
	}
	if fr.Reason != "" {
		attrs = append(attrs, slog.String(LogReason, fr.Reason))
	}
	if fr.Error != "" {
		attrs = append(attrs, slog.String(LogError, fr.Error))
	}
	r.log().LogAttrs(ctx, slog.LevelWarn, "folder not listed", attrs...)
}

// logInstancesError says a project's instances could not be listed: none
// of its VMs was seen, and the run fails. The outcome is the listing's,
// under an event of its own: the project's own metadata has its entry.
func (r *Reconciler) logInstancesError(ctx context.Context, project, msg string) {
	r.log().LogAttrs(ctx, slog.LevelError, "instances not listed",
		slog.String(LogEvent, EventInstances),
		slog.String(LogProject, project),
		slog.String(LogOutcome, string(report.OutcomeFailed)),
		slog.String(LogError, msg),
	)
}

// logUnreachable says the listing failed for some zones: their VMs were
// not seen, and the run fails as for a listing that failed whole.
func (r *Reconciler) logUnreachable(ctx context.Context, project string, zones []string) {
	r.log().LogAttrs(ctx, slog.LevelWarn, "zones unreachable: their instances were not seen",
		slog.String(LogEvent, EventInstances),
		slog.String(LogProject, project),
		slog.String(LogOutcome, string(report.OutcomeFailed)),
		slog.Any(LogUnreachable, zones),
	)
}

func (r *Reconciler) logSummary(ctx context.Context, rep report.Report) {
	t := rep.Totals
	level := slog.LevelInfo
	if !rep.OK() {
		level = slog.LevelError
	}
	var attributed []slog.Attr
	if a := rep.Attribution; a != nil {
		attributed = []slog.Attr{slog.Int(LogKeysAppeared, a.Appeared), slog.Int(LogKeysAttributed, a.Attributed+a.OnlyWriter),
			slog.Int(LogKeysAmbiguous, a.Ambiguous), slog.Int(LogKeysUnattributed, a.Unknown+a.Pending), slog.Int(LogClaimMismatches, a.ClaimMismatches)}
	}
	r.log().LogAttrs(ctx, level, "run finished", append([]slog.Attr{
		slog.String(LogEvent, EventSummary),
		slog.Bool(LogOK, rep.OK()),
		slog.String(LogRunOutcome, runOutcome(rep)),
		slog.Bool(LogInterrupted, rep.Interrupted),
		slog.Int(LogProjects, t.Projects),
		slog.Int(LogUnchanged, t.Unchanged),
		slog.Int(LogWouldChange, t.WouldChange),
		slog.Int(LogChanged, t.Changed),
		slog.Int(LogSkipped, t.Skipped),
		slog.Int(LogFailed, t.Failed),
		slog.Int(LogNotStarted, t.NotStarted),
		slog.Int(LogInterruptedProjects, t.Interrupted),
		slog.Int(LogInstances, t.Instances.Total),
		slog.Int(LogInstancesChanged, t.Instances.Changed),
		slog.Int(LogInstancesWouldChange, t.Instances.WouldChange),
		slog.Int(LogInstancesFailed, t.Instances.Failed+t.Instances.Interrupted),
		slog.Int(LogZonesUnreachable, t.ZonesUnreachable),
		slog.Int(LogFoldersSkipped, t.FoldersSkipped),
		slog.Int(LogKeysKept, t.KeysKept),
		slog.Int(LogKeysRemoved, t.KeysRemoved),
		slog.Int(LogKeysMoved, t.KeysMoved),
		slog.Int(LogKeysInGrace, t.KeysInGrace),
		slog.Int64(LogAPIRetries, t.APIRetries),
		slog.Int64(LogAPIThrottled, t.APIThrottled),
	}, attributed...)...)
}

// runOutcome is the LogRunOutcome of a report, as the exit status reads it.
func runOutcome(rep report.Report) string {
	switch {
	case !rep.OK():
		return RunFailed
	case rep.HasChanges():
		return RunChanges
	}
	return RunOK
}

// logAccess logs, at debug level, one entry per key that opens the VM as
// the run leaves it (what was written, else what was read): the
// dashboards' "active keys per identity" and "VMs open to keys without
// expiry" count these. Debug, because a large organization has many.
func (r *Reconciler) logAccess(ctx context.Context, in Instance, project plan.Metadata, now time.Time) {
	log := r.log()
	if !log.Enabled(ctx, slog.LevelDebug) {
		return
	}
	vr := access.VMReportOf(in.Place(), in.VM(project.Items), now)
	for _, k := range vr.Active {
		log.LogAttrs(ctx, slog.LevelDebug, "key opens VM",
			slog.String(LogEvent, EventAccess),
			slog.String(LogProject, in.Project),
			slog.String(LogZone, in.Zone),
			slog.String(LogInstance, in.Name),
			slog.String(LogIdentity, k.Identity),
			slog.String(LogUsername, k.Username),
			slog.String(LogGoogleUserName, k.GoogleUserName),
			slog.String(LogKeyType, k.KeyType),
			slog.String(LogFingerprint, k.Fingerprint),
			slog.String(LogKeyLevel, string(k.Level)),
			slog.String(LogMetadataKey, k.MetadataKey),
			slog.String(LogExpireOn, k.ExpireOn),
			slog.String(LogNoExpiry, strconv.FormatBool(k.ExpireOn == "")),
		)
	}
}

// logScopeError says the listing of the scope stopped partway.
func (r *Reconciler) logScopeError(ctx context.Context, msg string) {
	r.log().LogAttrs(ctx, slog.LevelError, "scope listing stopped: the rest of the scope was not seen",
		slog.String(LogEvent, EventScope),
		slog.String(LogError, msg),
	)
}

// logHeld says, at error level, that a target was not written because its
// plan removes more than the limits allow, and which limit. It carries no
// outcome: the target's outcome entry (logTarget) follows, and a metric
// counting outcomes must see one entry per target.
func (r *Reconciler) logHeld(ctx context.Context, log *slog.Logger, tr report.TargetReport) {
	log.LogAttrs(ctx, slog.LevelError, "target held: "+tr.Hold,
		slog.String(LogEvent, eventOf(tr.Target)),
		slog.String(LogReason, tr.Reason),
		slog.Int(LogRemoved, tr.Removed),
	)
}

func eventOf(t plan.Target) string {
	if t.Level() == plan.LevelInstance {
		return EventInstance
	}
	return EventProject
}
