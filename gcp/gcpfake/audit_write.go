package gcpfake

import (
	"net"
	"net/http"
	"strings"
)

// What a metadata write records in the audit log, and when:
//
//	the call                          entries
//	accepted, its operation done      first (NOTICE) at the call, last at the end
//	accepted, its operation failed    first (NOTICE), last (ERROR, with status)
//	412: stale fingerprint            one, ERROR, status 9 FAILED_PRECONDITION
//	403: the caller may not (seed's   one, ERROR, status 7 PERMISSION_DENIED
//	     forbidden)
//	anything else                     none
//
// Google logs failed Admin Activity calls too, with severity ERROR, a
// status and no operation (published entries of a 403 on both methods
// show it); that it does so for a 412 is assumed, as Compute refuses
// that call itself, past its IAM check. Calls refused before Compute
// sees them log nothing here: a body it cannot read (400), an unknown
// project, zone or instance (404, 400), a disabled service or a project
// being deleted (403 from the API front end), quotas and injected
// faults. A replay of a requestId that already started an operation
// starts none, and logs nothing. Writes through the Fake's own setters
// (SetProjectMetadata, a hook's concurrent writer) are not API calls and
// log nothing either.

// auditCallOf starts the audit record of a write: the principal of the
// request's bearer token, the caller's address and user agent.
func (s *server) auditCallOf(r *http.Request, method string) *auditCall {
	acting, delegate := s.store.audit.principal(bearerToken(r))
	return &auditCall{
		principal: acting, delegate: delegate,
		callerIP: callerIP(r), userAgent: callerUserAgent(r),
		method: method, base: computeBase(r),
	}
}

// bearerToken is the token of an Authorization: Bearer header, "" if none.
func bearerToken(r *http.Request) string {
	scheme, tok, ok := strings.Cut(r.Header.Get("Authorization"), " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") {
		return ""
	}
	return strings.TrimSpace(tok)
}

// callerIP is the address the request came from.
func callerIP(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

// callerUserAgent is the User-Agent as audit logs record it: Google's
// front end appends ",gzip(gfe)" when the client accepts gzip, which Go's
// transport and gcloud both say they do.
func callerUserAgent(r *http.Request) string {
	ua := r.Header.Get("User-Agent")
	if strings.Contains(r.Header.Get("Accept-Encoding"), "gzip") {
		ua += ",gzip(gfe)"
	}
	return ua
}

// about completes a copy of the record with the resource a write names
// and the delta from its items to those it sets.
func (c *auditCall) about(spec operationSpec, before, after []Item) *auditCall {
	out := *c
	out.project, out.zone, out.resource = spec.project, spec.zone, spec.target
	if spec.zone != "" {
		out.instanceID = spec.targetID
	}
	out.delta = diffMetadata(before, after)
	return &out
}

// refusedByIAM tells whether Compute's IAM check, not a check before it,
// refused a call on p (see computeProject).
func refusedByIAM(p projectView) bool {
	return p.ID != "" && p.State != StateDeleteRequested && p.services[computeService] && p.forbidden
}

// logRefused records the entry of a write that Compute refused with e.
// The instance's id is known past the IAM check only, as in Google's
// entries of a 403, whose instance_id is empty.
func (s *server) logRefused(call *auditCall, project string, ref metadataRef, e *apiError) {
	c := *call
	c.project, c.zone, c.resource = project, ref.zone, "projects/"+project
	if ref.zone != "" {
		c.resource = instanceName(project, ref.zone, ref.name)
		if in, err := s.store.instance(project, ref.zone, ref.name); err == nil && e.Code != http.StatusForbidden {
			c.instanceID = in.ID
		}
	}
	at := s.store.now()
	s.store.recordAudit(project, at, c.refusedEntry(at, e))
}
