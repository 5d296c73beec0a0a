package report

import (
	"fmt"
	"io"
	"strings"

	"github.com/fixpolicy/fixpolicy/rewrite"
)

var statusBadge = map[string]string{
	StatusCompliant:   "✅ compliant",
	StatusNeedsChange: "❌ needs change",
	StatusPatched:     "🔧 patched",
	StatusRefused:     "⛔ refused",
	StatusError:       "⚠️ error",
}

func badge(status string) string {
	if b, ok := statusBadge[status]; ok {
		return b
	}
	return status
}

// WriteMarkdown writes a pull-request comment: a summary table, then for
// each target that needs attention its explanations, access changes and
// patch; compliant targets get one line each.
func WriteMarkdown(w io.Writer, reports []*Report) error {
	_, err := io.WriteString(w, renderMarkdown(reports, true))
	return err
}

// renderMarkdown is WriteMarkdown's text; without diffs, a line says how to
// see the patches.
func renderMarkdown(reports []*Report, withDiffs bool) string {
	var b strings.Builder
	b.WriteString("## fixpolicy: bucket policies and AWS Backup\n\n")
	b.WriteString(summaryLine(reports) + "\n\n")
	if len(reports) == 0 {
		return b.String()
	}
	b.WriteString("| Target | Status | Statements touched |\n| --- | --- | --- |\n")
	for _, r := range reports {
		fmt.Fprintf(&b, "| %s | %s | %s |\n", tableCell(targetName(r)), badge(r.Status), tableCell(touched(r)))
	}
	for _, r := range reports {
		b.WriteString("\n")
		if r.Status == StatusCompliant && len(r.Changes) == 0 {
			fmt.Fprintf(&b, "%s: ✅ compliant, nothing in the policy blocks AWS Backup.\n", targetName(r))
			if r.OrgNote != "" {
				fmt.Fprintf(&b, "\n%s\n", orgNoteMarkdown(r))
			}
			continue
		}
		var t strings.Builder
		writeTargetMarkdown(&t, r, withDiffs)
		b.WriteString(strings.TrimRight(t.String(), "\n") + "\n")
	}
	return b.String()
}

// summaryLine counts the targets by status, in words.
func summaryLine(reports []*Report) string {
	if len(reports) == 0 {
		return "No policy was checked."
	}
	n := map[string]int{}
	for _, r := range reports {
		n[r.Status]++
	}
	var parts []string
	add := func(status, one, many string) {
		switch c := n[status]; {
		case c == 1:
			parts = append(parts, "1 "+one)
		case c > 1:
			parts = append(parts, fmt.Sprintf("%d %s", c, many))
		}
	}
	add(StatusNeedsChange, "needs a change", "need a change")
	add(StatusPatched, "patched", "patched")
	add(StatusRefused, "cannot be patched safely", "cannot be patched safely")
	add(StatusError, "could not be checked", "could not be checked")
	add(StatusCompliant, "compliant", "compliant")
	what := "policies"
	if len(reports) == 1 {
		what = "policy"
	}
	return fmt.Sprintf("Checked %d %s: %s.", len(reports), what, strings.Join(parts, ", "))
}

// targetName is the target as inline code, with its bucket when the target
// is a file.
func targetName(r *Report) string {
	s := mdCode(r.Target)
	if r.Bucket != "" && "s3://"+r.Bucket != r.Target && r.Bucket != r.Target {
		s += " (bucket " + mdCode(r.Bucket) + ")"
	}
	return s
}

// touched lists the statements the changes name.
func touched(r *Report) string {
	var parts []string
	seen := map[int]bool{}
	for _, c := range r.Findings {
		if c.Statement < 0 || seen[c.Statement] {
			continue
		}
		seen[c.Statement] = true
		s := fmt.Sprintf("%d", c.Statement+1)
		if c.Sid != "" {
			s += " " + mdCode(c.Sid)
		}
		if c.Line > 0 {
			s += fmt.Sprintf(" (line %d)", c.Line)
		}
		parts = append(parts, s)
	}
	if len(parts) == 0 {
		return "—"
	}
	return strings.Join(parts, ", ")
}

func writeTargetMarkdown(b *strings.Builder, r *Report, withDiffs bool) {
	fmt.Fprintf(b, "### %s: %s\n\n", targetName(r), badge(r.Status))
	// A paragraph about a statement with findings opens with the
	// statement's label, in bold, and its line.
	about := map[int]*rewrite.Finding{}
	for i := range r.Findings {
		if f := &r.Findings[i]; f.Statement >= 0 && f.Paragraph >= 0 && about[f.Paragraph] == nil {
			about[f.Paragraph] = f
		}
	}
	for i, p := range r.Explanations {
		head, rest := "", p
		if f := about[i]; f != nil {
			if after, ok := strings.CutPrefix(p, f.Label+" "); ok {
				head, rest = "**"+mdText(capitalize(f.Label))+"**", after
				if f.Line > 0 {
					head += fmt.Sprintf(" (line %d)", f.Line)
				}
			}
		}
		if head != "" {
			fmt.Fprintf(b, "%s %s\n\n", head, mdText(rest))
		} else {
			fmt.Fprintf(b, "%s\n\n", mdText(capitalize(p)))
		}
	}
	for _, f := range r.Findings {
		if f.Kind == rewrite.KindStale {
			fmt.Fprintf(b, "> **Stale RoleId:** %s\n\n", mdText(sentence(f.Explanation)))
		}
	}
	if r.OrgNote != "" {
		fmt.Fprintf(b, "%s\n\n", orgNoteMarkdown(r))
	}
	switch r.Status {
	case StatusRefused:
		fmt.Fprintf(b, "**Refused:** %s\n\n", mdText(sentence(r.Error)))
	case StatusError:
		fmt.Fprintf(b, "**Error:** %s\n\n", mdText(sentence(r.Error)))
	}
	if len(r.AccessChanges) > 0 {
		b.WriteString("**Access changes**")
		if r.Proof != nil && r.Proof.Requests > 0 {
			fmt.Fprintf(b, " (proved over %d request classes)", r.Proof.Requests)
		}
		b.WriteString(":\n\n")
		for _, a := range r.AccessChanges {
			fmt.Fprintf(b, "- %s\n", mdText(a))
		}
		b.WriteString("\n")
	}
	if r.Diff != "" && r.Status != StatusRefused {
		if withDiffs {
			fence := codeFence(r.Diff)
			add, del := diffStat(r.Diff)
			fmt.Fprintf(b, "<details>\n<summary>Patch (+%d −%d lines)</summary>\n\n%sdiff\n%s", add, del, fence, r.Diff)
			if !strings.HasSuffix(r.Diff, "\n") {
				b.WriteString("\n")
			}
			fmt.Fprintf(b, "%s\n\n</details>\n\n", fence)
		} else {
			b.WriteString("_Patch left out to keep this summary within GitHub's size limit: run `fixpolicy --dry-run` to see it._\n\n")
		}
	}
	if len(r.Steps) > 0 {
		b.WriteString("Steps:\n\n")
		for _, s := range r.Steps {
			fmt.Fprintf(b, "- %s\n", mdText(s))
		}
		b.WriteString("\n")
	}
}

// orgNoteMarkdown is the note that an organization was assumed.
func orgNoteMarkdown(r *Report) string {
	return "> **Note:** " + mdText(r.OrgNote)
}

// diffStat counts added and removed lines of a unified diff.
func diffStat(d string) (add, del int) {
	for _, l := range strings.Split(d, "\n") {
		switch {
		case strings.HasPrefix(l, "+++"), strings.HasPrefix(l, "---"):
		case strings.HasPrefix(l, "+"):
			add++
		case strings.HasPrefix(l, "-"):
			del++
		}
	}
	return add, del
}

// longestRun is the longest run of c in s.
func longestRun(s string, c byte) int {
	best, n := 0, 0
	for i := 0; i < len(s); i++ {
		if s[i] == c {
			n++
			best = max(best, n)
		} else {
			n = 0
		}
	}
	return best
}

// codeFence is a backtick fence longer than any run of backticks in s, so
// that s cannot close it.
func codeFence(s string) string {
	return strings.Repeat("`", max(3, longestRun(s, '`')+1))
}

// mdCode renders s as an inline code span, whatever backticks it holds.
func mdCode(s string) string {
	s = strings.NewReplacer("\r\n", " ", "\n", " ", "\r", " ").Replace(s)
	ticks := strings.Repeat("`", longestRun(s, '`')+1)
	if strings.HasPrefix(s, "`") || strings.HasSuffix(s, "`") {
		s = " " + s + " "
	}
	return ticks + s + ticks
}

// tableCell escapes a pipe, which ends a table cell even in a code span.
func tableCell(s string) string { return strings.ReplaceAll(s, "|", `\|`) }

var mdEscaper = strings.NewReplacer(
	`\`, `\\`, "`", "\\`", "*", `\*`, "_", `\_`, "[", `\[`, "]", `\]`,
	"<", `\<`, ">", `\>`, "|", `\|`, "~", `\~`, "&", `\&`,
	"\r\n", " ", "\n", " ", "\r", " ",
)

// mdText escapes prose so that GitHub renders it literally.
func mdText(s string) string { return mdEscaper.Replace(s) }
