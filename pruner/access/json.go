package access

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
)

// WriteJSON writes the report as json.MarshalIndent(r, "", "  ") would,
// followed by a newline (what a json.Encoder with that indent writes),
// but one identity and one VM at a time. The report names every active
// key of every VM: 24 MB of JSON for 500 projects of 4 VMs with about 20
// keys each. Encoding it whole holds the compact and the indented text at
// once, each in a buffer grown by doubling, and made the encoding the
// peak of access's memory, at nearly four times a dry run's.
func (r AccessReport) WriteJSON(w io.Writer) error {
	ids, vms := r.Identities, r.VMs
	// An empty list is written as json writes it (null or []), with the
	// rest of the report; a long one is left out of it, and written after.
	if len(ids) > 0 {
		r.Identities = nil
	}
	if len(vms) > 0 {
		r.VMs = nil
	}
	rest, err := json.MarshalIndent(r, "", "  ")
	if err != nil {
		return err
	}
	bw := bufio.NewWriterSize(w, 64<<10)
	for _, field := range []struct {
		name string
		n    int
		at   func(i int) any
	}{
		{"identities", len(ids), func(i int) any { return &ids[i] }},
		{"vms", len(vms), func(i int) any { return &vms[i] }},
	} {
		if field.n == 0 {
			continue
		}
		hole := "\n  \"" + field.name + "\": null,"
		before, after, ok := bytes.Cut(rest, []byte(hole))
		if !ok {
			return fmt.Errorf("encode access report: no %q field", field.name)
		}
		bw.Write(before)
		bw.WriteString("\n  \"" + field.name + "\": [")
		for i := range field.n {
			data, err := json.MarshalIndent(field.at(i), "    ", "  ")
			if err != nil {
				return fmt.Errorf("encode access report: %s[%d]: %w", field.name, i, err)
			}
			if i > 0 {
				bw.WriteByte(',')
			}
			bw.WriteString("\n    ")
			bw.Write(data)
		}
		bw.WriteString("\n  ],")
		rest = after
	}
	bw.Write(rest)
	bw.WriteByte('\n')
	return bw.Flush()
}
