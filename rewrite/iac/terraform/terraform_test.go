package terraform_test

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/hashicorp/hcl/v2/hclwrite"

	"github.com/fixpolicy/fixpolicy/rewrite"
	"github.com/fixpolicy/fixpolicy/rewrite/iac"
	"github.com/fixpolicy/fixpolicy/rewrite/iac/terraform"
	"github.com/fixpolicy/fixpolicy/rewrite/jsonast"
	"github.com/fixpolicy/fixpolicy/rewrite/udiff"
)

var update = flag.Bool("update", false, "rewrite the golden files under fixtures/iac/terraform")

const (
	accountID = "012345678901"
	roleID    = "AROAEXAMPLEROLEID0001"
	roleName  = "AWSBackupDefaultServiceRole"
	roleARN   = "arn:aws:iam::012345678901:role/service-role/AWSBackupDefaultServiceRole"
)

// caseConfig is a fixture's optional case.json.
type caseConfig struct {
	LiteralRoleID bool   `json:"literal_role_id"`
	ExemptBy      string `json:"exempt_by"`
	NoSplit       bool   `json:"no_split"`
	// WantPolicies are JSON fixtures the patched policies must equal (by
	// document index) once symbols are substituted.
	WantPolicies map[int]string `json:"want_policies"`
	// Templates are the files file()/templatefile() lead to, by Follow path.
	Templates map[string]string `json:"templates"`
}

var rePlaceholder = regexp.MustCompile(iac.PlaceholderPrefix + `[0-9]+`)

// substitute replaces the placeholders of syms in s: the account, the
// partition and the backup role's references by the facts (as the caller
// does before the analysis), the others by {{Expr}} when mark is set.
func substitute(s string, syms []iac.Symbol, mark bool) string {
	return rePlaceholder.ReplaceAllStringFunc(s, func(p string) string {
		for _, y := range syms {
			if y.Placeholder != p {
				continue
			}
			switch {
			case y.Role == iac.RoleAccount:
				return accountID
			case y.Role == iac.RolePartition:
				return "aws"
			case y.Role == iac.RoleRoleID && y.RoleName == roleName:
				return roleID
			case y.Role == iac.RoleRoleARN && y.RoleName == roleName:
				return roleARN
			}
			if mark {
				q := jsonast.Quote(strings.ToValidUTF8(y.Expr, "?"))
				return "{{" + q[1:len(q)-1] + "}}"
			}
		}
		return p
	})
}

// backSubstitute writes the account (and partition) back as placeholders
// in a new value, as the caller does for the ops.
func backSubstitute(v *jsonast.Value, syms []iac.Symbol) {
	switch v.Kind {
	case jsonast.String:
		for _, y := range syms {
			switch y.Role {
			case iac.RoleAccount:
				v.Str = strings.ReplaceAll(v.Str, accountID, y.Placeholder)
			case iac.RolePartition:
				v.Str = strings.ReplaceAll(v.Str, "arn:aws:", "arn:"+y.Placeholder+":")
			}
		}
	case jsonast.Array:
		for _, e := range v.Elems {
			backSubstitute(e, syms)
		}
	case jsonast.Object:
		for _, m := range v.Members {
			backSubstitute(m.Value, syms)
		}
	}
}

// typedFix fixes a policy as the caller does, with typed stand-ins for the
// placeholders an IP operator compares (iac.TypedStandIns), and gives the
// result back with the placeholders.
func typedFix(in string, opt rewrite.Options) (*rewrite.Result, error) {
	typed, standIns := iac.TypedStandIns([]byte(in))
	p, err := rewrite.Parse(typed)
	if err != nil {
		return nil, err
	}
	r, err := rewrite.FixPolicy(p, typed, opt)
	if err != nil {
		return nil, err
	}
	after := string(r.After)
	for v, ph := range standIns {
		after = strings.ReplaceAll(after, v, ph)
	}
	r.Before, r.After = []byte(in), []byte(after)
	return r, nil
}

func options(cfg caseConfig, bucket string) rewrite.Options {
	return rewrite.Options{
		Facts:    rewrite.Facts{Bucket: bucket, AccountID: accountID, RoleID: roleID, RoleName: roleName, RoleARN: roleARN},
		ExemptBy: rewrite.ExemptBy(cfg.ExemptBy),
		NoSplit:  cfg.NoSplit,
	}
}

// fixed is the outcome of the whole loop on one file.
type fixed struct {
	out      []byte
	patched  []string // per document: the patched policy, compact, symbols substituted
	statuses []string
}

// fixFile runs the caller's loop: analyse and patch every Document, diff,
// edit, splice.
func fixFile(t *testing.T, name string, src []byte, docs []iac.Document, cfg caseConfig) fixed {
	t.Helper()
	var res fixed
	var sp []iac.Splice
	for _, d := range docs {
		if d.Unsupported != "" || d.Follow != "" {
			res.patched = append(res.patched, "")
			res.statuses = append(res.statuses, map[bool]string{true: "follow", false: "unsupported"}[d.Follow != ""])
			continue
		}
		in := substitute(string(d.Policy), d.Symbols, false)
		r, err := typedFix(in, options(cfg, d.Bucket))
		if err != nil {
			t.Fatalf("%s: %v", d.Target(), err)
		}
		res.statuses = append(res.statuses, r.Status)
		res.patched = append(res.patched, compact(t, substitute(string(r.After), d.Symbols, true)))
		if !r.Changed() {
			continue
		}
		before, err1 := jsonast.Parse(r.Before)
		after, err2 := jsonast.Parse(r.After)
		if err1 != nil || err2 != nil {
			t.Fatal(err1, err2)
		}
		ops := iac.Diff(before, after)
		for _, op := range ops {
			if op.Value != nil {
				backSubstitute(op.Value, d.Symbols)
			}
		}
		if d.Editor == nil {
			t.Fatalf("%s: no editor", d.Target())
		}
		s, err := d.Editor.Edit(ops, iac.EditOptions{RoleName: roleName, RoleID: roleID, RoleARN: roleARN, AccountID: accountID, LiteralRoleID: cfg.LiteralRoleID})
		if err != nil {
			t.Fatalf("%s: Edit: %v", d.Target(), err)
		}
		sp = append(sp, s...)
	}
	out, err := iac.ApplySplices(src, sp)
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	res.out = out
	return res
}

func compact(t *testing.T, s string) string {
	t.Helper()
	v, err := jsonast.Parse([]byte(s))
	if err != nil {
		t.Fatalf("%v in %s", err, s)
	}
	return string(jsonast.Compact(v))
}

// report is the golden view of located documents.
type report struct {
	Target      string                `json:"target"`
	Format      string                `json:"format"`
	Bucket      string                `json:"bucket,omitempty"`
	Line        int                   `json:"line"`
	Statements  []int                 `json:"statement_lines,omitempty"`
	Symbols     []iac.Symbol          `json:"symbols,omitempty"`
	Policy      json.RawMessage       `json:"policy,omitempty"`
	Follow      string                `json:"follow,omitempty"`
	FollowVars  map[string]iac.Symbol `json:"follow_vars,omitempty"`
	Unsupported string                `json:"unsupported,omitempty"`
	ReadOnly    string                `json:"read_only,omitempty"`
	Status      string                `json:"status"`
}

func reportOf(docs []iac.Document, statuses []string) []byte {
	var rs []report
	for i, d := range docs {
		r := report{Target: d.Target(), Format: d.Format, Bucket: d.Bucket, Line: d.Pos.Line, Symbols: d.Symbols,
			Follow: d.Follow, FollowVars: d.FollowVars, Unsupported: d.Unsupported, ReadOnly: d.ReadOnly, Status: statuses[i]}
		for _, s := range d.Statements {
			r.Statements = append(r.Statements, s.Line)
		}
		if len(d.Policy) > 0 {
			r.Policy = json.RawMessage(d.Policy)
		}
		rs = append(rs, r)
	}
	b, _ := json.MarshalIndent(rs, "", "  ")
	return append(b, '\n')
}

func golden(t *testing.T, path string, got []byte) {
	t.Helper()
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (regenerate with: go test ./rewrite/iac/terraform -update)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs:\n%s", path, udiff.Unified(path, "got", want, got, 3))
	}
}

func fmtClean(src []byte) bool { return bytes.Equal(hclwrite.Format(src), src) }

// TestFixtures runs the whole loop on every fixture: golden located
// documents, golden patched source, the patch re-located is the patch,
// the result parses, stays fmt-clean, and is compliant when fixed again.
func TestFixtures(t *testing.T) {
	ins, _ := filepath.Glob("../../../fixtures/iac/terraform/*/main.tf")
	if len(ins) == 0 {
		t.Fatal("no fixtures")
	}
	for _, in := range ins {
		dir := filepath.Dir(in)
		t.Run(filepath.Base(dir), func(t *testing.T) {
			src, err := os.ReadFile(in)
			if err != nil {
				t.Fatal(err)
			}
			var cfg caseConfig
			if b, err := os.ReadFile(filepath.Join(dir, "case.json")); err == nil {
				if err := json.Unmarshal(b, &cfg); err != nil {
					t.Fatal(err)
				}
			}
			docs, err := terraform.Locate("main.tf", src)
			if err != nil {
				t.Fatal(err)
			}
			res := fixFile(t, "main.tf", src, docs, cfg)
			golden(t, filepath.Join(dir, "want.located.json"), reportOf(docs, res.statuses))
			golden(t, filepath.Join(dir, "want.main.tf"), res.out)
			locate := func(src []byte) ([]iac.Document, error) { return terraform.Locate("main.tf", src) }
			checkResult(t, dir, src, res, cfg, locate, true)
			for _, d := range docs {
				if d.Follow != "" {
					checkTemplate(t, dir, d, cfg)
				}
			}
		})
	}
}

// checkTemplate runs the loop on the file a Document leads to.
func checkTemplate(t *testing.T, dir string, d iac.Document, cfg caseConfig) {
	t.Helper()
	src, err := os.ReadFile(filepath.Join(dir, d.Follow))
	if err != nil {
		t.Fatal(err)
	}
	locate := func(src []byte) ([]iac.Document, error) { return terraform.LocateTemplate(d.Follow, src, d.FollowVars) }
	docs, err := locate(src)
	if err != nil {
		t.Fatal(err)
	}
	res := fixFile(t, d.Follow, src, docs, cfg)
	base := filepath.Base(d.Follow)
	golden(t, filepath.Join(dir, "want.located."+base+".json"), reportOf(docs, res.statuses))
	golden(t, filepath.Join(dir, "want."+base), res.out)
	checkResult(t, dir, src, res, cfg, locate, false)
}

func checkResult(t *testing.T, dir string, src []byte, res fixed, cfg caseConfig, locate func([]byte) ([]iac.Document, error), isHCL bool) {
	t.Helper()
	again, err := locate(res.out)
	if err != nil {
		t.Fatalf("the patched file does not parse: %v", err)
	}
	if len(again) != len(res.patched) {
		t.Fatalf("%d documents after the patch, %d before", len(again), len(res.patched))
	}
	if isHCL && fmtClean(src) && !fmtClean(res.out) {
		t.Errorf("the patched file is not fmt-clean:\n%s", udiff.Unified("got", "fmt", res.out, hclwrite.Format(res.out), 3))
	}
	for i, d := range again {
		if res.patched[i] == "" {
			continue
		}
		if d.Unsupported != "" {
			t.Errorf("%s: unsupported after the patch: %s", d.Target(), d.Unsupported)
			continue
		}
		got := compact(t, substitute(string(d.Policy), d.Symbols, true))
		if got != res.patched[i] {
			t.Errorf("%s: re-located policy\n%s\nwant the patched\n%s", d.Target(), got, res.patched[i])
		}
		if w, ok := cfg.WantPolicies[i]; ok {
			b, err := os.ReadFile(filepath.Join(dir, w))
			if err != nil {
				t.Fatal(err)
			}
			if want := compact(t, string(b)); got != want {
				t.Errorf("%s: patched policy\n%s\nwant %s\n%s", d.Target(), got, w, want)
			}
		}
	}
	// Idempotency: fixing the result changes nothing.
	second := fixFile(t, "main.tf", res.out, again, cfg)
	for i, st := range second.statuses {
		if st != rewrite.StatusCompliant && st != "unsupported" && st != "follow" {
			t.Errorf("%s: %s after the patch", again[i].Target(), st)
		}
	}
	if !bytes.Equal(second.out, res.out) {
		t.Errorf("fixing the result again changed it")
	}
}

// TestSeed000Forms is the done criterion: seed 000 written as
// jsonencode, as an aws_iam_policy_document and as a heredoc each gets the
// JSON fixture's patch (TestFixtures compares it through want_policies).
func TestSeed000Forms(t *testing.T) {
	for _, c := range []string{"seed000-jsonencode", "seed000-policy-document", "seed000-heredoc"} {
		b, err := os.ReadFile(filepath.Join("../../../fixtures/iac/terraform", c, "case.json"))
		if err != nil {
			t.Fatal(err)
		}
		var cfg caseConfig
		if err := json.Unmarshal(b, &cfg); err != nil {
			t.Fatal(err)
		}
		if cfg.WantPolicies[0] != "../../../seed000-vpce-only/want.policy.json" {
			t.Errorf("%s: not compared with the JSON fixture's patch", c)
		}
		src, _ := os.ReadFile(filepath.Join("../../../fixtures/iac/terraform", c, "main.tf"))
		if !fmtClean(src) || !bytes.Contains(src, []byte("#")) {
			t.Errorf("%s: the input should be fmt-clean and carry comments", c)
		}
	}
}

// TestCRLF: a file with CRLF line endings gets CRLF in what is added.
func TestCRLF(t *testing.T) {
	for _, c := range []string{"seed000-jsonencode", "seed000-heredoc", "seed000-policy-document"} {
		src, err := os.ReadFile(filepath.Join("../../../fixtures/iac/terraform", c, "main.tf"))
		if err != nil {
			t.Fatal(err)
		}
		src = bytes.ReplaceAll(src, []byte("\n"), []byte("\r\n"))
		docs, err := terraform.Locate("main.tf", src)
		if err != nil {
			t.Fatal(err)
		}
		res := fixFile(t, "main.tf", src, docs, caseConfig{})
		if n := bytes.Count(res.out, []byte("\n")); n != bytes.Count(res.out, []byte("\r\n")) || n <= bytes.Count(src, []byte("\n")) {
			t.Errorf("%s: %d newlines, %d CRLF", c, n, bytes.Count(res.out, []byte("\r\n")))
		}
		checkResult(t, c, src, res, caseConfig{}, func(b []byte) ([]iac.Document, error) { return terraform.Locate("main.tf", b) }, false)
	}
}
