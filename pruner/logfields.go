package pruner

// Attribute keys of the log entries. Dashboards and log-based metrics in
// deploy/ filter on these names: change them only together.
const (
	LogEvent          = "event" // one of the Event* values
	LogRunID          = "runId"
	LogDryRun         = "dryRun"
	LogProject        = "project"
	LogZone           = "zone"
	LogInstance       = "instance"
	LogFolder         = "folder"
	LogValue          = "value"
	LogUnreachable    = "unreachableZones"
	LogMetadataKey    = "metadataKey"
	LogLine           = "line"
	LogAction         = "action"
	LogReason         = "reason"
	LogUsername       = "username"
	LogKeyType        = "keyType"
	LogFingerprint    = "fingerprint"
	LogGoogleUserName = "googleUserName"
	LogExpireOn       = "expireOn"
	LogOutcome        = "outcome"
	LogError          = "error"
	LogAttempt        = "attempt"
	LogKept           = "kept"
	LogRemoved        = "removed"
	LogMoved          = "moved"
	LogIdentity       = "identity"
	LogRule           = "rule"      // the protection that kept a key
	LogKeyLevel       = "keyLevel"  // project or instance: where the key line lives
	LogNoExpiry       = "noExpiry"  // "true" for a key that never expires: on key and access entries
	LogFirstSeen      = "firstSeen" // when the state first saw the key on the target; "" without state
	LogGraceEnds      = "graceEnds" // when a key kept by the grace is removed
	LogState          = "state"     // where the state lives: a file, gs://BUCKET/OBJECT
	LogKeys           = "keys"      // keys the saved state remembers
	// Attribution of a key to the Google principal that wrote it, from
	// Cloud Audit Logs (--audit-logs): on key, key-appeared, access and
	// claim entries.
	LogAddedBy     = "addedBy"     // the principal's email; "" unless attribution is window or only-writer
	LogAddedAt     = "addedAt"     // when that principal's write was logged
	LogAddedVia    = "addedVia"    // the client, from its user agent: client-supplied
	LogAttribution = "attribution" // one of the Attribution* values of package attribution
	LogCandidates  = "candidates"  // the principals an ambiguous key may come from
	LogWhy         = "why"         // why a key's attribution is unknown
	LogAuditLogs   = "auditLogs"   // the log resource attribution reads
)

// Attribute keys of the summary entry (EventSummary): the run's totals.
const (
	LogInterrupted = "interrupted"
	LogProjects    = "projects"
	LogUnchanged   = "unchanged"
	LogWouldChange = "wouldChange"
	LogChanged     = "changed"
	LogSkipped     = "skipped"
	LogFailed      = "failed"
	LogNotStarted  = "notStarted"
	// LogInterruptedProjects counts the projects stopped midway.
	LogInterruptedProjects  = "interruptedProjects"
	LogFoldersSkipped       = "foldersSkipped"
	LogInstances            = "instances"
	LogInstancesChanged     = "instancesChanged"     // written
	LogInstancesWouldChange = "instancesWouldChange" // would change: a dry run's, or a held run's
	LogInstancesFailed      = "instancesFailed"      // failed or interrupted
	LogZonesUnreachable     = "zonesUnreachable"
	LogKeysKept             = "keysKept"
	LogKeysRemoved          = "keysRemoved"
	LogKeysMoved            = "keysMoved"
	LogKeysInGrace          = "keysInGrace"
	LogKeysAppeared         = "keysAppeared"     // keys first seen in this run
	LogKeysAttributed       = "keysAttributed"   // of those, attributed to one principal
	LogKeysAmbiguous        = "keysAmbiguous"    // of those, with several candidates
	LogKeysUnattributed     = "keysUnattributed" // of those, unknown
	LogClaimMismatches      = "claimMismatches"  // keys whose name claims another identity than their writer
	LogAPIRetries           = "apiRetries"
	LogAPIThrottled         = "apiThrottled"
	// LogOK is false when the run failed (report.OK): its exit status is 1.
	LogOK = "ok"
	// LogRunOutcome is one of the Run* values: what an alert on failed
	// runs, or a chart of runs, counts.
	LogRunOutcome = "runOutcome"
)

// Values of LogRunOutcome. They follow the exit status of ssh-pruner run:
// RunFailed is exit 1; RunChanges is exit 3 in a dry run with
// --exit-code-on-changes, 0 otherwise; RunOK is exit 0. A run that stops
// before its summary (a scope that cannot be listed at all, a usage
// error, a crash) logs none: an alert must also watch for runs missing.
const (
	RunOK      = "ok"      // nothing failed, nothing to change
	RunChanges = "changes" // nothing failed; changes found (dry run) or made
	// RunFailed: report.OK is false. A target failed, was held or went
	// stale, a listing failed, the state was not saved or holds the runs,
	// or the run was interrupted.
	RunFailed = "failed"
)

// Values of LogEvent.
const (
	EventKey      = "key"      // one key decision
	EventProject  = "project"  // one project's own metadata: its outcome
	EventInstance = "instance" // one instance's metadata: its outcome
	// EventInstances is the listing of a project's instances, logged when
	// it failed, wholly or for some zones: VMs were not seen.
	EventInstances = "instances"
	EventFolder    = "folder"  // a folder that could not be listed
	EventGuard     = "guard"   // an item set to keep access from widening
	EventAccess    = "access"  // a key that opens a VM as the run leaves it
	EventScope     = "scope"   // the listing of the scope stopped partway
	EventSummary   = "summary" // the run's totals
	EventState     = "state"   // the run's state: none yet, saved, or not saved
	// EventKeyAppeared is logged once per key, in the run that first
	// sees it on a target, with who added it (attribution).
	EventKeyAppeared = "key-appeared"
	// EventClaim is a key whose name (google-ssh userName or the username
	// before the colon) names someone other than the principal that
	// added it: message "key claims another identity", severity WARNING.
	EventClaim = "claim-mismatch"
	// EventAuditLogs is the reading of the audit logs: logged when it
	// failed, with the error; attribution is then unknown.
	EventAuditLogs = "audit-logs"
)
