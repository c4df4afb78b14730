package gcp

import (
	"context"
	"encoding/json"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"time"

	logging "google.golang.org/api/logging/v2"

	"github.com/ssh-pruner/ssh-pruner/pruner"
	"github.com/ssh-pruner/ssh-pruner/pruner/attribution"
)

var _ pruner.AuditReader = (*Client)(nil)

// writeMethods are the audit log's names of the calls that write the
// metadata of a project or a VM.
var writeMethods = []string{
	"v1.compute.projects.setCommonInstanceMetadata",
	"v1.compute.instances.setMetadata",
	"beta.compute.projects.setCommonInstanceMetadata",
	"beta.compute.instances.setMetadata",
}

// keyItems are the metadata items whose writes can add a key.
var keyItems = []string{"ssh-keys", "sshKeys"}

// auditResource is what --audit-logs may name: a log view, a project, a
// folder or an organization, as entries.list's resourceNames takes them.
var auditResource = regexp.MustCompile(`^(projects/[a-z][a-z0-9-]{4,28}[a-z0-9](/locations/[a-z0-9-]+/buckets/[A-Za-z0-9_-]{1,100}/views/[A-Za-z0-9_-]{1,100})?|folders/[0-9]{1,20}|organizations/[0-9]{1,20})$`)

// CheckAuditResource tells whether name is a resource whose logs
// entries.list can read, with an error naming what is wrong.
func CheckAuditResource(name string) error {
	if !auditResource.MatchString(name) {
		return fmt.Errorf("%q is not a log view (projects/P/locations/L/buckets/B/views/V), a project (projects/P), a folder (folders/N) or an organization (organizations/N)", name)
	}
	return nil
}

// AuditFilter is the Logging query of the metadata writes logged in
// (since, until]: the Admin Activity entries of Compute Engine's metadata
// write methods. deploy/ routes the same methods to the log bucket that
// the pruner reads.
func AuditFilter(since, until time.Time) string {
	quoted := make([]string, len(writeMethods))
	for i, m := range writeMethods {
		quoted[i] = `"` + m + `"`
	}
	return fmt.Sprintf(`logName:"cloudaudit.googleapis.com%%2Factivity" AND protoPayload.serviceName="compute.googleapis.com" AND protoPayload.methodName=(%s) AND timestamp>"%s" AND timestamp<="%s"`,
		strings.Join(quoted, " OR "), since.UTC().Format(time.RFC3339Nano), until.UTC().Format(time.RFC3339Nano))
}

// entryFields are what MetadataWrites reads of an entry.
const entryFields = "nextPageToken,entries(timestamp,severity,operation,protoPayload)"

// auditPage is 1,000, the most entries.list gives a page: the quota is
// counted in calls, not entries.
const auditPage = 1000

// MetadataWrites reads, from the logs of resource, the writes of the key
// items of projects' and VMs' metadata logged in (since, until], oldest
// first: one paged query, whatever the number of targets. A write whose
// call failed, or whose operation ended in error, changed nothing and is
// left out; so is one that the log says touched other items only. Who
// made it is the principal that the log names.
func (c *Client) MetadataWrites(ctx context.Context, resource string, since, until time.Time) ([]attribution.Write, error) {
	if c.logging == nil {
		return nil, fmt.Errorf("read audit logs of %s: no Logging client", resource)
	}
	req := &logging.ListLogEntriesRequest{ResourceNames: []string{resource}, Filter: AuditFilter(since, until),
		OrderBy: "timestamp asc", PageSize: auditPage}
	var (
		writes []attribution.Write
		failed = map[string]bool{} // operations whose last entry is an error
		pg     pages
	)
	for {
		var resp *logging.ListLogEntriesResponse
		err := c.call(ctx, loggingEntriesList, resource, func(ctx context.Context) (err error) {
			resp, err = c.logging.Entries.List(req).Fields(entryFields).Context(ctx).Do()
			return present(resp, err)
		})
		if err != nil {
			return nil, fmt.Errorf("read audit logs of %s: %w", resource, err)
		}
		for _, e := range resp.Entries {
			w, ok, lastFailed := readWrite(e)
			if lastFailed {
				failed[w.Operation] = true
			}
			if ok {
				writes = append(writes, w)
			}
		}
		done, err := pg.next(resp.NextPageToken)
		if err != nil {
			return nil, fmt.Errorf("read audit logs of %s: %w", resource, err)
		}
		if done {
			break
		}
		req.PageToken = resp.NextPageToken
	}
	return slices.DeleteFunc(writes, func(w attribution.Write) bool { return w.Operation != "" && failed[w.Operation] }), nil
}

// auditPayload is what MetadataWrites reads of an AuditLog.
type auditPayload struct {
	MethodName         string `json:"methodName"`
	ResourceName       string `json:"resourceName"`
	AuthenticationInfo struct {
		PrincipalEmail string `json:"principalEmail"`
	} `json:"authenticationInfo"`
	RequestMetadata struct {
		CallerSuppliedUserAgent string `json:"callerSuppliedUserAgent"`
	} `json:"requestMetadata"`
	Status *struct {
		Code int `json:"code"`
	} `json:"status"`
	Metadata struct {
		Project  *metadataDelta `json:"projectMetadataDelta"`
		Instance *metadataDelta `json:"instanceMetadataDelta"`
	} `json:"metadata"`
}

type metadataDelta struct {
	Added    []string `json:"addedMetadataKeys"`
	Modified []string `json:"modifiedMetadataKeys"`
	Deleted  []string `json:"deletedMetadataKeys"`
}

// readWrite reads one entry: the write it records, if it is a write of
// key items that went through (the first entry of its operation, or an
// entry with no operation), and whether it is the last entry of an
// operation that failed.
func readWrite(e *logging.LogEntry) (w attribution.Write, ok, lastFailed bool) {
	var p auditPayload
	if e == nil || json.Unmarshal(e.ProtoPayload, &p) != nil {
		return w, false, false
	}
	at, err := time.Parse(time.RFC3339Nano, e.Timestamp)
	if err != nil {
		return w, false, false
	}
	w = attribution.Write{Target: p.ResourceName, At: at.UTC(), Principal: p.AuthenticationInfo.PrincipalEmail,
		Via: attribution.Via(p.RequestMetadata.CallerSuppliedUserAgent)}
	errored := e.Severity == "ERROR" || p.Status != nil && p.Status.Code != 0
	if op := e.Operation; op != nil {
		w.Operation = op.Id
		if op.Last && !op.First {
			return w, false, errored
		}
	}
	if errored || w.Principal == "" || !slices.Contains(writeMethods, p.MethodName) {
		return w, false, false
	}
	d := p.Metadata.Project
	if d == nil {
		d = p.Metadata.Instance
	}
	// No delta: the log does not say which items, so the write may have
	// touched the keys and stays a candidate.
	if d != nil && !touchesKeys(*d) {
		return w, false, false
	}
	return w, true, false
}

func touchesKeys(d metadataDelta) bool {
	for _, items := range [][]string{d.Added, d.Modified, d.Deleted} {
		for _, it := range items {
			if slices.Contains(keyItems, it) {
				return true
			}
		}
	}
	return false
}
