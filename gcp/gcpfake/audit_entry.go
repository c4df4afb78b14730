package gcpfake

import (
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// Audit log entries as Compute Engine writes them for
// projects.setCommonInstanceMetadata and instances.setMetadata.
//
// Checked against Google's own texts:
//   - LogEntry fields, LogEntryOperation (id, producer, first, last): the
//     Logging v2 discovery document in google.golang.org/api/logging/v2.
//   - AuditLog, AuthenticationInfo (principalEmail, principalSubject,
//     serviceAccountDelegationInfo[].firstPartyPrincipal.principalEmail),
//     AuthorizationInfo, RequestMetadata (callerIp,
//     callerSuppliedUserAgent, requestAttributes), ResourceLocation:
//     google/cloud/audit/audit_log.proto in googleapis.
//   - "For instance.setMetadata and project.setCommonInstanceMetadata API
//     requests, the metadata portion of the request body is redacted":
//     Compute Engine's audit logging page, which also names the service
//     compute.googleapis.com and Admin Activity for ADMIN_WRITE methods.
//
// Seen only in entries published outside Google's reference (test
// fixtures of Google's IAP Desktop, detection rules' sample logs), and
// followed here: methodName "v1.compute.projects.setCommonInstanceMetadata";
// request {"@type": "type.googleapis.com/compute.instances.setMetadata"}
// and nothing else; metadata of @type
// type.googleapis.com/google.cloud.audit.GceProjectAuditMetadata (or
// GceInstanceAuditMetadata) with projectMetadataDelta (or
// instanceMetadataDelta) listing addedMetadataKeys, modifiedMetadataKeys
// and deletedMetadataKeys; severity NOTICE; a first entry at the call,
// with authorizationInfo, the operation as response and
// resourceLocation, and a last one when the operation is done; the
// label compute.googleapis.com/root_trigger_id; a user agent that ends
// in ",gzip(gfe)" when the client accepts gzip; failed calls logged with
// severity ERROR, a google.rpc.Status and the error as response, and no
// operation.
//
// Assumed: the delta is the same in both entries; gce_project's label
// project_id is the project id, as the monitored resource list says
// (some published samples show a number there); a last entry of an
// operation that failed has severity ERROR and the operation's error as
// status, and no delta.

const (
	auditLogType     = "type.googleapis.com/google.cloud.audit.AuditLog"
	activityLogID    = "cloudaudit.googleapis.com%2Factivity"
	triggerLabel     = "compute.googleapis.com/root_trigger_id"
	severityNotice   = "NOTICE"
	severityError    = "ERROR"
	computeAPIPrefix = "v1."
)

// auditCall is what the audit log says of one metadata write: who made it
// and from where, which the handler knows, and what it changed, which
// the backend fills in under its lock.
type auditCall struct {
	principal, delegate string
	callerIP, userAgent string
	method              string // discovery id: compute.instances.setMetadata
	base                string // Compute base URL, for the operation's links

	project, zone, instanceID, resource string
	delta                               metadataDelta
}

// metadataDelta names the items a write adds, changes and deletes; never
// their values.
type metadataDelta struct {
	Added    []string `json:"addedMetadataKeys,omitempty"`
	Modified []string `json:"modifiedMetadataKeys,omitempty"`
	Deleted  []string `json:"deletedMetadataKeys,omitempty"`
}

// diffMetadata is the delta from the items a resource has to those a
// write sets. An item without a value differs from one with an empty
// value, as the API tells them apart.
func diffMetadata(before, after []Item) metadataDelta {
	old := map[string]*string{}
	for _, it := range before {
		old[it.Key] = it.Value
	}
	var d metadataDelta
	kept := map[string]bool{}
	for _, it := range after {
		v, ok := old[it.Key]
		kept[it.Key] = true
		switch {
		case !ok:
			d.Added = append(d.Added, it.Key)
		case (v == nil) != (it.Value == nil) || v != nil && *v != *it.Value:
			d.Modified = append(d.Modified, it.Key)
		}
	}
	for _, it := range before {
		if !kept[it.Key] {
			d.Deleted = append(d.Deleted, it.Key)
		}
	}
	return d
}

// LogEntry and AuditLog, in the order of their proto fields, which is
// the order Google writes them in.
type (
	logEntry struct {
		ProtoPayload     auditPayload      `json:"protoPayload"`
		InsertID         string            `json:"insertId"`
		Resource         monitoredResource `json:"resource"`
		Timestamp        string            `json:"timestamp"`
		Severity         string            `json:"severity"`
		Labels           map[string]string `json:"labels,omitempty"`
		LogName          string            `json:"logName"`
		Operation        *entryOperation   `json:"operation,omitempty"`
		ReceiveTimestamp string            `json:"receiveTimestamp"`
	}
	monitoredResource struct {
		Type   string            `json:"type"`
		Labels map[string]string `json:"labels"`
	}
	entryOperation struct {
		ID       string `json:"id"`
		Producer string `json:"producer"`
		First    bool   `json:"first,omitempty"`
		Last     bool   `json:"last,omitempty"`
	}
	auditPayload struct {
		Type               string              `json:"@type"`
		Status             *auditStatus        `json:"status,omitempty"`
		AuthenticationInfo authenticationInfo  `json:"authenticationInfo"`
		RequestMetadata    map[string]any      `json:"requestMetadata"`
		ServiceName        string              `json:"serviceName"`
		MethodName         string              `json:"methodName"`
		AuthorizationInfo  []authorizationInfo `json:"authorizationInfo,omitempty"`
		ResourceName       string              `json:"resourceName"`
		Request            map[string]any      `json:"request"`
		Response           map[string]any      `json:"response,omitempty"`
		Metadata           map[string]any      `json:"metadata,omitempty"`
		ResourceLocation   *resourceLocation   `json:"resourceLocation,omitempty"`
	}
	auditStatus struct {
		Code    int    `json:"code"`
		Message string `json:"message"`
	}
	authenticationInfo struct {
		PrincipalEmail               string           `json:"principalEmail"`
		ServiceAccountDelegationInfo []delegationInfo `json:"serviceAccountDelegationInfo,omitempty"`
		PrincipalSubject             string           `json:"principalSubject"`
	}
	delegationInfo struct {
		FirstPartyPrincipal struct {
			PrincipalEmail string `json:"principalEmail"`
		} `json:"firstPartyPrincipal"`
	}
	authorizationInfo struct {
		Resource           string            `json:"resource"`
		Permission         string            `json:"permission"`
		Granted            bool              `json:"granted,omitempty"`
		ResourceAttributes map[string]string `json:"resourceAttributes"`
	}
	resourceLocation struct {
		CurrentLocations []string `json:"currentLocations"`
	}
)

// protoTime is a google.protobuf.Timestamp in JSON: UTC, with 0, 3, 6 or
// 9 fractional digits.
func protoTime(t time.Time) string {
	t = t.UTC()
	switch ns := t.Nanosecond(); {
	case ns == 0:
		return t.Format("2006-01-02T15:04:05Z")
	case ns%1e6 == 0:
		return t.Format("2006-01-02T15:04:05.000Z")
	case ns%1e3 == 0:
		return t.Format("2006-01-02T15:04:05.000000Z")
	}
	return t.Format("2006-01-02T15:04:05.000000000Z")
}

// principalSubject is how audit logs spell a principal's kind and email.
func principalSubject(email string) string {
	if strings.HasSuffix(email, ".gserviceaccount.com") {
		return "serviceAccount:" + email
	}
	return "user:" + email
}

// triggerID is the root_trigger_id of a call, a UUID drawn from what
// makes the call unique.
func triggerID(parts ...string) string {
	sum := sha256.Sum256([]byte(strings.Join(parts, "|")))
	h := hex.EncodeToString(sum[:16])
	return h[0:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:32]
}

// entry is what every entry of the call has: who, from where, which
// method on which resource, with the metadata of the request redacted.
func (c *auditCall) entry(severity string, at time.Time, trigger string) *logEntry {
	e := &logEntry{
		ProtoPayload: auditPayload{
			Type:               auditLogType,
			AuthenticationInfo: authenticationInfo{PrincipalEmail: c.principal, PrincipalSubject: principalSubject(c.principal)},
			RequestMetadata:    map[string]any{"callerIp": c.callerIP, "callerSuppliedUserAgent": c.userAgent},
			ServiceName:        computeService,
			MethodName:         computeAPIPrefix + c.method,
			ResourceName:       c.resource,
			Request:            map[string]any{"@type": "type.googleapis.com/" + c.method},
		},
		Resource:         monitoredResource{Type: "gce_project", Labels: map[string]string{"project_id": c.project}},
		Timestamp:        protoTime(at),
		Severity:         severity,
		Labels:           map[string]string{triggerLabel: trigger},
		LogName:          "projects/" + c.project + "/logs/" + activityLogID,
		ReceiveTimestamp: protoTime(at),
	}
	if c.delegate != "" {
		var d delegationInfo
		d.FirstPartyPrincipal.PrincipalEmail = c.delegate
		e.ProtoPayload.AuthenticationInfo.ServiceAccountDelegationInfo = []delegationInfo{d}
	}
	if c.zone != "" {
		e.Resource = monitoredResource{Type: "gce_instance", Labels: map[string]string{
			"instance_id": c.instanceID, "project_id": c.project, "zone": c.zone,
		}}
	}
	return e
}

// location is the resourceLocation of an instance's entries at the call,
// nil for a project's, as published entries show it.
func (c *auditCall) location() *resourceLocation {
	if c.zone == "" {
		return nil
	}
	return &resourceLocation{CurrentLocations: []string{c.zone}}
}

// metadata is the AuditLog metadata of a write that changed the items.
func (c *auditCall) metadata() map[string]any {
	if c.zone != "" {
		return map[string]any{"@type": "type.googleapis.com/google.cloud.audit.GceInstanceAuditMetadata", "instanceMetadataDelta": c.delta}
	}
	return map[string]any{"@type": "type.googleapis.com/google.cloud.audit.GceProjectAuditMetadata", "projectMetadataDelta": c.delta}
}

// authorization is the permission the write needed, on its resource.
func (c *auditCall) authorization(granted bool) []authorizationInfo {
	kind := "compute.projects"
	if c.zone != "" {
		kind = "compute.instances"
	}
	return []authorizationInfo{{
		Resource: c.resource, Permission: c.method, Granted: granted,
		ResourceAttributes: map[string]string{"service": "compute", "name": c.resource, "type": kind},
	}}
}

// firstEntry is the entry of the call that starts an operation.
func (c *auditCall) firstEntry(op opView) *logEntry {
	e := c.entry(severityNotice, op.insert, triggerID(op.project, op.zone, op.name))
	e.Operation = &entryOperation{ID: op.name, Producer: computeService, First: true}
	p := &e.ProtoPayload
	p.RequestMetadata["requestAttributes"] = map[string]any{"time": protoTime(op.insert), "auth": map[string]any{}}
	p.RequestMetadata["destinationAttributes"] = map[string]any{}
	p.AuthorizationInfo = c.authorization(true)
	p.Metadata = c.metadata()
	p.ResourceLocation = c.location()
	out := renderOperation(c.base, op)
	p.Response = map[string]any{
		"@type": "type.googleapis.com/operation", "id": out.ID, "name": out.Name, "operationType": out.OperationType,
		"progress": strconv.Itoa(out.Progress), "insertTime": out.InsertTime, "status": out.Status,
		"targetId": out.TargetID, "targetLink": out.TargetLink, "user": out.User, "selfLink": out.SelfLink,
	}
	if out.Zone != "" {
		p.Response["zone"] = out.Zone
	}
	return e
}

// lastEntry is the entry of the operation's end: its outcome, and the
// delta if it changed the items.
func (c *auditCall) lastEntry(op opView) *logEntry {
	e := c.entry(severityNotice, op.end, triggerID(op.project, op.zone, op.name))
	e.Operation = &entryOperation{ID: op.name, Producer: computeService, Last: true}
	if f := op.failure; f != nil {
		e.Severity = severityError
		e.ProtoPayload.Status = &auditStatus{Code: grpcCode(f.httpStatus), Message: f.message}
		return e
	}
	e.ProtoPayload.Metadata = c.metadata()
	return e
}

// refusedEntry is the entry of a call that Compute refused: no
// operation, the error as status and response.
func (c *auditCall) refusedEntry(at time.Time, e *apiError) *logEntry {
	le := c.entry(severityError, at, triggerID(c.resource, c.principal, at.String(), e.Message))
	p := &le.ProtoPayload
	p.Status = &auditStatus{Code: grpcCode(e.Code), Message: e.Message}
	p.AuthorizationInfo = c.authorization(e.Code != http.StatusForbidden)
	p.ResourceLocation = c.location()
	p.Response = map[string]any{"@type": "type.googleapis.com/error", "error": map[string]any{
		"code": e.Code, "message": e.Message, "errors": e.Errors,
	}}
	return le
}

// grpcCode is the google.rpc.Code of an HTTP status, as in a Status.
func grpcCode(httpStatus int) int {
	codes := map[int]int{
		http.StatusBadRequest: 3, http.StatusForbidden: 7, http.StatusNotFound: 5, http.StatusConflict: 10,
		http.StatusPreconditionFailed: 9, http.StatusTooManyRequests: 8, http.StatusServiceUnavailable: 14,
	}
	if c, ok := codes[httpStatus]; ok {
		return c
	}
	return 13 // INTERNAL
}
