package pruner

import (
	"context"
	"log/slog"
	"time"
)

// logDecisions writes one entry per key decision: removals and moves at
// info, user keys kept at debug. Google-managed keys kept are at info:
// their only credential is a username pattern, which anyone who can write
// metadata can imitate, so every one of them must be in sight.
// Entries carry the fingerprint, never the key.
func (r *Reconciler) logDecisions(log *slog.Logger, plan Plan) {
	for _, d := range plan.Decisions {
		level := slog.LevelInfo
		if d.Action == ActionKeep && d.Reason != ReasonGoogleManaged {
			level = slog.LevelDebug
		}
		if !log.Enabled(context.Background(), level) {
			continue
		}
		expire := ""
		if d.ExpireOn != nil {
			expire = d.ExpireOn.Format(time.RFC3339)
		}
		log.LogAttrs(context.Background(), level, decisionMessage(d.Action, !r.Apply),
			slog.String(LogEvent, EventKey),
			slog.String(LogMetadataKey, d.MetadataKey),
			slog.Int(LogLine, d.Line),
			slog.String(LogAction, string(d.Action)),
			slog.String(LogReason, d.Reason),
			slog.String(LogUsername, d.Username),
			slog.String(LogKeyType, d.KeyType),
			slog.String(LogFingerprint, d.Fingerprint),
			slog.String(LogGoogleUserName, d.GoogleUserName),
			slog.String(LogExpireOn, expire),
			slog.Bool(LogDryRun, !r.Apply),
			slog.String(LogRunID, r.RunID),
		)
	}
}

func decisionMessage(a Action, dryRun bool) string {
	switch {
	case a == ActionRemove && dryRun:
		return "key would be removed"
	case a == ActionRemove:
		return "key removed"
	case a == ActionMove && dryRun:
		return "key would be moved to sshKeys"
	case a == ActionMove:
		return "key moved to sshKeys"
	default:
		return "key kept"
	}
}

// logProject writes the outcome of one project: errors for failures,
// warnings for what the caller may not see (a gap in the coverage that
// someone must close), info otherwise.
func (r *Reconciler) logProject(pr ProjectReport) {
	level := slog.LevelInfo
	switch {
	case pr.Outcome == OutcomeFailed || pr.Outcome == OutcomeInterrupted:
		level = slog.LevelError
	case pr.Outcome == OutcomeNotStarted:
		level = slog.LevelWarn
	case pr.Outcome == OutcomeSkipped && pr.Reason == SkipForbidden:
		level = slog.LevelWarn
	}
	attrs := []slog.Attr{
		slog.String(LogEvent, EventProject),
		slog.String(LogProject, pr.Project),
		slog.String(LogOutcome, string(pr.Outcome)),
		slog.Int(LogKept, pr.Kept),
		slog.Int(LogRemoved, pr.Removed),
		slog.Int(LogMoved, pr.Moved),
		slog.Bool(LogDryRun, !r.Apply),
		slog.String(LogRunID, r.RunID),
	}
	if pr.Reason != "" {
		attrs = append(attrs, slog.String(LogReason, pr.Reason))
	}
	if pr.Error != "" {
		attrs = append(attrs, slog.String(LogError, pr.Error))
	}
	r.logger().LogAttrs(context.Background(), level, "project "+string(pr.Outcome), attrs...)
}

func (r *Reconciler) logSummary(rep Report) {
	t := rep.Totals
	level := slog.LevelInfo
	if !rep.OK() {
		level = slog.LevelError
	}
	r.logger().LogAttrs(context.Background(), level, "run finished",
		slog.String(LogEvent, EventSummary),
		slog.String(LogRunID, r.RunID),
		slog.Bool(LogDryRun, !r.Apply),
		slog.Bool(LogInterrupted, rep.Interrupted),
		slog.Int(LogProjects, t.Projects),
		slog.Int(LogUnchanged, t.Unchanged),
		slog.Int(LogWouldChange, t.WouldChange),
		slog.Int(LogChanged, t.Changed),
		slog.Int(LogSkipped, t.Skipped),
		slog.Int(LogFailed, t.Failed),
		slog.Int(LogNotStarted, t.NotStarted),
		slog.Int(LogInterruptedProjects, t.Interrupted),
		slog.Int(LogFoldersSkipped, t.FoldersSkipped),
		slog.Int(LogKeysKept, t.KeysKept),
		slog.Int(LogKeysRemoved, t.KeysRemoved),
		slog.Int(LogKeysMoved, t.KeysMoved),
	)
}
