package iac

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/fixpolicy/fixpolicy/rewrite/jsonast"
)

func mustParse(t testing.TB, s string) *jsonast.Value {
	t.Helper()
	v, err := jsonast.Parse([]byte(s))
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// TestDiffSeed000: the seed's patch is a rename of Action with its new
// list, one added condition block and one inserted statement; nothing else.
func TestDiffSeed000(t *testing.T) {
	b, _ := os.ReadFile("../../fixtures/seed000-vpce-only/policy.json")
	a, _ := os.ReadFile("../../fixtures/seed000-vpce-only/want.policy.json")
	ops := Diff(mustParse(t, string(b)), mustParse(t, string(a)))
	var got []string
	for _, op := range ops {
		got = append(got, op.String())
	}
	want := []string{
		`rename Statement[0] .Action -> NotAction`,
		`set Statement[0].Action ["s3:GetBucketLocation","s3:GetBucketVersioning"]`,
		`add Statement[0].Condition .StringNotLike {"aws:userid":"AROAEXAMPLEROLEID0001:*"}`,
		`insert Statement [1] {"Sid":"Statement1ConsoleRead","Effect":"Deny","Principal":"*","Action":["s3:GetBucketLocation","s3:GetBucketVersioning"],"Resource":"arn:aws:s3:::mtzml-20231208","Condition":{"StringNotEquals":{"aws:SourceVpce":"vpce-12345678901234567","aws:PrincipalAccount":"012345678901"}}}`,
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("ops:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

// TestDiffApplyFixtures: for every fixture's input and patched policy,
// applying Diff's operations to the input gives the patched policy.
func TestDiffApplyFixtures(t *testing.T) {
	wants, _ := filepath.Glob("../../fixtures/*/want.policy.json")
	if len(wants) < 10 {
		t.Fatalf("only %d fixtures found", len(wants))
	}
	for _, w := range wants {
		in := filepath.Join(filepath.Dir(w), "policy.json")
		b, err1 := os.ReadFile(in)
		a, err2 := os.ReadFile(w)
		if err1 != nil || err2 != nil {
			continue
		}
		checkRoundTrip(t, w, mustParse(t, string(b)), mustParse(t, string(a)))
	}
}

func checkRoundTrip(t testing.TB, name string, b, a *jsonast.Value) {
	t.Helper()
	ops := Diff(b, a)
	got, err := Apply(b, ops)
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	if !got.Equal(a) {
		t.Errorf("%s: Apply(Diff) = %s, want %s", name, jsonast.Compact(got), jsonast.Compact(a))
	}
	if b.Equal(a) != (len(ops) == 0) {
		t.Errorf("%s: %d ops for equal=%v", name, len(ops), b.Equal(a))
	}
}

func TestDiffShapes(t *testing.T) {
	for _, c := range []struct{ b, a string }{
		{`{"a":"x"}`, `{"a":["x","y"]}`},
		{`{"a":["x"]}`, `{"a":["x","y","z"]}`},
		{`{"a":["x","y"]}`, `{"a":["y"]}`},
		{`{"S":[{"a":1},{"b":2}]}`, `{"S":[{"z":0},{"a":1},{"b":3},{"c":4}]}`},
		{`{"S":[{"a":1},{"b":2},{"c":3}]}`, `{"S":[{"c":3}]}`},
		{`{"S":{"a":1}}`, `{"S":[{"a":1},{"b":2}]}`},
		{`{"Action":"s3:*","x":1}`, `{"NotAction":["a","b"],"x":1}`},
		{`{"Action":"s3:*","NotAction":"y"}`, `{"NotAction":"z"}`},
		{`{}`, `{"a":{"b":[1,{"c":null}]}}`},
	} {
		checkRoundTrip(t, c.b, mustParse(t, c.b), mustParse(t, c.a))
	}
}

// FuzzDiffApply: for any two JSON documents, Apply(before, Diff(before,
// after)) is after.
func FuzzDiffApply(f *testing.F) {
	f.Add(`{"S":[{"a":1}]}`, `{"S":[{"a":2},{"b":1}]}`)
	f.Add(`{"Action":"s3:*"}`, `{"NotAction":["x"]}`)
	f.Add(`[1,2,3]`, `[3,{"a":[]}]`)
	f.Fuzz(func(t *testing.T, b, a string) {
		bv, err1 := jsonast.Parse([]byte(b))
		av, err2 := jsonast.Parse([]byte(a))
		if err1 != nil || err2 != nil {
			return
		}
		checkRoundTrip(t, "fuzz", bv, av)
	})
}

func TestSplitPlaceholders(t *testing.T) {
	syms := []Symbol{{Placeholder: NewPlaceholder(1), Interp: "${var.a}"}, {Placeholder: NewPlaceholder(12), Interp: "${var.b}"}}
	var got []string
	for _, p := range SplitPlaceholders("arn:aws:s3:::"+NewPlaceholder(12)+"/"+NewPlaceholder(1)+"x"+PlaceholderPrefix+"9", syms) {
		if p.Symbol != nil {
			got = append(got, p.Symbol.Interp)
		} else {
			got = append(got, p.Text)
		}
	}
	want := "arn:aws:s3:::|${var.b}|/|${var.a}|x" + PlaceholderPrefix + "9"
	if strings.Join(got, "|") != want {
		t.Errorf("got %q, want %q", strings.Join(got, "|"), want)
	}
}

func TestApplySplices(t *testing.T) {
	src := []byte("0123456789")
	got, err := ApplySplices(src, []Splice{{8, 9, "X"}, {2, 2, "a"}, {2, 2, "a"}, {2, 4, "b"}, {10, 10, "!"}})
	if err != nil || string(got) != "01ab456789"[:0]+"01ab4567X9!" {
		t.Errorf("got %q, %v", got, err)
	}
	if _, err := ApplySplices(src, []Splice{{1, 5, "x"}, {3, 6, "y"}}); err == nil {
		t.Error("overlapping splices accepted")
	}
}
