package gcp

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"unicode/utf8"

	"cloud.google.com/go/storage"
	"google.golang.org/api/googleapi"
	"google.golang.org/api/option"

	"github.com/ssh-pruner/ssh-pruner/pruner"
	"github.com/ssh-pruner/ssh-pruner/pruner/state"
)

var _ state.Store = (*StatePrefix)(nil)

// StatePrefix keeps the pruner's state in Cloud Storage objects under a
// prefix: one a project, and the run object. An object's generation is
// its version: Save writes under an ifGenerationMatch precondition
// (ifGenerationMatch=0 for an object that must not exist yet), so two
// runs never overwrite each other's state, and two runs over different
// projects never meet.
type StatePrefix struct {
	bucket *storage.BucketHandle
	prefix string
	url    string
	client *storage.Client // closed by Close, when the StatePrefix made it
}

// NewStatePrefix opens gs://BUCKET/PREFIX/ with the credentials of the
// options. Against a fake (Options.Endpoint) it needs the fake's Cloud
// Storage too (Options.StorageEndpoint): the state of a fake organization
// does not belong in a real bucket.
func NewStatePrefix(ctx context.Context, o Options, url string) (*StatePrefix, error) {
	bucket, prefix, err := ParseGSPrefix(url)
	if err != nil {
		return nil, err
	}
	var opts []option.ClientOption
	switch {
	case o.StorageEndpoint != "":
		hc := o.HTTPClient
		if hc == nil {
			hc = localHTTPClient()
		}
		opts = []option.ClientOption{option.WithoutAuthentication(), option.WithHTTPClient(hc),
			option.WithEndpoint(strings.TrimSuffix(o.StorageEndpoint, "/") + "/storage/v1/")}
	case o.Endpoint != "":
		return nil, fmt.Errorf("state %s: the APIs are at %s, but no Cloud Storage endpoint is given for the state", url, o.Endpoint)
	default:
		if opts, err = credentials(ctx, o); err != nil {
			return nil, err
		}
	}
	// JSON reads: the generation read comes in the same answer as the
	// data, and one API serves both reads and writes.
	opts = append(opts, storage.WithJSONReads())
	if o.UserAgent != "" {
		opts = append(opts, option.WithUserAgent(o.UserAgent))
	}
	client, err := storage.NewClient(ctx, opts...)
	if err != nil {
		return nil, fmt.Errorf("cloud storage client: %w", err)
	}
	s := NewStatePrefixOf(client, bucket, prefix)
	s.client = client
	return s, nil
}

// NewStatePrefixOf keeps the state under bucket/prefix through a client
// made elsewhere.
func NewStatePrefixOf(client *storage.Client, bucket, prefix string) *StatePrefix {
	return &StatePrefix{bucket: client.Bucket(bucket), prefix: prefix, url: "gs://" + bucket + "/" + prefix}
}

// Close releases the client NewStatePrefix made.
func (s *StatePrefix) Close() error {
	if s.client == nil {
		return nil
	}
	return s.client.Close()
}

func (s *StatePrefix) String() string { return s.url }

// Load reads an object and its generation.
func (s *StatePrefix) Load(ctx context.Context, name string) ([]byte, string, error) {
	// objectsGet of the table of calls: the only read of the state.
	r, err := s.bucket.Object(s.prefix + name).NewReader(ctx)
	if errors.Is(err, storage.ErrObjectNotExist) {
		return nil, "", fmt.Errorf("%s%s: %w", s.url, name, state.ErrNoState)
	}
	if err != nil {
		return nil, "", storageError(err)
	}
	defer r.Close()
	// One byte past the limit is enough for DecodeState to refuse it.
	data, err := io.ReadAll(io.LimitReader(r, state.MaxStateSize+1))
	if err != nil {
		return nil, "", storageError(err)
	}
	return data, strconv.FormatInt(r.Attrs.Generation, 10), nil
}

// Save writes an object if its generation is still version.
func (s *StatePrefix) Save(ctx context.Context, name string, data []byte, version string) (string, error) {
	cond := storage.Conditions{DoesNotExist: true}
	if version != "" {
		gen, err := strconv.ParseInt(version, 10, 64)
		if err != nil || gen <= 0 {
			return "", fmt.Errorf("generation %q: not one that Load gives", version)
		}
		cond = storage.Conditions{GenerationMatch: gen}
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel() // a write not closed is abandoned, not half made
	// objectsInsert of the table of calls: the only write of the state.
	w := s.bucket.Object(s.prefix + name).If(cond).NewWriter(ctx)
	w.ContentType = "application/json"
	// One request, and a retry buffer the size of the object (rounded up
	// to 256 KiB) rather than the default 16 MiB chunk: a run writes a
	// project's object of a few KB on each of its workers at once, and 64
	// writers of 16 MiB took a run of 10,000 projects to 2.1 GB.
	w.ChunkSize = len(data) + 1
	_, err := w.Write(data)
	if err == nil {
		err = w.Close()
	}
	if err == nil {
		return strconv.FormatInt(w.Attrs().Generation, 10), nil
	}
	var gerr *googleapi.Error
	if !errors.As(err, &gerr) || gerr.Code != http.StatusPreconditionFailed {
		return "", storageError(err)
	}
	// The client retries a conditional write: when an answer was lost,
	// the retry meets the generation its own first attempt made. The
	// object then holds exactly these bytes.
	if got, gen, lerr := s.Load(ctx, name); lerr == nil && bytes.Equal(got, data) {
		return gen, nil
	}
	if version == "" {
		return "", fmt.Errorf("%w: %s was created after this run found none", state.ErrConflict, name)
	}
	return "", fmt.Errorf("%w: the generation of %s is no longer %s", state.ErrConflict, name, version)
}

// storageError keeps one line of Google's answer: its code and message.
func storageError(err error) error {
	var gerr *googleapi.Error
	if errors.As(err, &gerr) {
		msg := gerr.Message
		if msg == "" {
			msg = http.StatusText(gerr.Code)
		}
		if gerr.Code == http.StatusForbidden || gerr.Code == http.StatusUnauthorized {
			return fmt.Errorf("%w: %s (HTTP %d)", pruner.ErrForbidden, oneLine(msg), gerr.Code)
		}
		return fmt.Errorf("HTTP %d: %s", gerr.Code, oneLine(msg))
	}
	return err
}

func oneLine(s string) string {
	s = strings.Join(strings.Fields(s), " ")
	if len(s) > 300 {
		s = s[:300] + "..."
	}
	return s
}

// ParseGSPrefix splits gs://BUCKET/PREFIX/, checking the names as Cloud
// Storage would. The prefix is empty or ends with a slash: the state's
// objects are named under it (run.json, projects/P.json).
func ParseGSPrefix(url string) (bucket, prefix string, err error) {
	rest, ok := strings.CutPrefix(url, "gs://")
	if !ok {
		return "", "", fmt.Errorf("%q: want gs://BUCKET/PREFIX/", url)
	}
	bucket, prefix, ok = strings.Cut(rest, "/")
	switch {
	case !ok || (prefix != "" && !strings.HasSuffix(prefix, "/")):
		return "", "", fmt.Errorf("%q: want gs://BUCKET/PREFIX/, ending with a slash: the state is one object a project under it", url)
	case strings.Contains(prefix, "//"):
		return "", "", fmt.Errorf("%q: an empty folder in the prefix", url)
	}
	if err := checkBucketName(bucket); err != nil {
		return "", "", fmt.Errorf("%q: bucket: %v", url, err)
	}
	switch {
	case len(prefix) > 900:
		return "", "", fmt.Errorf("%q: prefix longer than 900 bytes: its objects' names would pass 1024", url)
	case !utf8.ValidString(prefix) || strings.ContainsAny(prefix, "\r\n"):
		return "", "", fmt.Errorf("%q: prefix must be UTF-8 text on one line", url)
	case strings.HasPrefix(prefix, ".well-known/acme-challenge/") || strings.Contains("/"+prefix, "/./") || strings.Contains("/"+prefix, "/../"):
		return "", "", fmt.Errorf("%q: prefix not allowed by Cloud Storage", url)
	}
	return bucket, prefix, nil
}

func checkBucketName(b string) error {
	if len(b) < 3 || len(b) > 222 {
		return errors.New("3 to 222 characters")
	}
	for _, c := range b {
		if !('a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '-' || c == '_' || c == '.') {
			return fmt.Errorf("%q: only lowercase letters, digits, '-', '_' and '.'", c)
		}
	}
	if !isAlnum(b[0]) || !isAlnum(b[len(b)-1]) {
		return errors.New("must start and end with a letter or digit")
	}
	return checkBucketParts(b)
}

// checkBucketParts bounds the dot-separated parts of a bucket name.
func checkBucketParts(b string) error {
	for _, part := range strings.Split(b, ".") {
		if len(part) > 63 {
			return errors.New("each dot-separated part at most 63 characters")
		}
	}
	if !strings.Contains(b, ".") && len(b) > 63 {
		return errors.New("at most 63 characters without dots")
	}
	return nil
}

func isAlnum(c byte) bool { return 'a' <= c && c <= 'z' || '0' <= c && c <= '9' }
