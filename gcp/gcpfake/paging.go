package gcpfake

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"net/http"
	"strconv"
	"strings"
)

// pager cuts a list into pages. Page tokens are opaque to clients: they
// carry the offset and a hash of the query, so that a token is refused
// with another query, as the real services refuse it.
type pager struct {
	sizeParam string // pageSize or maxResults
	def, max  int
	compute   bool // Compute's validation and error style
}

var (
	crmPager     = pager{sizeParam: "pageSize", def: 500, max: 1000}
	usagePager   = pager{sizeParam: "pageSize", def: 50, max: 200}
	computePager = pager{sizeParam: "maxResults", def: 500, max: 500, compute: true}
)

// page returns the bounds [start, end) of the page of a list of n items
// that the request asks for, and the token of the next page, if any.
// scope identifies the query (parent, filters).
func (p pager) page(r *http.Request, n int, scope string) (start, end int, next string, e *apiError) {
	size, e := p.size(r)
	if e != nil {
		return 0, 0, "", e
	}
	if tok := r.URL.Query().Get("pageToken"); tok != "" {
		off, ok := decodeToken(tok, scope)
		if !ok || off > n {
			if p.compute {
				return 0, 0, "", errInvalid(fmt.Sprintf("Invalid value for field 'pageToken': '%s'. Invalid page token.", tok))
			}
			return 0, 0, "", errBadArgument("Request contains an invalid argument.")
		}
		start = off
	}
	end = min(start+size, n)
	if end < n {
		next = encodeToken(end, scope)
	}
	return start, end, next, nil
}

// size is the page size the request asks for, the default if none.
func (p pager) size(r *http.Request) (int, *apiError) {
	s := r.URL.Query().Get(p.sizeParam)
	if s == "" {
		return p.def, nil
	}
	v, err := strconv.Atoi(s)
	switch {
	case err != nil && p.compute:
		return 0, errInvalid(fmt.Sprintf("Invalid value for field '%s': '%s'. Must be an integer", p.sizeParam, s))
	case err != nil:
		return 0, errBadArgument(fmt.Sprintf("Invalid value at 'page_size' (TYPE_INT32), %q", s))
	case v < 0 && p.compute:
		return 0, errInvalid(fmt.Sprintf("Invalid value for field '%s': '%d'. Must be greater than or equal to 0", p.sizeParam, v))
	case v < 0:
		return 0, errBadArgument("Request contains an invalid argument.")
	case v > p.max && p.compute:
		return 0, errInvalid(fmt.Sprintf("Invalid value for field '%s': '%d'. Must be less than or equal to %d", p.sizeParam, v, p.max))
	case v > 0:
		return min(v, p.max), nil
	}
	return p.def, nil
}

// paged is what cutting a page left for the handler: the token of the
// next page, or the error to answer.
type paged struct {
	next string
	err  *apiError
}

// window is the page the request asks for, as a window the backend
// applies to its list under its lock; the outcome lands in out.
func (p pager) window(r *http.Request, scope string, out *paged) window {
	return func(n int) (int, int) {
		start, end, next, e := p.page(r, n, scope)
		out.next, out.err = next, e
		return start, end
	}
}

func scopeHash(scope string) string {
	sum := sha256.Sum256([]byte(scope))
	return hex.EncodeToString(sum[:6])
}

func encodeToken(offset int, scope string) string {
	return base64.RawURLEncoding.EncodeToString([]byte(scopeHash(scope) + ":" + strconv.Itoa(offset)))
}

func decodeToken(tok, scope string) (int, bool) {
	raw, err := base64.RawURLEncoding.DecodeString(tok)
	if err != nil {
		return 0, false
	}
	h, off, ok := strings.Cut(string(raw), ":")
	if !ok || h != scopeHash(scope) {
		return 0, false
	}
	n, err := strconv.Atoi(off)
	if err != nil || n < 0 {
		return 0, false
	}
	return n, true
}
