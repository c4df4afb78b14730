package gcpfake

import (
	"encoding/json"
	"reflect"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestParseFields(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want selection
	}{
		{"a", selection{"a": nil}},
		{"a,b", selection{"a": nil, "b": nil}},
		{"a/b", selection{"a": {"b": nil}}},
		{"a/b/c", selection{"a": {"b": {"c": nil}}}},
		{"a(b,c)", selection{"a": {"b": nil, "c": nil}}},
		{"a(b(c),d/e)", selection{"a": {"b": {"c": nil}, "d": {"e": nil}}}},
		{"a/b(c,d)", selection{"a": {"b": {"c": nil, "d": nil}}}},
		{"*", selection{"*": nil}},
		{"items/*/instances(name,zone)", selection{"items": {"*": {"instances": {"name": nil, "zone": nil}}}}},
		// Two parts of one field are their union; the whole absorbs a part.
		{"a/b,a/c", selection{"a": {"b": nil, "c": nil}}},
		{"a(b),a(c(d)),a/c/e", selection{"a": {"b": nil, "c": {"d": nil, "e": nil}}}},
		{"a/b,a", selection{"a": nil}},
		{"a,a(b)", selection{"a": nil}},
		{"kind,items(id,metadata/fingerprint),nextPageToken", selection{
			"kind": nil, "items": {"id": nil, "metadata": {"fingerprint": nil}}, "nextPageToken": nil}},
		{"x-y_z9", selection{"x-y_z9": nil}},
	} {
		got, err := parseFields(tc.in)
		require.NoError(t, err, tc.in)
		require.Equal(t, tc.want, got, tc.in)
	}
}

func TestParseFieldsRefusesBadSyntax(t *testing.T) {
	deep := ""
	for range maxFieldsDepth + 2 {
		deep += "a("
	}
	deep += "b"
	for range maxFieldsDepth + 2 {
		deep += ")"
	}
	for _, in := range []string{
		",", "a,", ",a", "a,,b", "a/", "/a", "a//b", "a(", "a()", "a(b", "a)", "a(b))",
		"a b", " a", "a.b", "a*", "*a", "a(b)c", "a(b)/c", "(a)", "a[0]", deep,
	} {
		_, err := parseFields(in)
		require.Error(t, err, "%q", in)
	}
}

// checked is an answer shape with what the fake's answers have: a map,
// slices of structs, a pointer, scalars and free-form JSON.
type checked struct {
	Kind  string `json:"kind"`
	Next  string `json:"nextPageToken,omitempty"`
	Items map[string]*struct {
		Instances []struct {
			Name     string            `json:"name"`
			Labels   map[string]string `json:"labels,omitempty"`
			Licenses []string          `json:"licenses"`
		} `json:"instances,omitempty"`
	} `json:"items"`
	Details []any `json:"details"`
	Plain   int   // no tag: its Go name
	Skipped int   `json:"-"`
	hidden  int
}

func TestSelectionCheck(t *testing.T) {
	typ := reflect.TypeFor[checked]()
	for _, tc := range []struct{ in, bad string }{
		{"kind", ""},
		{"*", ""},
		{"kind,nextPageToken,items", ""},
		{"items/*/instances(name,labels,licenses)", ""},
		{"items/zones-europe-west1-b/instances/name", ""}, // a map takes any key
		{"items(*)", ""},
		{"items/*/instances/labels/env", ""}, // a map of strings, any key
		{"details/anything/at/all", ""},      // free-form
		{"Plain", ""},
		{"nextpagetoken", "nextpagetoken"}, // case counts
		{"pageToken,kind", "pageToken"},
		{"items/*/instances(name,zone)", "items/*/instances/zone"},
		{"items/*/instances/name/first", "items/*/instances/name/first"}, // a string has no fields
		{"items/*/instances/licenses(x)", "items/*/instances/licenses/x"},
		{"kind/x", "kind/x"},
		{"items/*/*(name)", "items/*/*"}, // * with a sub-selection under an object
		{"Skipped", "Skipped"},
		{"hidden", "hidden"},
		{"plain", "plain"},
	} {
		sel, err := parseFields(tc.in)
		require.NoError(t, err, tc.in)
		require.Equal(t, tc.bad, sel.check(typ, ""), tc.in)
	}
}

func TestSelectionCut(t *testing.T) {
	const page = `{"kind":"compute#instanceAggregatedList","id":"projects/p/aggregated/instances",` +
		`"items":{"zones/a":{"instances":[{"name":"vm-1","id":"12345678901234567890","zone":"z/a","status":"RUNNING",` +
		`"metadata":{"kind":"compute#metadata","fingerprint":"f1","items":[{"key":"k","value":"v"}]},` +
		`"disks":[{"boot":true,"licenses":["l1"],"guestOsFeatures":[{"type":"WINDOWS"}],"diskSizeGb":"50"}]}]},` +
		`"zones/b":{"warning":{"code":"NO_RESULTS_ON_PAGE","message":"none","data":[{"key":"scope","value":"zones/b"}]}}},` +
		`"nextPageToken":"tok","selfLink":"https://x"}`
	for _, tc := range []struct{ fields, want string }{
		{"nextPageToken", `{"nextPageToken":"tok"}`},
		{"absent,kind", `{"kind":"compute#instanceAggregatedList"}`},
		{"items/*/instances(name,zone),nextPageToken",
			`{"items":{"zones/a":{"instances":[{"name":"vm-1","zone":"z/a"}]},"zones/b":{}},"nextPageToken":"tok"}`},
		{"items/*/warning/code", `{"items":{"zones/a":{},"zones/b":{"warning":{"code":"NO_RESULTS_ON_PAGE"}}}}`},
		// Numbers pass as written, not through a float64.
		{"items/*/instances/id", `{"items":{"zones/a":{"instances":[{"id":"12345678901234567890"}]},"zones/b":{}}}`},
		{"items/nothere", `{"items":{}}`},
		{"items/*/instances/metadata(fingerprint,items/key)",
			`{"items":{"zones/a":{"instances":[{"metadata":{"fingerprint":"f1","items":[{"key":"k"}]}}]},"zones/b":{}}}`},
		{"items/*/instances/disks(boot,guestOsFeatures/type)",
			`{"items":{"zones/a":{"instances":[{"disks":[{"boot":true,"guestOsFeatures":[{"type":"WINDOWS"}]}]}]},"zones/b":{}}}`},
		// * and a name at one level: the whole wins, else the union.
		{"items/*/instances/disks/*,items/*/instances/disks/boot",
			`{"items":{"zones/a":{"instances":[{"disks":[{"boot":true,"licenses":["l1"],"guestOsFeatures":[{"type":"WINDOWS"}],"diskSizeGb":"50"}]}]},"zones/b":{}}}`},
		{"items(*(warning/code))", `{"items":{"zones/a":{},"zones/b":{"warning":{"code":"NO_RESULTS_ON_PAGE"}}}}`},
	} {
		sel, err := parseFields(tc.fields)
		require.NoError(t, err, tc.fields)
		got, err := sel.cut([]byte(page))
		require.NoError(t, err, tc.fields)
		require.JSONEq(t, tc.want, string(got), tc.fields)
	}
	sel, err := parseFields("*")
	require.NoError(t, err)
	got, err := sel.cut([]byte(page))
	require.NoError(t, err)
	require.JSONEq(t, page, string(got), "* is everything")
}

// applyDecoded is cut done the slow, obvious way: decode, drop what is
// not selected, encode. TestCutMatchesDecoding holds cut to it.
func applyDecoded(s selection, v any) any {
	switch x := v.(type) {
	case []any:
		for i := range x {
			x[i] = applyDecoded(s, x[i])
		}
	case map[string]any:
		for k, val := range x {
			sub, ok := s.pick(k)
			switch {
			case !ok:
				delete(x, k)
			case sub != nil:
				x[k] = applyDecoded(sub, val)
			}
		}
	}
	return v
}

func TestCutMatchesDecoding(t *testing.T) {
	in := instanceState{Instance: Instance{Zone: "europe-west1-b", Name: "vm-1", Status: "RUNNING", Windows: true,
		Labels: map[string]string{"a\"b": "c\\d", "é": "<&>"}, Effective: &EffectiveMetadata{EnableOSLogin: true}}}
	in.md = newMetadata("projects/p/zones/europe-west1-b/instances/vm-1", []Item{NewItem("ssh-keys", "alice:ssh-ed25519 AAAA {\"x\":[1,2]}\n")})
	page := instanceAggregatedList{Kind: "compute#instanceAggregatedList", Items: map[string]*scopedInstances{
		"zones/europe-west1-b": {Instances: []computeInstance{renderInstance("https://x/", "p", &in), renderInstance("https://x/", "p", &in)}},
		"zones/us-east1-b":     {Warning: &scopeWarning{Code: "NO_RESULTS_ON_PAGE", Data: []map[string]string{{"key": "scope"}}}},
	}, NextPageToken: "tok", Unreachables: []string{"zones/x"}}
	body, err := json.MarshalIndent(page, "", " ") // blanks too
	require.NoError(t, err)
	for _, fields := range []string{
		"*", "kind", "nextPageToken,unreachables", "items", "items/*/warning(code,data/key)",
		"items/*/instances(name,labels,metadata(fingerprint,items),disks(boot,licenses,guestOsFeatures/type))",
		"items/*/instances/resourceStatus/effectiveInstanceMetadata", "items/*/instances/labels/a\"b",
		"items/*/instances/networkInterfaces/accessConfigs/natIP", "items/zones/us-east1-b", "items/*/instances/disks/*",
	} {
		sel, err := parseFields(fields)
		if err != nil { // a name the parser does not take: select it by hand
			sel = selection{"items": {"*": {"instances": {"labels": {"a\"b": nil}}}}}
		}
		got, err := sel.cut(body)
		require.NoError(t, err, fields)
		var v any
		require.NoError(t, json.Unmarshal(body, &v))
		want, err := json.Marshal(applyDecoded(sel, v))
		require.NoError(t, err)
		require.JSONEq(t, string(want), string(got), fields)
	}
	for _, bad := range []string{`{"a":`, `{"a":1`, `[1,2`, `{"a" 1}`, `{"a":1 "b":2}`, `"abc`, `{"a":1}x`, ``} {
		_, err := selection{"a": nil}.cut([]byte(bad))
		require.Error(t, err, bad)
	}
}

// FuzzFieldSelection: no fields parameter makes the parser or the check
// fail other than by an error, and cut agrees with decoding on any
// selection that parses.
func FuzzFieldSelection(f *testing.F) {
	for _, s := range []string{"a", "a/b(c,d(e)),*", "items/*/instances(name,zone)", "a(", "a((b))", "*/*/*", "a,a/b,a(c)"} {
		f.Add(s)
	}
	body := []byte(`{"a":{"b":[1,{"c":"x\"y","d":{"e":null}}],"c":true},"items":{"zones/z":{"instances":[{"name":"n","zone":"z"}]}},"x":[[{"a":1}]]}`)
	f.Fuzz(func(t *testing.T, fields string) {
		sel, err := parseFields(fields)
		if err != nil {
			return
		}
		_ = sel.check(reflect.TypeFor[instanceAggregatedList](), "")
		got, err := sel.cut(body)
		require.NoError(t, err)
		var v any
		require.NoError(t, json.Unmarshal(body, &v))
		want, err := json.Marshal(applyDecoded(sel, v))
		require.NoError(t, err)
		require.JSONEq(t, string(want), string(got), fields)
	})
}
