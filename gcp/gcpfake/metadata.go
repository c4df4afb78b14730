package gcpfake

import (
	"crypto/sha256"
	"encoding/base64"
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

// metadataState is the metadata of a project or an instance. Its
// fingerprint is drawn from the resource name and a generation that every
// change moves.
type metadataState struct {
	name  string // projects/P or projects/P/zones/Z/instances/I
	items []Item
	gen   uint64
	fp    string
}

// newMetadata is a resource's metadata at its first generation, holding a
// copy of items.
func newMetadata(name string, items []Item) metadataState {
	return metadataState{name: name, items: cloneItems(items), gen: 1, fp: fingerprint(name, 1)}
}

// set replaces the items with a copy and moves the fingerprint.
func (m *metadataState) set(items []Item) {
	m.items = cloneItems(items)
	m.gen++
	m.fp = fingerprint(m.name, m.gen)
}

// fingerprint is the metadata fingerprint of a resource at a generation:
// 8 bytes of a hash, in standard base64 like the service's "Fk9S9V8fs9I=".
// Every accepted write moves the generation, hence the fingerprint.
func fingerprint(resource string, generation uint64) string {
	sum := sha256.Sum256([]byte(resource + "#" + strconv.FormatUint(generation, 10)))
	return base64.StdEncoding.EncodeToString(sum[:8])
}

// sameFingerprint tells whether a fingerprint sent with a write is the
// current one. The field is bytes in base64: clients built on apitools
// (gcloud) send it URL-safe ("-", "_"), Go clients send it back as read,
// and the service compares the bytes.
func sameFingerprint(sent, current string) bool {
	want, err := base64.StdEncoding.DecodeString(current)
	if err != nil || sent == "" {
		return false
	}
	for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.URLEncoding, base64.RawStdEncoding, base64.RawURLEncoding} {
		if got, err := enc.DecodeString(sent); err == nil {
			return string(got) == string(want)
		}
	}
	return false
}

// cloneItems copies items deeply, so that callers cannot change the fake's state.
func cloneItems(items []Item) []Item {
	if items == nil {
		return []Item{}
	}
	out := make([]Item, len(items))
	for i, it := range items {
		out[i] = Item{Key: it.Key}
		if it.Value != nil {
			v := *it.Value
			out[i].Value = &v
		}
	}
	return out
}
