package rewrite

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func addFixtureSeeds(f *testing.F) {
	paths, _ := filepath.Glob("../fixtures/*/policy.json")
	bad, _ := filepath.Glob("../fixtures/bad/*.json")
	for _, p := range append(paths, bad...) {
		if b, err := os.ReadFile(p); err == nil {
			f.Add(b)
		}
	}
}

// FuzzParse: parsing never panics, and whatever parses renders back to the
// same bytes and survives a clone.
func FuzzParse(f *testing.F) {
	addFixtureSeeds(f)
	f.Fuzz(func(t *testing.T, src []byte) {
		p, err := Parse(src)
		if err != nil {
			if strings.Contains(err.Error(), "\n") {
				t.Fatalf("multi-line error: %q", err)
			}
			return
		}
		if got := p.Render(); !bytes.Equal(got, src) {
			t.Fatalf("render differs from input")
		}
		if got := p.Clone().Render(); !bytes.Equal(got, src) {
			t.Fatalf("clone renders differently")
		}
		if _, err := Parse(p.Compact()); err != nil {
			t.Fatalf("compact form does not parse: %v", err)
		}
	})
}

var fuzzFacts = Facts{Bucket: "mtzml-20231208", RoleID: "AROAEXAMPLEROLEID0001", AccountID: "012345678901"}

// FuzzFix: for any policy, Fix never panics; a patch parses, passes its own
// proof (a refusal blaming a bug is a failure), and re-patching changes nothing.
func FuzzFix(f *testing.F) {
	addFixtureSeeds(f)
	f.Fuzz(func(t *testing.T, src []byte) {
		for _, opt := range []Options{{Facts: fuzzFacts}, {Facts: fuzzFacts, NoSplit: true, ExemptBy: ExemptByPrincipalARN}} {
			res, err := Fix(src, opt)
			if err != nil {
				return
			}
			if res.Status == StatusRefused {
				if strings.Contains(res.Refusal, "bug") {
					t.Fatalf("patch failed its proof: %s\n%s", res.Refusal, src)
				}
				continue
			}
			if _, err := Parse(res.After); err != nil {
				t.Fatalf("patched policy does not parse: %v", err)
			}
			again, err := Fix(res.After, opt)
			if err != nil {
				t.Fatalf("re-fix: %v", err)
			}
			if !bytes.Equal(again.After, res.After) {
				t.Fatalf("re-patching changes the policy again:\n%s\n----\n%s", res.After, again.After)
			}
		}
	})
}

// FuzzDecide: evaluating any parsed policy for any request never panics and
// is deterministic.
func FuzzDecide(f *testing.F) {
	addFixtureSeeds(f)
	f.Fuzz(func(t *testing.T, src []byte) {
		p, err := Parse(src)
		if err != nil {
			return
		}
		reqs := []Request{
			{Principal: "arn:aws:sts::012345678901:assumed-role/R/s", Action: "s3:GetObject", Resource: "arn:aws:s3:::mtzml-20231208/k", Context: map[string][]string{"aws:SourceIp": {"192.0.2.1"}, "aws:userid": {"AROAEXAMPLEROLEID0001:s"}}},
			{Principal: "anonymous", Action: "s3:ListBucket", Resource: "arn:aws:s3:::data-lake-prod"},
			{Principal: "arn:aws:iam::111122223333:user/x", Action: "s3:PutObject", Resource: "arn:aws:s3:::b/x", Context: map[string][]string{"aws:SourceVpce": {"vpce-1"}, "aws:TagKeys": {"a", "b"}}},
		}
		for _, r := range reqs {
			er, err := Prepare(r)
			if err != nil {
				t.Fatal(err)
			}
			a := p.Decide(er, "012345678901")
			b := p.Decide(er, "012345678901")
			if a.Decision != b.Decision || len(a.Statements) != len(b.Statements) {
				t.Fatalf("non-deterministic decision")
			}
			p.Explain(er)
		}
	})
}
