package report

import (
	"bytes"
	"strings"
	"testing"
)

// seedReports are reports of three policy files and an invalid one.
func seedReports(t *testing.T) []*Report {
	t.Helper()
	var out []*Report
	for _, name := range []string{"seed000-vpce-only", "stale-role-id", "tls-only"} {
		out = append(out, fileReport(t, name+".json", fixture(t, name)))
	}
	return append(out, fileReport(t, "bad.json", []byte("{\n  \"Statement\": [\n    {},\n  ]\n}")))
}

func TestGitHubEscaping(t *testing.T) {
	in := "100% done\r\nnext: a, b"
	if got, want := escapeData(in), "100%25 done%0D%0Anext: a, b"; got != want {
		t.Errorf("escapeData = %q, want %q", got, want)
	}
	if got, want := escapeProperty(in), "100%25 done%0D%0Anext%3A a%2C b"; got != want {
		t.Errorf("escapeProperty = %q, want %q", got, want)
	}
	// %0A in the input must not turn into a newline.
	if got := escapeData("%0A"); got != "%250A" {
		t.Errorf("escapeData(%%0A) = %q", got)
	}
}

// TestAnnotation: a finding's location becomes the annotation's
// properties: a file and its lines, or columns on one line; targets that
// are not files are named in the title and message instead.
func TestAnnotation(t *testing.T) {
	bucket := &Report{Target: "s3://b"}
	file := &Report{Target: "p.json"}
	for _, tc := range []struct {
		name string
		f    result
		want string
	}{
		{"statement", result{r: file, file: "p.json", level: "error", reg: region{4, 9, 18, 10}, title: "t", message: "m\nn"},
			"::error file=p.json,line=4,endLine=18,title=fixpolicy%3A t::m%0An\n"},
		{"one line", result{r: file, file: "./a/../p.json", level: "warning", reg: region{1, 38, 1, 190}, title: "t", message: "m"},
			"::warning file=p.json,line=1,col=38,endColumn=190,title=fixpolicy%3A t::m\n"},
		{"absolute", result{r: file, file: "/x/../p.json", abs: true, level: "note", reg: region{startLine: 19}, title: "t", message: "m"},
			"::notice file=/x/../p.json,line=19,title=fixpolicy%3A t::m\n"},
		{"bucket", result{r: bucket, level: "error", reg: region{startLine: 1}, title: "t", message: "m"},
			"::error title=fixpolicy%3A s3%3A//b%3A t::s3://b: m\n"},
	} {
		if got := annotation(tc.f); got != tc.want {
			t.Errorf("%s:\n got %q\nwant %q", tc.name, got, tc.want)
		}
	}
}

// TestGitHubMergesStatements: the exemption and split findings of one
// statement make one annotation, whose message is the statement's
// paragraph.
func TestGitHubMergesStatements(t *testing.T) {
	r := fileReport(t, "seed.json", fixture(t, "seed000-vpce-only"))
	var b bytes.Buffer
	if err := WriteGitHub(&b, []*Report{r}); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSuffix(b.String(), "\n"), "\n")
	if len(lines) != 2 || !strings.HasPrefix(lines[0], `::error file=seed.json,line=4,endLine=18,title=fixpolicy%3A statement 1 (Sid "Statement1") blocks AWS Backup and the console's reads::Statement 1 (Sid "Statement1") denies everyone`) ||
		lines[1] != "fixpolicy: checked 1 policy: 1 needs a change." {
		t.Errorf("got:\n%s", b.String())
	}
}

func TestStepSummaryLimit(t *testing.T) {
	reports := seedReports(t)
	reports[0].Diff = strings.Repeat("+ a long line of a very large patch\n", 40000)
	md := StepSummary(reports)
	if len(md) > maxSummary || !strings.Contains(md, "Patch left out") || strings.Contains(md, "```diff") {
		t.Errorf("summary of %d bytes, patches kept: %v", len(md), strings.Contains(md, "```diff"))
	}
	if !strings.Contains(md, "| `seed000-vpce-only.json` (bucket `mtzml-20231208`) | ❌ needs change |") {
		t.Errorf("the table is missing:\n%s", md[:min(len(md), 2000)])
	}
	// Small enough: the whole Markdown report.
	small := seedReports(t)
	var whole bytes.Buffer
	WriteMarkdown(&whole, small)
	if StepSummary(small) != whole.String() {
		t.Errorf("a small summary is not the Markdown report")
	}
}
