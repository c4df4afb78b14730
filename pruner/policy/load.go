package policy

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/ssh-pruner/ssh-pruner/keyparse"
	"github.com/ssh-pruner/ssh-pruner/pruner/inputfile"
)

// MaxFileSize bounds a policy file: the example with every setting is
// 2 KB; a file of megabytes is a mistake (or /dev/zero), not a policy.
const MaxFileSize = 1 << 20

// Load reads a policy file over Default and checks it. Every error is one
// line that names the file and, where it can, the line and the field:
//
//	policy.yaml:12: protected[1].username: error parsing regexp: ...
//
// The read gives way to ctx: a FIFO that no one writes to, or a terminal,
// must not hold the command past SIGINT.
func Load(ctx context.Context, path string) (Config, error) {
	data, err := inputfile.ReadAll(ctx, path, MaxFileSize)
	var (
		tl *inputfile.TooLargeError
		pe *fs.PathError
	)
	switch {
	case errors.As(err, &tl):
		return Config{}, fmt.Errorf("%s: more than %d bytes: not a policy file", keyparse.Printable(path), MaxFileSize)
	case errors.As(err, &pe):
		return Config{}, err // names the file already
	case err != nil:
		return Config{}, fmt.Errorf("%s: %w", keyparse.Printable(path), err)
	}
	return Parse(path, data)
}

// Parse is Load of data read from the file called name.
func Parse(name string, data []byte) (Config, error) {
	name = keyparse.Printable(name)
	root, err := parseNode(name, data)
	if err != nil {
		return Config{}, err
	}
	c := Default()
	strict := yaml.NewDecoder(bytes.NewReader(data))
	strict.KnownFields(true)
	if err := strict.Decode(&c); err != nil && !errors.Is(err, io.EOF) {
		return Config{}, fmt.Errorf("%s: %s", name, oneLine(decodeError(err)))
	}
	c.normalize()
	var fe *FieldError
	switch err := c.Validate(); {
	case errors.As(err, &fe):
		if n := find(root, fe.Field); n != nil {
			return Config{}, fmt.Errorf("%s:%d: %s", name, n.Line, oneLine(fe.Error()))
		}
		return Config{}, fmt.Errorf("%s: %s", name, oneLine(fe.Error()))
	case err != nil:
		return Config{}, fmt.Errorf("%s: %s", name, oneLine(err.Error()))
	}
	return c, nil
}

// parseNode reads the file's one document as a node, for the lines of
// errors, and checks the settings the decoder would report without one.
func parseNode(name string, data []byte) (*yaml.Node, error) {
	var root yaml.Node
	dec := yaml.NewDecoder(bytes.NewReader(data))
	if err := dec.Decode(&root); err != nil && !errors.Is(err, io.EOF) {
		return nil, fmt.Errorf("%s: %s", name, oneLine(err.Error()))
	}
	var second yaml.Node
	switch err := dec.Decode(&second); {
	case err == nil:
		return nil, fmt.Errorf("%s:%d: a second YAML document: a policy file holds one", name, second.Line)
	case !errors.Is(err, io.EOF):
		return nil, fmt.Errorf("%s: %s", name, oneLine(err.Error()))
	}
	for field, check := range textFields {
		if n := find(&root, field); n != nil {
			if err := check(n.Value); err != nil {
				return nil, fmt.Errorf("%s:%d: %s: %v", name, n.Line, field, err)
			}
		}
	}
	return &root, nil
}

// decodeError is the decoder's error without the Go type it names:
// "line 3: field polcy not found in type policy.Config" says line 3:
// field polcy not found.
func decodeError(err error) string {
	var te *yaml.TypeError
	if !errors.As(err, &te) {
		return err.Error()
	}
	msgs := make([]string, len(te.Errors))
	for i, m := range te.Errors {
		if i := strings.Index(m, " in type "); i >= 0 {
			m = m[:i]
		}
		msgs[i] = m
	}
	return strings.Join(msgs, "; ")
}

// textFields are the settings read through UnmarshalText, checked on the
// node first: the YAML decoder reports their errors without a line.
var textFields = map[string]func(string) error{
	"maxKeyLifetime":   func(s string) error { var d Duration; return d.UnmarshalText([]byte(s)) },
	"grace":            func(s string) error { var d Duration; return d.UnmarshalText([]byte(s)) },
	"limits.perTarget": func(s string) error { var l TargetLimit; return l.UnmarshalText([]byte(s)) },
}

// find is the node of a field path such as "protected[2].username" or
// "limits.perTarget" under a document, nil when the file does not have it.
func find(root *yaml.Node, path string) *yaml.Node {
	n := root
	if n.Kind == yaml.DocumentNode && len(n.Content) > 0 {
		n = n.Content[0]
	}
	for _, part := range strings.Split(path, ".") {
		key, idx := part, -1
		if i := strings.IndexByte(part, '['); i >= 0 && strings.HasSuffix(part, "]") {
			v, err := strconv.Atoi(part[i+1 : len(part)-1])
			if err != nil {
				return nil
			}
			key, idx = part[:i], v
		}
		if n = child(n, key); n == nil {
			return nil
		}
		if idx >= 0 {
			if n.Kind != yaml.SequenceNode || idx >= len(n.Content) {
				return nil
			}
			n = n.Content[idx]
		}
	}
	return n
}

func child(n *yaml.Node, key string) *yaml.Node {
	if n.Kind != yaml.MappingNode {
		return nil
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		if n.Content[i].Value == key {
			return n.Content[i+1]
		}
	}
	return nil
}

// oneLine keeps an error to the one line a terminal shows, escaped: the
// YAML decoder quotes the file's bytes.
func oneLine(s string) string {
	return keyparse.PrintableN(strings.ReplaceAll(s, "\n", "; "), 300)
}

// normalize makes every empty list nil: "[]" in a file and no line at all
// say the same, and give the same Config.
func (c *Config) normalize() {
	for _, l := range []*[]string{&c.GoogleManagedUsers, &c.Exclude.Projects, &c.Exclude.Folders, &c.Exclude.Labels, &c.OnlyLabels} {
		if len(*l) == 0 {
			*l = nil
		}
	}
	if len(c.Protected) == 0 {
		c.Protected = nil
	}
}
