package doctor

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"strings"
)

// Print writes the plan (and, once applied, each step's outcome) to w: one
// JSON object on one line for format "json", else text in the spirit of
// terraform plan: a numbered step per change with its API calls, notes and
// diff, then the steps left to do by hand.
func (p *Plan) Print(w io.Writer, format string) error {
	if format == "json" {
		enc := json.NewEncoder(w)
		enc.SetEscapeHTML(false)
		return enc.Encode(p)
	}
	var b strings.Builder
	fmt.Fprintf(&b, "s3://%s\n", p.Bucket)
	if p.Error != "" {
		fmt.Fprintf(&b, "  error: %s\n\n", p.Error)
		_, err := io.WriteString(w, b.String())
		return err
	}
	if len(p.Steps) == 0 {
		b.WriteString("  nothing to fix: no check failed\n")
	}
	n := 0
	for _, s := range p.Steps {
		label := "-"
		if s.Status != Manual && s.Status != Unchecked {
			n++
			label = fmt.Sprintf("%d.", n)
		}
		fmt.Fprintf(&b, "  %s %s [%s] %s\n", label, s.ID, s.Status, s.Action)
		if len(s.Outcome) > 0 {
			// Applied (or declined): the plan was shown before; say what happened.
			for _, o := range s.Outcome {
				fmt.Fprintf(&b, "       > %s\n", o)
			}
			continue
		}
		for _, c := range s.Calls {
			fmt.Fprintf(&b, "       call: %s\n", c)
		}
		for _, note := range s.Notes {
			fmt.Fprintf(&b, "       note: %s\n", note)
		}
		if s.Diff != "" {
			for _, line := range strings.Split(strings.TrimRight(s.Diff, "\n"), "\n") {
				fmt.Fprintf(&b, "       %s\n", line)
			}
		}
	}
	fmt.Fprintf(&b, "%d to change, %d done, %d failed, %d skipped, %d left to do by hand, %d could not be checked\n\n",
		p.count(Planned), p.count(Done), p.count(Failed), p.count(Skipped), p.count(Manual), p.count(Unchecked))
	_, err := io.WriteString(w, b.String())
	return err
}

// Prompter returns a confirm function that asks question on ask and reads
// the answer from in: only "y" or "yes" confirms.
func Prompter(in io.Reader, ask io.Writer) func(p *Plan) bool {
	rd := bufio.NewReader(in)
	return func(p *Plan) bool {
		fmt.Fprintf(ask, "Apply these %d changes to s3://%s? [y/N] ", p.count(Planned), p.Bucket)
		line, _ := rd.ReadString('\n')
		ans := strings.ToLower(strings.TrimSpace(line))
		return ans == "y" || ans == "yes"
	}
}
