package gcpfake

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
)

// Limits of Compute Engine metadata, from the Metadata resource reference:
// keys match [a-zA-Z0-9-_] and are less than 128 bytes, a value is at most
// 262144 bytes (256 KiB), and keys and values together are at most 512 KiB.
const (
	maxKeyLen        = 127
	maxValueLen      = 262144
	maxMetadataTotal = 512 << 10
)

var metadataKey = regexp.MustCompile(fmt.Sprintf(`^[a-zA-Z0-9-_]{1,%d}$`, maxKeyLen))

// validateItems applies Compute Engine's checks to a metadata write, in
// the order the service reports them, and returns the message of the HTTP
// 400 it answers, or "" for a valid write:
//
//	check                        message (reason "invalid")
//	key outside the pattern      Invalid value for field 'resource.items[i].key': 'k'. Must be a match of regex '[a-zA-Z0-9-_]{1,128}'
//	value over 262144 bytes      Value for field 'resource.items[i].value' is too large: maximum size 262144 character(s); actual size n.
//	the same key twice           Invalid value for field 'resource': '{...}'. Metadata has duplicate keys: k
//	total over 512 KiB           Invalid value for field 'resource': '{...}'. Metadata total size n exceeds the limit of 524288 bytes.
//
// The key and duplicate messages are the service's own, as seen in
// client bug reports; the two size messages follow its wording for
// oversized fields.
func validateItems(items []Item) string {
	for i, it := range items {
		if !metadataKey.MatchString(it.Key) {
			return fmt.Sprintf("Invalid value for field 'resource.items[%d].key': '%s'. Must be a match of regex '[a-zA-Z0-9-_]{1,128}'", i, it.Key)
		}
	}
	for i, it := range items {
		if it.Value != nil && len(*it.Value) > maxValueLen {
			return fmt.Sprintf("Value for field 'resource.items[%d].value' is too large: maximum size %d character(s); actual size %d.", i, maxValueLen, len(*it.Value))
		}
	}
	seen := make(map[string]bool, len(items))
	total := 0
	for _, it := range items {
		if seen[it.Key] {
			return fmt.Sprintf("Invalid value for field 'resource': '%s'. Metadata has duplicate keys: %s", preview(items), it.Key)
		}
		seen[it.Key] = true
		total += len(it.Key)
		if it.Value != nil {
			total += len(*it.Value)
		}
	}
	if total > maxMetadataTotal {
		return fmt.Sprintf("Invalid value for field 'resource': '%s'. Metadata total size %d exceeds the limit of %d bytes.", preview(items), total, maxMetadataTotal)
	}
	return ""
}

// preview renders the start of a metadata write the way the service quotes
// it in error messages, cut after about a hundred characters.
func preview(items []Item) string {
	var b strings.Builder
	b.WriteString(`{  "item": [`)
	for i, it := range items {
		if i > 0 {
			b.WriteString(", ")
		}
		fmt.Fprintf(&b, `{    "key": %s`, strconv.Quote(it.Key))
		if it.Value != nil {
			fmt.Fprintf(&b, `,    "value": %s`, strconv.Quote(*it.Value))
		}
		b.WriteString("  }")
		if b.Len() > 100 {
			break
		}
	}
	s := b.String()
	if len(s) > 100 {
		return s[:100] + "..."
	}
	return s + "]}"
}
