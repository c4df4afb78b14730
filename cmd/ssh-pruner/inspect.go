package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"
	"unicode"

	"github.com/ssh-pruner/ssh-pruner/keyparse"
)

const inspectUsage = `Usage: ssh-pruner inspect [flags] [FILE|-]

Shows how Google's guest agent reads each line of SSH key metadata: who,
which key (SHA256 fingerprint, as ssh-keygen -l prints it), until when,
and whether the line grants access now. Reads FILE, or stdin when FILE is
- or absent. Nothing is sent anywhere.

The input is either a metadata value in ssh-keys form (one user:key per
line), or what gcloud prints for a project or an instance, in its
default YAML or with --format=json; then every ssh-keys and sshKeys item
in it is inspected. At most 16 MiB is read; at a terminal, inspect says
that it reads standard input (end with Ctrl-D).

States: expiring (grants access until expireOn), expired, permanent
(grants access, never expires), invalid (never grants access; the reason
says why).

Examples:
  ssh-pruner inspect testdata/ssh-keys.txt
  gcloud compute project-info describe | ssh-pruner inspect
  gcloud compute instances describe vm-1 --zone europe-west1-b --format=json |
      ssh-pruner inspect --output json -
`

// inspectRow is one line of the inspect report; its JSON form is the
// --output json contract.
type inspectRow struct {
	MetadataKey    string `json:"metadataKey"`
	Line           int    `json:"line"`
	Username       string `json:"username"`
	KeyType        string `json:"keyType"`
	Fingerprint    string `json:"fingerprint"`
	GoogleUserName string `json:"googleUserName"`
	// ExpireOn is keyparse.FormatTime of the expiry: encoding/json
	// refuses a time.Time outside years 0..9999, which an expireOn with a
	// zone offset can reach.
	ExpireOn *string `json:"expireOn"`
	State    string  `json:"state"`
	Reason   string  `json:"reason"`
}

func cmdInspect(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	fs := newFlagSet("inspect", inspectUsage, stdout)
	output := fs.String("output", "text", "format: text or json")
	nowFlag := fs.String("now", "", "judge expiry at this `RFC3339` instant instead of the current time")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if *output != "text" && *output != "json" {
		return usageErrorf("inspect: --output %q: want text or json", *output)
	}
	now := time.Now()
	if *nowFlag != "" {
		t, err := time.Parse(time.RFC3339, *nowFlag)
		if err != nil {
			return usageErrorf("inspect: --now %q: want RFC 3339, e.g. 2026-01-02T15:04:05Z", *nowFlag)
		}
		now = t
	}
	if fs.NArg() > 1 {
		for _, a := range fs.Args()[1:] {
			if strings.HasPrefix(a, "-") && a != "-" {
				return usageErrorf("inspect: flags go before FILE: %q came after it", a)
			}
		}
		return usageErrorf("inspect: want at most one FILE, got %d arguments", fs.NArg())
	}
	name, data, err := readInput(ctx, fs.Arg(0), stdin, stderr)
	if err != nil {
		return usageErrorf("inspect: %v", err)
	}
	if err := plainText(data); err != nil {
		return usageErrorf("inspect: %s: %v", name, err)
	}
	if len(bytes.TrimSpace(data)) == 0 {
		// Most often an upstream command that failed (gcloud without a
		// project): an empty table would read as "no keys".
		return usageErrorf("inspect: %s: empty input", name)
	}
	items, err := keyItems(data)
	if err != nil {
		return usageErrorf("inspect: %s: %v", name, err)
	}
	rows := inspectRows(items, now)
	if *output == "json" {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(rows)
	}
	return writeInspectText(stdout, rows)
}

func inspectRows(items []keyItem, now time.Time) []inspectRow {
	rows := []inspectRow{}
	for _, it := range items {
		for _, l := range keyparse.Parse(it.value) {
			r := inspectRow{
				MetadataKey: it.key,
				Line:        l.Number,
				Username:    l.DisplayUser(),
				KeyType:     l.KeyType,
				Fingerprint: l.Fingerprint,
				State:       string(l.State(now)),
				Reason:      string(l.Invalid),
			}
			if l.Google != nil {
				r.GoogleUserName = l.Google.UserName
			}
			if l.Expires() {
				t := keyparse.FormatTime(l.ExpireOn)
				r.ExpireOn = &t
			}
			rows = append(rows, r)
		}
	}
	return rows
}

func writeInspectText(w io.Writer, rows []inspectRow) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "KEY\tLINE\tUSER\tTYPE\tFINGERPRINT\tGOOGLE USER\tEXPIRES\tSTATE\tREASON")
	for _, r := range rows {
		exp := "-"
		if r.ExpireOn != nil {
			exp = *r.ExpireOn
		}
		// Metadata is written by anyone with edit rights: no byte of it
		// reaches the terminal unescaped.
		fmt.Fprintf(tw, "%s\t%d\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", r.MetadataKey, r.Line,
			dash(r.Username), dash(keyparse.Printable(r.KeyType)), dash(r.Fingerprint),
			dash(keyparse.Printable(r.GoogleUserName)), exp, r.State, dash(r.Reason))
	}
	return tw.Flush()
}

// dash keeps the table readable: "-" for nothing, and text with spaces or
// control characters (a user the agent rejects for them) quoted.
func dash(s string) string {
	switch {
	case s == "":
		return "-"
	case strings.IndexFunc(s, func(r rune) bool { return unicode.IsSpace(r) || !unicode.IsPrint(r) }) >= 0:
		return strconv.Quote(s)
	}
	return s
}
