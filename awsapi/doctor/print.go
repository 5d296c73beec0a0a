package doctor

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"
)

// Print writes r to w: one JSON object on one line for format "json", else
// the text report (a line per check, its detail and fix indented below it,
// then the counts).
func (r *Report) Print(w io.Writer, format string) error {
	if format == "json" {
		enc := json.NewEncoder(w)
		enc.SetEscapeHTML(false)
		return enc.Encode(r)
	}
	var b strings.Builder
	fmt.Fprintf(&b, "s3://%s\n", r.Bucket)
	if r.Error != "" {
		fmt.Fprintf(&b, "  error: %s\n\n", r.Error)
		_, err := io.WriteString(w, b.String())
		return err
	}
	counts := map[string]int{}
	for _, c := range r.Checks {
		counts[c.Status]++
		label := map[string]string{Pass: "PASS", Fail: "FAIL", Warn: "WARN", Unsure: "????"}[c.Status]
		fmt.Fprintf(&b, "  %s  %-16s %s\n", label, c.ID, c.Title)
		fmt.Fprintf(&b, "        %s\n", c.Detail)
		if c.Fix != "" {
			for i, line := range strings.Split(c.Fix, "\n") {
				if i == 0 {
					fmt.Fprintf(&b, "        fix: %s\n", line)
				} else {
					fmt.Fprintf(&b, "             %s\n", line)
				}
			}
		}
	}
	fmt.Fprintf(&b, "%d passed, %d failed, %d warned, %d could not be checked\n\n", counts[Pass], counts[Fail], counts[Warn], counts[Unsure])
	_, err := io.WriteString(w, b.String())
	return err
}
