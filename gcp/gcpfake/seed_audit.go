package gcpfake

import (
	"bytes"
	"encoding/json"
	"fmt"
	"maps"
	"regexp"
	"slices"
	"strings"
)

// DefaultPrincipalEmail is the account the fake names for a call that
// carries no bearer token, or one the seed does not know, unless the seed
// sets defaultPrincipal. It is the account Compute operations have always
// named as their user.
const DefaultPrincipalEmail = "ssh-pruner@example.iam.gserviceaccount.com"

// Principal is who calls with a bearer token. In a seed it is either an
// email, or an object whose impersonates names the service account the
// token was minted for (with generateAccessToken, or gcloud's
// --impersonate-service-account):
//
//	"principals": {
//	  "alice-token":  "alice@example.com",
//	  "pruner-token": {"email": "alice@example.com",
//	                   "impersonates": "pruner@sec-audit-logs-2a7c.iam.gserviceaccount.com"}
//	}
//
// Audit logs name the service account as the principal of a call made
// with an impersonated token, and the human behind it in
// serviceAccountDelegationInfo.
type Principal struct {
	Email        string `json:"email"`
	Impersonates string `json:"impersonates,omitempty"`
}

// UnmarshalJSON reads an email or a strict object.
func (p *Principal) UnmarshalJSON(data []byte) error {
	if len(data) > 0 && data[0] == '"' {
		*p = Principal{}
		return json.Unmarshal(data, &p.Email)
	}
	type plain Principal // without this method
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	var v plain
	if err := dec.Decode(&v); err != nil {
		return err
	}
	*p = Principal(v)
	return nil
}

// LogSink is an aggregated sink: it routes the log entries of every
// project under parent (an organization or a folder, with
// includeChildren) that match filter to a log bucket in a project of the
// seed, whose views entries.list reads:
//
//	projects/SEC/locations/global/buckets/B/views/_AllLogs
//
// Without includeChildren a sink routes only the parent's own entries,
// of which the fake writes none.
type LogSink struct {
	Parent          string   `json:"parent"` // organizations/N or folders/N
	IncludeChildren bool     `json:"includeChildren,omitempty"`
	Bucket          string   `json:"bucket"`           // projects/P/locations/L/buckets/B
	Filter          string   `json:"filter,omitempty"` // Logging query language; empty routes all
	Views           []string `json:"views,omitempty"`  // view ids; default _AllLogs
}

var bucketName = regexp.MustCompile(`^projects/([^/]+)/locations/([a-z0-9-]+)/buckets/([A-Za-z0-9_-]{1,100})$`)

// views are the view ids of the sink's bucket.
func (s LogSink) views() []string {
	if len(s.Views) == 0 {
		return []string{"_AllLogs"}
	}
	return s.Views
}

// validateAudit checks the principals and the log sinks: emails that look
// like emails, sinks whose parent and bucket project are in the seed, and
// filters the fake can evaluate.
func (s *Seed) validateAudit(parents, ids map[string]bool, bad complain) {
	if s.DefaultPrincipal != "" && !email.MatchString(s.DefaultPrincipal) {
		bad("defaultPrincipal %q: want an email address", s.DefaultPrincipal)
	}
	for _, tok := range slices.Sorted(maps.Keys(s.Principals)) {
		p := s.Principals[tok]
		switch {
		case tok == "" || strings.ContainsAny(tok, " \t\r\n"):
			bad("principals %q: want a token without spaces", tok)
		case !email.MatchString(p.Email):
			bad("principals %q: email %q: want an email address", tok, p.Email)
		case p.Impersonates != "" && !strings.HasSuffix(p.Impersonates, ".gserviceaccount.com"):
			bad("principals %q: impersonates %q: want a service account email", tok, p.Impersonates)
		}
	}
	buckets := map[string]bool{}
	for i, sk := range s.LogSinks {
		where := fmt.Sprintf("logSinks[%d]", i)
		if !parents[sk.Parent] {
			bad("%s.parent %q: not the organization or a folder of the seed", where, sk.Parent)
		}
		m := bucketName.FindStringSubmatch(sk.Bucket)
		switch {
		case m == nil:
			bad("%s.bucket %q: want projects/P/locations/global/buckets/B", where, sk.Bucket)
		case !ids[m[1]]:
			bad("%s.bucket %q: project %s is not in the seed", where, sk.Bucket, m[1])
		case buckets[sk.Bucket]:
			bad("%s.bucket %q: another sink routes to it", where, sk.Bucket)
		}
		buckets[sk.Bucket] = true
		if _, err := parseFilter(sk.Filter); err != nil {
			bad("%s.filter: %v", where, err)
		}
	}
}
