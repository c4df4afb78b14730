package plan

// ReasonKeepBlocked is the reason of the guard that keeps a VM closed to
// the project's keys once its instance sshKeys has lost its last line.
const ReasonKeepBlocked = "instance-sshKeys-emptied"

// Guard is one item the plan sets, beyond the key items, so that pruning
// takes access away and never gives any.
type Guard struct {
	Key    string `json:"key"`
	Value  string `json:"value"`
	Reason string `json:"reason"`
}

// guardBlock keeps an instance closed to the project's keys when the plan
// would open it. A non-empty instance sshKeys blocks the project's keys
// just as block-project-ssh-keys does (the agent's Attributes decoding sets
// BlockProjectKeys for it), so emptying it would let every project key in.
// The plan then sets block-project-ssh-keys to TRUE: the one change to an
// item other than the key items that ssh-pruner ever makes, and one that
// states what was already in force. Keeping a key line instead would keep
// a key the policy removes.
//
// Not on Windows: there sshKeys neither grants nor blocks (the agent's
// google_authorized_keys reads only ssh-keys and block-project-ssh-keys),
// so emptying it opens nothing, and setting block-project-ssh-keys would
// shut out project keys that work today.
func guardBlock(in Input, items []Item) ([]Item, *Guard) {
	if in.Level != LevelInstance || in.Windows || !blocksProjectKeys(in.Metadata.Items) || blocksProjectKeys(items) {
		return items, nil
	}
	g := &Guard{Key: KeyBlockProjectKeys, Value: "TRUE", Reason: ReasonKeepBlocked}
	v := g.Value
	for i := range items {
		if items[i].Key == KeyBlockProjectKeys {
			items[i].Value = &v
			return items, g
		}
	}
	return append(items, Item{Key: KeyBlockProjectKeys, Value: &v}), g
}

// blocksProjectKeys tells whether an instance's items keep the project's
// keys off the VM, as guest-agent's metadata.Attributes.UnmarshalJSON
// decides: block-project-ssh-keys reads true with strconv.ParseBool, or
// sshKeys has a non-empty value.
func blocksProjectKeys(items []Item) bool {
	return IsTrue(items, KeyBlockProjectKeys) || Lookup(items, KeyLegacySSHKeys) != ""
}
