package report

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
)

// WriteJSON writes the report as json.MarshalIndent(rep, "", "  ")
// would, followed by a newline, but one project at a time. The report of a
// large organization is tens of megabytes of JSON (46 MB for 10,000
// projects of 10 VMs each); encoding it whole holds the compact and the
// indented text at once, each in a buffer grown by doubling, which made
// the encoding the peak of a run's memory.
func (rep Report) WriteJSON(w io.Writer) error {
	projects := rep.Projects
	if len(projects) == 0 && (rep.Spool == nil || rep.Spool.len() == 0) {
		// Nothing large: also keeps null and [] as json writes them.
		data, err := json.MarshalIndent(rep, "", "  ")
		if err != nil {
			return err
		}
		_, err = w.Write(append(data, '\n'))
		return err
	}
	// The rest of the report, with a placeholder where the projects go.
	rep.Projects = nil
	rest, err := json.MarshalIndent(rep, "", "  ")
	if err != nil {
		return err
	}
	const hole = "\n  \"projects\": null,\n"
	before, after, ok := bytes.Cut(rest, []byte(hole))
	if !ok {
		return fmt.Errorf("encode report: no %q field", "projects")
	}
	bw := bufio.NewWriterSize(w, 64<<10)
	bw.Write(before)
	bw.WriteString("\n  \"projects\": [")
	n := 0
	write := func(data []byte) {
		if n > 0 {
			bw.WriteByte(',')
		}
		bw.WriteString("\n    ")
		bw.Write(data)
		n++
	}
	for i := range projects {
		data, err := json.MarshalIndent(&projects[i], "    ", "  ")
		if err != nil {
			return fmt.Errorf("encode report of project %s: %w", projects[i].Project, err)
		}
		write(data)
	}
	if rep.Spool != nil {
		// Rendered as they came in, by the same MarshalIndent.
		err := rep.Spool.each(func(data, _ []byte) error { write(data); return nil })
		if err != nil {
			return err
		}
	}
	bw.WriteString("\n  ],\n")
	bw.Write(after)
	bw.WriteByte('\n')
	return bw.Flush()
}
