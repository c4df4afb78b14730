package access

import (
	"fmt"
	"github.com/ssh-pruner/ssh-pruner/pruner/internal/textfmt"
	"io"
	"strings"
	"time"

	"github.com/ssh-pruner/ssh-pruner/keyparse"
)

// WriteText renders the access report for a person, by identity:
//
//	alice (1 key)
//	  SHA256:...  ssh-ed25519  no expiry  3 VMs in 1 project
//	    web-prod/europe-west1-b/web-1
//
// Every name comes from metadata or the API and is escaped.
func (r AccessReport) WriteText(w io.Writer) error {
	ew := &textfmt.ErrWriter{W: w}
	fmt.Fprintf(ew, "Who can reach which VM through metadata SSH keys, at %s\n\n", r.Now.Format(time.RFC3339))
	var rows []textfmt.Line
	for _, ia := range r.Identities {
		rows = append(rows, textfmt.Line{Text: fmt.Sprintf("%s (%d %s)", ia.Identity, len(ia.Keys), textfmt.Plural(len(ia.Keys), "key", "keys"))})
		for _, k := range ia.Keys {
			where := fmt.Sprintf("%d %s in %d %s", len(k.VMs), textfmt.Plural(len(k.VMs), "VM", "VMs"), len(k.Projects), textfmt.Plural(len(k.Projects), "project", "projects"))
			as := ""
			if k.Username != ia.Identity {
				as = "as " + k.Username
			}
			if len(k.AddedBy) > 0 {
				where += ", added by " + strings.Join(k.AddedBy, ", ") // escaped when attributed
			}
			rows = append(rows, textfmt.Line{Cells: []string{"  " + textfmt.OrDash(k.Fingerprint), textfmt.OrDash(k.KeyType), until(k.ExpireOn), as, where}})
			for _, vm := range k.VMs {
				rows = append(rows, textfmt.Line{Text: "    " + keyparse.Printable(vm)})
			}
		}
	}
	textfmt.WriteAligned(ew, rows)
	r.writeFooter(ew)
	return ew.Err
}

// WriteTextByVM renders the report one VM at a time, with the keys that
// open it.
func (r AccessReport) WriteTextByVM(w io.Writer) error {
	ew := &textfmt.ErrWriter{W: w}
	fmt.Fprintf(ew, "Which keys open each VM, at %s\n\n", r.Now.Format(time.RFC3339))
	var rows []textfmt.Line
	for _, vm := range r.VMs {
		rows = append(rows, textfmt.Line{Text: keyparse.Printable(vm.Project+"/"+vm.Zone+"/"+vm.Name) + " (" + vmTraits(vm) + ")"})
		for _, k := range vm.Active {
			from := string(k.Level) + " " + k.MetadataKey
			if k.AddedBy != "" {
				from += ", added by " + k.AddedBy + " via " + k.AddedVia // escaped when attributed
			}
			rows = append(rows, textfmt.Line{Cells: []string{"  " + k.Identity, textfmt.OrDash(k.Fingerprint), textfmt.OrDash(k.KeyType), until(k.ExpireOn), from}})
		}
		for _, d := range vm.Disagreements {
			rows = append(rows, textfmt.Line{Text: "  note: " + d})
		}
	}
	textfmt.WriteAligned(ew, rows)
	r.writeFooter(ew)
	return ew.Err
}

func vmTraits(vm VMReport) string {
	var t []string
	if vm.Windows {
		t = append(t, "Windows")
		if !vm.WindowsSSH {
			t = append(t, "enable-windows-ssh off")
		}
	} else if vm.OSLogin {
		t = append(t, "OS Login on")
	} else {
		t = append(t, "OS Login off")
	}
	if vm.BlockProjectKeys {
		t = append(t, "blocks project keys")
	}
	if vm.Status != "" && vm.Status != "RUNNING" {
		t = append(t, keyparse.Printable(vm.Status))
	}
	t = append(t, fmt.Sprintf("%d active %s", len(vm.Active), textfmt.Plural(len(vm.Active), "key", "keys")))
	if vm.Dormant > 0 {
		t = append(t, fmt.Sprintf("%d dormant", vm.Dormant))
	}
	return strings.Join(t, ", ")
}

func (r AccessReport) writeFooter(w io.Writer) {
	never := 0
	for _, ia := range r.Identities {
		if ia.Keys[0].ExpireOn == "" {
			never++
		}
	}
	fmt.Fprintf(w, "\n%d %s, %d %s can reach them (%d with a key that never expires)",
		len(r.VMs), textfmt.Plural(len(r.VMs), "VM", "VMs"), len(r.Identities), textfmt.Plural(len(r.Identities), "identity", "identities"), never)
	if len(r.Gaps) == 0 {
		fmt.Fprintln(w)
		return
	}
	fmt.Fprintf(w, "; incomplete, not seen:\n")
	for _, g := range r.Gaps {
		fmt.Fprintf(w, "  %s: %s\n", keyparse.Printable(g.Resource), keyparse.Printable(g.Reason))
	}
}

func until(expireOn string) string {
	if expireOn == "" {
		return "no expiry"
	}
	return "until " + expireOn
}
