package cfn

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/fixpolicy/fixpolicy/rewrite/iac"
	"github.com/fixpolicy/fixpolicy/rewrite/jsonast"
)

// one wraps a statement's Resource value in a template with one policy and
// returns the located Resource, placeholders written as «Expr».
func locateResource(t *testing.T, resource string) (string, iac.Document) {
	t.Helper()
	src := `Parameters:
  Names: {Type: CommaDelimitedList}
  Prefix: {Type: String}
Resources:
  B:
    Type: AWS::S3::Bucket
  Role:
    Type: AWS::IAM::Role
  P:
    Type: AWS::S3::BucketPolicy
    Properties:
      Bucket: !Ref B
      PolicyDocument:
        Statement:
          - Effect: Deny
            Principal: "*"
            Action: s3:*
            Resource: ` + resource + "\n"
	docs, err := Locate("t.yaml", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	if len(docs) != 1 {
		t.Fatalf("%d documents", len(docs))
	}
	d := docs[0]
	if d.Unsupported != "" {
		return "", d
	}
	v, err := jsonast.Parse(d.Policy)
	if err != nil {
		t.Fatal(err)
	}
	r := v.Get("Statement").Value.Elems[0].Get("Resource").Value
	return substitute(string(jsonast.Compact(r)), d.Symbols, nil, map[string]string{}), d
}

func TestIntrinsics(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{`!Ref B`, `"«!Ref B»"`},
		{`{Ref: B}`, `"«!Ref B»"`},
		{`!GetAtt B.Arn`, `"arn:«!Ref AWS::Partition»:s3:::«!Ref B»"`},
		{`!GetAtt [B, Arn]`, `"arn:«!Ref AWS::Partition»:s3:::«!Ref B»"`},
		{`{"Fn::GetAtt": [B, Arn]}`, `"arn:«!Ref AWS::Partition»:s3:::«!Ref B»"`},
		{`!Sub "${B.Arn}/*"`, `"arn:«!Ref AWS::Partition»:s3:::«!Ref B»/*"`},
		{`!GetAtt Role.Arn`, `"«!GetAtt Role.Arn»"`},
		{`!Sub "${Role.Arn}"`, `"«!GetAtt Role.Arn»"`},
		{`!Sub "arn:${AWS::Partition}:s3:::${B}-${AWS::Region}-${Prefix}"`, `"arn:«!Ref AWS::Partition»:s3:::«!Ref B»-«!Ref AWS::Region»-«!Ref Prefix»"`},
		{`!Sub "${!Literal}-${B}"`, `"${Literal}-«!Ref B»"`},
		{`!Sub ["arn:aws:s3:::${Name}/*", {Name: !Ref B}]`, `"arn:aws:s3:::«!Ref B»/*"`},
		{`!Sub ["${X}", {X: !ImportValue Shared}]`, `"«!ImportValue Shared»"`},
		{`!Join ["", ["arn:aws:s3:::", !Ref B, "/*"]]`, `"arn:aws:s3:::«!Ref B»/*"`},
		{`!Join [":", [a, !Select [0, !Ref Names]]]`, `"a:«!Select [0, !Ref Names]»"`},
		{`!Join ["", !Ref Names]`, `"«!Join ["", !Ref Names]»"`},
		{"\n              Fn::Join:\n                - ''\n                - - 'arn:aws:s3:::'\n                  - Ref: B", `"arn:aws:s3:::«!Ref B»"`},
		{`[!Ref B, !Ref B]`, `["«!Ref B»","«!Ref B»"]`},
		{"!Sub\n              - 'arn:${AWS::Partition}:s3:::${N}/*'\n              - N: !Ref B", `"arn:«!Ref AWS::Partition»:s3:::«!Ref B»/*"`},
		{"\n              Fn::Sub: '${B.Arn}'", `"arn:«!Ref AWS::Partition»:s3:::«!Ref B»"`},
		{"|-\n              arn:aws:s3:::x", `"arn:aws:s3:::x"`},
		{`!FindInMap [M, !Ref "AWS::Region", k]`, `"«!FindInMap [M, !Ref "AWS::Region", k]»"`},
	} {
		got, d := locateResource(t, c.in)
		if d.Unsupported != "" {
			t.Errorf("%s: unsupported: %s", c.in, d.Unsupported)
			continue
		}
		if got != c.want {
			t.Errorf("%s:\n got %s\nwant %s", c.in, got, c.want)
		}
		// One symbol per distinct expression.
		seen := map[string]bool{}
		for _, s := range d.Symbols {
			if seen[s.Expr] {
				t.Errorf("%s: two symbols for %s", c.in, s.Expr)
			}
			seen[s.Expr] = true
		}
		if d.Symbols[0].Role != iac.RoleAccount || d.Symbols[1].Role != iac.RolePartition {
			t.Errorf("%s: the account and the partition are not declared first: %+v", c.in, d.Symbols)
		}
	}
}

func TestUnsupportedIntrinsics(t *testing.T) {
	for _, c := range []struct{ in, reason string }{
		{`!If [C, a, b]`, "Fn::If"},
		{`{"Fn::If": [C, a, b]}`, "Fn::If"},
		{`!Ref AWS::NoValue`, "AWS::NoValue"},
		{`!Ref Names`, "list parameter"},
		{`!Split [",", a]`, "gives a list"},
		{`!GetAZs ""`, "gives a list"},
		{`{"Fn::Transform": {Name: x}}`, "not supported"},
		{`!Sub [a, b, c]`, "Fn::Sub takes"},
		{`!Join [!Ref B, [a]]`, "delimiter"},
		{`*alias`, "alias"},
	} {
		_, d := locateResource(t, c.in)
		if !strings.Contains(d.Unsupported, c.reason) || d.Editor != nil || len(d.Policy) != 0 {
			t.Errorf("%s: Unsupported %q, want it to mention %q, with no policy and no editor", c.in, d.Unsupported, c.reason)
		}
		if !strings.Contains(d.Unsupported, "line 18, column") {
			t.Errorf("%s: %q names no position", c.in, d.Unsupported)
		}
	}
}

func TestNotATemplate(t *testing.T) {
	for _, src := range []string{
		``, `a: 1`, `[1, 2]`, `{"Version": "2012-10-17", "Statement": []}`,
		"apiVersion: v1\nkind: ConfigMap\n",
		"Resources:\n  X:\n    Type: Custom::Thing\n",
		"Resources: []\n",
	} {
		docs, err := Locate("f", []byte(src))
		if err != nil || len(docs) != 0 {
			t.Errorf("%q: %d documents, %v", src, len(docs), err)
		}
	}
}

// TestNeverSkipped: bucket policies fixpolicy cannot read are reported,
// not skipped.
func TestNeverSkipped(t *testing.T) {
	src := `Transform: AWS::LanguageExtensions
Resources:
  Fn::ForEach::Buckets:
    - Name
    - [a, b]
    - Policy${Name}:
        Type: AWS::S3::BucketPolicy
        Properties:
          Bucket: !Ref Name
          PolicyDocument: {Statement: []}
  Computed:
    Type: AWS::S3::BucketPolicy
    Properties: !If [C, {Bucket: a, PolicyDocument: {}}, {Bucket: b, PolicyDocument: {}}]
`
	docs, err := Locate("t.yaml", []byte(src))
	if err != nil || len(docs) != 2 {
		t.Fatalf("%v, %+v", err, docs)
	}
	for i, want := range []string{"Fn::ForEach", "Fn::If"} {
		if !strings.Contains(docs[i].Unsupported, want) {
			t.Errorf("%s: %q", docs[i].Target(), docs[i].Unsupported)
		}
	}
}

func TestParseErrors(t *testing.T) {
	for _, c := range []struct{ src, want string }{
		{"Resources:\n  P:\n    Type: [AWS::S3::BucketPolicy\n  Q: 1\n", "f.yaml:4:"},
		{"Resources:\n  P: 'unterminated\n", "f.yaml:"},
		{"Resources:\n  P: 1\n  P: 2\n", "f.yaml:3:3:"},
		{"{\"Resources\": {\"P\": }}", "f.yaml:1:21:"},
		{"{\"Resources\": {}\n", "f.yaml:2:1:"},
	} {
		_, err := Locate("f.yaml", []byte(c.src))
		if err == nil || !strings.HasPrefix(err.Error(), c.want) || strings.Contains(err.Error(), "\n") {
			t.Errorf("%q: error %v, want one line starting %q", c.src, err, c.want)
		}
	}
}

// TestSymbolsShared: one file, one placeholder per expression, also across
// policies; each policy's own bucket has the bucket role.
func TestSymbolsShared(t *testing.T) {
	src := `Resources:
  A: {Type: AWS::S3::Bucket}
  B: {Type: AWS::S3::Bucket}
  PA:
    Type: AWS::S3::BucketPolicy
    Properties:
      Bucket: !Ref A
      PolicyDocument: {Statement: [{Effect: Deny, Principal: '*', Action: 's3:*', Resource: [!GetAtt A.Arn, !GetAtt B.Arn]}]}
  PB:
    Type: AWS::S3::BucketPolicy
    Properties:
      Bucket: !Ref B
      PolicyDocument: {Statement: [{Effect: Deny, Principal: '*', Action: 's3:*', Resource: [!Sub '${B.Arn}', !Sub 'arn:aws:s3:::${A}']}]}
`
	docs, err := Locate("t.yaml", []byte(src))
	if err != nil || len(docs) != 2 {
		t.Fatal(len(docs), err)
	}
	role := func(d iac.Document) map[string]string {
		m := map[string]string{}
		for _, s := range d.Symbols {
			m[s.Expr] = s.Placeholder + " " + s.Role
		}
		return m
	}
	a, b := role(docs[0]), role(docs[1])
	if a["!Ref A"] != "fixpolicy-symbol-3 bucket" || a["!Ref B"] != "fixpolicy-symbol-4 " {
		t.Errorf("PA: %v", a)
	}
	if b["!Ref A"] != "fixpolicy-symbol-3 " || b["!Ref B"] != "fixpolicy-symbol-4 bucket" {
		t.Errorf("PB: %v", b)
	}
	if docs[0].Bucket != "fixpolicy-symbol-3" || docs[1].Bucket != "fixpolicy-symbol-4" {
		t.Errorf("buckets %q %q", docs[0].Bucket, docs[1].Bucket)
	}
}

// TestEditorRefusesRemovals: the patch never removes; an editor asked to
// says so rather than guessing.
func TestEditorRefusesRemovals(t *testing.T) {
	src := "Resources:\n  P:\n    Type: AWS::S3::BucketPolicy\n    Properties:\n      Bucket: b\n      PolicyDocument:\n        Statement:\n          - Effect: Deny\n            Sid: x\n"
	docs, err := Locate("t.yaml", []byte(src))
	if err != nil || len(docs) != 1 {
		t.Fatal(err)
	}
	ops := []iac.Op{{Kind: iac.RemoveMember, Path: iac.Path{{Key: "Statement"}, {Index: 0, IsIndex: true}}, Key: "Sid"}}
	if _, err := docs[0].Editor.Edit(ops, iac.EditOptions{}); err == nil {
		t.Error("a removal was accepted")
	}
}

// TestEditShapes: edits in shapes the fixtures do not cover (indentless
// sequences, insertion at the start, replacing a block list, an implicit
// null, a CRLF file) give templates that locate to Apply's result.
func TestEditShapes(t *testing.T) {
	base := "Resources:\n  P:\n    Type: AWS::S3::BucketPolicy\n    Properties:\n      Bucket: b\n      PolicyDocument:\n"
	for _, c := range []struct {
		policy string
		ops    []iac.Op
	}{
		{"        Statement:\n        - Effect: Deny\n          Action:\n            - a\n            - b  # c\n        Version: x\n",
			[]iac.Op{
				{Kind: iac.SetValue, Path: path("Statement", 0, "Action"), Value: val(`"s3:*"`)},
				{Kind: iac.InsertElem, Path: path("Statement"), Index: 0, Value: val(`{"Sid":"new","Condition":{"A":{"k":["v","w"]}}}`)},
				{Kind: iac.InsertElem, Path: path("Statement"), Index: 1, Value: val(`{"Sid":"last"}`)},
			}},
		{"        Statement:\n          - Effect: Deny\n            Condition:\n            Action: s3:*\n",
			[]iac.Op{
				{Kind: iac.SetValue, Path: path("Statement", 0, "Condition"), Value: val(`{"Bool":{"aws:SecureTransport":"false"}}`)},
				{Kind: iac.RenameKey, Path: path("Statement", 0), Key: "Action", NewKey: "NotAction"},
				{Kind: iac.SetValue, Path: path("Statement", 0, "Action"), Value: val(`["x","y"]`)},
			}},
		{"        Statement: {Effect: Deny}\n",
			[]iac.Op{{Kind: iac.SetValue, Path: path("Statement"), Value: val(`[{"Effect":"Deny"},{"Effect":"Allow","Principal":{"AWS":["1","2"]}}]`)}}},
		{"        Statement: [{Sid: 'é€𝄞', Action: 's3:*', Resource: \"ü\"}] # ñ\n",
			[]iac.Op{
				{Kind: iac.RenameKey, Path: path("Statement", 0), Key: "Action", NewKey: "NotAction"},
				{Kind: iac.SetValue, Path: path("Statement", 0, "Action"), Value: val(`["a","b"]`)},
				{Kind: iac.AddMember, Path: path("Statement", 0), Key: "Condition", Value: val(`{"k":{"x":"ÿ"}}`)},
			}},
		{"        Statement: []\n",
			[]iac.Op{{Kind: iac.InsertElem, Path: path("Statement"), Index: 0, Value: val(`{"Effect":"Deny"}`)}}},
		{"        Statement:\r\n          - Effect: Deny\r\n            Condition:\r\n              Bool: {}\r\n",
			[]iac.Op{
				{Kind: iac.AddMember, Path: path("Statement", 0, "Condition"), Key: "StringNotLike", Value: val(`{"aws:userid":"X:*"}`)},
				{Kind: iac.AddMember, Path: path("Statement", 0, "Condition", "Bool"), Key: "k", Value: val(`"v"`)},
			}},
	} {
		src := []byte(strings.ReplaceAll(base, "\n", lineEnd(c.policy)) + c.policy)
		docs, err := Locate("t.yaml", src)
		if err != nil || len(docs) != 1 || docs[0].Unsupported != "" {
			t.Fatalf("%q: %v %+v", c.policy, err, docs)
		}
		want, err := iac.Apply(mustJSON(t, docs[0].Policy), c.ops)
		if err != nil {
			t.Fatal(err)
		}
		sp, err := docs[0].Editor.Edit(c.ops, iac.EditOptions{})
		if err != nil {
			t.Fatalf("%q: %v", c.policy, err)
		}
		out, err := iac.ApplySplices(src, sp)
		if err != nil {
			t.Fatal(err)
		}
		again, err := Locate("t.yaml", out)
		if err != nil || len(again) != 1 || again[0].Unsupported != "" {
			t.Fatalf("%q: after the edit: %v\n%s", c.policy, err, out)
		}
		if got := jsonast.Compact(mustJSON(t, again[0].Policy)); string(got) != string(jsonast.Compact(want)) {
			t.Errorf("edited:\n%s\ngot  %s\nwant %s", out, got, jsonast.Compact(want))
		}
		if !strings.HasPrefix(string(out), string(src[:len(base)])) {
			t.Errorf("text before the policy changed:\n%s", out)
		}
	}
}

func lineEnd(s string) string {
	if strings.Contains(s, "\r\n") {
		return "\r\n"
	}
	return "\n"
}

func path(steps ...any) iac.Path {
	var p iac.Path
	for _, s := range steps {
		switch s := s.(type) {
		case string:
			p = append(p, iac.Step{Key: s})
		case int:
			p = append(p, iac.Step{Index: s, IsIndex: true})
		}
	}
	return p
}

func val(s string) *jsonast.Value {
	v, err := jsonast.Parse([]byte(s))
	if err != nil {
		panic(err)
	}
	return v
}

// FuzzLocate: no input makes Locate panic; a policy found is a policy
// reported (valid JSON, or Unsupported with a reason); an editable policy
// survives an edit that adds a member to every statement.
func FuzzLocate(f *testing.F) {
	for _, s := range []string{
		"Resources:\n  P:\n    Type: AWS::S3::BucketPolicy\n    Properties:\n      Bucket: !Ref B\n      PolicyDocument:\n        Statement:\n          - Effect: Deny\n            Resource: !Sub \"${B.Arn}/*\"\n",
		"Resources: {P: {Type: 'AWS::S3::BucketPolicy', Properties: {PolicyDocument: {Statement: [{Effect: Deny, Action: [!Join ['', [a, !Ref X]]]}]}}}}",
		`{"Resources": {"P": {"Type": "AWS::S3::BucketPolicy", "Properties": {"PolicyDocument": {"Statement": [{"Resource": {"Fn::GetAtt": ["B", "Arn"]}}]}}}}}`,
		"Resources:\n  P:\n    Type: AWS::S3::BucketPolicy\n    Properties:\n      PolicyDocument:\n        Statement:\n        - Condition: !If [C, {}, {}]\n",
		"Resources:\n  P:\n    Type: AWS::S3::BucketPolicy\n    Properties:\n      PolicyDocument:\n        Statement: &a\n        - Sid: |\n            x\n          Action: *a\n",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, src string) {
		docs, err := Locate("f", []byte(src))
		if err != nil {
			if strings.Contains(err.Error(), "\n") || !strings.HasPrefix(err.Error(), "f:") {
				t.Fatalf("error not one line naming the file: %q", err)
			}
			return
		}
		for _, d := range docs {
			if d.Unsupported != "" {
				continue
			}
			if !json.Valid(d.Policy) {
				t.Fatalf("%s: policy is not JSON: %s", d.Target(), d.Policy)
			}
			v, err := jsonast.Parse(d.Policy)
			if err != nil || d.Editor == nil {
				t.Fatalf("%s: %v, editor %v", d.Target(), err, d.Editor)
			}
			st := v.Get("Statement")
			if st == nil || st.Value.Kind != jsonast.Array {
				continue
			}
			var ops []iac.Op
			for i, e := range st.Value.Elems {
				if e.Kind == jsonast.Object && e.Get("FixpolicyFuzz") == nil {
					ops = append(ops, iac.Op{Kind: iac.AddMember, Path: path("Statement", i), Key: "FixpolicyFuzz", Value: val(`{"a:b":["x","arn:${y}"]}`)})
				}
			}
			want, err := iac.Apply(v, ops)
			if err != nil {
				t.Fatal(err)
			}
			sp, err := d.Editor.Edit(ops, iac.EditOptions{})
			if err != nil {
				return // refusing is allowed; writing something wrong is not
			}
			out, err := iac.ApplySplices([]byte(src), sp)
			if err != nil {
				t.Fatalf("%s: %v", d.Target(), err)
			}
			again, err := Locate("f", out)
			if err != nil {
				t.Fatalf("%s: the edit broke the template: %v\n%s", d.Target(), err, out)
			}
			for _, a := range again {
				if a.Address == d.Address && a.Unsupported == "" {
					g := substitute(string(jsonast.Compact(mustJSON(t, a.Policy))), a.Symbols, nil, map[string]string{})
					w := substitute(string(jsonast.Compact(want)), d.Symbols, nil, map[string]string{})
					if g != w {
						t.Fatalf("%s: after the edit\n%s\nwant\n%s\n%s", d.Target(), g, w, out)
					}
				}
			}
		}
	})
}

// TestEditKeepsOthers: an edit of one policy, in a template where an
// unsupported policy (whose reason names a line) follows it, is accepted,
// and the other policies read as before.
func TestEditKeepsOthers(t *testing.T) {
	src := []byte(`Resources:
  A:
    Type: AWS::S3::BucketPolicy
    Properties:
      Bucket: a
      PolicyDocument:
        Statement:
          - Effect: Deny
  B:
    Type: AWS::S3::BucketPolicy
    Properties:
      Bucket: b
      PolicyDocument:
        Statement:
          - Effect: !If [C, Deny, Allow]
`)
	docs, err := Locate("t.yaml", src)
	if err != nil || len(docs) != 2 || docs[1].Unsupported == "" {
		t.Fatal(err, docs)
	}
	ops := []iac.Op{{Kind: iac.InsertElem, Path: path("Statement"), Index: 1, Value: val(`{"Effect":"Allow","Sid":"x"}`)}}
	sp, err := docs[0].Editor.Edit(ops, iac.EditOptions{})
	if err != nil {
		t.Fatal(err)
	}
	out, _ := iac.ApplySplices(src, sp)
	if !strings.Contains(string(out), "          - Effect: Deny\n          - Effect: Allow\n            Sid: x\n  B:") {
		t.Errorf("edited:\n%s", out)
	}
}
