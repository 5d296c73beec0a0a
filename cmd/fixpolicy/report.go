package main

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"

	"github.com/fixpolicy/fixpolicy/rewrite"
	"github.com/fixpolicy/fixpolicy/rewrite/udiff"
)

// Status values of a target (-o json; README, "Usage").
const (
	statusCompliant   = "compliant"
	statusNeedsChange = "needs-change"
	statusPatched     = "patched"
	statusRefused     = "refused"
	statusError       = "error"
)

// report is the outcome for one target (a bucket or a policy file).
type report struct {
	Target        string           `json:"target"`
	Bucket        string           `json:"bucket,omitempty"`
	Status        string           `json:"status"`
	PolicyBefore  json.RawMessage  `json:"policy_before,omitempty"`
	PolicyAfter   json.RawMessage  `json:"policy_after,omitempty"`
	Changes       []rewrite.Change `json:"changes"`
	Explanations  []string         `json:"explanations,omitempty"`
	AccessChanges []string         `json:"access_changes"`
	Proof         *rewrite.Proof   `json:"proof,omitempty"`
	Diff          string           `json:"diff"`
	Steps         []string         `json:"steps,omitempty"`
	Backup        string           `json:"backup_file,omitempty"`
	Error         string           `json:"error,omitempty"`
	// OrgAssumed is the organization the analysis took as the account's own
	// because the policy names it (rewrite.Result.OrgAssumed); OrgNote says
	// so in a sentence, with why it was not looked up.
	OrgAssumed string `json:"org_assumed,omitempty"`
	OrgNote    string `json:"org_note,omitempty"`

	code      int
	source    []byte // the policy text as read, for line numbers
	file      string // the file path for file targets
	selfNamed bool   // Error names the target itself (text output does not repeat it)
}

// noteOrg records the organization the analysis assumed, if any; why is the
// reason it was not looked up ("" offline).
func (r *report) noteOrg(id, why string) {
	if id == "" {
		return
	}
	r.OrgAssumed = id
	r.OrgNote = orgNote(id, why)
}

// orgNote is the sentence that says an organization was assumed.
func orgNote(id, why string) string {
	if why != "" {
		why = " (" + why + ")"
	}
	return fmt.Sprintf("Assumed %s is the account's organization because the policy names it%s; pass --org-id to state it.", id, why)
}

func errorReport(target string, err error) *report {
	return &report{Target: target, Status: statusError, Error: oneLine(err.Error()), Changes: []rewrite.Change{}, AccessChanges: []string{}, code: exitError}
}

// fromResult fills a report from a rewrite.Result.
func fromResult(target string, res *rewrite.Result, diffName string) *report {
	r := &report{Target: target, Bucket: res.Bucket, Changes: res.Changes, Explanations: res.Paragraphs, source: res.Before, AccessChanges: []string{}}
	if r.Changes == nil {
		r.Changes = []rewrite.Change{}
	}
	r.PolicyBefore = compactJSON(res.Before)
	r.PolicyAfter = compactJSON(res.After)
	if res.Proof != nil {
		r.Proof = res.Proof
		r.AccessChanges = append(r.AccessChanges, res.Proof.Classes...)
	}
	switch res.Status {
	case rewrite.StatusCompliant:
		r.Status = statusCompliant
	case rewrite.StatusRefused:
		r.Status, r.code, r.Error = statusRefused, exitRefused, res.Refusal
	default:
		r.Status = statusNeedsChange
		r.Diff = udiff.Unified(diffName, diffName+" (patched)", res.Before, res.After, 3)
	}
	return r
}

func compactJSON(b []byte) json.RawMessage {
	p, err := rewrite.Parse(b)
	if err != nil {
		return nil
	}
	return json.RawMessage(p.Compact())
}

// printer renders reports in one output format.
type printer struct {
	w      io.Writer
	errW   io.Writer // text-mode errors go here
	format string
	color  bool
	n      int
	all    []*report
	getenv func(string) string
}

func (p *printer) print(r *report) {
	p.n++
	p.all = append(p.all, r)
	switch p.format {
	case "json":
		b, _ := json.Marshal(r)
		fmt.Fprintf(p.w, "%s\n", b)
	case "text":
		p.text(r)
	}
}

// finish writes the formats that cover every target at once.
func (p *printer) finish() error {
	switch p.format {
	case "sarif":
		return writeSARIF(p.w, p.all)
	case "markdown":
		return writeMarkdown(p.w, p.all)
	case "github":
		return writeGitHub(p.w, p.all, p.getenv)
	}
	return nil
}

func (p *printer) text(r *report) {
	if p.n > 1 {
		fmt.Fprintln(p.w)
	}
	name := r.Target
	if r.Bucket != "" && r.Bucket != r.Target && r.Target != "s3://"+r.Bucket {
		name += " (bucket " + r.Bucket + ")"
	}
	switch r.Status {
	case statusError:
		if len(r.Steps) == 0 {
			if r.selfNamed {
				fmt.Fprintf(p.errW, "fixpolicy: %s\n", r.Error)
			} else {
				fmt.Fprintf(p.errW, "fixpolicy: %s: %s\n", name, r.Error)
			}
			p.n--
			return
		}
	case statusCompliant:
		fmt.Fprintf(p.w, "%s: compliant: nothing in the policy blocks AWS Backup.\n", name)
		for _, c := range r.Changes {
			fmt.Fprintf(p.w, "note: %s\n", c.Explanation)
		}
		if r.OrgNote != "" {
			fmt.Fprintf(p.w, "note: %s\n", r.OrgNote)
		}
		for _, e := range r.Explanations {
			fmt.Fprintf(p.w, "\n%s\n", wrap(e, 100))
		}
		return
	}
	fmt.Fprintf(p.w, "%s: %s\n", name, r.Status)
	for _, e := range r.Explanations {
		fmt.Fprintf(p.w, "\n%s\n", wrap(e, 100))
	}
	for _, c := range r.Changes {
		if c.Kind == rewrite.KindStale {
			fmt.Fprintf(p.w, "\nnote: %s\n", wrap(c.Explanation, 100))
		}
	}
	if r.OrgNote != "" {
		fmt.Fprintf(p.w, "\nnote: %s\n", wrap(r.OrgNote, 100))
	}
	if r.Status == statusRefused {
		fmt.Fprintf(p.w, "\nrefused: %s\n", wrap(r.Error, 100))
		return
	}
	if len(r.AccessChanges) > 0 {
		fmt.Fprintf(p.w, "\nAccess changes (proved over %d request classes):\n", r.Proof.Requests)
		for _, a := range r.AccessChanges {
			fmt.Fprintf(p.w, "  - %s\n", a)
		}
	}
	if r.Diff != "" {
		d := r.Diff
		if p.color {
			d = udiff.Colorize(d)
		}
		fmt.Fprintf(p.w, "\n%s", d)
	}
	for _, s := range r.Steps {
		fmt.Fprintf(p.w, "%s\n", s)
	}
}

// steps prints the steps of a report already printed (text output), after a
// confirmation prompt.
func (p *printer) steps(r *report) {
	if p.format != "text" {
		return
	}
	for _, s := range r.Steps {
		fmt.Fprintf(p.w, "%s\n", s)
	}
}

// summary prints a table of the targets' outcomes (text output, several buckets).
func (p *printer) summary() {
	counts := map[string]int{}
	var failed []*report
	for _, r := range p.all {
		counts[r.Status]++
		if r.Status == statusError || r.Status == statusRefused {
			failed = append(failed, r)
		}
	}
	fmt.Fprintf(p.w, "\nSummary (%d buckets):\n", len(p.all))
	for _, row := range []struct{ label, status string }{
		{"compliant", statusCompliant},
		{"needs change", statusNeedsChange},
		{"patched", statusPatched},
		{"refused", statusRefused},
		{"errors", statusError},
	} {
		fmt.Fprintf(p.w, "  %-13s %6d\n", row.label, counts[row.status])
	}
	for _, r := range failed {
		fmt.Fprintf(p.w, "  %s %s: %s\n", r.Status, r.Target, r.Error)
	}
}

// wrap folds text at width on spaces.
func wrap(s string, width int) string {
	var b strings.Builder
	col := 0
	for i, w := range strings.Fields(s) {
		if i > 0 {
			if col+1+len(w) > width {
				b.WriteByte('\n')
				col = 0
			} else {
				b.WriteByte(' ')
				col++
			}
		}
		b.WriteString(w)
		col += len(w)
	}
	return b.String()
}
