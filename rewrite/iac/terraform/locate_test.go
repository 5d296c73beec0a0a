package terraform_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/fixpolicy/fixpolicy/rewrite"
	"github.com/fixpolicy/fixpolicy/rewrite/iac"
	"github.com/fixpolicy/fixpolicy/rewrite/iac/terraform"
	"github.com/fixpolicy/fixpolicy/rewrite/jsonast"
)

// TestLocateSyntaxError: a file that does not parse is one error naming
// file:line:col.
func TestLocateSyntaxError(t *testing.T) {
	for _, c := range []struct{ src, want string }{
		{"resource \"aws_s3_bucket_policy\" \"x\" {\n  policy = jsonencode({\n}\n", "infra/main.tf:2:12: Unterminated function call: "},
		{"a = \"unterminated\n", "infra/main.tf:1:18: Invalid multi-line string: "},
		{"x {\n  y = [1,,2]\n}\n", "infra/main.tf:2:10: "},
	} {
		_, err := terraform.Locate("infra/main.tf", []byte(c.src))
		if err == nil || !strings.HasPrefix(err.Error(), c.want) || strings.Contains(err.Error(), "\n") {
			t.Errorf("Locate(%q) = %v, want one line starting %q", c.src, err, c.want)
		}
	}
}

func TestLocateTemplateSyntaxError(t *testing.T) {
	_, err := terraform.LocateTemplate("p.json.tpl", []byte(`{"a": "${aws:username}"}`), map[string]iac.Symbol{})
	if err == nil || !strings.HasPrefix(err.Error(), "p.json.tpl:1:") {
		t.Errorf("got %v", err)
	}
	// Read by file(), the same text is a literal.
	docs, err := terraform.LocateTemplate("p.json", []byte(`{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::b/${aws:username}/*"}]}`), nil)
	if err != nil || len(docs) != 1 || docs[0].Unsupported != "" || !strings.Contains(string(docs[0].Policy), "${aws:username}") {
		t.Errorf("got %+v, %v", docs, err)
	}
}

func locateOne(t *testing.T, src string) iac.Document {
	t.Helper()
	docs, err := terraform.Locate("main.tf", []byte(src))
	if err != nil || len(docs) != 1 {
		t.Fatalf("Locate: %d documents, %v", len(docs), err)
	}
	return docs[0]
}

// TestEditRefuses: operations the source cannot express exactly are
// refused, never written wrongly.
func TestEditRefuses(t *testing.T) {
	enc := locateOne(t, `resource "aws_s3_bucket_policy" "x" {
  bucket = "b"
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect    = "Deny"
      Principal = "*"
      Action    = "s3:*"
      Resource  = "arn:aws:s3:::b/*"
      Condition = { StringNotEquals = { "aws:SourceVpce" = local.vpces } }
    }]
  })
}
`)
	doc := locateOne(t, `data "aws_iam_policy_document" "d" {
  statement {
    effect    = "Deny"
    actions   = ["s3:*"]
    resources = ["arn:aws:s3:::b/*"]
    principals {
      type        = "*"
      identifiers = ["*"]
    }
    condition {
      test     = "StringNotLike"
      variable = "aws:userid"
      values   = ["A:*"]
    }
    condition {
      test     = "StringNotLike"
      variable = "aws:userid"
      values   = ["B:*"]
    }
  }
}

resource "aws_s3_bucket_policy" "x" {
  bucket = "b"
  policy = data.aws_iam_policy_document.d.json
}
`)
	if doc.Unsupported != "" {
		t.Fatal(doc.Unsupported)
	}
	want := `{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Action":"s3:*","Resource":"arn:aws:s3:::b/*","Principal":"*","Condition":{"StringNotLike":{"aws:userid":["A:*","B:*"]}}}]}`
	if got := string(jsonast.Compact(mustParse(t, doc.Policy))); got != want {
		t.Errorf("policy document:\n%s\nwant\n%s", got, want)
	}
	path := func(steps ...any) iac.Path {
		var p iac.Path
		for _, s := range steps {
			if i, ok := s.(int); ok {
				p = append(p, iac.Step{Index: i, IsIndex: true})
			} else {
				p = append(p, iac.Step{Key: s.(string)})
			}
		}
		return p
	}
	str := jsonast.NewString
	for _, c := range []struct {
		name string
		d    iac.Document
		op   iac.Op
	}{
		{"remove", doc, iac.Op{Kind: iac.RemoveMember, Path: path("Statement", 0), Key: "Action"}},
		{"principal", doc, iac.Op{Kind: iac.SetValue, Path: path("Statement", 0, "Principal"), Value: str("x")}},
		{"values of two blocks changed", doc, iac.Op{Kind: iac.SetValue, Path: path("Statement", 0, "Condition", "StringNotLike", "aws:userid"), Value: jsonast.NewArray(str("B:*"), str("C:*"))}},
		{"insert in the middle", doc, iac.Op{Kind: iac.InsertElem, Path: path("Statement", 0, "Condition", "StringNotLike", "aws:userid"), Index: 1, Value: str("C:*")}},
		{"version", doc, iac.Op{Kind: iac.SetValue, Path: path("Version"), Value: str("2008-10-17")}},
		{"computed list", enc, iac.Op{Kind: iac.InsertElem, Path: path("Statement", 0, "Condition", "StringNotEquals", "aws:SourceVpce"), Index: 1, Value: str("x")}},
		{"no such member", enc, iac.Op{Kind: iac.SetValue, Path: path("Statement", 0, "NotAction"), Value: str("x")}},
		{"remove element", enc, iac.Op{Kind: iac.RemoveElem, Path: path("Statement"), Index: 0}},
	} {
		if c.d.Editor == nil {
			t.Fatalf("%s: no editor (%s)", c.name, c.d.Unsupported)
		}
		if sp, err := c.d.Editor.Edit([]iac.Op{c.op}, iac.EditOptions{}); err == nil {
			t.Errorf("%s: %s accepted: %v", c.name, c.op, sp)
		}
	}
	// Appending to the values of the last of two blocks is exact.
	sp, err := doc.Editor.Edit([]iac.Op{{Kind: iac.SetValue, Path: path("Statement", 0, "Condition", "StringNotLike", "aws:userid"),
		Value: jsonast.NewArray(str("A:*"), str("B:*"), str("C:*"))}}, iac.EditOptions{})
	if err != nil || len(sp) != 1 || sp[0].Text != `, "C:*"` {
		t.Errorf("append: %v, %v", sp, err)
	}
}

func mustParse(t *testing.T, b []byte) *jsonast.Value {
	t.Helper()
	v, err := jsonast.Parse(b)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// TestWriteStrings: new strings are escaped for HCL, placeholders become
// references, policy variables stay literal.
func TestWriteStrings(t *testing.T) {
	d := locateOne(t, `resource "aws_s3_bucket_policy" "x" {
  bucket = var.bucket
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [
      {
        Effect    = "Allow"
        Principal = "*"
        Action    = "s3:GetObject"
        Resource  = "arn:aws:s3:::${var.bucket}/*"
      },
    ]
  })
}
`)
	b := d.Bucket
	if len(d.Symbols) != 1 || d.Symbols[0].Placeholder != b || d.Symbols[0].Role != iac.RoleBucket {
		t.Fatalf("symbols %+v, bucket %q", d.Symbols, b)
	}
	v := jsonast.NewObject(jsonast.NewMember("Sid", jsonast.NewString(`q"\${aws:username}%{x}`+"\n")),
		jsonast.NewMember("Resource", jsonast.NewString("arn:aws:s3:::"+b+"/home/${aws:username}")))
	sp, err := d.Editor.Edit([]iac.Op{{Kind: iac.AddMember, Path: iac.Path{{Key: "Statement"}, {Index: 0, IsIndex: true}}, Key: "Condition", Value: v}}, iac.EditOptions{})
	if err != nil || len(sp) != 1 {
		t.Fatalf("%v, %v", sp, err)
	}
	for _, want := range []string{`Sid      = "q\"\\$${aws:username}%%{x}\n"`, `Resource = "arn:aws:s3:::${var.bucket}/home/$${aws:username}"`} {
		if !strings.Contains(sp[0].Text, want) {
			t.Errorf("%q lacks %q", sp[0].Text, want)
		}
	}
}

func fixtureSources(tb testing.TB) [][]byte {
	ins, _ := filepath.Glob("../../../fixtures/iac/terraform/*/main.tf")
	var out [][]byte
	for _, in := range ins {
		b, err := os.ReadFile(in)
		if err != nil {
			tb.Fatal(err)
		}
		out = append(out, b)
	}
	return out
}

// FuzzLocate: no panic, and a policy found is a policy reported: every
// Document has a policy that parses, or says why not, or where it lives.
// Editing with no operations changes nothing.
func FuzzLocate(f *testing.F) {
	for _, b := range fixtureSources(f) {
		f.Add(b)
	}
	f.Add([]byte("resource \"aws_s3_bucket_policy\" \"x\" {\n  policy = <<-EOT\n  ${x}\n  EOT\n}\n"))
	f.Fuzz(func(t *testing.T, src []byte) {
		docs, err := terraform.Locate("f.tf", src)
		if err != nil {
			return
		}
		for _, d := range docs {
			checkReported(t, d)
		}
	})
}

// FuzzLocateTemplate: the same for policy templates.
func FuzzLocateTemplate(f *testing.F) {
	f.Add([]byte(`{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Principal":"*","Action":"s3:*","Resource":"${arn}/*"}]}`), true)
	f.Add([]byte(`{"Statement":{"Effect":"Allow","Principal":"*","Action":"s3:*","Resource":"arn:aws:s3:::b/$${x}"}}`), false)
	f.Fuzz(func(t *testing.T, src []byte, template bool) {
		var vars map[string]iac.Symbol
		if template {
			vars = map[string]iac.Symbol{"arn": {Placeholder: iac.NewPlaceholder(1), Expr: "aws_s3_bucket.b.arn", Role: iac.RoleBucket}}
		}
		docs, err := terraform.LocateTemplate("f.json.tpl", src, vars)
		if err != nil {
			return
		}
		for _, d := range docs {
			checkReported(t, d)
		}
	})
}

func checkReported(t *testing.T, d iac.Document) {
	t.Helper()
	switch {
	case d.Unsupported != "" || d.Follow != "":
		return
	case d.Editor == nil:
		t.Fatalf("%s: no editor and no reason", d.Target())
	}
	typed, _ := iac.TypedStandIns(d.Policy)
	if _, err := rewrite.Parse(typed); err != nil {
		t.Fatalf("%s: policy does not parse: %v", d.Target(), err)
	}
	sp, err := d.Editor.Edit(nil, iac.EditOptions{})
	if err != nil {
		t.Fatalf("%s: Edit(nil): %v", d.Target(), err)
	}
	for _, s := range sp {
		if s.Text != "" || s.Start != s.End {
			t.Fatalf("%s: Edit(nil) = %+v", d.Target(), sp)
		}
	}
}

// BenchmarkLocate: a typical module file with three bucket policies.
func BenchmarkLocate(b *testing.B) {
	src, err := os.ReadFile("../../../fixtures/iac/terraform/vpce-var-jsonencode/main.tf")
	if err != nil {
		b.Fatal(err)
	}
	more, err := os.ReadFile("../../../fixtures/iac/terraform/s3-module-style/main.tf")
	if err != nil {
		b.Fatal(err)
	}
	src = append(append(src, '\n'), more...)
	b.SetBytes(int64(len(src)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := terraform.Locate("main.tf", src); err != nil {
			b.Fatal(err)
		}
	}
}

// FuzzFixLoop runs the caller's whole loop on any file: whatever the
// editors accept, the spliced file parses, has the same documents, and
// each patched policy is located again as patched.
func FuzzFixLoop(f *testing.F) {
	for i, b := range fixtureSources(f) {
		f.Add(b, i%3 == 1, i%2 == 1)
	}
	f.Fuzz(func(t *testing.T, src []byte, byARN, literal bool) {
		docs, err := terraform.Locate("f.tf", src)
		if err != nil || len(docs) > 3 {
			return
		}
		cfg := caseConfig{LiteralRoleID: literal}
		if byARN {
			cfg.ExemptBy = "principal-arn"
		}
		var sp []iac.Splice
		var want []string
		for _, d := range docs {
			want = append(want, "")
			if d.Unsupported != "" || d.Follow != "" {
				continue
			}
			in := substitute(string(d.Policy), d.Symbols, false)
			if ambiguous(d) {
				return // a reference followed by a digit: the editor refuses such strings
			}
			r, err := typedFix(in, options(cfg, d.Bucket))
			if err != nil || !r.Changed() {
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
			s, err := d.Editor.Edit(ops, iac.EditOptions{RoleName: roleName, RoleID: roleID, RoleARN: roleARN, AccountID: accountID, LiteralRoleID: literal})
			if err != nil {
				continue // refused
			}
			sp = append(sp, s...)
			v, err := jsonast.Parse([]byte(substitute(string(r.After), d.Symbols, true)))
			if err != nil {
				t.Fatal(err)
			}
			want[len(want)-1] = string(jsonast.Compact(v))
		}
		out, err := iac.ApplySplices(src, sp)
		if err != nil {
			t.Fatalf("splices: %v", err)
		}
		again, err := terraform.Locate("f.tf", out)
		if err != nil {
			t.Fatalf("the patched file does not parse: %v\n%s", err, out)
		}
		if len(again) != len(docs) {
			t.Fatalf("%d documents after the patch, %d before", len(again), len(docs))
		}
		for i, d := range again {
			if want[i] == "" {
				continue
			}
			if d.Unsupported != "" {
				t.Fatalf("%s: %s after the patch\n%s", d.Target(), d.Unsupported, out)
			}
			v, err := jsonast.Parse([]byte(substitute(string(d.Policy), d.Symbols, true)))
			if err != nil {
				t.Fatal(err)
			}
			if got := string(jsonast.Compact(v)); got != want[i] {
				t.Fatalf("%s: located again\n%s\nwant\n%s\nfile:\n%s", d.Target(), got, want[i], out)
			}
		}
	})
}

// ambiguous reports whether d's policy has a placeholder-like text that is
// not one of its symbols (a reference followed by digits).
func ambiguous(d iac.Document) bool {
	for _, m := range rePlaceholder.FindAllString(string(d.Policy), -1) {
		known := false
		for _, s := range d.Symbols {
			known = known || s.Placeholder == m
		}
		if !known {
			return true
		}
	}
	return false
}
