package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"regexp"

	"go.yaml.in/yaml/v3"

	"github.com/ssh-pruner/ssh-pruner/keyparse"
)

// keyItem is one ssh-keys or sshKeys value to inspect.
type keyItem struct{ key, value string }

// gcloudMetadata is the part of gcloud's description of a project
// (commonInstanceMetadata) or an instance (metadata) that inspect reads,
// in JSON (--format=json) or YAML (gcloud's default).
type gcloudMetadata struct {
	CommonInstanceMetadata *gcloudItems `json:"commonInstanceMetadata" yaml:"commonInstanceMetadata"`
	Metadata               *gcloudItems `json:"metadata" yaml:"metadata"`
}

type gcloudItems struct {
	Items []struct {
		Key   string  `json:"key" yaml:"key"`
		Value *string `json:"value" yaml:"value"`
	} `json:"items" yaml:"items"`
}

// gcloudYAMLKey finds gcloud's YAML of a project or an instance: gcloud
// prints the keys of a resource sorted, at the start of a line, and
// commonInstanceMetadata or metadata, whose value is a mapping, alone on
// its line. An ssh-keys line of that text would have a user and no key:
// never one that grants access, so taking such input for YAML loses no
// key list.
var gcloudYAMLKey = regexp.MustCompile(`(?m)^(commonInstanceMetadata|metadata):[ \t]*\r?$`)

// errSeveralYAMLDocuments: gcloud's YAML of a list, one document a resource.
var errSeveralYAMLDocuments = errors.New("several YAML documents (gcloud's list output?): give one resource, from gcloud compute project-info describe or gcloud compute instances describe")

// keyItems finds what to inspect: a bare ssh-keys value, or the key items
// of gcloud's JSON or YAML. Input starting with '{' is taken as JSON,
// since no key line can start with it and still name a user; input with
// gcloudYAMLKey as YAML.
func keyItems(data []byte) ([]keyItem, error) {
	trimmed := bytes.TrimSpace(data)
	var g gcloudMetadata
	format := "JSON"
	switch {
	case len(trimmed) > 0 && trimmed[0] == '{':
		if err := json.Unmarshal(trimmed, &g); err != nil {
			return nil, fmt.Errorf("invalid JSON: %w", err)
		}
	case gcloudYAMLKey.Match(data):
		format = "YAML"
		if err := decodeGcloudYAML(data, &g); err != nil {
			return nil, err
		}
	default:
		return []keyItem{{key: "ssh-keys", value: string(data)}}, nil
	}
	md := g.CommonInstanceMetadata
	if md == nil {
		md = g.Metadata
	}
	if md == nil {
		return nil, fmt.Errorf("%s is neither gcloud's project (commonInstanceMetadata) nor instance (metadata) description", format)
	}
	var items []keyItem
	for _, it := range md.Items {
		if (it.Key == "ssh-keys" || it.Key == "sshKeys") && it.Value != nil {
			items = append(items, keyItem{key: it.Key, value: *it.Value})
		}
	}
	return items, nil
}

// decodeGcloudYAML reads gcloud's YAML of one resource. Its values come
// back as written: a block scalar (value: |-) line for line, a long plain
// or quoted one that gcloud folded at 80 columns joined again.
func decodeGcloudYAML(data []byte, g *gcloudMetadata) error {
	dec := yaml.NewDecoder(bytes.NewReader(data))
	if err := dec.Decode(g); err != nil {
		return fmt.Errorf("invalid YAML: %s", keyparse.Printable(err.Error()))
	}
	var next yaml.Node
	switch err := dec.Decode(&next); {
	case err == nil:
		return errSeveralYAMLDocuments
	case !errors.Is(err, io.EOF):
		return fmt.Errorf("invalid YAML: %s", keyparse.Printable(err.Error()))
	}
	return nil
}
