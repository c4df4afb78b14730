package attribution

import (
	"strings"
	"time"
)

// Write is one metadata write that touched a target's key items, as the
// audit log tells it.
type Write struct {
	// Target names the metadata written as plan.Target.String does:
	// projects/P, or projects/P/zones/Z/instances/NAME.
	Target string
	At     time.Time
	// Principal is the account the call was made as
	// (authenticationInfo.principalEmail).
	Principal string
	// Via is the client the call came from, from its user agent (Via).
	Via string
	// Operation is the operation the write started, its id in the log.
	Operation string
}

// The clients Via names. A user agent is whatever the caller sends: these
// say what the caller claims to be, not what it is.
const (
	ViaGcloudSSH         = "gcloud compute ssh"
	ViaGcloudAddMetadata = "gcloud add-metadata"
	ViaConsole           = "console"
	ViaTerraform         = "terraform"
	ViaPruner            = "ssh-pruner"
	ViaOther             = "other"
)

// Via names the client of a user agent (requestMetadata.callerSuppliedUserAgent).
// gcloud sends "google-cloud-sdk gcloud/528.0.0 command/gcloud.compute.ssh
// invocation-id/…"; Terraform's Google provider "Terraform/1.9.0 …
// terraform-provider-google/6.0.0"; the console a browser's "Mozilla/5.0 …".
func Via(userAgent string) string {
	ua := strings.ToLower(userAgent)
	switch {
	case strings.Contains(ua, "command/gcloud.compute.ssh"):
		return ViaGcloudSSH
	case strings.Contains(ua, "command/gcloud.compute.project-info.add-metadata"),
		strings.Contains(ua, "command/gcloud.compute.instances.add-metadata"):
		return ViaGcloudAddMetadata
	case strings.Contains(ua, "terraform"):
		return ViaTerraform
	case strings.HasPrefix(ua, "mozilla/"):
		return ViaConsole
	case strings.HasPrefix(ua, "ssh-pruner/"):
		return ViaPruner
	}
	return ViaOther
}
