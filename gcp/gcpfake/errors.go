package gcpfake

import (
	"fmt"
	"net/http"
)

// apiError is Google's JSON error body, the part under "error":
//
//	{"error": {"code": 403, "message": "...", "status": "PERMISSION_DENIED",
//	           "errors": [{"message": "...", "domain": "usageLimits", "reason": "accessNotConfigured"}],
//	           "details": [{"@type": "type.googleapis.com/google.rpc.ErrorInfo", "reason": "SERVICE_DISABLED", ...}]}}
type apiError struct {
	Code    int         `json:"code"`
	Message string      `json:"message"`
	Errors  []errorItem `json:"errors,omitempty"`
	Status  string      `json:"status,omitempty"`
	Details []any       `json:"details,omitempty"`
}

type errorItem struct {
	Message      string `json:"message"`
	Domain       string `json:"domain"`
	Reason       string `json:"reason"`
	Location     string `json:"location,omitempty"`
	LocationType string `json:"locationType,omitempty"`
	ExtendedHelp string `json:"extendedHelp,omitempty"`
}

type errorInfo struct {
	Type     string            `json:"@type"`
	Reason   string            `json:"reason"`
	Domain   string            `json:"domain"`
	Metadata map[string]string `json:"metadata,omitempty"`
}

func (e *apiError) Error() string { return fmt.Sprintf("%d %s", e.Code, e.Message) }

// rpcStatus is the canonical gRPC status name Google gives an HTTP code.
func rpcStatus(code int) string {
	switch code {
	case http.StatusBadRequest:
		return "INVALID_ARGUMENT"
	case http.StatusForbidden:
		return "PERMISSION_DENIED"
	case http.StatusNotFound:
		return "NOT_FOUND"
	case http.StatusConflict:
		return "ABORTED"
	case http.StatusPreconditionFailed:
		return "FAILED_PRECONDITION"
	case http.StatusTooManyRequests:
		return "RESOURCE_EXHAUSTED"
	case http.StatusServiceUnavailable:
		return "UNAVAILABLE"
	case http.StatusGatewayTimeout:
		return "DEADLINE_EXCEEDED"
	default:
		return "INTERNAL"
	}
}

// simpleError is a Compute-style error: a status and one item in the
// legacy "errors" list, in domain "global" for most errors.
func simpleError(code int, domain, reason, msg string) *apiError {
	return &apiError{
		Code: code, Message: msg, Status: rpcStatus(code),
		Errors: []errorItem{{Message: msg, Domain: domain, Reason: reason}},
	}
}

// rpcError is a Resource Manager or Service Usage error: a status, no
// legacy "errors" list; withInfo adds the ErrorInfo they carry.
func rpcError(code int, msg string) *apiError {
	return &apiError{Code: code, Message: msg, Status: rpcStatus(code)}
}

// withInfo adds a google.rpc.ErrorInfo to the error's details.
func (e *apiError) withInfo(domain, reason string, metadata map[string]string) *apiError {
	e.Details = append(e.Details, &errorInfo{
		Type: "type.googleapis.com/google.rpc.ErrorInfo", Reason: reason, Domain: domain, Metadata: metadata,
	})
	return e
}

func errNotFound(resource string) *apiError {
	return simpleError(http.StatusNotFound, "global", "notFound", fmt.Sprintf("The resource '%s' was not found", resource))
}

func errInvalid(msg string) *apiError {
	return simpleError(http.StatusBadRequest, "global", "invalid", msg)
}

func errComputeForbidden(permission, resource string) *apiError {
	return simpleError(http.StatusForbidden, "global", "forbidden", fmt.Sprintf("Required '%s' permission for '%s'", permission, resource))
}

// errConditionNotMet is the answer to a stale or missing metadata fingerprint.
func errConditionNotMet() *apiError {
	e := simpleError(http.StatusPreconditionFailed, "global", "conditionNotMet", msgFingerprintMismatch)
	e.Errors[0].Location, e.Errors[0].LocationType = "If-Match", "header"
	return e
}

const msgFingerprintMismatch = "Supplied fingerprint does not match current metadata fingerprint."

// errServiceDisabled is what the API front end answers for a project that
// has not enabled the service.
func errServiceDisabled(service, number string) *apiError {
	title := serviceTitle(service)
	url := "https://console.developers.google.com/apis/api/" + service + "/overview?project=" + number
	msg := fmt.Sprintf("%s has not been used in project %s before or it is disabled. Enable it by visiting %s then retry. "+
		"If you enabled this API recently, wait a few minutes for the action to propagate to our systems and retry.", title, number, url)
	e := simpleError(http.StatusForbidden, "usageLimits", "accessNotConfigured", msg).withInfo("googleapis.com", "SERVICE_DISABLED", map[string]string{
		"service": service, "consumer": "projects/" + number, "serviceTitle": title,
		"activationUrl": url, "containerInfo": number,
	})
	e.Errors[0].ExtendedHelp = "https://console.developers.google.com"
	e.Details = append(e.Details,
		map[string]any{
			"@type": "type.googleapis.com/google.rpc.LocalizedMessage", "locale": "en-US", "message": msg,
		},
		map[string]any{
			"@type": "type.googleapis.com/google.rpc.Help",
			"links": []map[string]string{{"description": "Google developers console API activation", "url": url}},
		},
	)
	return e
}

// errProjectDeleted answers calls on a DELETE_REQUESTED project.
func errProjectDeleted(service, number string) *apiError {
	msg := fmt.Sprintf("Project %s has been scheduled for deletion and cannot be used for API calls. "+
		"Visit https://console.developers.google.com/iam-admin/projects?pendingDeletion=true to undelete the project.", number)
	return simpleError(http.StatusForbidden, "global", "forbidden", msg).withInfo("googleapis.com", "CONSUMER_INVALID",
		map[string]string{"service": service, "consumer": "projects/" + number})
}

// errInjected is the answer of an injected fault: 429 as a quota error,
// 5xx as the front end's own.
func errInjected(code int, service, consumer string) *apiError {
	switch code {
	case http.StatusTooManyRequests:
		msg := fmt.Sprintf("Quota exceeded for quota metric 'Queries' and limit 'Queries per minute' of service '%s' for consumer '%s'.", service, consumer)
		return simpleError(code, "usageLimits", "rateLimitExceeded", msg).withInfo("googleapis.com", "RATE_LIMIT_EXCEEDED", map[string]string{
			"service": service, "consumer": consumer,
			"quota_metric": service + "/default", "quota_limit": "defaultPerMinutePerProject",
		})
	case http.StatusInternalServerError:
		return simpleError(code, "global", "backendError", "Internal error encountered.")
	case http.StatusServiceUnavailable:
		return simpleError(code, "global", "backendError", "The service is currently unavailable.")
	default:
		return simpleError(code, "global", "backendError", http.StatusText(code))
	}
}

// errPermissionDenied is Resource Manager's answer for an organization,
// folder or project the caller may not read, or that does not exist: the
// service does not tell the two apart.
func errPermissionDenied(permission, resource string) *apiError {
	return rpcError(http.StatusForbidden, "The caller does not have permission").withInfo(
		"cloudresourcemanager.googleapis.com", "IAM_PERMISSION_DENIED",
		map[string]string{"permission": permission, "resource": resource})
}

func errBadArgument(msg string) *apiError {
	return rpcError(http.StatusBadRequest, msg)
}

// errUnknownZoneField is Compute's answer for a zone it does not know.
func errUnknownZoneField(zone string) *apiError {
	return errInvalid(fmt.Sprintf("Invalid value for field 'zone': '%s'. Unknown zone.", zone))
}

// errZoneUnavailable answers a call that needs a zone in an outage. The
// service documents no message for it; this one names the zone.
func errZoneUnavailable(project, zone string) *apiError {
	return simpleError(http.StatusServiceUnavailable, "global", "backendError",
		fmt.Sprintf("The zone 'projects/%s/zones/%s' is currently unavailable. Try again later.", project, zone))
}

// errFieldSelection refuses a fields parameter that cannot be applied:
// Google's message names the selection ("Invalid field selection
// nextpagetoken"); Compute, of the older front end, adds an item whose
// reason is invalidParameter, located at the fields parameter, as
// Google's other APIs of that front end are reported to answer.
func errFieldSelection(method, what string) *apiError {
	msg := "Invalid field selection " + what
	if serviceOf(method) != computeService {
		return errBadArgument(msg)
	}
	e := simpleError(http.StatusBadRequest, "global", "invalidParameter", msg)
	e.Errors[0].Location, e.Errors[0].LocationType = "fields", "parameter"
	return e
}
