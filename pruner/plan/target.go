package plan

// Level says where a metadata target lives: the project's
// commonInstanceMetadata, read by every VM of the project that takes
// project keys, or one instance's own metadata.
type Level string

// The levels of a target.
const (
	LevelProject  Level = "project"
	LevelInstance Level = "instance"
)

// Target names one metadata target: a project's commonInstanceMetadata
// (Zone and Instance empty) or one instance's metadata. It is the unit the
// reconciler reads, plans, writes and reports.
type Target struct {
	Project  string `json:"project"`
	Zone     string `json:"zone,omitempty"`
	Instance string `json:"instance,omitempty"`
}

// Level tells whether the target is a project's or an instance's metadata.
func (t Target) Level() Level {
	if t.Instance != "" {
		return LevelInstance
	}
	return LevelProject
}

// String names the target as Compute Engine's resource names do:
// projects/P or projects/P/zones/Z/instances/I.
func (t Target) String() string {
	if t.Instance == "" {
		return "projects/" + t.Project
	}
	return "projects/" + t.Project + "/zones/" + t.Zone + "/instances/" + t.Instance
}
