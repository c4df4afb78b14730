package plan

import "strconv"

// Metadata items that hold or gate SSH keys. The guest agent reads both
// key items; sshKeys is the legacy item where only Google's own keys
// belong at project level.
const (
	KeySSHKeys          = "ssh-keys"
	KeyLegacySSHKeys    = "sshKeys"
	KeyBlockProjectKeys = "block-project-ssh-keys"
)

// Item is one metadata entry. Value is a pointer because the API
// distinguishes an item without a value from one with an empty value.
type Item struct {
	Key   string  `json:"key"`
	Value *string `json:"value"`
}

// Metadata is a target's metadata as read, with the fingerprint that a
// write must present.
type Metadata struct {
	Fingerprint string `json:"fingerprint"`
	Items       []Item `json:"items"`
}

// Value is an item's value, "" when it has none.
func Value(it Item) string {
	if it.Value == nil {
		return ""
	}
	return *it.Value
}

// Lookup is the value of the item named key, "" when absent or null.
func Lookup(items []Item, key string) string {
	for _, it := range items {
		if it.Key == key {
			return Value(it)
		}
	}
	return ""
}

// IsTrue tells whether the item named key reads true the agent's way
// (strconv.ParseBool, as guest-agent's Attributes.UnmarshalJSON): a value
// that does not parse is unset, not false.
func IsTrue(items []Item, key string) bool {
	b, err := strconv.ParseBool(Lookup(items, key))
	return err == nil && b
}
