package gcpfake

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"regexp"
	"strconv"
	"strings"

	"golang.org/x/crypto/ssh"
)

// Cloud OS Login v1: users.getLoginProfile and users.importSshPublicKey,
// what gcloud compute ssh calls for a VM with enable-oslogin=TRUE: it
// reads the caller's profile, imports its key unless the profile has it
// and a POSIX account, and connects as the profile's primary POSIX
// username. The fake takes the user the path names for the caller, as it
// checks no credentials; gcloud names core/account there.
//
//	GET  BASE/v1/users/{email}/loginProfile?projectId=P
//	POST BASE/v1/users/{email}:importSshPublicKey?projectId=P   {"key": "ssh-ed25519 AAAA..."}

type (
	loginProfile struct {
		Name          string                  `json:"name"`
		PosixAccounts []posixAccount          `json:"posixAccounts,omitempty"`
		SSHPublicKeys map[string]sshPublicKey `json:"sshPublicKeys,omitempty"`
	}
	posixAccount struct {
		Primary             bool   `json:"primary"`
		Username            string `json:"username"`
		UID                 string `json:"uid"`
		GID                 string `json:"gid"`
		HomeDirectory       string `json:"homeDirectory"`
		OperatingSystemType string `json:"operatingSystemType"`
		AccountID           string `json:"accountId,omitempty"`
		Name                string `json:"name,omitempty"`
	}
	sshPublicKey struct {
		Key                string `json:"key"`
		ExpirationTimeUsec string `json:"expirationTimeUsec,omitempty"`
		Fingerprint        string `json:"fingerprint,omitempty"`
		Name               string `json:"name,omitempty"`
	}
	importSSHPublicKeyResponse struct {
		LoginProfile loginProfile `json:"loginProfile"`
	}
)

// emailPattern is what the fake takes for a user: an email address.
var emailPattern = regexp.MustCompile(`^[^@/\s]+@[^@/\s]+\.[^@/\s]+$`)

// posixUsername is the POSIX username OS Login derives from an email, as
// the fake assumes it from what is known of OS Login (the stored
// references available here do not state the rule; the API's reference
// only says "The username of the POSIX account"): the address with every
// character but letters and digits turned to _ (alice@example.com is
// alice_example_com), ext_ before it for an account outside the
// organization's domain, and sa_ and the account's numeric id for a
// service account; at most 32 characters. The fake takes the
// organization's display name for its domain, as in demo-org.json.
func (s *server) posixUsername(email string) string {
	local, domain, _ := strings.Cut(strings.ToLower(email), "@")
	if strings.HasSuffix(domain, "gserviceaccount.com") {
		return "sa_" + derivedID("serviceAccounts/"+email)
	}
	name := strings.Map(func(r rune) rune {
		if 'a' <= r && r <= 'z' || '0' <= r && r <= '9' {
			return r
		}
		return '_'
	}, local+"@"+domain)
	if domain != strings.ToLower(s.store.organization().DisplayName) {
		name = "ext_" + name
	}
	return name[:min(len(name), 32)]
}

// loginProfileOf is a user's profile: one POSIX account, for the project
// the call names if any, and the keys the user imported. The profile's
// name, a numeric user id in Google's answers, and the uid are derived
// from the email.
func (s *server) loginProfileOf(email, project string) loginProfile {
	username := s.posixUsername(email)
	id, _ := strconv.ParseUint(derivedID("users/"+email), 10, 64)
	uid := strconv.FormatUint(1000+id%2_000_000_000, 10)
	account := posixAccount{
		Primary: true, Username: username, UID: uid, GID: uid, HomeDirectory: "/home/" + username,
		OperatingSystemType: "LINUX",
	}
	if project != "" {
		account.AccountID, account.Name = project, "users/"+email+"/projects/"+project
	}
	out := loginProfile{Name: derivedID("gaia/" + email), PosixAccounts: []posixAccount{account}}
	for _, k := range s.store.osLoginKeys(email) {
		if out.SSHPublicKeys == nil {
			out.SSHPublicKeys = map[string]sshPublicKey{}
		}
		pk := sshPublicKey{Key: k.key, Fingerprint: k.fingerprint, Name: "users/" + email + "/sshPublicKeys/" + k.fingerprint}
		if k.expireUsec != 0 {
			pk.ExpirationTimeUsec = strconv.FormatInt(k.expireUsec, 10)
		}
		out.SSHPublicKeys[k.fingerprint] = pk
	}
	return out
}

// checkOSLoginUser checks the user a call names, or the error to answer: the
// service answers 404 for one it does not know (gcloud, with no account
// set, asks for users/None and reports "Users instance [None] not found").
func checkOSLoginUser(email string) (string, *apiError) {
	if !emailPattern.MatchString(email) {
		return "", rpcError(http.StatusNotFound, "Requested entity was not found.")
	}
	return email, nil
}

func (s *server) osLoginGetLoginProfile(w http.ResponseWriter, r *http.Request, _ *call) {
	email, e := checkOSLoginUser(r.PathValue("user"))
	if e != nil {
		writeError(w, e)
		return
	}
	writeJSON(w, http.StatusOK, s.loginProfileOf(email, r.URL.Query().Get("projectId")))
}

// osLoginUserAction serves POST users/{email}:importSshPublicKey; the
// pattern language of http.ServeMux takes no literal after a wildcard in
// a segment, so the method is cut from the segment here.
func (s *server) osLoginUserAction(w http.ResponseWriter, r *http.Request, _ *call) {
	user, action, _ := strings.Cut(r.PathValue("userAction"), ":")
	if action != "importSshPublicKey" {
		writeError(w, simpleError(http.StatusNotFound, "global", "notFound", "Not Found: "+r.Method+" "+r.URL.Path))
		return
	}
	email, e := checkOSLoginUser(user)
	if e != nil {
		writeError(w, e)
		return
	}
	k, e := readSSHPublicKey(r.Body)
	if e != nil {
		writeError(w, e)
		return
	}
	s.store.importOSLoginKey(email, k)
	writeJSON(w, http.StatusOK, importSSHPublicKeyResponse{LoginProfile: s.loginProfileOf(email, r.URL.Query().Get("projectId"))})
}

// readSSHPublicKey reads the SshPublicKey of an import: a key in
// authorized_keys form, and maybe its expiry in microseconds. Its
// fingerprint is the SHA-256 of the key, in hex, which the reference
// does not define further.
func readSSHPublicKey(body io.Reader) (osLoginKey, *apiError) {
	dec := json.NewDecoder(io.LimitReader(body, maxRequestBody))
	dec.DisallowUnknownFields()
	var in sshPublicKey
	if err := dec.Decode(&in); err != nil {
		return osLoginKey{}, errBadArgument("Invalid JSON payload received. " + strings.TrimPrefix(err.Error(), "json: "))
	}
	pub, _, _, _, err := ssh.ParseAuthorizedKey([]byte(in.Key))
	if err != nil {
		return osLoginKey{}, errBadArgument("Invalid SSH public key: " + err.Error())
	}
	var expire int64
	if in.ExpirationTimeUsec != "" {
		if expire, err = strconv.ParseInt(in.ExpirationTimeUsec, 10, 64); err != nil {
			return osLoginKey{}, errBadArgument(fmt.Sprintf("Invalid value at 'ssh_public_key.expiration_time_usec' (TYPE_INT64), %q", in.ExpirationTimeUsec))
		}
	}
	sum := sha256.Sum256(pub.Marshal())
	return osLoginKey{key: in.Key, fingerprint: hex.EncodeToString(sum[:]), expireUsec: expire}, nil
}
