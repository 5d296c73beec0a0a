package source

import (
	"regexp"
	"strings"
	"testing"

	"github.com/fixpolicy/fixpolicy/rewrite"
	"github.com/fixpolicy/fixpolicy/rewrite/iac"
	"github.com/fixpolicy/fixpolicy/rewrite/jsonast"
)

// A toy source language for the flow's tests: JSON in which @@name@@ is a
// symbol. @@account@@, @@partition@@ and @@bucket@@ have those roles.
var toyRe = regexp.MustCompile(`@@([a-z_.]+)@@`)

func toyLocate(src []byte) ([]iac.Document, error) {
	doc := iac.Document{File: "toy.json", Address: "toy", Format: "toy"}
	n := 0
	byName := map[string]string{}
	policy := toyRe.ReplaceAllStringFunc(string(src), func(m string) string {
		name := toyRe.FindStringSubmatch(m)[1]
		if p, ok := byName[name]; ok {
			return p
		}
		n++
		s := iac.Symbol{Placeholder: iac.NewPlaceholder(n), Expr: name, Interp: m}
		switch name {
		case "account", "partition", "bucket":
			s.Role = name
		case "backup.unique_id":
			s.Role, s.RoleName = iac.RoleRoleID, rewrite.DefaultRoleName
		}
		if name == "bucket" {
			doc.Bucket = s.Placeholder
		}
		byName[name] = s.Placeholder
		doc.Symbols = append(doc.Symbols, s)
		return s.Placeholder
	})
	doc.Policy = []byte(policy)
	doc.Editor = toyEditor{doc: &doc, src: src}
	return []iac.Document{doc}, nil
}

type toyEditor struct {
	doc *iac.Document
	src []byte
}

func (e toyEditor) Edit(ops []iac.Op, opt iac.EditOptions) ([]iac.Splice, error) {
	v, err := jsonast.Parse(e.doc.Policy)
	if err != nil {
		return nil, err
	}
	v, err = iac.Apply(v, ops)
	if err != nil {
		return nil, err
	}
	out := string(jsonast.Render(v))
	for _, s := range e.doc.Symbols {
		out = strings.ReplaceAll(out, s.Placeholder, s.Interp)
	}
	return []iac.Splice{{Start: 0, End: len(e.src), Text: out}}, nil
}

const toyPolicy = `{
  "Version": "2012-10-17",
  "Statement": [
    {
      "Sid": "VpceOnly",
      "Effect": "Deny",
      "Principal": "*",
      "Action": "s3:*",
      "Resource": ["arn:@@partition@@:s3:::@@bucket@@", "arn:@@partition@@:s3:::@@bucket@@/*"],
      "Condition": {"StringNotEquals": {"aws:SourceVpce": "@@var.vpce_id@@"}}
    },
    {
      "Sid": "Admins",
      "Effect": "Allow",
      "Principal": {"AWS": "arn:@@partition@@:iam::@@account@@:root"},
      "Action": "s3:GetObject",
      "Resource": "arn:@@partition@@:s3:::@@bucket@@/*"
    }
  ]
}
`

func toyOptions() rewrite.Options {
	return rewrite.Options{Facts: rewrite.Facts{AccountID: "012345678901", RoleID: "AROAEXAMPLEROLEID0001"}}
}

// TestFixFlow: a policy with symbols is analysed with the known ones
// substituted, patched, written back with symbols (the copied Resource keeps
// @@bucket@@, the new account condition is @@account@@), and the written
// file holds exactly the proved policy; fixing it again changes nothing.
func TestFixFlow(t *testing.T) {
	src := []byte(toyPolicy)
	docs, _ := toyLocate(src)
	fx, err := Fix(&docs[0], toyOptions(), iac.EditOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if fx.Result.Status != rewrite.StatusNeedsChange {
		t.Fatalf("status %s: %s", fx.Result.Status, fx.Result.Refusal)
	}
	out, err := PatchFile(src, []*Fixed{fx}, toyLocate)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		`"Resource": "arn:@@partition@@:s3:::@@bucket@@"`,
		`"aws:PrincipalAccount": "@@account@@"`,
		`"aws:SourceVpce": "@@var.vpce_id@@"`,
		`"aws:userid": "AROAEXAMPLEROLEID0001:*"`,
	} {
		if !strings.Contains(string(out), want) {
			t.Errorf("patched source lacks %s:\n%s", want, out)
		}
	}
	if strings.Contains(string(out), "012345678901") || strings.Contains(string(out), iac.PlaceholderPrefix) {
		t.Errorf("a literal account or a placeholder leaked into the source:\n%s", out)
	}
	joined := strings.Join(fx.Assumed, " ")
	for _, want := range []string{"Treated var.vpce_id as unknown", "Took account to be 012345678901", "Took bucket to be the bucket the policy is attached to"} {
		if !strings.Contains(joined, want) {
			t.Errorf("assumptions %q lack %q", joined, want)
		}
	}
	again, _ := toyLocate(out)
	fx2, err := Fix(&again[0], toyOptions(), iac.EditOptions{})
	if err != nil || fx2.Result.Status != rewrite.StatusCompliant {
		t.Fatalf("second run: %v %+v", err, fx2.Result)
	}
}

// TestFixFlowRoleReference: an exemption written as a reference to the
// backup role (data.aws_iam_role.backup.unique_id) counts as the RoleId.
func TestFixFlowRoleReference(t *testing.T) {
	src := []byte(strings.Replace(toyPolicy, `"Condition": {"StringNotEquals": {"aws:SourceVpce": "@@var.vpce_id@@"}}`,
		`"Condition": {"StringNotEquals": {"aws:SourceVpce": "@@var.vpce_id@@"}, "StringNotLike": {"aws:userid": "@@backup.unique_id@@:*"}}`, 1))
	docs, _ := toyLocate(src)
	fx, err := Fix(&docs[0], toyOptions(), iac.EditOptions{})
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range fx.Result.Changes {
		if c.Kind == rewrite.KindExempt {
			t.Errorf("the role reference was not taken as the exemption: %+v", c)
		}
	}
}

// TestVerifyCatchesWrongEdit: an editor that writes something else than the
// patch is caught before anything is written.
func TestVerifyCatchesWrongEdit(t *testing.T) {
	src := []byte(toyPolicy)
	docs, _ := toyLocate(src)
	fx, err := Fix(&docs[0], toyOptions(), iac.EditOptions{})
	if err != nil {
		t.Fatal(err)
	}
	fx.Splices = []iac.Splice{{Start: 0, End: len(src), Text: strings.Replace(toyPolicy, "s3:GetObject", "s3:PutObject", 1)}}
	if _, err := PatchFile(src, []*Fixed{fx}, toyLocate); err == nil || !strings.Contains(err.Error(), "not the patched policy") {
		t.Errorf("err = %v", err)
	}
}
