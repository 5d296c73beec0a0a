package jsonast

import (
	"errors"
	"strings"
	"testing"
)

func TestParseErrors(t *testing.T) {
	deep := strings.Repeat("[", 101) + strings.Repeat("]", 101)
	tests := []struct {
		name      string
		src       string
		line, col int
		path      string
		msg       string
	}{
		{"duplicate key at root", `{"a":1,"a":2}`, 1, 8, "", `duplicate key "a"`},
		{"duplicate key in statement", "{\n  \"Statement\": [\n    {\n      \"Effect\": \"Allow\",\n      \"Effect\": \"Deny\"\n    }\n  ]\n}",
			5, 7, "/Statement/0", `duplicate key "Effect"`},
		{"duplicate key in condition", "{\"Statement\":[{\"Condition\":{\"Bool\":{\"aws:SecureTransport\":\"false\",\n \"aws:SecureTransport\":\"true\"}}}]}",
			2, 2, "/Statement/0/Condition/Bool", `duplicate key "aws:SecureTransport"`},
		{"duplicate key pointer escaping", `{"a/b~c":{"x":1,"x":1}}`, 1, 17, "/a~1b~0c", `duplicate key "x"`},
		{"duplicate key after many", `{"k0":0,"k1":1,"k2":2,"k3":3,"k4":4,"k5":5,"k6":6,"k7":7,"k8":8,"k9":9,"k3":3}`, 1, 72, "", `duplicate key "k3"`},
		{"duplicate escaped key", `{"é":1,"\u00e9":2}`, 1, 8, "", `duplicate key "é"`},
		{"trailing data", `{"a":1}}`, 1, 8, "", "unexpected data after the JSON value"},
		{"two documents", "{}\n{}\n", 2, 1, "", "unexpected data after the JSON value"},
		{"trailing comma object", "{\n  \"a\": 1,\n}", 2, 9, "", "trailing comma before '}'"},
		{"trailing comma array", `{"a":[1,2,]}`, 1, 10, "/a", "trailing comma before ']'"},
		{"single quoted key", `{'a':1}`, 1, 2, "", `invalid character '\'' looking for beginning of object key string (JSON strings must use double quotes)`},
		{"single quoted value", `{"a":'b'}`, 1, 6, "/a", `invalid character '\'' looking for beginning of value (JSON strings must use double quotes)`},
		{"unterminated string", "{\"a\":\n  \"abc", 2, 3, "/a", "unterminated string"},
		{"unterminated string after escape", `"abc\`, 1, 1, "", "unterminated string"},
		{"unterminated object", `{"a":1`, 1, 7, "", "unterminated object opened at line 1, column 1"},
		{"unterminated nested object", "{\"a\": {\n  \"b\": [1, 2]\n", 3, 1, "/a", "unterminated object opened at line 1, column 7"},
		{"unterminated array", `[1,2`, 1, 5, "", "unterminated array opened at line 1, column 1"},
		{"unterminated after colon", `{"a":`, 1, 6, "", "unterminated object opened at line 1, column 1"},
		{"bad escape", `{"a":"\q"}`, 1, 7, "/a", `invalid escape "\q" in string`},
		{"bad non-ascii escape", `["\é"]`, 1, 3, "/0", `invalid escape "\é" in string`},
		{"bad control escape", "[\"\\\x01\"]", 1, 3, "/0", `invalid escape "\\\x01" in string`},
		{"bad unicode escape", `["\u12G4"]`, 1, 3, "/0", `invalid escape "\u12G" in string`},
		{"control char in string", "{\"a\":\"x\ty\"}", 1, 8, "/a", "invalid control character U+0009 in string (must be escaped)"},
		{"newline in string", "[\"ab\ncd\"]", 1, 5, "/0", "invalid control character U+000A in string (must be escaped)"},
		{"leading zero", `{"a":01}`, 1, 6, "/a", `invalid number "01": leading zeros are not allowed`},
		{"negative leading zero", `[-00.5]`, 1, 2, "/0", `invalid number "-00.5": leading zeros are not allowed`},
		{"NaN", `{"a":NaN}`, 1, 6, "/a", "invalid character 'N' looking for beginning of value"},
		{"plus sign", `+1`, 1, 1, "", "invalid character '+' looking for beginning of value"},
		{"bare dot", `[.5]`, 1, 2, "/0", "invalid character '.' looking for beginning of value"},
		{"missing fraction digits", `1.x`, 1, 3, "", "invalid character 'x' after decimal point in numeric literal"},
		{"missing exponent digits", `{"a":1e}`, 1, 8, "/a", "invalid character '}' in exponent of numeric literal"},
		{"minus alone", `[-]`, 1, 3, "/0", "invalid character ']' in numeric literal"},
		{"line comment", "{\n  // comment\n  \"a\": 1\n}", 2, 3, "", "invalid character '/' looking for beginning of object key string (comments are not allowed in JSON)"},
		{"block comment", "[1, /* x */ 2]", 1, 5, "/1", "invalid character '/' looking for beginning of value (comments are not allowed in JSON)"},
		{"empty input", ``, 1, 1, "", "unexpected end of input"},
		{"whitespace only", "  \n\t ", 2, 3, "", "unexpected end of input"},
		{"bom only", "\uFEFF", 1, 1, "", "unexpected end of input"},
		{"truncated literal", `tru`, 1, 4, "", "unexpected end of input"},
		{"bad literal", `[trux]`, 1, 5, "/0", "invalid character 'x' in literal true (expecting 'e')"},
		{"capitalised literal", `{"a":True}`, 1, 6, "/a", "invalid character 'T' looking for beginning of value"},
		{"depth over 100", deep, 1, 101, "/" + strings.TrimSuffix(strings.Repeat("0/", 100), "/"), "exceeded maximum nesting depth of 100"},
		{"invalid utf-8 in string", "{\"a\":\"\xff\"}", 1, 7, "/a", "invalid UTF-8 byte 0xFF in string"},
		{"invalid utf-8 in key", "{\"a\xc3\":1}", 1, 4, "", "invalid UTF-8 byte 0xC3 in string"},
		{"invalid utf-8 outside strings", "\xff", 1, 1, "", "invalid UTF-8 byte 0xFF"},
		{"missing colon", `{"a" 1}`, 1, 6, "", "expected ':' after object key"},
		{"missing comma in object", "{\n  \"a\": 1\n  \"b\": 2\n}", 3, 3, "", "expected ',' or '}' after object member"},
		{"missing closing quote", `{"Version": "2012-10-17, "Statement": []}`, 1, 27, "", "expected ',' or '}' after object member (is a string missing its closing quote?)"},
		{"missing closing quote in array", `["a, "b"]`, 1, 7, "", "expected ',' or ']' after array element (is a string missing its closing quote?)"},
		{"missing comma in array", `{"x":[1 2]}`, 1, 9, "/x", "expected ',' or ']' after array element"},
		{"object key not a string", `{1:2}`, 1, 2, "", "invalid character '1' looking for beginning of object key string"},
		{"leading comma", `[,1]`, 1, 2, "/0", "invalid character ',' looking for beginning of value"},
		{"non-ascii character", "{\"a\": é}", 1, 7, "/a", "invalid character 'é' looking for beginning of value"},
		{"column counts characters", "{\"é\": 1 2}", 1, 9, "", "expected ',' or '}' after object member"},
		{"bom does not count as a column", "\uFEFF{\"a\" 1}", 1, 6, "", "expected ':' after object key"},
		{"crlf lines", "{\r\n  \"a\": 1,\r\n  \"a\": 2\r\n}", 3, 3, "", `duplicate key "a"`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			v, err := Parse([]byte(tc.src))
			if err == nil {
				t.Fatalf("Parse(%q) = %s, want error", tc.src, Compact(v))
			}
			var se *SyntaxError
			if !errors.As(err, &se) {
				t.Fatalf("error %T is not *SyntaxError", err)
			}
			if se.Msg != tc.msg || se.Line != tc.line || se.Col != tc.col || se.Path != tc.path {
				t.Errorf("Parse(%q):\n got  %d:%d path=%q %s\n want %d:%d path=%q %s", tc.src, se.Line, se.Col, se.Path, se.Msg, tc.line, tc.col, tc.path, tc.msg)
			}
			if l, c := LineCol([]byte(tc.src), se.Offset); l != se.Line || c != se.Col {
				t.Errorf("Offset %d is at %d:%d, error says %d:%d", se.Offset, l, c, se.Line, se.Col)
			}
		})
	}
}

func TestErrorString(t *testing.T) {
	_, err := Parse([]byte("{\n  \"Statement\": [\n    {  \"Sid\": \"x\", \"Effect\": \"Allow\", \"Effect\": \"Deny\" }\n  ]\n}"))
	want := `line 3, column 39 (at /Statement/0): duplicate key "Effect"`
	if err == nil || err.Error() != want {
		t.Errorf("got %v, want %s", err, want)
	}
	_, err = Parse([]byte(`{"a":1,}`))
	if want := `line 1, column 7: trailing comma before '}'`; err == nil || err.Error() != want {
		t.Errorf("got %v, want %s", err, want)
	}
}

func TestDepthLimit(t *testing.T) {
	ok := strings.Repeat(`{"a":[`, 50) + strings.Repeat("]}", 50)
	if _, err := Parse([]byte(ok)); err != nil {
		t.Errorf("depth 100 rejected: %v", err)
	}
	// very deep input must fail fast, without recursion trouble
	huge := strings.Repeat("[", 1<<20)
	if _, err := Parse([]byte(huge)); err == nil || !strings.Contains(err.Error(), "maximum nesting depth") {
		t.Errorf("got %v", err)
	}
}

func TestLineCol(t *testing.T) {
	src := []byte("ab\ncé\r\nx\ty")
	tests := []struct{ off, line, col int }{
		{0, 1, 1}, {2, 1, 3}, {3, 2, 1}, {4, 2, 2}, {6, 2, 3}, {7, 2, 4}, {8, 3, 1}, {10, 3, 3}, {11, 3, 4}, {99, 3, 4}, {-5, 1, 1},
	}
	for _, tc := range tests {
		if l, c := LineCol(src, tc.off); l != tc.line || c != tc.col {
			t.Errorf("LineCol(%d) = %d:%d, want %d:%d", tc.off, l, c, tc.line, tc.col)
		}
	}
}

func TestValidAccepted(t *testing.T) {
	for _, s := range []string{`0`, `-0`, `0.5e-3`, `1E9`, `[1e+2]`, `"\u0000"`, `"\ud83d\ude00"`, `"\udc00"`, `{"":""}`, " \t\r\n[] \t\r\n"} {
		if _, err := Parse([]byte(s)); err != nil {
			t.Errorf("Parse(%q): %v", s, err)
		}
	}
	v := mustParse(t, `["\ud800", "\ud83d\ude00", "\ud800\u0041"]`)
	if v.Elems[0].Str != "\uFFFD" || v.Elems[1].Str != "😀" || v.Elems[2].Str != "\uFFFDA" {
		t.Errorf("surrogates: %q", Compact(v))
	}
	for _, s := range []string{"1", "-0.5e+10", "123456789012345678901234567890"} {
		if !ValidNumber(s) {
			t.Errorf("ValidNumber(%q) = false", s)
		}
	}
	for _, s := range []string{"", "01", "+1", ".5", "1.", "1e", "NaN", "1 ", "0x10", "-"} {
		if ValidNumber(s) {
			t.Errorf("ValidNumber(%q) = true", s)
		}
	}
}

// TestPosition: Position counts columns in characters and in UTF-16 code
// units (a character outside the Basic Multilingual Plane is two), skips a
// leading byte order mark, and clamps offsets.
func TestPosition(t *testing.T) {
	src := []byte("\uFEFFa😀b\n\tcé😀d")
	tests := []struct {
		off  int
		want Pos
	}{
		{0, Pos{0, 1, 1, 1}},
		{3, Pos{3, 1, 1, 1}},   // after the byte order mark
		{4, Pos{4, 1, 2, 2}},   // before 😀
		{8, Pos{8, 1, 3, 4}},   // after 😀: one character, two code units
		{10, Pos{10, 2, 1, 1}}, // next line
		{12, Pos{12, 2, 3, 3}},
		{14, Pos{14, 2, 4, 4}},
		{18, Pos{18, 2, 5, 6}},
		{99, Pos{19, 2, 6, 7}},
		{-1, Pos{0, 1, 1, 1}},
	}
	for _, tc := range tests {
		if got := Position(src, tc.off); got != tc.want {
			t.Errorf("Position(%d) = %+v, want %+v", tc.off, got, tc.want)
		}
		if l, c := LineCol(src, tc.off); l != tc.want.Line || c != tc.want.Col {
			t.Errorf("LineCol(%d) = %d:%d, want %d:%d", tc.off, l, c, tc.want.Line, tc.want.Col)
		}
	}
	// A syntax error's position is Position's.
	_, err := Parse([]byte("{\"😀\": 1,}"))
	var se *SyntaxError
	if !errors.As(err, &se) || se.Offset != 10 || se.Line != 1 || se.Col != 8 || se.Col16 != 9 {
		t.Errorf("error %#v, want the comma at line 1, column 8 (9 in UTF-16)", err)
	}
}

// TestSpan: every parsed value knows where its text lies, from its first
// byte to just past its last; new values have no span, clones share it.
func TestSpan(t *testing.T) {
	src := "\n  {\"a\": [1, \"😀\"],\n   \"b\": {\"c\": null}}  \n"
	v := mustParse(t, src)
	text := func(v *Value) string {
		sp, ok := v.Span()
		if !ok {
			t.Fatalf("no span for %+v", v)
		}
		got := src[sp.Start.Offset:sp.End.Offset]
		if raw, _ := v.Source(); raw != got {
			t.Errorf("span covers %q, source is %q", got, raw)
		}
		return got
	}
	a := v.Get("a").Value
	for _, x := range []*Value{v, a, a.Elems[0], a.Elems[1], v.Get("b").Value, v.Get("b").Value.Get("c").Value} {
		text(x)
	}
	sp, _ := v.Span()
	if want := (Span{Start: Pos{3, 2, 3, 3}, End: Pos{42, 3, 21, 21}}); sp != want {
		t.Errorf("root span %+v, want %+v", sp, want)
	}
	if sp, _ := a.Elems[1].Span(); sp.End.Col != 16 || sp.End.Col16 != 17 {
		t.Errorf("end of \"😀\": %+v", sp.End)
	}
	if _, ok := NewObject().Span(); ok {
		t.Error("a new value has a span")
	}
	if sp, ok := v.Clone().Span(); !ok || sp != (Span{Start: Pos{3, 2, 3, 3}, End: Pos{42, 3, 21, 21}}) {
		t.Errorf("clone's span %+v", sp)
	}
	if !(Span{}).IsZero() || sp.IsZero() {
		t.Error("IsZero")
	}
}
