package report

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"

	"github.com/fixpolicy/fixpolicy/rewrite"
	"github.com/fixpolicy/fixpolicy/rewrite/udiff"
)

// Printer renders reports in one output format: text and JSON Lines as
// each report comes (Print), SARIF, Markdown and GitHub annotations for
// every report at once (Finish).
type Printer struct {
	W       io.Writer // the reports
	ErrW    io.Writer // errors of the text format
	Format  string    // text, json, sarif, markdown or github
	Color   bool      // colour the text format's diffs
	Version string    // the tool's version, for SARIF

	n   int
	all []*Report
}

// Print prints one report (text and JSON) or keeps it for Finish.
func (p *Printer) Print(r *Report) {
	p.n++
	p.all = append(p.all, r)
	switch p.Format {
	case "json":
		b, _ := json.Marshal(r)
		fmt.Fprintf(p.W, "%s\n", b)
	case "text":
		p.text(r)
	}
}

// Reports are the reports printed so far, in order.
func (p *Printer) Reports() []*Report { return p.all }

// Finish writes the formats that cover every target at once. The job
// summary of -o github is the caller's to append (StepSummary).
func (p *Printer) Finish() error {
	switch p.Format {
	case "sarif":
		return WriteSARIF(p.W, p.all, p.Version)
	case "markdown":
		return WriteMarkdown(p.W, p.all)
	case "github":
		return WriteGitHub(p.W, p.all)
	}
	return nil
}

func (p *Printer) text(r *Report) {
	if p.n > 1 {
		fmt.Fprintln(p.W)
	}
	name := r.Target
	if r.Bucket != "" && r.Bucket != r.Target && r.Target != "s3://"+r.Bucket {
		name += " (bucket " + r.Bucket + ")"
	}
	switch r.Status {
	case StatusError:
		if len(r.Steps) == 0 {
			if r.SelfNamed {
				fmt.Fprintf(p.ErrW, "fixpolicy: %s\n", r.Error)
			} else {
				fmt.Fprintf(p.ErrW, "fixpolicy: %s: %s\n", name, r.Error)
			}
			p.n--
			return
		}
	case StatusCompliant:
		fmt.Fprintf(p.W, "%s: compliant: nothing in the policy blocks AWS Backup.\n", name)
		p.warnings(r)
		for _, f := range r.Findings {
			fmt.Fprintf(p.W, "note: %s\n", f.Explanation)
		}
		if r.OrgNote != "" {
			fmt.Fprintf(p.W, "note: %s\n", r.OrgNote)
		}
		for _, e := range r.Explanations {
			fmt.Fprintf(p.W, "\n%s\n", wrap(e, 100))
		}
		return
	}
	fmt.Fprintf(p.W, "%s: %s\n", name, r.Status)
	p.warnings(r)
	for _, e := range r.Explanations {
		fmt.Fprintf(p.W, "\n%s\n", wrap(e, 100))
	}
	for _, f := range r.Findings {
		if f.Kind == rewrite.KindStale {
			fmt.Fprintf(p.W, "\nnote: %s\n", wrap(f.Explanation, 100))
		}
	}
	if r.OrgNote != "" {
		fmt.Fprintf(p.W, "\nnote: %s\n", wrap(r.OrgNote, 100))
	}
	if r.Status == StatusRefused {
		fmt.Fprintf(p.W, "\nrefused: %s\n", wrap(r.Error, 100))
		return
	}
	if len(r.AccessChanges) > 0 {
		fmt.Fprintf(p.W, "\nAccess changes (proved over %d request classes):\n", r.Proof.Requests)
		for _, a := range r.AccessChanges {
			fmt.Fprintf(p.W, "  - %s\n", a)
		}
	}
	if r.Diff != "" {
		d := r.Diff
		if p.Color {
			d = udiff.Colorize(d)
		}
		fmt.Fprintf(p.W, "\n%s", d)
	}
	for _, s := range r.Steps {
		fmt.Fprintf(p.W, "%s\n", s)
	}
}

// warnings prints the report's warnings, one paragraph each.
func (p *Printer) warnings(r *Report) {
	for _, w := range r.Warnings {
		fmt.Fprintf(p.W, "warning: %s\n", wrap(w, 100))
	}
}

// Steps prints the steps of a report already printed (text output), after a
// confirmation prompt.
func (p *Printer) Steps(r *Report) {
	if p.Format != "text" {
		return
	}
	for _, s := range r.Steps {
		fmt.Fprintf(p.W, "%s\n", s)
	}
}

// Summary prints a table of the targets' outcomes (text output, several buckets).
func (p *Printer) Summary() {
	counts := map[string]int{}
	var failed []*Report
	for _, r := range p.all {
		counts[r.Status]++
		if r.Status == StatusError || r.Status == StatusRefused {
			failed = append(failed, r)
		}
	}
	fmt.Fprintf(p.W, "\nSummary (%d buckets):\n", len(p.all))
	for _, row := range []struct{ label, status string }{
		{"compliant", StatusCompliant},
		{"needs change", StatusNeedsChange},
		{"patched", StatusPatched},
		{"refused", StatusRefused},
		{"errors", StatusError},
	} {
		fmt.Fprintf(p.W, "  %-13s %6d\n", row.label, counts[row.status])
	}
	for _, r := range failed {
		fmt.Fprintf(p.W, "  %s %s: %s\n", r.Status, r.Target, r.Error)
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
