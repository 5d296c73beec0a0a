package report

import (
	"bytes"
	"strings"
	"testing"
)

func TestMarkdownFenceAndEscaping(t *testing.T) {
	reports := seedReports(t)
	r := reports[0]
	r.Target = "odd|name`x.json"
	r.Diff = "--- a\n+++ b\n@@ -1 +1 @@\n-\"Sid\": \"x```y\"\n+\"Sid\": \"x````z\"\n"
	r.AccessChanges = []string{"a *b* _c_ <d> [e](f) | g"}
	var b bytes.Buffer
	WriteMarkdown(&b, reports)
	md := b.String()
	if !strings.Contains(md, "\n`````diff\n"+r.Diff+"`````\n") {
		t.Errorf("the diff is not fenced by a longer fence:\n%s", md)
	}
	if !strings.Contains(md, "| ``odd\\|name`x.json`` (bucket `mtzml-20231208`) |") {
		t.Errorf("table cell not escaped:\n%s", md)
	}
	if !strings.Contains(md, `- a \*b\* \_c\_ \<d\> \[e\](f) \| g`) {
		t.Errorf("access change not escaped:\n%s", md)
	}
	// A compliant target gets one line.
	var lines []string
	for _, l := range strings.Split(md, "\n") {
		if strings.Contains(l, "tls-only.json") {
			lines = append(lines, l)
		}
	}
	if len(lines) != 2 || !strings.HasPrefix(lines[1], "`tls-only.json` (bucket `data-lake-prod`): ✅ compliant") {
		t.Errorf("compliant target: %q", lines)
	}
	if strings.Contains(md, "\n\n\n") {
		t.Errorf("three newlines in a row:\n%s", md)
	}
	if !strings.Contains(md, "**Error:** invalid JSON: line 3, column 7 (at /Statement): trailing comma before '\\]'.") {
		t.Errorf("error not shown:\n%s", md)
	}
}

func TestMdCode(t *testing.T) {
	for in, want := range map[string]string{
		"a.json":  "`a.json`",
		"a`b":     "``a`b``",
		"`a":      "`` `a ``",
		"a``b`":   "``` a``b` ```",
		"two\nln": "`two ln`",
	} {
		if got := mdCode(in); got != want {
			t.Errorf("mdCode(%q) = %q, want %q", in, got, want)
		}
	}
}

// TestMarkdownStatements: each paragraph about a statement opens with the
// statement's label in bold and its line; the table lists the statements
// touched.
func TestMarkdownStatements(t *testing.T) {
	r := fileReport(t, "two.json", fixture(t, "two-blocking-statements"))
	var b bytes.Buffer
	WriteMarkdown(&b, []*Report{r})
	md := b.String()
	n := 0
	for _, f := range r.Findings {
		if f.Statement < 0 {
			continue
		}
		n++
		head := "**" + mdText(capitalize(f.Label)) + "** (line "
		if !strings.Contains(md, "\n\n"+head) {
			t.Errorf("no paragraph opens with %q:\n%s", head, md)
		}
	}
	if n < 2 || !strings.Contains(md, "| `two.json` (bucket ") || strings.Count(touched(r), "(line ") < 2 {
		t.Errorf("touched %q:\n%s", touched(r), md)
	}
}
