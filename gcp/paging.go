package gcp

import "fmt"

// maxPages bounds the pages of one listing, so that a server handing out
// page tokens forever cannot hold a run: 10,000 pages of 500 instances
// (or of Resource Manager's default 100 projects) is far past any quota.
const maxPages = 10_000

// pages follows a listing's page tokens and stops one that does not end.
type pages struct {
	n    int
	last string
}

// next takes the token of the page just read: done when it is empty, an
// error when the listing runs past maxPages or gives a token twice in a
// row.
func (p *pages) next(token string) (done bool, err error) {
	if token == "" {
		return true, nil
	}
	p.n++
	switch {
	case token == p.last:
		return false, fmt.Errorf("the server gave the same page token twice")
	case p.n >= maxPages:
		return false, fmt.Errorf("more than %d pages", maxPages)
	}
	p.last = token
	return false, nil
}
