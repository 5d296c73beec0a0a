package report

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/fixpolicy/fixpolicy/rewrite"
)

// facts are those of the command's tests (--role-id AROAEXAMPLEROLEID0001
// --account-id 012345678901).
var facts = rewrite.Facts{AccountID: "012345678901", RoleID: "AROAEXAMPLEROLEID0001", RoleName: "AWSBackupDefaultServiceRole"}

// fixture reads a policy of fixtures/, by directory name or path.
func fixture(t testing.TB, name string) []byte {
	t.Helper()
	p := filepath.Join("..", "..", "fixtures", name)
	if !strings.HasSuffix(name, ".json") {
		p = filepath.Join(p, "policy.json")
	}
	src, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	return src
}

// fileReport is the report of policy file target with source src, as the
// command makes it: from the Result, or from the error.
func fileReport(t testing.TB, target string, src []byte) *Report {
	t.Helper()
	res, err := rewrite.Fix(src, rewrite.Options{Facts: facts})
	var r *Report
	if err != nil {
		r = ErrorReport(target, err)
	} else {
		r = FromResult(target, res, target)
	}
	r.File = target
	return r
}

// bigPolicy blocks AWS Backup, and its patch would exceed S3's 20 KB limit
// (the split statement repeats the long endpoint list), so it is refused.
func bigPolicy() []byte {
	ids := make([]string, 400)
	for i := range ids {
		ids[i] = fmt.Sprintf("%q", fmt.Sprintf("vpce-%017x", i))
	}
	return []byte(`{
  "Version": "2012-10-17",
  "Statement": [
    {
      "Sid": "DenyOutsideVpce",
      "Effect": "Deny",
      "Principal": "*",
      "Action": "s3:*",
      "Resource": ["arn:aws:s3:::big-bucket", "arn:aws:s3:::big-bucket/*"],
      "Condition": {"StringNotEquals": {"aws:SourceVpce": [` + strings.Join(ids, ", ") + `]}}
    }
  ]
}
`)
}

// checkReports are the reports of `fixpolicy --policy-file 'policies/*.json'
// --check` in fixtures/formats/README.md, in the glob's order.
func checkReports(t testing.TB) []*Report {
	var out []*Report
	for _, c := range []struct{ target, src string }{
		{"policies/bad-duplicate-sid.json", "bad/duplicate-sid.json"},
		{"policies/seed000-vpce-only.json", "seed000-vpce-only"},
		{"policies/source-vpc.json", "source-vpc"},
		{"policies/stale-role-id.json", "stale-role-id"},
		{"policies/tls-only.json", "tls-only"},
	} {
		out = append(out, fileReport(t, c.target, fixture(t, c.src)))
	}
	return out
}

// TestGolden: the renderers give fixtures/formats byte for byte (the
// command's TestFormatsGolden checks the same files end to end).
func TestGolden(t *testing.T) {
	for _, tc := range []struct {
		format, golden string
	}{
		{"sarif", "check.sarif"},
		{"markdown", "check.md"},
		{"github", "check.github.txt"},
	} {
		t.Run(tc.format, func(t *testing.T) {
			var b bytes.Buffer
			p := &Printer{W: &b, ErrW: &b, Format: tc.format, Version: "dev"}
			for _, r := range checkReports(t) {
				p.Print(r)
			}
			if b.Len() != 0 {
				t.Errorf("%s printed before Finish: %q", tc.format, b.String())
			}
			if err := p.Finish(); err != nil {
				t.Fatal(err)
			}
			want, err := os.ReadFile(filepath.Join("..", "..", "fixtures", "formats", tc.golden))
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(b.Bytes(), want) {
				t.Errorf("differs from fixtures/formats/%s:\n--- want\n%s\n--- got\n%s", tc.golden, want, b.String())
			}
		})
	}
}

// TestPrinterText: the text format, report by report: errors go to ErrW
// (naming the target unless the error does), compliant targets get one
// line and their notes, others their explanations, notes, refusal, access
// changes and diff.
func TestPrinterText(t *testing.T) {
	seed := fileReport(t, "seed.json", fixture(t, "seed000-vpce-only"))
	stale := fileReport(t, "stale.json", fixture(t, "stale-role-id"))
	compliant := fileReport(t, "tls.json", fixture(t, "tls-only"))
	refused := fileReport(t, "big.json", bigPolicy())
	bad := fileReport(t, "bad.json", fixture(t, "bad/duplicate-sid.json"))
	gaveUp := ErrorReport("s3://b", fmt.Errorf("gave up after 1s (--timeout): the analysis of s3://b did not finish; nothing was written"))
	gaveUp.SelfNamed = true
	for _, tc := range []struct {
		name      string
		r         *Report
		color     bool
		out, errs []string // substrings, in order
	}{
		{"needs change", seed, false, []string{"seed.json (bucket mtzml-20231208): needs-change\n\nstatement 1 (Sid \"Statement1\") denies everyone", "\nAccess changes (proved over ", "\n--- seed.json\n+++ seed.json (patched)\n"}, nil},
		{"colour", seed, true, []string{"\x1b["}, nil},
		{"stale", stale, false, []string{"needs-change\n", "\nnote: statement 1 (Sid \"DenyOutsideVpce\") exempts RoleId AROAOLDBACKUPROLE0001"}, nil},
		{"compliant", compliant, false, []string{"tls.json (bucket data-lake-prod): compliant: nothing in the policy blocks AWS Backup.\n"}, nil},
		{"refused", refused, false, []string{"big.json (bucket big-bucket): refused\n", "\nrefused: the patched policy would be"}, nil},
		{"error", bad, false, nil, []string{"fixpolicy: bad.json: line 19: statement 2 (Sid \"S1\"): Sid \"S1\" is already used by statement 1; Sids must be unique\n"}},
		{"self-named error", gaveUp, false, nil, []string{"fixpolicy: gave up after 1s"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var out, errs bytes.Buffer
			p := &Printer{W: &out, ErrW: &errs, Format: "text", Color: tc.color}
			p.Print(tc.r)
			for _, c := range []struct {
				got  string
				want []string
			}{{out.String(), tc.out}, {errs.String(), tc.errs}} {
				rest := c.got
				for _, w := range c.want {
					i := strings.Index(rest, w)
					if i < 0 {
						t.Errorf("%q missing (or out of order) in:\n%s", w, c.got)
						break
					}
					rest = rest[i+len(w):]
				}
				if len(c.want) == 0 && c.got != "" {
					t.Errorf("unexpected output:\n%s", c.got)
				}
			}
			if !tc.color && strings.Contains(out.String(), "\x1b[") {
				t.Errorf("coloured without Color")
			}
		})
	}

	// Several targets: a blank line before each but the first (an error
	// goes to ErrW, after its blank line, and does not count as first),
	// and the summary table.
	var out, errs bytes.Buffer
	p := &Printer{W: &out, ErrW: &errs, Format: "text"}
	for _, r := range []*Report{compliant, bad, compliant} {
		p.Print(r)
	}
	p.Summary()
	line := "tls.json (bucket data-lake-prod): compliant: nothing in the policy blocks AWS Backup.\n"
	if want := line + "\n\n" + line + "\nSummary (3 buckets):\n  compliant          2\n  needs change       0\n  patched            0\n  refused            0\n  errors             1\n  error bad.json: " + bad.Error + "\n"; out.String() != want {
		t.Errorf("got:\n%s\nwant:\n%s", out.String(), want)
	}
}

// TestPrinterJSON: one JSON object per report, with the fields -o json
// promises and none of the renderers' own.
func TestPrinterJSON(t *testing.T) {
	var out bytes.Buffer
	p := &Printer{W: &out, Format: "json"}
	seed := fileReport(t, "seed.json", fixture(t, "seed000-vpce-only"))
	seed.ExitCode, seed.SelfNamed = 2, true
	p.Print(seed)
	p.Print(fileReport(t, "bad.json", fixture(t, "bad/duplicate-sid.json")))
	lines := strings.Split(strings.TrimSuffix(out.String(), "\n"), "\n")
	if len(lines) != 2 {
		t.Fatalf("%d lines:\n%s", len(lines), out.String())
	}
	var got map[string]any
	if err := json.Unmarshal([]byte(lines[0]), &got); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"target", "bucket", "status", "policy_before", "policy_after", "changes", "explanations", "access_changes", "proof", "diff"} {
		if _, ok := got[k]; !ok {
			t.Errorf("no %q in %s", k, lines[0])
		}
	}
	for _, k := range []string{"Findings", "Err", "File", "FileAbs", "SelfNamed", "ExitCode"} {
		if _, ok := got[k]; ok {
			t.Errorf("%q in %s", k, lines[0])
		}
	}
	ch := got["changes"].([]any)[0].(map[string]any)
	if ch["statement"] != 0.0 || ch["sid"] != "Statement1" || ch["kind"] != rewrite.KindExempt || ch["line"] != 4.0 {
		t.Errorf("change %v", ch)
	}
	if !strings.Contains(lines[1], `"status":"error","changes":[],"access_changes":[],"diff":"","error":"line 19: statement 2 (Sid \"S1\"): Sid \"S1\" is already used`) {
		t.Errorf("error report %s", lines[1])
	}
}

func TestWrap(t *testing.T) {
	for _, tc := range []struct {
		in    string
		width int
		want  string
	}{
		{"a b c", 3, "a b\nc"},
		{"  a   b  ", 10, "a b"},
		{"longword x", 4, "longword\nx"},
		{"", 5, ""},
	} {
		if got := wrap(tc.in, tc.width); got != tc.want {
			t.Errorf("wrap(%q, %d) = %q, want %q", tc.in, tc.width, got, tc.want)
		}
	}
}

// TestPrinterWarnings: Fix's warnings are printed under the report's first
// line in text, and carried in JSON.
func TestPrinterWarnings(t *testing.T) {
	src := []byte(`{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Principal":"*","Action":["s3:GetObjekt"],"Resource":"arn:aws:s3:::b/*"}]}`)
	r := fileReport(t, "p.json", src)
	for _, format := range []string{"text", "json"} {
		var out bytes.Buffer
		p := &Printer{W: &out, ErrW: &out, Format: format}
		p.Print(r)
		want := "warning: statement 1 names s3:GetObjekt in its Action"
		if format == "json" {
			want = `"warnings":["statement 1 names s3:GetObjekt in its Action`
		}
		if !strings.Contains(out.String(), want) {
			t.Errorf("%s: no warning in\n%s", format, out.String())
		}
	}
}

// TestReadableDiff: a live bucket's policy comes back from S3 on one line;
// its diff is taken between pretty-printed renderings, so the change reads
// as the lines it touches (issue 13, item 23). A multi-line policy keeps
// its own lines.
func TestReadableDiff(t *testing.T) {
	before := []byte(`{"Version":"2012-10-17","Statement":[{"Sid":"Vpce","Effect":"Deny","Principal":"*","Action":"s3:*","Resource":["arn:aws:s3:::b","arn:aws:s3:::b/*"],"Condition":{"StringNotEquals":{"aws:SourceVpce":"vpce-1"}}}]}`)
	res, err := rewrite.Fix(before, rewrite.Options{Facts: facts, NoSplit: true})
	if err != nil || res.Status != rewrite.StatusNeedsChange {
		t.Fatalf("%v %v", err, res.Status)
	}
	d := ReadableDiff("b.policy.json", res.Before, res.After)
	if !strings.Contains(d, "--- b.policy.json (pretty-printed)") || !strings.Contains(d, `+          "aws:userid": "AROAEXAMPLEROLEID0001:*"`) {
		t.Fatalf("diff:\n%s", d)
	}
	for _, l := range strings.Split(d, "\n") {
		if len(l) > 120 {
			t.Errorf("a %d-character line: %.80s…", len(l), l)
		}
	}
	multi := fixture(t, "seed000-vpce-only")
	res, err = rewrite.Fix(multi, rewrite.Options{Facts: facts})
	if err != nil {
		t.Fatal(err)
	}
	if d := ReadableDiff("p.json", res.Before, res.After); strings.Contains(d, "pretty-printed") {
		t.Errorf("a multi-line policy was re-rendered:\n%s", d)
	}
}
