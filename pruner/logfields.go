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
	LogNoExpiry       = "noExpiry"  // "true" for a key that never expires
	LogFirstSeen      = "firstSeen" // when the state first saw the key on the target; "" without state
	LogGraceEnds      = "graceEnds" // when a key kept by the grace is removed
	LogState          = "state"     // where the state lives: a file, gs://BUCKET/OBJECT
	LogKeys           = "keys"      // keys the saved state remembers
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
	LogInterruptedProjects = "interruptedProjects"
	LogFoldersSkipped      = "foldersSkipped"
	LogInstances           = "instances"
	LogInstancesChanged    = "instancesChanged" // changed, or would change in a dry run
	LogInstancesFailed     = "instancesFailed"  // failed or interrupted
	LogZonesUnreachable    = "zonesUnreachable"
	LogKeysKept            = "keysKept"
	LogKeysRemoved         = "keysRemoved"
	LogKeysMoved           = "keysMoved"
	LogKeysInGrace         = "keysInGrace"
	LogAPIRetries          = "apiRetries"
	LogAPIThrottled        = "apiThrottled"
)

// Values of LogEvent.
const (
	EventKey      = "key"      // one key decision
	EventProject  = "project"  // one project's own metadata: its outcome
	EventInstance = "instance" // one instance's metadata: its outcome
	EventFolder   = "folder"   // a folder that could not be listed
	EventGuard    = "guard"    // an item set to keep access from widening
	EventAccess   = "access"   // a key that opens a VM as the run leaves it
	EventScope    = "scope"    // the listing of the scope stopped partway
	EventSummary  = "summary"  // the run's totals
	EventState    = "state"    // the run's state: none yet, saved, or not saved
)
