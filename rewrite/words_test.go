package rewrite

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// madeUp matches the parts of the representative requests the proof makes
// up (an object key, another bucket, the "~" and "zz" witnesses of prefix
// patterns): class texts must describe classes in the policies' own terms.
var madeUp = regexp.MustCompile(`fixpolicy/object-key|fixpolicy-other-bucket|~|/zz\b|\bzz\b`)

// TestClassTextsInPolicyTerms: no access change of a fix's proof or of a
// diff names a made-up request part (issue 13, item 15): checked over every
// fixture, the diff corpus, and a NotResource of one prefix.
func TestClassTextsInPolicyTerms(t *testing.T) {
	check := func(name string, texts []string) {
		for _, s := range texts {
			if m := madeUp.FindString(s); m != "" {
				t.Errorf("%s: %q names the made-up %q", name, s, m)
			}
		}
	}
	inputs, _ := filepath.Glob("../fixtures/*/policy.json")
	if len(inputs) < 20 {
		t.Fatalf("only %d fixtures", len(inputs))
	}
	for _, in := range inputs {
		src, _ := os.ReadFile(in)
		res, err := Fix(src, Options{Facts: Facts{AccountID: "012345678901", RoleID: "AROAEXAMPLEROLEID0001"}})
		if err != nil || res.Proof == nil {
			continue // the bad-input fixtures
		}
		check(in, res.Proof.Classes)
	}
	olds, _ := filepath.Glob("../fixtures/corpus/diff-*.old.json")
	pairs := [][2]string{{
		`{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Principal":"*","Action":"s3:GetObject","NotResource":"arn:aws:s3:::examplebucket/taxdocuments/*"}]}`,
		`{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Principal":"*","Action":"s3:GetObject","NotResource":"arn:aws:s3:::examplebucket/taxdocuments/*","Condition":{"StringNotLike":{"aws:userid":"AROAEXAMPLEROLEID0001:*"}}}]}`,
	}}
	for _, o := range olds {
		a, _ := os.ReadFile(o)
		b, _ := os.ReadFile(strings.Replace(o, ".old.", ".new.", 1))
		pairs = append(pairs, [2]string{string(a), string(b)})
	}
	for i, pr := range pairs {
		a, err1 := Parse([]byte(pr[0]))
		b, err2 := Parse([]byte(pr[1]))
		if err1 != nil || err2 != nil {
			t.Fatal(err1, err2)
		}
		d, err := Delta(a, b, DeltaOptions{Owner: "012345678901"})
		if err != nil {
			t.Fatal(err)
		}
		var texts []string
		for _, c := range d.Changes {
			texts = append(texts, c.Resource)
		}
		if i == 0 && (len(texts) == 0 || !strings.Contains(texts[0], "other than arn:aws:s3:::examplebucket/taxdocuments/*")) {
			t.Errorf("NotResource of one prefix: %q", texts)
		}
		check(filepath.Base(olds[max(0, i-1)]), texts)
	}
}

// TestNotPrincipalSplitInWords: a split that turns Action into NotAction
// under NotPrincipal says the double negation in words (issue 13, item 19).
func TestNotPrincipalSplitInWords(t *testing.T) {
	src, err := os.ReadFile("../fixtures/notprincipal/policy.json")
	if err != nil {
		t.Fatal(err)
	}
	res, err := Fix(src, Options{Facts: Facts{AccountID: "012345678901", RoleID: "AROAEXAMPLEROLEID0001"}})
	if err != nil {
		t.Fatal(err)
	}
	text := strings.Join(res.Paragraphs, " ")
	want := `With NotPrincipal, turning Action into NotAction makes a double negation; in words: statement 1 (Sid "DenyAllButAdmins") now denies everyone except arn:aws:iam::012345678901:root and arn:aws:iam::012345678901:role/Admin every action except s3:GetBucketLocation and s3:GetBucketVersioning, and "DenyAllButAdminsConsoleRead" denies the same principals exactly those reads, except to principals of account 012345678901.`
	if !strings.Contains(text, want) {
		t.Errorf("paragraph:\n%s\nlacks:\n%s", text, want)
	}
	// A split under Principal "*" is a single negation: no such sentence.
	src, _ = os.ReadFile("../fixtures/seed000-vpce-only/policy.json")
	res, _ = Fix(src, Options{Facts: Facts{AccountID: "012345678901", RoleID: "AROAEXAMPLEROLEID0001"}})
	if strings.Contains(strings.Join(res.Paragraphs, " "), "double negation") {
		t.Errorf("seed 000 speaks of a double negation")
	}
}
