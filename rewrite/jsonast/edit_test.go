package jsonast

import (
	"strings"
	"testing"
)

// edit parses src, applies f, renders, and compares with want. The
// rendering must also parse back to a tree Equal to the edited one.
func edit(t *testing.T, src string, f func(v *Value), want string) {
	t.Helper()
	v := mustParse(t, src)
	f(v)
	got := string(Render(v))
	if got != want {
		t.Errorf("rendering mismatch\n--- got:\n%s\n--- want:\n%s\n--- got %q\n--- want %q", got, want, got, want)
	}
	back, err := Parse([]byte(got))
	if err != nil {
		t.Fatalf("rendering does not parse: %v", err)
	}
	if !back.Equal(v) {
		t.Errorf("rendering is not Equal to the edited tree")
	}
}

func stmt(v *Value, i int) *Value { return v.Get("Statement").Value.Elems[i] }

func TestAppendMember(t *testing.T) {
	add := func(v *Value) { v.Members = append(v.Members, NewMember("Id", NewString("P1"))) }
	tests := []struct{ name, src, want string }{
		{"minified", `{"Version":"2012-10-17"}`, `{"Version":"2012-10-17","Id":"P1"}`},
		{"minified two members", `{"a":1,"Version":"2012-10-17"}`, `{"a":1,"Version":"2012-10-17","Id":"P1"}`},
		{"single line spaces", `{ "Version": "2012-10-17" }`, `{ "Version": "2012-10-17", "Id": "P1" }`},
		{"single line no inner space", `{"a": 1, "Version": "2012-10-17"}`, `{"a": 1, "Version": "2012-10-17", "Id": "P1"}`},
		{"odd spacing", `{ "a" : 1 }`, `{ "a" : 1, "Id" : "P1" }`},
		{"two-space", "{\n  \"Version\": \"2012-10-17\"\n}\n", "{\n  \"Version\": \"2012-10-17\",\n  \"Id\": \"P1\"\n}\n"},
		{"four-space", "{\n    \"Version\": \"2012-10-17\"\n}", "{\n    \"Version\": \"2012-10-17\",\n    \"Id\": \"P1\"\n}"},
		{"tabs", "{\n\t\"Version\": \"2012-10-17\"\n}\n", "{\n\t\"Version\": \"2012-10-17\",\n\t\"Id\": \"P1\"\n}\n"},
		{"crlf", "{\r\n  \"Version\": \"2012-10-17\"\r\n}\r\n", "{\r\n  \"Version\": \"2012-10-17\",\r\n  \"Id\": \"P1\"\r\n}\r\n"},
		{"empty minified", `{}`, `{"Id": "P1"}`},
		{"empty multi-line", "{}\n", "{\n    \"Id\": \"P1\"\n}\n"},
		{"bom and surrounding whitespace", "\uFEFF \n{\n  \"a\": 1\n}\n\n", "\uFEFF \n{\n  \"a\": 1,\n  \"Id\": \"P1\"\n}\n\n"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) { edit(t, tc.src, add, tc.want) })
	}
}

func newStatement() *Value {
	return NewObject(
		NewMember("Sid", NewString("DenyInsecureTransport")),
		NewMember("Effect", NewString("Deny")),
		NewMember("Principal", NewString("*")),
		NewMember("Action", NewString("s3:*")),
		NewMember("Resource", NewArray(
			NewString("arn:aws:s3:::example-bucket"),
			NewString("arn:aws:s3:::example-bucket/*"),
		)),
		NewMember("Condition", NewObject(
			NewMember("Bool", NewObject(NewMember("aws:SecureTransport", NewString("false")))),
		)),
	)
}

const policy2WithDeny = `{
  "Version": "2012-10-17",
  "Statement": [
    {
      "Sid": "AllowRead",
      "Effect": "Allow",
      "Principal": "*",
      "Action": "s3:GetObject",
      "Resource": "arn:aws:s3:::example-bucket/*"
    },
    {
      "Sid": "DenyInsecureTransport",
      "Effect": "Deny",
      "Principal": "*",
      "Action": "s3:*",
      "Resource": [
        "arn:aws:s3:::example-bucket",
        "arn:aws:s3:::example-bucket/*"
      ],
      "Condition": {
        "Bool": {
          "aws:SecureTransport": "false"
        }
      }
    }
  ]
}
`

func TestInsertStatement(t *testing.T) {
	appendStmt := func(v *Value) {
		s := v.Get("Statement").Value
		s.Elems = append(s.Elems, newStatement())
	}
	t.Run("two-space", func(t *testing.T) { edit(t, policy2, appendStmt, policy2WithDeny) })
	t.Run("four-space", func(t *testing.T) {
		edit(t, reindent(policy2, "    "), appendStmt, reindent(policy2WithDeny, "    "))
	})
	t.Run("tabs", func(t *testing.T) {
		want := "{\n\t\"Version\": \"2012-10-17\",\n\t\"Statement\": [\n\t\t{\n" +
			"\t\t\t\"Sid\": \"AllowRead\",\n\t\t\t\"Effect\": \"Allow\",\n\t\t\t\"Principal\": \"*\",\n" +
			"\t\t\t\"Action\": \"s3:GetObject\",\n\t\t\t\"Resource\": \"arn:aws:s3:::example-bucket/*\"\n" +
			"\t\t},\n\t\t{\n" +
			"\t\t\t\"Sid\": \"DenyInsecureTransport\",\n\t\t\t\"Effect\": \"Deny\",\n\t\t\t\"Principal\": \"*\",\n" +
			"\t\t\t\"Action\": \"s3:*\",\n\t\t\t\"Resource\": [\n" +
			"\t\t\t\t\"arn:aws:s3:::example-bucket\",\n\t\t\t\t\"arn:aws:s3:::example-bucket/*\"\n\t\t\t],\n" +
			"\t\t\t\"Condition\": {\n\t\t\t\t\"Bool\": {\n\t\t\t\t\t\"aws:SecureTransport\": \"false\"\n\t\t\t\t}\n\t\t\t}\n" +
			"\t\t}\n\t]\n}\n"
		if got := reindent(policy2WithDeny, "\t"); got != want {
			t.Fatalf("reindent helper broken:\n%s", got)
		}
		edit(t, reindent(policy2, "\t"), appendStmt, want)
	})
	t.Run("crlf", func(t *testing.T) {
		crlf := func(s string) string { return strings.ReplaceAll(s, "\n", "\r\n") }
		edit(t, crlf(policy2), appendStmt, crlf(policy2WithDeny))
	})
	t.Run("minified", func(t *testing.T) {
		edit(t,
			`{"Version":"2012-10-17","Statement":[{"Sid":"AllowRead","Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::example-bucket/*"}]}`,
			appendStmt,
			`{"Version":"2012-10-17","Statement":[{"Sid":"AllowRead","Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::example-bucket/*"},`+
				`{"Sid":"DenyInsecureTransport","Effect":"Deny","Principal":"*","Action":"s3:*","Resource":["arn:aws:s3:::example-bucket","arn:aws:s3:::example-bucket/*"],"Condition":{"Bool":{"aws:SecureTransport":"false"}}}]}`)
	})
	t.Run("single-line with spaces", func(t *testing.T) {
		edit(t,
			`{ "Version": "2012-10-17", "Statement": [ { "Sid": "AllowRead", "Effect": "Allow", "Principal": "*", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::example-bucket/*" } ] }`+"\n",
			appendStmt,
			`{ "Version": "2012-10-17", "Statement": [ { "Sid": "AllowRead", "Effect": "Allow", "Principal": "*", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::example-bucket/*" }, `+
				`{ "Sid": "DenyInsecureTransport", "Effect": "Deny", "Principal": "*", "Action": "s3:*", "Resource": [ "arn:aws:s3:::example-bucket", "arn:aws:s3:::example-bucket/*" ], "Condition": { "Bool": { "aws:SecureTransport": "false" } } } ] }`+"\n")
	})
	t.Run("hugging brackets", func(t *testing.T) {
		edit(t, "{\n    \"Statement\": [{\n        \"Effect\": \"Allow\"\n    }]\n}\n",
			func(v *Value) {
				s := v.Get("Statement").Value
				s.Elems = append(s.Elems, NewObject(NewMember("Effect", NewString("Deny")), NewMember("Action", NewArray(NewString("s3:*")))))
			},
			"{\n    \"Statement\": [{\n        \"Effect\": \"Allow\"\n    }, {\n        \"Effect\": \"Deny\",\n        \"Action\": [\n            \"s3:*\"\n        ]\n    }]\n}\n")
	})
	t.Run("insert first", func(t *testing.T) {
		edit(t, policy2, func(v *Value) {
			v.Get("Statement").Value.InsertElem(0, NewObject(NewMember("Sid", NewString("First"))))
		}, strings.Replace(policy2, "  \"Statement\": [\n", "  \"Statement\": [\n    {\n      \"Sid\": \"First\"\n    },\n", 1))
	})
	t.Run("clone, edit and append", func(t *testing.T) {
		edit(t, policy2, func(v *Value) {
			s := v.Get("Statement").Value
			c := s.Elems[0].Clone()
			c.Get("Sid").Value.Str = "AllowWrite"
			c.Get("Action").Value = NewString("s3:PutObject")
			s.Elems = append(s.Elems, c)
		}, strings.Replace(policy2, "    }\n", `    },
    {
      "Sid": "AllowWrite",
      "Effect": "Allow",
      "Principal": "*",
      "Action": "s3:PutObject",
      "Resource": "arn:aws:s3:::example-bucket/*"
    }
`, 1))
	})
	t.Run("into empty array multi-line", func(t *testing.T) {
		edit(t, "{\n  \"Version\": \"2012-10-17\",\n  \"Statement\": []\n}\n", func(v *Value) {
			s := v.Get("Statement").Value
			s.Elems = append(s.Elems, NewObject(NewMember("Effect", NewString("Deny"))))
		}, "{\n  \"Version\": \"2012-10-17\",\n  \"Statement\": [\n    {\n      \"Effect\": \"Deny\"\n    }\n  ]\n}\n")
	})
}

func TestStringToArrayAndBack(t *testing.T) {
	toArray := func(v *Value) {
		stmt(v, 0).Get("Action").Value = NewArray(NewString("s3:GetObject"), NewString("s3:PutObject"))
	}
	t.Run("multi-line", func(t *testing.T) {
		edit(t, policy2, toArray, strings.Replace(policy2, `"Action": "s3:GetObject",`,
			"\"Action\": [\n        \"s3:GetObject\",\n        \"s3:PutObject\"\n      ],", 1))
	})
	t.Run("minified", func(t *testing.T) {
		edit(t, `{"Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"*"}]}`, toArray,
			`{"Statement":[{"Effect":"Allow","Action":["s3:GetObject","s3:PutObject"],"Resource":"*"}]}`)
	})
	t.Run("single-line spaces", func(t *testing.T) {
		edit(t, `{ "Statement": [ { "Effect": "Allow", "Action": "s3:*" } ] }`, toArray,
			`{ "Statement": [ { "Effect": "Allow", "Action": [ "s3:GetObject", "s3:PutObject" ] } ] }`)
	})
	t.Run("one-line statement in multi-line document", func(t *testing.T) {
		edit(t, "{\n  \"Statement\": [\n    {\"Effect\": \"Allow\", \"Action\": \"s3:*\"}\n  ]\n}", toArray,
			"{\n  \"Statement\": [\n    {\"Effect\": \"Allow\", \"Action\": [\"s3:GetObject\", \"s3:PutObject\"]}\n  ]\n}")
	})
	t.Run("kind change in place", func(t *testing.T) {
		edit(t, policy2, func(v *Value) {
			a := stmt(v, 0).Get("Action").Value
			a.Kind = Array
			a.Elems = []*Value{NewString(a.Str)}
		}, strings.Replace(policy2, `"Action": "s3:GetObject",`, "\"Action\": [\n        \"s3:GetObject\"\n      ],", 1))
	})
	arrayDoc := strings.Replace(policy2, `"Action": "s3:GetObject",`,
		"\"Action\": [\n        \"s3:GetObject\",\n        \"s3:PutObject\"\n      ],", 1)
	t.Run("back to string", func(t *testing.T) {
		edit(t, arrayDoc, func(v *Value) { stmt(v, 0).Get("Action").Value = NewString("s3:*") },
			strings.Replace(policy2, `"s3:GetObject"`, `"s3:*"`, 1))
	})
	t.Run("back to string minified", func(t *testing.T) {
		edit(t, `{"Action":["s3:GetObject","s3:PutObject"],"Resource":"*"}`,
			func(v *Value) { v.Get("Action").Value = NewString("s3:*") },
			`{"Action":"s3:*","Resource":"*"}`)
	})
}

func TestRemoveElement(t *testing.T) {
	multi := "{\n  \"Action\": [\n    \"s3:GetObject\",\n    \"s3:PutObject\",\n    \"s3:DeleteObject\"\n  ]\n}\n"
	single := `{"Action": ["s3:GetObject", "s3:PutObject", "s3:DeleteObject"]}`
	spaced := `{ "Action": [ "s3:GetObject", "s3:PutObject", "s3:DeleteObject" ] }`
	rm := func(i int) func(v *Value) { return func(v *Value) { v.Get("Action").Value.RemoveElem(i) } }
	tests := []struct {
		name, src string
		i         int
		want      string
	}{
		{"multi first", multi, 0, "{\n  \"Action\": [\n    \"s3:PutObject\",\n    \"s3:DeleteObject\"\n  ]\n}\n"},
		{"multi middle", multi, 1, "{\n  \"Action\": [\n    \"s3:GetObject\",\n    \"s3:DeleteObject\"\n  ]\n}\n"},
		{"multi last", multi, 2, "{\n  \"Action\": [\n    \"s3:GetObject\",\n    \"s3:PutObject\"\n  ]\n}\n"},
		{"single first", single, 0, `{"Action": ["s3:PutObject", "s3:DeleteObject"]}`},
		{"single middle", single, 1, `{"Action": ["s3:GetObject", "s3:DeleteObject"]}`},
		{"single last", single, 2, `{"Action": ["s3:GetObject", "s3:PutObject"]}`},
		{"spaced first", spaced, 0, `{ "Action": [ "s3:PutObject", "s3:DeleteObject" ] }`},
		{"spaced last", spaced, 2, `{ "Action": [ "s3:GetObject", "s3:PutObject" ] }`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) { edit(t, tc.src, rm(tc.i), tc.want) })
	}
	t.Run("remove all", func(t *testing.T) {
		edit(t, multi, func(v *Value) { v.Get("Action").Value.Elems = nil }, "{\n  \"Action\": []\n}\n")
	})
	t.Run("remove statement", func(t *testing.T) {
		edit(t, policy2WithDeny, func(v *Value) { v.Get("Statement").Value.RemoveElem(1) }, policy2)
	})
	t.Run("remove members first and last", func(t *testing.T) {
		edit(t, policy2, func(v *Value) {
			s := stmt(v, 0)
			s.Delete("Sid")
			s.Delete("Resource")
		}, strings.Replace(strings.Replace(policy2, "      \"Sid\": \"AllowRead\",\n", "", 1),
			"\"s3:GetObject\",\n      \"Resource\": \"arn:aws:s3:::example-bucket/*\"", `"s3:GetObject"`, 1))
	})
	t.Run("remove from comma-first", func(t *testing.T) {
		edit(t, "[ 1\n, 2\n, 3\n]", func(v *Value) { v.RemoveElem(2) }, "[ 1\n, 2\n]")
		edit(t, "[ 1\n, 2\n, 3\n]", func(v *Value) { v.RemoveElem(0) }, "[ 2\n, 3\n]")
	})
}

func TestRenameKey(t *testing.T) {
	rename := func(v *Value) { stmt(v, 0).Get("Action").Key = "NotAction" }
	edit(t, policy2, rename, strings.Replace(policy2, `"Action"`, `"NotAction"`, 1))
	edit(t, `{"Statement":[{"Effect":"Deny","Action" :"s3:*"}]}`, rename, `{"Statement":[{"Effect":"Deny","NotAction" :"s3:*"}]}`)
	// an escaped key is kept as written unless renamed
	edit(t, `{"\u0041ction":1,"b":2}`, func(v *Value) { v.Get("b").Value = NewNumber("3") }, `{"\u0041ction":1,"b":3}`)
	edit(t, `{"\u0041ction":1,"b":2}`, func(v *Value) { v.Get("Action").Key = "NotAction" }, `{"NotAction":1,"b":2}`)
}

const conditionDoc = `{
    "Version": "2012-10-17",
    "Statement": [
        {
            "Effect": "Deny",
            "Principal": "*",
            "Action": "s3:*",
            "Resource": "arn:aws:s3:::b/*",
            "Condition": {
                "StringNotEquals": {
                    "aws:PrincipalOrgID": "o-abc123"
                }
            }
        }
    ]
}
`

func TestAddToCondition(t *testing.T) {
	t.Run("new operator block", func(t *testing.T) {
		edit(t, conditionDoc, func(v *Value) {
			c := stmt(v, 0).Get("Condition").Value
			c.Set("Bool", NewObject(NewMember("aws:SecureTransport", NewString("false"))))
		}, strings.Replace(conditionDoc, `                    "aws:PrincipalOrgID": "o-abc123"
                }
`, `                    "aws:PrincipalOrgID": "o-abc123"
                },
                "Bool": {
                    "aws:SecureTransport": "false"
                }
`, 1))
	})
	t.Run("new key in operator block", func(t *testing.T) {
		edit(t, conditionDoc, func(v *Value) {
			c := stmt(v, 0).Get("Condition").Value.Get("StringNotEquals").Value
			c.Set("aws:SourceVpc", NewArray(NewString("vpc-1"), NewString("vpc-2")))
		}, strings.Replace(conditionDoc, `                    "aws:PrincipalOrgID": "o-abc123"
`, `                    "aws:PrincipalOrgID": "o-abc123",
                    "aws:SourceVpc": [
                        "vpc-1",
                        "vpc-2"
                    ]
`, 1))
	})
	t.Run("new condition on statement", func(t *testing.T) {
		edit(t, policy2, func(v *Value) {
			stmt(v, 0).Set("Condition", NewObject(NewMember("Bool", NewObject(NewMember("aws:SecureTransport", NewBool(true))))))
		}, strings.Replace(policy2, `"Resource": "arn:aws:s3:::example-bucket/*"
`, `"Resource": "arn:aws:s3:::example-bucket/*",
      "Condition": {
        "Bool": {
          "aws:SecureTransport": true
        }
      }
`, 1))
	})
}

func TestDeepEditKeepsOtherLines(t *testing.T) {
	for _, src := range []string{conditionDoc, strings.ReplaceAll(conditionDoc, "\n", "\r\n"), reindent(strings.ReplaceAll(conditionDoc, "    ", "  "), "\t")} {
		v := mustParse(t, src)
		stmt(v, 0).Get("Condition").Value.Get("StringNotEquals").Value.Get("aws:PrincipalOrgID").Value.Str = "o-zzz999"
		got := string(Render(v))
		a, b := strings.Split(src, "\n"), strings.Split(got, "\n")
		if len(a) != len(b) {
			t.Fatalf("line count changed: %d -> %d", len(a), len(b))
		}
		diff := 0
		for i := range a {
			if a[i] != b[i] {
				diff++
				if strings.Replace(a[i], "o-abc123", "o-zzz999", 1) != b[i] {
					t.Errorf("line %d: %q -> %q", i+1, a[i], b[i])
				}
			}
		}
		if diff != 1 {
			t.Errorf("%d lines changed, want 1", diff)
		}
	}
}

func TestScalarEdits(t *testing.T) {
	edit(t, `{"a": "x", "b": 1.50, "c": true, "d": null}`, func(v *Value) {
		v.Get("a").Value.Str = "<tag> & \"q\" \\ \n\t\x01 é 😀"
		v.Get("c").Value.Bool = false
		v.Get("d").Value = NewNumber("1.0e+10")
	}, `{"a": "<tag> & \"q\" \\ \n\t\u0001 é 😀", "b": 1.50, "c": false, "d": 1.0e+10}`)
	// unchanged escapes and number spellings are kept
	edit(t, `{"a": "\u00e9\/", "b": 1E+2, "c": 0}`, func(v *Value) { v.Get("c").Value.Num = "-0.5" },
		`{"a": "\u00e9\/", "b": 1E+2, "c": -0.5}`)
	// setting a value back to its original content restores the original text
	edit(t, `{"a": "\u00e9"}`, func(v *Value) { v.Get("a").Value = NewString("é") }, `{"a": "\u00e9"}`)
}

func TestMoveBetweenDepths(t *testing.T) {
	src := "{\n  \"Statement\": {\n    \"Effect\": \"Allow\",\n    \"Action\": [\n      \"s3:GetObject\"\n    ]\n  }\n}\n"
	// wrap the single statement object in an array: it is re-indented
	edit(t, src, func(v *Value) {
		m := v.Get("Statement")
		m.Value = NewArray(m.Value)
	}, "{\n  \"Statement\": [\n    {\n      \"Effect\": \"Allow\",\n      \"Action\": [\n        \"s3:GetObject\"\n      ]\n    }\n  ]\n}\n")
	// and unwrap again
	edit(t, "{\n  \"Statement\": [\n    {\n      \"Effect\": \"Allow\",\n      \"Action\": [\n        \"s3:GetObject\"\n      ]\n    }\n  ]\n}\n",
		func(v *Value) {
			m := v.Get("Statement")
			m.Value = m.Value.Elems[0]
		}, src)
	// a moved value that is then edited keeps its own member layout
	edit(t, src, func(v *Value) {
		m := v.Get("Statement")
		m.Value.Set("Effect", NewString("Deny"))
		m.Value = NewArray(m.Value)
	}, "{\n  \"Statement\": [\n    {\n      \"Effect\": \"Deny\",\n      \"Action\": [\n        \"s3:GetObject\"\n      ]\n    }\n  ]\n}\n")
}

func TestMoveEmptySourceContainer(t *testing.T) {
	// a copy of a source container that had no children, filled and moved
	// one level deeper: its new layout is derived at the new depth
	edit(t, "{\n  \"x\": {}\n}\n", func(v *Value) {
		c := v.Get("x").Value.Clone()
		c.Set("k", NewNumber("1"))
		v.Set("y", NewArray(c))
	}, "{\n  \"x\": {},\n  \"y\": [\n    {\n      \"k\": 1\n    }\n  ]\n}\n")
}

func TestReorderAndSubtreeRender(t *testing.T) {
	src := "{\n  \"b\": [1, 2],\n  \"a\": {\n    \"x\": 1\n  }\n}"
	edit(t, src, func(v *Value) { v.Members[0], v.Members[1] = v.Members[1], v.Members[0] },
		"{\n  \"a\": {\n    \"x\": 1\n  },\n  \"b\": [1, 2]\n}")
	v := mustParse(t, src)
	if got := string(Render(v.Get("a").Value)); got != "{\n    \"x\": 1\n  }" {
		t.Errorf("subtree render: %q", got)
	}
	v.Get("a").Value.Set("y", NewNumber("2"))
	if got := string(Render(v.Get("a").Value)); got != "{\n    \"x\": 1,\n    \"y\": 2\n  }" {
		t.Errorf("edited subtree render: %q", got)
	}
}

func TestRenderNewTree(t *testing.T) {
	v := NewObject(
		NewMember("Version", NewString("2012-10-17")),
		NewMember("Statement", NewArray(NewObject(NewMember("Effect", NewString("Allow")), NewMember("Empty", NewArray())))),
	)
	want := "{\n    \"Version\": \"2012-10-17\",\n    \"Statement\": [\n        {\n            \"Effect\": \"Allow\",\n            \"Empty\": []\n        }\n    ]\n}"
	if got := string(Render(v)); got != want {
		t.Errorf("got\n%s", got)
	}
	st := Style{Multiline: false, Colon: ":", Indent: "  ", Newline: "\n"}
	if got := string(RenderStyle(v, st)); got != string(Compact(v)) {
		t.Errorf("compact style: %s", got)
	}
	if got := string(Indent(v, "", "    ")); got != want {
		t.Errorf("Indent: %s", got)
	}
}

func TestDetect(t *testing.T) {
	tests := []struct {
		src  string
		want Style
	}{
		{policy2, Style{Multiline: true, Indent: "  ", Newline: "\n", Colon: ": ", CommaSpace: true}},
		{reindent(policy2, "\t"), Style{Multiline: true, Indent: "\t", Newline: "\n", Colon: ": ", CommaSpace: true}},
		{strings.ReplaceAll(reindent(policy2, "    "), "\n", "\r\n"), Style{Multiline: true, Indent: "    ", Newline: "\r\n", Colon: ": ", CommaSpace: true}},
		{`{"a":[1,2]}`, Style{Indent: "    ", Newline: "\n", Colon: ":"}},
		{`{ "a" : [ 1, 2 ] }`, Style{Indent: "    ", Newline: "\n", Colon: " : ", CommaSpace: true, InnerSpace: true}},
		{`not json`, DefaultStyle()},
	}
	for _, tc := range tests {
		if got := Detect([]byte(tc.src)); got != tc.want {
			t.Errorf("Detect(%q) = %+v, want %+v", tc.src, got, tc.want)
		}
	}
}
