package tfplan

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/fixpolicy/fixpolicy/rewrite"
	"github.com/fixpolicy/fixpolicy/rewrite/iac"
)

var update = flag.Bool("update", false, "rewrite the golden files under fixtures/iac/tfplan")

const fixtureDir = "../../../fixtures/iac/tfplan"

// result is one Document of the golden report, with the analysis's
// verdict on its policy.
type result struct {
	Target      string          `json:"target"`
	Format      string          `json:"format"`
	Bucket      string          `json:"bucket,omitempty"`
	Pos         [3]int          `json:"pos"` // line, column, offset
	Statements  [][3]int        `json:"statements,omitempty"`
	Symbols     []iac.Symbol    `json:"symbols,omitempty"`
	Policy      json.RawMessage `json:"policy,omitempty"`
	Unsupported string          `json:"unsupported,omitempty"`
	ReadOnly    string          `json:"readOnly"`
	Status      string          `json:"status,omitempty"` // rewrite.Fix's, for a policy that was analysed
	Changes     []string        `json:"changes,omitempty"`
}

func fix(t *testing.T, d iac.Document) *rewrite.Result {
	t.Helper()
	res, err := rewrite.Fix(d.Policy, rewrite.Options{Facts: rewrite.Facts{Bucket: d.Bucket,
		AccountID: "012345678901", RoleID: "AROAEXAMPLEROLEID0001"}})
	if err != nil {
		t.Fatalf("%s: %v", d.Target(), err)
	}
	return res
}

// TestFixtures: every plan under fixtures/iac/tfplan locates to its golden
// report (Documents and the analysis's verdict on each), read only.
func TestFixtures(t *testing.T) {
	dirs, _ := filepath.Glob(filepath.Join(fixtureDir, "*"))
	if len(dirs) < 2 {
		t.Fatalf("only %d cases", len(dirs))
	}
	for _, dir := range dirs {
		t.Run(filepath.Base(dir), func(t *testing.T) {
			src, err := os.ReadFile(filepath.Join(dir, "plan.json"))
			if err != nil {
				t.Fatal(err)
			}
			docs, err := Locate("plan.json", src)
			if err != nil {
				t.Fatal(err)
			}
			out := []result{}
			for _, d := range docs {
				if d.Editor != nil || d.ReadOnly != ReadOnly {
					t.Errorf("%s: editor %v, ReadOnly %q", d.Target(), d.Editor, d.ReadOnly)
				}
				if d.Pos.Line < 1 || d.Pos.Offset >= len(src) || src[d.Pos.Offset] != '"' && src[d.Pos.Offset] != '{' {
					t.Errorf("%s: position %+v is not at the policy string or the resource", d.Target(), d.Pos)
				}
				r := result{Target: d.Target(), Format: d.Format, Bucket: d.Bucket, Pos: [3]int{d.Pos.Line, d.Pos.Col, d.Pos.Offset},
					Symbols: d.Symbols, Unsupported: d.Unsupported, ReadOnly: d.ReadOnly}
				for _, p := range d.Statements {
					r.Statements = append(r.Statements, [3]int{p.Line, p.Col, p.Offset})
					if src[p.Offset] != '{' {
						t.Errorf("%s: statement position %+v is not at a '{'", d.Target(), p)
					}
				}
				if d.Unsupported == "" {
					r.Policy = compact(t, d.Policy)
					res := fix(t, d)
					r.Status = res.Status
					for _, c := range res.Changes {
						r.Changes = append(r.Changes, c.Kind+" "+c.Sid)
					}
				}
				out = append(out, r)
			}
			b, _ := json.MarshalIndent(out, "", "  ")
			golden(t, filepath.Join(dir, "want.documents.json"), append(b, '\n'))
		})
	}
}

func compact(t *testing.T, b []byte) json.RawMessage {
	var buf bytes.Buffer
	if err := json.Compact(&buf, b); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
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
		t.Fatalf("%v (run with -update to create it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs (run with -update to accept):\n--- got\n%s\n--- want\n%s", path, got, want)
	}
}

// TestSeed000: the seed's policy planned through jsonencode (keys sorted,
// minified) gets the same patch as the JSON fixture.
func TestSeed000(t *testing.T) {
	src, err := os.ReadFile(filepath.Join(fixtureDir, "seed000-jsonencode", "plan.json"))
	if err != nil {
		t.Fatal(err)
	}
	docs, err := Locate("plan.json", src)
	if err != nil || len(docs) != 1 {
		t.Fatalf("%d documents, %v", len(docs), err)
	}
	if docs[0].Address != "aws_s3_bucket_policy.data" || docs[0].Bucket != "mtzml-20231208" {
		t.Errorf("located %s, bucket %q", docs[0].Address, docs[0].Bucket)
	}
	res := fix(t, docs[0])
	want, err := os.ReadFile("../../../fixtures/seed000-vpce-only/want.policy.json")
	if err != nil {
		t.Fatal(err)
	}
	var a, w any
	if err := json.Unmarshal(res.After, &a); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(want, &w); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(a, w) {
		t.Errorf("patched:\n%s\nwant (keys in any order):\n%s", res.After, want)
	}
}

func TestNotAPlan(t *testing.T) {
	for _, src := range []string{
		``, `[]`, `"x"`, `{}`, `Resources: {}`,
		`{"Version": "2012-10-17", "Statement": []}`,
		`{"format_version": "1.0", "values": {"root_module": {}}}`, // a state, not a plan
		`{"planned_values": {}}`,
	} {
		docs, err := Locate("p.json", []byte(src))
		if err != nil || len(docs) != 0 {
			t.Errorf("%q: %d documents, %v", src, len(docs), err)
		}
	}
}

func TestErrors(t *testing.T) {
	for _, c := range []struct{ src, want string }{
		{`{"format_version": "2.0", "planned_values": {}}`, `p.json:1:20: unsupported plan format_version "2.0"`},
		{"{\"format_version\": \"1.2\",\n \"planned_values\": {]}", "p.json:2:21:"},
	} {
		_, err := Locate("p.json", []byte(c.src))
		if err == nil || !strings.HasPrefix(err.Error(), c.want) || strings.Contains(err.Error(), "\n") {
			t.Errorf("%q: %v, want one line starting %q", c.src, err, c.want)
		}
	}
}

func TestRawOffsets(t *testing.T) {
	src := []byte(`x"a\n\u00e9\ud83d\ude00\"b"`)
	got := rawOffsets(src, 1)
	want := []int{2, 3, 5, 5, 11, 11, 11, 11, 23, 25}
	if len(got) != len(want) {
		t.Fatalf("got %v, want %v", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("got %v, want %v", got, want)
		}
	}
}

func TestSplitAddress(t *testing.T) {
	for _, c := range []struct {
		addr, mods, res string
		ok              bool
	}{
		{"aws_s3_bucket.a", "", "aws_s3_bucket.a", true},
		{"aws_s3_bucket.a[0]", "", "aws_s3_bucket.a", true},
		{`module.x["k.]"].module.y[1].aws_s3_bucket_policy.p["a"]`, "x y", "aws_s3_bucket_policy.p", true},
		{"module.", "", "", false},
		{`module.x["unterminated`, "", "", false},
	} {
		mods, res, ok := splitAddress(c.addr)
		if strings.Join(mods, " ") != c.mods || res != c.res || ok != c.ok {
			t.Errorf("%s: %v %q %v", c.addr, mods, res, ok)
		}
	}
}

// FuzzLocate: no input makes Locate panic; every Document has a policy
// that parses as JSON or says why it has none, and none is writable.
func FuzzLocate(f *testing.F) {
	// Small seeds: the fuzzer minimises every new input it finds, which
	// takes minutes from a whole plan (the fixtures are tested above).
	f.Add(`{"format_version":"1.0","planned_values":{"root_module":{"resources":[{"address":"aws_s3_bucket_policy.p","mode":"managed","type":"aws_s3_bucket_policy","values":{"policy":"{\"Statement\":[]}"}}]}}}`)
	f.Add(`{"format_version":"1.2","planned_values":{"root_module":{"resources":[{"address":"aws_s3_bucket.b","mode":"managed","type":"aws_s3_bucket","values":{"bucket":"b","policy":"{\n  \"Statement\": [{\"Effect\": \"Deny\"}]\n}"}}]}},"configuration":{"root_module":{"resources":[{"address":"aws_s3_bucket.b","expressions":{"policy":{}}}]}}}`)
	f.Add(`{"format_version":"1.0","planned_values":{"root_module":{"child_modules":[{"resources":[{"address":"module.m.aws_s3_bucket.b","type":"aws_s3_bucket","values":{}}]}]}},"resource_changes":[{"address":"module.m.aws_s3_bucket.b","change":{"after_unknown":{"policy":true,"bucket":true}}}]}`)
	f.Fuzz(func(t *testing.T, src string) {
		docs, err := Locate("p.json", []byte(src))
		if err != nil {
			if strings.Contains(err.Error(), "\n") || !strings.HasPrefix(err.Error(), "p.json:") {
				t.Fatalf("error not one line naming the file: %q", err)
			}
			return
		}
		for _, d := range docs {
			if d.Editor != nil || d.ReadOnly == "" {
				t.Fatalf("%s: a plan Document is writable", d.Target())
			}
			if (d.Unsupported == "") == (len(d.Policy) == 0) || d.Unsupported == "" && !json.Valid(d.Policy) {
				t.Fatalf("%s: policy %q, unsupported %q", d.Target(), d.Policy, d.Unsupported)
			}
			for _, p := range append(d.Statements, d.Pos) {
				if p.Offset < 0 || p.Offset > len(src) || p.Line < 1 || p.Col < 1 {
					t.Fatalf("%s: position %+v", d.Target(), p)
				}
			}
		}
	})
}
