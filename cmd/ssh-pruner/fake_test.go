package main

import (
	"net/http/httptest"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	sshpruner "github.com/ssh-pruner/ssh-pruner"
	"github.com/ssh-pruner/ssh-pruner/gcp/gcpfake"
	"github.com/ssh-pruner/ssh-pruner/keyparse"
)

const demoOrg = "123456789012"

// demoFake serves the embedded demo organization over HTTP, for the real
// Google clients inside the command.
func demoFake(t *testing.T) (*gcpfake.Fake, string) {
	t.Helper()
	seed, err := gcpfake.ParseSeed(sshpruner.DemoOrganization)
	require.NoError(t, err)
	f, err := gcpfake.New(seed)
	require.NoError(t, err)
	srv := httptest.NewServer(f)
	t.Cleanup(srv.Close)
	return f, srv.URL
}

// snapshot is every project's metadata items, by project id.
type snapshot map[string][]gcpfake.Item

func takeSnapshot(t *testing.T, f *gcpfake.Fake) snapshot {
	t.Helper()
	s := snapshot{}
	for _, id := range f.Projects() {
		items, _, ok := f.ProjectMetadata(id)
		require.True(t, ok, id)
		s[id] = items
	}
	return s
}

func itemValue(items []gcpfake.Item, key string) (string, bool) {
	for _, it := range items {
		if it.Key == key {
			if it.Value == nil {
				return "", true
			}
			return *it.Value, true
		}
	}
	return "", false
}

var gkeUser = regexp.MustCompile(`^gke-[0-9a-f]+$`)

// lineTexts is the set of lines of a key item as written.
func lineTexts(items []gcpfake.Item, key string) map[string]bool {
	v, _ := itemValue(items, key)
	set := map[string]bool{}
	for _, l := range keyparse.Parse(v) {
		if l.Invalid != keyparse.ReasonBlank {
			set[l.Text] = true
		}
	}
	return set
}

// requirePruned checks the policy's promises on one project, from the
// metadata before and after an apply, without using package pruner: every
// key the policy keeps is still there byte for byte, Google's keys are in
// sshKeys, nothing else is left in either key item, and every other item
// is unchanged and in its place.
func requirePruned(t *testing.T, project string, before, after []gcpfake.Item, now time.Time) {
	t.Helper()
	var otherBefore, otherAfter []gcpfake.Item
	for _, it := range before {
		if it.Key != "ssh-keys" && it.Key != "sshKeys" {
			otherBefore = append(otherBefore, it)
		}
	}
	for _, it := range after {
		if it.Key != "ssh-keys" && it.Key != "sshKeys" {
			otherAfter = append(otherAfter, it)
		}
	}
	require.Equal(t, otherBefore, otherAfter, "%s: other items must not change", project)
	beforeKeys := keyOrder(before)
	require.Equal(t, beforeKeys, keyOrder(after)[:len(beforeKeys)], "%s: items keep their order; none is deleted", project)

	userAfter, googleAfter := lineTexts(after, "ssh-keys"), lineTexts(after, "sshKeys")
	for _, key := range []string{"ssh-keys", "sshKeys"} {
		v, _ := itemValue(before, key)
		for _, l := range keyparse.Parse(v) {
			switch {
			case l.Invalid == keyparse.ReasonBlank:
			case gkeUser.MatchString(l.Username):
				require.True(t, googleAfter[l.Text], "%s: Google key %s:%d must be in sshKeys", project, key, l.Number)
			case key == "ssh-keys" && l.State(now) == keyparse.StateExpiring:
				require.True(t, userAfter[l.Text], "%s: unexpired key %s:%d must stay byte for byte", project, key, l.Number)
			default:
				require.False(t, userAfter[l.Text] || googleAfter[l.Text], "%s: %s:%d (%s) must be gone", project, key, l.Number, l.State(now))
			}
		}
	}
	for text := range userAfter {
		l := keyparse.ParseLine(text)
		require.Equal(t, keyparse.StateExpiring, l.State(now), "%s: left in ssh-keys: %q", project, text)
		require.False(t, gkeUser.MatchString(l.Username), "%s: Google key left in ssh-keys", project)
	}
	for text := range googleAfter {
		require.True(t, gkeUser.MatchString(keyparse.ParseLine(text).Username), "%s: user key left in sshKeys: %q", project, text)
	}
}

func keyOrder(items []gcpfake.Item) []string {
	var keys []string
	for _, it := range items {
		keys = append(keys, it.Key)
	}
	return keys
}

// untouched lists the projects whose metadata differs between a and b.
func changedProjects(a, b snapshot) []string {
	var ids []string
	for id := range a {
		if !slices.EqualFunc(a[id], b[id], func(x, y gcpfake.Item) bool {
			return x.Key == y.Key && (x.Value == nil) == (y.Value == nil) && (x.Value == nil || *x.Value == *y.Value)
		}) {
			ids = append(ids, id)
		}
	}
	slices.Sort(ids)
	return ids
}

func mustTime(t *testing.T, s string) time.Time {
	t.Helper()
	tm, err := time.Parse(time.RFC3339, s)
	require.NoError(t, err)
	return tm
}

// jsonLines splits a JSON-lines log into its entries' raw text.
func jsonLines(s string) []string {
	var out []string
	for _, l := range strings.Split(strings.TrimSpace(s), "\n") {
		if l != "" {
			out = append(out, l)
		}
	}
	return out
}
