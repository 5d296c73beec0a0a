package report

import (
	"fmt"
	"io"
	"sort"
	"strconv"
	"strings"

	"github.com/fixpolicy/fixpolicy/rewrite"
)

// maxAnnotations is the most annotation commands written: GitHub shows 10
// errors and 10 warnings per step. When there are more findings, the last
// one is a notice that counts the rest.
const maxAnnotations = 10

// maxSummary keeps the job summary under GitHub's 1 MiB per step.
const maxSummary = 1<<20 - 4096

var levelRank = map[string]int{"error": 0, "warning": 1, "note": 2}

// WriteGitHub writes workflow-command annotations (errors first, at most
// maxAnnotations in all, one per blocking statement), notices of assumed
// organizations and a summary line. The job summary is StepSummary's.
func WriteGitHub(w io.Writer, reports []*Report) error {
	fs := mergeStatements(results(reports))
	sort.SliceStable(fs, func(i, j int) bool { return levelRank[fs[i].level] < levelRank[fs[j].level] })
	shown := fs
	if len(fs) > maxAnnotations {
		shown = fs[:maxAnnotations-1]
	}
	for _, f := range shown {
		if _, err := io.WriteString(w, annotation(f)); err != nil {
			return err
		}
	}
	if rest := len(fs) - len(shown); rest > 0 {
		msg := fmt.Sprintf("%d more findings are not shown as annotations (GitHub shows only the first few per step): "+
			"the job summary lists every one, and -o sarif reports them to code scanning.", rest)
		fmt.Fprintf(w, "::notice title=%s::%s\n", escapeProperty("fixpolicy: findings not annotated"), escapeData(msg))
	}
	for _, r := range reports {
		if r.OrgNote == "" {
			continue
		}
		props := []string{}
		msg := r.OrgNote
		if f, abs := targetFile(r); f != "" {
			props = append(props, "file="+escapeProperty(displayPath(f, abs)))
		} else {
			msg = r.Target + ": " + msg
		}
		props = append(props, "title="+escapeProperty("fixpolicy: assumed organization "+r.OrgAssumed))
		fmt.Fprintf(w, "::notice %s::%s\n", strings.Join(props, ","), escapeData(msg))
	}
	_, err := fmt.Fprintf(w, "fixpolicy: %s\n", strings.ToLower(summaryLine(reports)[:1])+summaryLine(reports)[1:])
	return err
}

// mergeStatements folds the exemption and split findings of one statement
// into one annotation, whose message is the statement's explanation.
func mergeStatements(fs []result) []result {
	var out []result
	for _, f := range fs {
		if f.kind != rewrite.KindExempt && f.kind != rewrite.KindSplit {
			out = append(out, f)
			continue
		}
		if n := len(out); n > 0 {
			prev := &out[n-1]
			if prev.r == f.r && prev.stmt == f.stmt && prev.level == f.level &&
				(prev.kind == rewrite.KindExempt || prev.kind == rewrite.KindSplit || prev.kind == "merged") {
				prev.kind = "merged"
				prev.title = f.label + " blocks AWS Backup and the console's reads"
				if p := paragraph(f.r, f.para); p != "" {
					prev.message = capitalize(p) + "\n\n" + applyHint(f.r, f.file)
				}
				continue
			}
		}
		out = append(out, f)
	}
	return out
}

// StepSummary is the job summary to append to the file $GITHUB_STEP_SUMMARY
// names: the Markdown report, without patches if it is too large.
func StepSummary(reports []*Report) string {
	md := renderMarkdown(reports, true)
	if len(md) <= maxSummary {
		return md
	}
	md = renderMarkdown(reports, false)
	if len(md) <= maxSummary {
		return md
	}
	cut := strings.LastIndexByte(md[:maxSummary], '\n')
	return md[:cut+1] + "\n_The summary is cut here: it would exceed GitHub's 1 MiB limit. Use -o sarif or -o json for every finding._\n"
}

// annotation renders one finding as a workflow command.
func annotation(f result) string {
	cmd := map[string]string{"error": "error", "warning": "warning", "note": "notice"}[f.level]
	var props []string
	if f.file != "" {
		props = append(props, "file="+escapeProperty(displayPath(f.file, f.abs)))
		if f.reg.startLine >= 1 {
			props = append(props, "line="+strconv.Itoa(f.reg.startLine))
			switch {
			case f.reg.endLine > f.reg.startLine:
				props = append(props, "endLine="+strconv.Itoa(f.reg.endLine))
			case f.reg.startCol >= 1 && f.reg.endCol > f.reg.startCol:
				props = append(props, "col="+strconv.Itoa(f.reg.startCol), "endColumn="+strconv.Itoa(f.reg.endCol))
			}
		}
	}
	title := "fixpolicy: " + f.title
	msg := f.message
	if f.file == "" {
		title = "fixpolicy: " + f.r.Target + ": " + f.title
		msg = f.r.Target + ": " + msg
	}
	props = append(props, "title="+escapeProperty(title))
	return "::" + cmd + " " + strings.Join(props, ",") + "::" + escapeData(msg) + "\n"
}

// escapeData escapes a workflow command's message (actions/toolkit
// command.ts escapeData).
func escapeData(s string) string {
	return strings.NewReplacer("%", "%25", "\r", "%0D", "\n", "%0A").Replace(s)
}

// escapeProperty escapes a workflow command's property value
// (actions/toolkit command.ts escapeProperty).
func escapeProperty(s string) string {
	return strings.NewReplacer("%", "%25", "\r", "%0D", "\n", "%0A", ":", "%3A", ",", "%2C").Replace(s)
}
