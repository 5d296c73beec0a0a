package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/fixpolicy/fixpolicy/awsapi/fleet"
	"github.com/fixpolicy/fixpolicy/rewrite"
	rep "github.com/fixpolicy/fixpolicy/rewrite/report"
)

// End-to-end tests of -o sarif, markdown and github: the renderers
// themselves are tested in rewrite/report.

// The policies the format tests check together; they share defaultArgs.
var formatPolicies = map[string]string{
	"policies/seed000-vpce-only.json":    "../../fixtures/seed000-vpce-only/policy.json",
	"policies/source-vpc.json":           "../../fixtures/source-vpc/policy.json",
	"policies/stale-role-id.json":        "../../fixtures/stale-role-id/policy.json",
	"policies/tls-only.json":             "../../fixtures/tls-only/policy.json",
	"policies/bad-duplicate-sid.json":    "../../fixtures/bad/duplicate-sid.json",
	"compliant/tls-only.json":            "../../fixtures/tls-only/policy.json",
	"compliant/seed000-fixed.json":       "../../fixtures/seed000-fixed/policy.json",
	"change/seed000-vpce-only.json":      "../../fixtures/seed000-vpce-only/policy.json",
	"change/source-vpc.json":             "../../fixtures/source-vpc/policy.json",
	"bad/bad-duplicate-sid.json":         "../../fixtures/bad/duplicate-sid.json",
	"bad/seed000-vpce-only.json":         "../../fixtures/seed000-vpce-only/policy.json",
	"bad/trailing-comma.json":            "../../fixtures/bad/trailing-comma.json",
	"refused/big.json":                   "", // generated: see bigPolicy
	"refused-change/big.json":            "",
	"refused-change/source-vpc.json":     "../../fixtures/source-vpc/policy.json",
	"refused-bad/big.json":               "",
	"refused-bad/bad-duplicate-sid.json": "../../fixtures/bad/duplicate-sid.json",
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

// formatsDir sets up a temporary directory with the policies above, changes
// into it, and returns the absolute path of fixtures/formats.
func formatsDir(t *testing.T) string {
	t.Helper()
	golden, err := filepath.Abs("../../fixtures/formats")
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	for dst, src := range formatPolicies {
		var b []byte
		if src == "" {
			b = bigPolicy()
		} else if b, err = os.ReadFile(src); err != nil {
			t.Fatal(err)
		}
		p := filepath.Join(dir, dst)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	t.Chdir(dir)
	return golden
}

func formatArgs(format string, extra ...string) []string {
	return append(append(extra, "-o", format), strings.Fields(defaultArgs)...)
}

// TestFormatsGolden checks -o sarif, markdown and github for several files
// at once (a glob: two policies that need a change, one with a stale RoleId,
// a compliant one and an invalid one) against fixtures/formats.
func TestFormatsGolden(t *testing.T) {
	golden := formatsDir(t)
	for format, name := range map[string]string{"sarif": "check.sarif", "markdown": "check.md", "github": "check.github.txt"} {
		t.Run(format, func(t *testing.T) {
			out, stderr, code := runCLI(t, "", formatArgs(format, "--policy-file", "policies/*.json", "--check")...)
			if code != exitError {
				t.Errorf("exit %d, want 1 (one target is an error, which is worse than the changes)", code)
			}
			if stderr != "" {
				t.Errorf("stderr: %s", stderr)
			}
			checkGolden(t, filepath.Join(golden, name), []byte(out))
		})
	}
}

// TestFormatsExitCodes: the formats do not change the exit codes: --check
// exits 2 when a change is needed, 3 when refused, 1 for an error target,
// and the worst wins; --dry-run exits 0.
func TestFormatsExitCodes(t *testing.T) {
	formatsDir(t)
	cases := []struct {
		glob, mode string
		want       int
	}{
		{"compliant/*.json", "--check", exitOK},
		{"change/*.json", "--check", exitChanges},
		{"change/*.json", "--dry-run", exitOK},
		{"bad/*.json", "--check", exitError},
		{"bad/*.json", "--dry-run", exitError},
		{"refused/*.json", "--check", exitRefused},
		{"refused-change/*.json", "--check", exitRefused},
		{"refused-bad/*", "--check", exitError},
	}
	for _, format := range []string{"sarif", "markdown", "github"} {
		for _, c := range cases {
			t.Run(format+"/"+c.glob+c.mode, func(t *testing.T) {
				out, stderr, code := runCLI(t, "", formatArgs(format, "--policy-file", c.glob, c.mode)...)
				if code != c.want {
					t.Errorf("exit %d, want %d; stderr: %s", code, c.want, stderr)
				}
				if stderr != "" {
					t.Errorf("stderr: %s", stderr)
				}
				if out == "" {
					t.Errorf("no output")
				}
				if format == "sarif" && !json.Valid([]byte(out)) {
					t.Errorf("invalid JSON")
				}
			})
		}
	}
}

// TestGitHubAnnotationEscapingEndToEnd runs -o github on a file whose name
// holds ',', ':' and '%'.
func TestGitHubAnnotationEscapingEndToEnd(t *testing.T) {
	dir := t.TempDir()
	src, _ := os.ReadFile("../../fixtures/stale-role-id/policy.json")
	name := "odd, name: 100%.json"
	os.WriteFile(filepath.Join(dir, name), src, 0o644)
	t.Chdir(dir)
	// A glob, since urfave/cli splits a --policy-file value at commas.
	out, stderr, code := runCLI(t, "", formatArgs("github", "--policy-file", "odd*.json", "--check")...)
	if code != exitChanges || stderr != "" {
		t.Fatalf("exit %d, stderr %q", code, stderr)
	}
	lines := strings.Split(strings.TrimSuffix(out, "\n"), "\n")
	if len(lines) != 3 {
		t.Fatalf("want 2 annotations and a summary line, got:\n%s", out)
	}
	for _, l := range lines[:2] {
		if !strings.HasPrefix(l, "::error file=odd%2C name%3A 100%25.json,line=4,endLine=21,title=fixpolicy%3A statement 1 (Sid \"DenyOutsideVpce\") ") &&
			!strings.HasPrefix(l, "::warning file=odd%2C name%3A 100%25.json,line=4,endLine=21,title=fixpolicy%3A statement 1 (Sid \"DenyOutsideVpce\") exempts a stale") {
			t.Errorf("annotation: %s", l)
		}
		_, msg, ok := strings.Cut(l[2:], "::")
		if !ok || !strings.Contains(msg, "%0A%0A") || strings.ContainsAny(msg, "\r\n") {
			t.Errorf("message not escaped: %q", msg)
		}
	}
	if lines[0][:7] != "::error" || lines[1][:9] != "::warning" {
		t.Errorf("errors come before warnings:\n%s", out)
	}
}

func countAnnotations(out string) (errs, warns, notices int) {
	for _, l := range strings.Split(out, "\n") {
		switch {
		case strings.HasPrefix(l, "::error "):
			errs++
		case strings.HasPrefix(l, "::warning "):
			warns++
		case strings.HasPrefix(l, "::notice "):
			notices++
		}
	}
	return
}

// TestGitHubAnnotationCap: at most 10 annotations in all; beyond that, 9
// findings (errors first) and a notice counting the rest.
func TestGitHubAnnotationCap(t *testing.T) {
	dir := t.TempDir()
	seed, _ := os.ReadFile("../../fixtures/seed000-vpce-only/policy.json")
	stale, _ := os.ReadFile("../../fixtures/stale-role-id/policy.json")
	for i := range 12 {
		os.WriteFile(filepath.Join(dir, fmt.Sprintf("p%02d.json", i)), seed, 0o644)
	}
	os.WriteFile(filepath.Join(dir, "a-stale.json"), stale, 0o644)
	t.Chdir(dir)
	for _, c := range []struct {
		glob                   string
		errs, warns, notices   int
		omittedMentioned       string
		wantErrorsBeforeNotice bool
	}{
		{"p0[0-8].json", 9, 0, 0, "", false}, // 9 findings
		{"p0*.json", 10, 0, 0, "", false},    // 10: all shown, no notice
		{"p0*.json p10.json", 9, 0, 1, "2 more", true},
		{"*.json", 9, 0, 1, "5 more", true}, // 12 + the stale file's error and warning = 14
	} {
		var args []string
		for _, g := range strings.Fields(c.glob) {
			args = append(args, "--policy-file", g)
		}
		out, _, code := runCLI(t, "", formatArgs("github", append(args, "--check")...)...)
		if code != exitChanges {
			t.Errorf("%s: exit %d", c.glob, code)
		}
		e, w, n := countAnnotations(out)
		if e != c.errs || w != c.warns || n != c.notices || e+w+n > 10 {
			t.Errorf("%s: %d errors, %d warnings, %d notices; want %d, %d, %d:\n%s", c.glob, e, w, n, c.errs, c.warns, c.notices, out)
		}
		if c.omittedMentioned != "" && !strings.Contains(out, "::notice title=fixpolicy%3A findings not annotated::"+c.omittedMentioned) {
			t.Errorf("%s: the notice does not say %q:\n%s", c.glob, c.omittedMentioned, out)
		}
	}
}

func seedReports(t *testing.T) []*report {
	t.Helper()
	var out []*report
	for _, name := range []string{"seed000-vpce-only", "stale-role-id", "tls-only"} {
		p := "../../fixtures/" + name + "/policy.json"
		src, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		res, err := rewrite.Fix(src, rewrite.Options{Facts: rewrite.Facts{AccountID: "012345678901", RoleID: "AROAEXAMPLEROLEID0001", RoleName: "AWSBackupDefaultServiceRole"}})
		if err != nil {
			t.Fatal(err)
		}
		r := fleet.FromResult(name+".json", res, name+".json", false)
		r.File = name + ".json"
		out = append(out, r)
	}
	_, err := rewrite.Parse([]byte("{\n  \"Statement\": [\n    {},\n  ]\n}"))
	return append(out, fleet.ErrorReport("bad.json", err))
}

// writeGitHub prints reports as fixpolicy does for -o github, with getenv
// as its environment.
func writeGitHub(w io.Writer, reports []*report, getenv func(string) string) error {
	pr := &printer{W: w, ErrW: w, Format: "github"}
	for _, r := range reports {
		pr.Print(r)
	}
	return finish(pr, getenv)
}

// TestGitHubStepSummary: the Markdown report is appended to the file named
// by $GITHUB_STEP_SUMMARY, created if need be, and not written when unset.
func TestGitHubStepSummary(t *testing.T) {
	reports := seedReports(t)
	dir := t.TempDir()
	summary := filepath.Join(dir, "step_summary")
	os.WriteFile(summary, []byte("earlier step\n"), 0o644)
	env := func(k string) string {
		if k == "GITHUB_STEP_SUMMARY" {
			return summary
		}
		return ""
	}
	var out bytes.Buffer
	if err := writeGitHub(&out, reports, env); err != nil {
		t.Fatal(err)
	}
	var md bytes.Buffer
	rep.WriteMarkdown(&md, reports)
	got, _ := os.ReadFile(summary)
	if want := "earlier step\n" + md.String(); string(got) != want {
		t.Errorf("summary file:\n%s\nwant:\n%s", got, want)
	}
	if strings.Contains(out.String(), "## fixpolicy") {
		t.Errorf("the summary went to stdout too")
	}
	writeGitHub(io.Discard, reports, env)
	if got, _ := os.ReadFile(summary); strings.Count(string(got), "## fixpolicy") != 2 {
		t.Errorf("a second run did not append")
	}

	// Created when missing.
	fresh := filepath.Join(dir, "new_summary")
	writeGitHub(io.Discard, reports, func(k string) string {
		if k == "GITHUB_STEP_SUMMARY" {
			return fresh
		}
		return ""
	})
	if got, _ := os.ReadFile(fresh); string(got) != md.String() {
		t.Errorf("new summary file: %q", got)
	}

	// Unset: nothing written anywhere; runCLI's environment is empty.
	t.Chdir(dir)
	before, _ := os.ReadDir(dir)
	if err := writeGitHub(io.Discard, reports, func(string) string { return "" }); err != nil {
		t.Fatal(err)
	}
	if after, _ := os.ReadDir(dir); len(after) != len(before) {
		t.Errorf("files were created with GITHUB_STEP_SUMMARY unset")
	}

	// Unwritable: a clear error.
	err := writeGitHub(io.Discard, reports, func(k string) string { return dir })
	if err == nil || !strings.Contains(err.Error(), "$GITHUB_STEP_SUMMARY") {
		t.Errorf("writing the summary to a directory: %v", err)
	}
}
