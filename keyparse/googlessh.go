package keyparse

import (
	"encoding/json"
	"strings"
	"unicode/utf8"
)

// decodeGoogleSSH decodes the JSON of a google-ssh comment as the agent
// does, with json.Unmarshal into a struct of two strings: field names
// match in any case, unknown fields are ignored, and text after the
// object is an error.
//
// The JSON that gcloud and the Console write,
//
//	{"userName":"alice@example.com","expireOn":"2026-12-01T10:00:00+0000"}
//
// is read without encoding/json, which is most of the cost of a line:
// when obj is exactly this shape (either field order), and each value is
// valid UTF-8 free of '"', '\' and control characters, json.Unmarshal
// would give the very same strings. Anything else goes to json.Unmarshal.
func decodeGoogleSSH(obj string) (g GoogleSSH, ok bool) {
	if a, b, ok := cutPair(obj, `{"userName":"`, `","expireOn":"`); ok {
		return GoogleSSH{UserName: a, ExpireOn: b}, true
	}
	if a, b, ok := cutPair(obj, `{"expireOn":"`, `","userName":"`); ok {
		return GoogleSSH{UserName: b, ExpireOn: a}, true
	}
	if err := json.Unmarshal([]byte(obj), &g); err != nil {
		return GoogleSSH{}, false
	}
	return g, true
}

// cutPair matches obj against open + A + mid + B + `"}` and returns A and
// B if both are plain JSON string contents.
func cutPair(obj, open, mid string) (a, b string, ok bool) {
	rest, ok := strings.CutPrefix(obj, open)
	if !ok {
		return "", "", false
	}
	rest, ok = strings.CutSuffix(rest, `"}`)
	if !ok {
		return "", "", false
	}
	a, b, ok = strings.Cut(rest, mid)
	if !ok || !plainJSONString(a) || !plainJSONString(b) {
		return "", "", false
	}
	return a, b, true
}

// plainJSONString tells whether s, between double quotes, is a JSON string
// that decodes to s itself.
func plainJSONString(s string) bool {
	for i := 0; i < len(s); i++ {
		if b := s[i]; b < 0x20 || b == '"' || b == '\\' {
			return false
		}
	}
	return utf8.ValidString(s)
}
