package keyparse

// Reason says why the guest agent rejects a line. The values are a fixed
// vocabulary: logs, reports and dashboards group by them.
type Reason string

// Reasons a line cannot grant access, in the order the agent checks.
const (
	// ReasonBlank: nothing but spaces (agent: "empty key").
	ReasonBlank Reason = "blank"
	// ReasonNoColon: no ':' between user and key (agent: "unrecognized format").
	ReasonNoColon Reason = "no-colon"
	// ReasonNoUser: nothing before the ':' (agent: "user missing").
	ReasonNoUser Reason = "no-user"
	// ReasonNoKey: nothing but blanks after the ':' (agent: "key missing",
	// or "no key found" from x/crypto for a tab or a lone "\r").
	ReasonNoKey Reason = "no-key"
	// ReasonUserWhitespace: the user contains a space of any kind.
	ReasonUserWhitespace Reason = "user-whitespace"
	// ReasonUserHyphen: the user starts with '-', which useradd would
	// read as an option.
	ReasonUserHyphen Reason = "user-leading-hyphen"
	// ReasonUserPath: the user contains '/' or is "." or "..".
	ReasonUserPath Reason = "user-path"
	// ReasonUnknownType: the key type is not one ssh knows.
	ReasonUnknownType Reason = "unknown-key-type"
	// ReasonBadBase64: the blob is not valid base64.
	ReasonBadBase64 Reason = "bad-base64"
	// ReasonBadKey: the blob decodes but is not a valid public key.
	ReasonBadKey Reason = "bad-key"
	// ReasonTypeMismatch: the declared type differs from the blob's.
	ReasonTypeMismatch Reason = "type-mismatch"
	// ReasonNotAuthorizedKey: the key part does not parse as an
	// authorized_keys line for another reason (bad options, no blob).
	ReasonNotAuthorizedKey Reason = "not-authorized-key"
	// ReasonGoogleSSHNoJSON: a google-ssh comment without " {json}".
	ReasonGoogleSSHNoJSON Reason = "google-ssh-missing-json"
	// ReasonGoogleSSHBadJSON: the google-ssh JSON does not decode into
	// {userName, expireOn} strings, or is followed by other text.
	ReasonGoogleSSHBadJSON Reason = "google-ssh-bad-json"
	// ReasonBadExpireOn: expireOn is missing or not a time with a zone in
	// RFC 3339 or 2006-01-02T15:04:05-0700 form.
	ReasonBadExpireOn Reason = "bad-expireOn"
)
