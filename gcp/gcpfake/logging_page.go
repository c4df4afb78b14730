package gcpfake

import (
	"cmp"
	"encoding/base64"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
)

// entriesQuery is an entries.list call's filter, order and page.
type entriesQuery struct {
	filter filterNode
	desc   bool
	size   int
	token  string
	scope  string // what a page token is good for: the names, filter and order
}

// newEntriesQuery checks the filter, order and page size of a call.
func newEntriesQuery(req *listEntriesRequest, names []string) (*entriesQuery, *apiError) {
	q := &entriesQuery{size: int(req.PageSize), token: req.PageToken}
	switch {
	case q.size < 0:
		return nil, errBadArgument(fmt.Sprintf("page_size must not be negative, got %d", q.size))
	case q.size == 0:
		q.size = defaultEntriesPageSize
	case q.size > maxEntriesPageSize:
		q.size = maxEntriesPageSize
	}
	switch strings.Join(strings.Fields(strings.ToLower(req.OrderBy)), " ") {
	case "", "timestamp", "timestamp asc":
	case "timestamp desc":
		q.desc = true
	default:
		return nil, errBadArgument(fmt.Sprintf("Invalid order_by %q: only \"timestamp asc\" and \"timestamp desc\" are supported", req.OrderBy))
	}
	f, err := parseFilter(req.Filter)
	if err != nil {
		return nil, errBadArgument(err.Error())
	}
	q.filter = f
	q.scope = scopeHash(strings.Join(names, "\n") + "\x00" + req.Filter + "\x00" + strconv.FormatBool(q.desc))
	return q, nil
}

// entryKey orders entries: by timestamp, then insertId.
type entryKey struct {
	at       time.Time
	insertID string
}

func keyOf(e *storedEntry) entryKey { return entryKey{e.at, e.insertID} }

func (k entryKey) compare(o entryKey) int {
	return cmp.Or(k.at.Compare(o.at), cmp.Compare(len(k.insertID), len(o.insertID)), strings.Compare(k.insertID, o.insertID))
}

// page sorts the matching entries, skips those up to the page token's
// and returns a page and the token of the next one.
func (q *entriesQuery) page(entries []*storedEntry) ([]*storedEntry, string, *apiError) {
	slices.SortStableFunc(entries, func(a, b *storedEntry) int {
		c := keyOf(a).compare(keyOf(b))
		if q.desc {
			return -c
		}
		return c
	})
	if q.token != "" {
		after, ok := q.decodeToken()
		if !ok {
			return nil, "", errBadArgument("page_token doesn't match arguments from the request")
		}
		i, _ := slices.BinarySearchFunc(entries, after, func(e *storedEntry, k entryKey) int {
			c := keyOf(e).compare(k)
			if q.desc {
				c = -c
			}
			if c == 0 {
				return -1 // the token's entry itself was served
			}
			return c
		})
		entries = entries[i:]
	}
	if len(entries) <= q.size {
		return entries, "", nil
	}
	page := entries[:q.size]
	return page, q.encodeToken(keyOf(page[len(page)-1])), nil
}

// encodeToken is an opaque token: the query's scope and the last key served.
func (q *entriesQuery) encodeToken(k entryKey) string {
	raw := q.scope + ":" + strconv.FormatInt(k.at.UnixNano(), 10) + ":" + k.insertID
	return base64.RawURLEncoding.EncodeToString([]byte(raw))
}

func (q *entriesQuery) decodeToken() (entryKey, bool) {
	raw, err := base64.RawURLEncoding.DecodeString(q.token)
	if err != nil {
		return entryKey{}, false
	}
	parts := strings.Split(string(raw), ":")
	if len(parts) != 3 || parts[0] != q.scope || parts[2] == "" {
		return entryKey{}, false
	}
	ns, err := strconv.ParseInt(parts[1], 10, 64)
	if err != nil {
		return entryKey{}, false
	}
	return entryKey{time.Unix(0, ns), parts[2]}, true
}
