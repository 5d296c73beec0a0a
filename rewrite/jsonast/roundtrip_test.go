package jsonast

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// corpus is a set of valid documents in varied styles; every one must
// round-trip byte for byte. It also seeds FuzzParseRender.
var corpus = []string{
	// minified, no trailing newline
	`{"Version":"2012-10-17","Statement":[{"Sid":"A","Effect":"Allow","Principal":"*","Action":["s3:GetObject","s3:PutObject"],"Resource":"arn:aws:s3:::b/*"}]}`,
	// 2 spaces, trailing newline
	policy2,
	// 4 spaces
	reindent(policy2, "    "),
	// tabs
	reindent(policy2, "\t"),
	// CRLF line endings
	strings.ReplaceAll(policy2, "\n", "\r\n"),
	// single line with spaces
	`{ "Version": "2012-10-17", "Statement": [ { "Effect": "Allow", "Action": [ "s3:GetObject" ], "Resource": "*" } ] }`,
	// odd spacing
	`{ "a" : 1 }`,
	"{ \"a\" :1 ,\"b\"\t:\t[ 1 ,2 , 3 ] , \"c\":{ } ,\"d\":[ ] }\n\n",
	// nested arrays
	`[[[]],[[1,[2,[3]]]],[{"a":[[{}]]}]]`,
	"[\n  [\n    1,\n    [2, 3]\n  ],\n  []\n]\n",
	// unicode and escapes
	`{"s":"\u0041\u00e9\ud83d\ude00 \"q\" \\ \/ \b\f\n\r\t","raw":"é😀 <>&","k\u00e9y":"\u2028"}`,
	`["\ud800", "\udc00x", "\ud800\u0041"]`,
	// numbers kept as written
	`{"big":123456789012345678,"exp":1.0e+10,"neg":-0.0,"small":1E-7,"int":0,"frac":3.14159265358979323846}`,
	// BOM
	"\uFEFF{\"a\": 1}\n",
	"\uFEFF  [1, 2]  ",
	// scalars at top level, surrounding whitespace
	`"just a string"`,
	"  42  ",
	"\n\ttrue\n",
	`null`,
	"false\r\n",
	`-1.5e-300`,
	// empty containers
	`{}`,
	"[]\n",
	"{\n}\n",
	"[ ]",
	// comma-first style and whitespace before commas
	"[ 1\n, 2\n, 3\n]",
	"{\"a\" : 1 , \"b\" : 2}",
	// hugging brackets
	"{\n    \"Statement\": [{\n        \"Effect\": \"Allow\"\n    }]\n}\n",
	// weird indentation
	"{\n\"a\": {\n\"b\": 1\n}\n}",
	"{\n   \"a\": [\n         1,\n      2\n   ]\n}",
	// blank lines
	"{\n\n  \"a\": 1,\n\n  \"b\": 2\n\n}\n",
}

const policy2 = `{
  "Version": "2012-10-17",
  "Statement": [
    {
      "Sid": "AllowRead",
      "Effect": "Allow",
      "Principal": "*",
      "Action": "s3:GetObject",
      "Resource": "arn:aws:s3:::example-bucket/*"
    }
  ]
}
`

// reindent replaces each two-space indentation step at the start of lines
// of a two-space-indented document by unit.
func reindent(s, unit string) string {
	lines := strings.Split(s, "\n")
	for i, l := range lines {
		t := strings.TrimLeft(l, " ")
		lines[i] = strings.Repeat(unit, (len(l)-len(t))/2) + t
	}
	return strings.Join(lines, "\n")
}

func mustParse(t testing.TB, src string) *Value {
	t.Helper()
	v, err := Parse([]byte(src))
	if err != nil {
		t.Fatalf("Parse(%q): %v", src, err)
	}
	return v
}

func testdataDocs(t testing.TB) map[string]string {
	t.Helper()
	docs := map[string]string{}
	files, err := filepath.Glob(filepath.Join("testdata", "policies", "*.json"))
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		docs[f] = string(b)
	}
	if len(docs) == 0 {
		t.Fatal("no testdata/policies/*.json")
	}
	return docs
}

func allDocs(t testing.TB) map[string]string {
	docs := testdataDocs(t)
	for i, s := range corpus {
		docs["corpus#"+string(rune('A'+i))] = s
	}
	return docs
}

func TestRoundTrip(t *testing.T) {
	for name, src := range allDocs(t) {
		t.Run(name, func(t *testing.T) {
			checkInvariants(t, []byte(src))
			v := mustParse(t, src)
			// matches encoding/json's view of the document
			var a, b any
			if err := json.Unmarshal(bytes.TrimPrefix([]byte(src), []byte(bom)), &a); err != nil {
				t.Fatalf("encoding/json rejects corpus doc: %v", err)
			}
			if err := json.Unmarshal(Compact(v), &b); err != nil {
				t.Fatalf("encoding/json rejects Compact: %v", err)
			}
			ja, _ := json.Marshal(a)
			jb, _ := json.Marshal(b)
			if !bytes.Equal(ja, jb) {
				t.Errorf("content differs from encoding/json:\n%s\n%s", ja, jb)
			}
			if v.Modified() {
				t.Error("freshly parsed value reports Modified")
			}
		})
	}
}

// checkInvariants is shared with the fuzzer: for any input, Parse does not
// panic; for a valid one, Render(v) == input, Compact(v) parses to an equal
// tree, a clone renders identically, and mutated trees render to valid JSON
// equal to the mutated tree.
func checkInvariants(t *testing.T, src []byte) {
	t.Helper()
	v, err := Parse(src)
	if err != nil {
		se, ok := err.(*SyntaxError)
		if !ok {
			t.Fatalf("error is %T, not *SyntaxError", err)
		}
		if se.Offset < 0 || se.Offset > len(src) || se.Line < 1 || se.Col < 1 || se.Msg == "" {
			t.Fatalf("bad error %#v", se)
		}
		if l, c := LineCol(src, se.Offset); l != se.Line || c != se.Col {
			t.Fatalf("error position %d:%d, LineCol says %d:%d", se.Line, se.Col, l, c)
		}
		return
	}
	if got := Render(v); !bytes.Equal(got, src) {
		t.Fatalf("Render differs from source:\nsrc: %q\ngot: %q", src, got)
	}
	c := Compact(v)
	cv, err := Parse(c)
	if err != nil {
		t.Fatalf("Compact output does not parse: %v\n%q", err, c)
	}
	if !cv.Equal(v) {
		t.Fatalf("Compact round trip not Equal: %q", c)
	}
	if bytes.ContainsAny(c, " \t\r\n") && !bytes.Equal(Compact(cv), c) {
		t.Fatalf("Compact not stable: %q", c)
	}
	iv, err := Parse(Indent(v, "", "  "))
	if err != nil || !iv.Equal(v) {
		t.Fatalf("Indent round trip: %v\n%s", err, Indent(v, "", "  "))
	}
	cl := v.Clone()
	if got := Render(cl); !bytes.Equal(got, src) {
		t.Fatalf("Render(Clone) differs:\nsrc: %q\ngot: %q", src, got)
	}
	if !cl.Equal(v) {
		t.Fatal("clone not Equal")
	}

	// Mutations on clones; each rendering must parse to an equal tree.
	check := func(what string, m *Value) {
		t.Helper()
		out := Render(m)
		mv, err := Parse(out)
		if err != nil {
			t.Fatalf("%s: rendering does not parse: %v\nsrc: %q\nout: %q", what, err, src, out)
		}
		if !mv.Equal(m) {
			t.Fatalf("%s: rendering not Equal to mutated tree\nsrc: %q\nout: %q", what, src, out)
		}
		// the rendering of an unchanged re-parse is stable
		if again := Render(mv); !bytes.Equal(again, out) {
			t.Fatalf("%s: re-render differs", what)
		}
	}
	for _, mut := range mutations {
		m := v.Clone()
		if mut.f(m) {
			check(mut.name, m)
		}
	}
}

type mutation struct {
	name string
	f    func(v *Value) bool // reports whether it applied
}

// containers returns the containers of v in pre-order with their depth.
func containers(v *Value, depth int, f func(c *Value, depth int)) {
	if v == nil {
		return
	}
	if v.Kind == Array || v.Kind == Object {
		f(v, depth)
	}
	for _, e := range v.Elems {
		containers(e, depth+1, f)
	}
	for _, m := range v.Members {
		if m != nil {
			containers(m.Value, depth+1, f)
		}
	}
}

// depthOf returns the container nesting depth of v.
func depthOf(v *Value) int {
	max := 0
	containers(v, 1, func(c *Value, d int) {
		if d > max {
			max = d
		}
	})
	return max
}

func unusedKey(o *Value) string {
	k := "new"
	for o.Get(k) != nil {
		k += "_"
	}
	return k
}

func newNested() *Value {
	return NewObject(
		NewMember("Effect", NewString("Deny")),
		NewMember("Action", NewArray(NewString("s3:GetObject"), NewString("s3:PutObject"))),
		NewMember("Empty", NewObject()),
	)
}

// add appends a scalar, or a nested value when depth allows, to c.
func add(c *Value, depth int, at int) {
	var nv *Value = NewString("x<&>\n\"é")
	if depth+3 <= MaxDepth {
		nv = newNested()
	}
	if c.Kind == Object {
		m := NewMember(unusedKey(c), nv)
		if at < 0 || at > len(c.Members) {
			c.Members = append(c.Members, m)
		} else {
			c.InsertMember(at, m)
		}
		return
	}
	if at < 0 || at > len(c.Elems) {
		c.Elems = append(c.Elems, nv)
	} else {
		c.InsertElem(at, nv)
	}
}

var mutations = []mutation{
	{"append to root", func(v *Value) bool {
		if v.Kind != Array && v.Kind != Object {
			return false
		}
		add(v, 1, -1)
		return true
	}},
	{"insert at 0 in every container", func(v *Value) bool {
		var cs []*Value
		var ds []int
		containers(v, 1, func(c *Value, d int) { cs = append(cs, c); ds = append(ds, d) })
		for i, c := range cs {
			add(c, ds[i], 0)
		}
		return len(cs) > 0
	}},
	{"append to deepest container", func(v *Value) bool {
		var deep *Value
		dd := 0
		containers(v, 1, func(c *Value, d int) {
			if d > dd {
				deep, dd = c, d
			}
		})
		if deep == nil {
			return false
		}
		add(deep, dd, -1)
		return true
	}},
	{"remove first child everywhere", func(v *Value) bool {
		ok := false
		containers(v, 1, func(c *Value, d int) {
			if len(c.Elems) > 0 {
				c.RemoveElem(0)
				ok = true
			}
			if len(c.Members) > 0 {
				c.RemoveMember(0)
				ok = true
			}
		})
		return ok
	}},
	{"remove last child of root", func(v *Value) bool {
		switch {
		case len(v.Elems) > 0:
			v.Elems = v.Elems[:len(v.Elems)-1]
		case len(v.Members) > 0:
			v.Members = v.Members[:len(v.Members)-1]
		default:
			return false
		}
		return true
	}},
	{"scalars to arrays and back", func(v *Value) bool {
		if depthOf(v) >= MaxDepth {
			return false
		}
		n := 0
		var walk func(x *Value)
		walk = func(x *Value) {
			for i, e := range x.Elems {
				if e.Kind == Array {
					x.Elems[i] = NewString("was array")
				} else if e.Kind != Object {
					x.Elems[i] = NewArray(e, NewNumber("1"))
				}
				n++
				walk(e)
			}
			for _, m := range x.Members {
				if m.Value.Kind == String {
					m.Value = NewArray(NewString(m.Value.Str), NewString("b"))
				} else {
					walk(m.Value)
				}
				n++
			}
		}
		walk(v)
		return n > 0
	}},
	{"rename keys and edit strings", func(v *Value) bool {
		n := 0
		containers(v, 1, func(c *Value, d int) {
			for _, m := range c.Members {
				m.Key = "Not" + m.Key
				if m.Value.Kind == String {
					m.Value.Str += "\u2028\x01"
				}
				n++
			}
		})
		return n > 0
	}},
	{"move root children one level deeper", func(v *Value) bool {
		if v.Kind != Object && v.Kind != Array || depthOf(v) >= MaxDepth {
			return false
		}
		switch v.Kind {
		case Object:
			for _, m := range v.Members {
				m.Value = NewArray(m.Value)
			}
		case Array:
			for i, e := range v.Elems {
				v.Elems[i] = NewObject(NewMember("wrapped", e))
			}
		}
		return true
	}},
	{"reverse root children", func(v *Value) bool {
		for i, j := 0, len(v.Elems)-1; i < j; i, j = i+1, j-1 {
			v.Elems[i], v.Elems[j] = v.Elems[j], v.Elems[i]
		}
		for i, j := 0, len(v.Members)-1; i < j; i, j = i+1, j-1 {
			v.Members[i], v.Members[j] = v.Members[j], v.Members[i]
		}
		return len(v.Elems)+len(v.Members) > 1
	}},
	{"replace root by new object", func(v *Value) bool {
		v.Kind = Object
		v.Elems = nil
		v.Members = []*Member{NewMember("a", newNested()), NewMember("b", NewArray())}
		return true
	}},
}
