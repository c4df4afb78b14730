package gcpfake

import (
	"fmt"
	"regexp"
)

// The requestId of Compute Engine's writes. Its reference, on every
// write: "The request ID must be a valid UUID with the exception that zero
// UUID is not supported (00000000-0000-0000-0000-000000000000)", and a
// retry with the same id is ignored if the first was received: the fake
// answers it with the first call's operation (backend.setMetadataIf).

// uuidPattern is a UUID in its canonical text form, of either case.
var uuidPattern = regexp.MustCompile(`^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$`)

const zeroUUID = "00000000-0000-0000-0000-000000000000"

// requestIDError refuses a requestId that is not a UUID, or is the zero
// one. The reference gives the rule, not Google's message: the fake's is
// Compute's "Invalid value for field" form with the reference's words.
func requestIDError(id string) *apiError {
	if id == "" || uuidPattern.MatchString(id) && id != zeroUUID {
		return nil
	}
	return errInvalid(fmt.Sprintf("Invalid value for field 'requestId': '%s'. "+
		"The request ID must be a valid UUID with the exception that zero UUID is not supported (%s).", id, zeroUUID))
}
