package jsonast

import (
	"bytes"
	"encoding/json"
	"sync"
	"testing"
)

func TestAccessors(t *testing.T) {
	v := mustParse(t, `{"Effect":"Allow","effect":"x","Action":["a","b"],"n":-1.50e3,"t":true,"z":null}`)
	if m := v.Get("effect"); m == nil || m.Value.Str != "x" || m.KeyOffset != 18 {
		t.Errorf("Get: %+v", m)
	}
	if m := v.GetFold("EFFECT"); m == nil || m.Value.Str != "Allow" {
		t.Errorf("GetFold: %+v", m)
	}
	if v.Get("nope") != nil || v.GetFold("nope") != nil || v.Index("nope") != -1 {
		t.Error("missing key found")
	}
	if v.Index("Action") != 2 {
		t.Error("Index")
	}
	a := v.Get("Action").Value
	if a.Kind != Array || len(a.Elems) != 2 || a.Offset != 40 || a.Elems[1].Offset != 45 {
		t.Errorf("Action: %+v", a)
	}
	if n := v.Get("n").Value; n.Kind != Number || n.Num != "-1.50e3" {
		t.Errorf("number: %+v", n)
	}
	if b := v.Get("t").Value; b.Kind != Bool || !b.Bool {
		t.Error("bool")
	}
	if z := v.Get("z").Value; z.Kind != Null {
		t.Error("null")
	}
	var nilv *Value
	if nilv.Get("a") != nil || nilv.GetFold("a") != nil || a.Get("a") != nil {
		t.Error("Get on nil / non-object")
	}
	if NewString("x").Offset != -1 || NewMember("k", nil).KeyOffset != -1 {
		t.Error("new values must have offset -1")
	}
	for k, want := range map[Kind]string{Null: "null", Bool: "bool", Number: "number", String: "string", Array: "array", Object: "object", 9: "invalid"} {
		if k.String() != want {
			t.Errorf("Kind(%d).String() = %s", k, k.String())
		}
	}
	if src, ok := a.Source(); !ok || src != `["a","b"]` {
		t.Errorf("Source: %q %v", src, ok)
	}
	if _, ok := NewNull().Source(); ok {
		t.Error("Source of new value")
	}
}

func TestMutators(t *testing.T) {
	v := mustParse(t, `{"a":1,"b":2,"a2":3}`)
	v.Set("b", NewNumber("20"))
	v.Set("c", NewNumber("30"))
	v.InsertMember(0, NewMember("first", NewNull()))
	if !v.Delete("a2") || v.Delete("missing") {
		t.Error("Delete")
	}
	v.RemoveMember(1) // "a"
	if got := string(Compact(v)); got != `{"first":null,"b":20,"c":30}` {
		t.Errorf("got %s", got)
	}
	if got := string(Render(v)); got != `{"first":null,"b":20,"c":30}` {
		t.Errorf("Render got %s", got)
	}
	arr := NewArray()
	arr.InsertElem(0, NewString("b"))
	arr.InsertElem(0, NewString("a"))
	arr.InsertElem(2, NewString("c"))
	arr.RemoveElem(1)
	if got := string(Compact(arr)); got != `["a","c"]` {
		t.Errorf("got %s", got)
	}
}

func TestCloneAndEqual(t *testing.T) {
	v := mustParse(t, conditionDoc)
	c := v.Clone()
	if !c.Equal(v) || !v.Equal(c) {
		t.Fatal("clone not equal")
	}
	if !bytes.Equal(Render(c), []byte(conditionDoc)) {
		t.Fatal("clone renders differently")
	}
	stmt(c, 0).Get("Effect").Value.Str = "Allow"
	if c.Equal(v) {
		t.Error("edited clone still equal")
	}
	if !bytes.Equal(Render(v), []byte(conditionDoc)) {
		t.Error("editing the clone changed the original")
	}
	// a subtree that is cloned, edited and restored renders as the source again
	stmt(c, 0).Get("Effect").Value.Str = "Deny"
	if !bytes.Equal(Render(c), []byte(conditionDoc)) {
		t.Error("restored clone does not render as the source")
	}
	if c.Modified() || !NewNull().Modified() {
		t.Error("Modified")
	}
	neq := [][2]string{
		{`1`, `1.0`}, {`"a"`, `"b"`}, {`true`, `false`}, {`null`, `false`}, {`[1]`, `[1,2]`},
		{`{"a":1,"b":2}`, `{"b":2,"a":1}`}, {`{"a":1}`, `{"A":1}`}, {`[[1]]`, `[[2]]`},
	}
	for _, p := range neq {
		if mustParse(t, p[0]).Equal(mustParse(t, p[1])) {
			t.Errorf("%s Equal %s", p[0], p[1])
		}
	}
	if !mustParse(t, "{ \"a\" : [ 1 , \"\\u00e9\" ] }").Equal(mustParse(t, `{"a":[1,"é"]}`)) {
		t.Error("layout must not matter to Equal")
	}
	var nilv *Value
	if !nilv.Equal(nil) || nilv.Equal(NewNull()) || NewNull().Equal(nil) || nilv.Clone() != nil {
		t.Error("nil handling")
	}
}

func TestCompact(t *testing.T) {
	v := mustParse(t, "{\n  \"html\": \"<a href='x'>&amp;</a>\",\n  \"esc\": \"\\\"\\\\\\/\\b\\f\\n\\r\\t\\u0001\\u001f\\u007f\",\n  \"u\": \"é😀\\u2028\",\n  \"n\": [1.0e+10, 123456789012345678, -0]\n}")
	want := `{"html":"<a href='x'>&amp;</a>","esc":"\"\\/\b\f\n\r\t\u0001\u001f` + "\x7f" + `","u":"é😀` + "\u2028" + `","n":[1.0e+10,123456789012345678,-0]}`
	if got := string(Compact(v)); got != want {
		t.Errorf("Compact:\n got %s\nwant %s", got, want)
	}
	if !json.Valid(Compact(v)) {
		t.Error("Compact not valid per encoding/json")
	}
	// invalid UTF-8 set by a caller is replaced, keeping the output valid
	if got := string(Compact(NewString("a\xffb"))); got != "\"a\uFFFDb\"" {
		t.Errorf("got %q", got)
	}
	if got := Quote("<&>"); got != `"<&>"` {
		t.Errorf("Quote: %s", got)
	}
	// nil children
	o := NewObject(NewMember("a", nil), nil, NewMember("b", NewArray(nil)))
	if got := string(Compact(o)); got != `{"a":null,"b":[null]}` {
		t.Errorf("nil children: %s", got)
	}
	if got := string(Render(o)); !json.Valid([]byte(got)) {
		t.Errorf("Render with nil children: %s", got)
	}
}

func TestIndent(t *testing.T) {
	v := mustParse(t, `{"a":[1,{"b":{}}],"c":[],"d":"x"}`)
	want := "{\n>\t\"a\": [\n>\t\t1,\n>\t\t{\n>\t\t\t\"b\": {}\n>\t\t}\n>\t],\n>\t\"c\": [],\n>\t\"d\": \"x\"\n>}"
	if got := string(Indent(v, ">", "\t")); got != want {
		t.Errorf("Indent:\n%s", got)
	}
	var std bytes.Buffer
	if err := json.Indent(&std, Compact(v), "", "  "); err != nil {
		t.Fatal(err)
	}
	if got := string(Indent(v, "", "  ")); got != std.String() {
		t.Errorf("Indent differs from encoding/json:\n%s\n%s", got, std.String())
	}
}

func TestConcurrentRender(t *testing.T) {
	v := mustParse(t, policy2)
	stmt(v, 0).Set("Condition", NewObject())
	want := Render(v)
	var wg sync.WaitGroup
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range 50 {
				if !bytes.Equal(Render(v), want) || !bytes.Equal(Render(v.Clone()), want) {
					t.Error("concurrent render differs")
					return
				}
			}
		}()
	}
	wg.Wait()
}
