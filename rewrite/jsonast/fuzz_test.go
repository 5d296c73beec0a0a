package jsonast

import (
	"bytes"
	"strings"
	"testing"
)

// FuzzParseRender checks, for any input: Parse never panics and reports
// positions that agree with LineCol; a valid document renders back byte for
// byte, Compact re-parses to an Equal tree, a clone renders identically, and
// mutated trees render to valid JSON Equal to the mutated tree. Inputs the
// fuzzer found interesting are kept in testdata/fuzz/FuzzParseRender.
func FuzzParseRender(f *testing.F) {
	for _, s := range corpus {
		f.Add([]byte(s))
	}
	for _, s := range testdataDocs(f) {
		f.Add([]byte(s))
	}
	for _, s := range []string{
		policy2WithDeny, conditionDoc, `{"a":1,"a":2}`, `[1,2,]`, `{"a":"\ud800\udc00"}`, "\uFEFF",
		strings.Repeat("[", 100) + strings.Repeat("]", 100), `"\u00zz"`, "[\"\x7f\xc3\xa9\"]",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, src []byte) {
		checkInvariants(t, src)
	})
}

var debugFuzz = false

// FuzzEdit applies a fuzzer-chosen sequence of edits (insert, remove,
// replace by a copy of another value, rename, change kind) to one of the
// corpus documents and checks that the rendering is valid JSON Equal to
// the edited tree, and that unedited lines survive.
func FuzzEdit(f *testing.F) {
	// The first documents are in canonical pretty-printed form (as by
	// encoding/json.MarshalIndent with units[i], plus a final newline);
	// any edit must keep them exactly canonical.
	docs := []string{policy2, policy2WithDeny, conditionDoc, reindent(policy2WithDeny, "\t"), reindent(policy2WithDeny, "    ")}
	units := []string{"  ", "  ", "    ", "\t", "    "}
	docs = append(docs, corpus...)
	for _, s := range testdataDocs(f) {
		docs = append(docs, s)
	}
	f.Add(uint8(0), []byte{0, 1, 2, 3})
	f.Add(uint8(1), []byte{3, 3, 0, 9, 4, 1, 7, 2})
	f.Add(uint8(2), []byte{2, 1, 5, 0, 2, 7})
	f.Add(uint8(27), []byte{6, 0, 1, 2, 3, 4, 5, 6, 7, 8})
	f.Fuzz(func(t *testing.T, which uint8, ops []byte) {
		src := docs[int(which)%len(docs)]
		v, err := Parse([]byte(src))
		if err != nil {
			t.Fatal(err)
		}
		for edits := 0; len(ops) >= 3 && edits < 40; edits++ {
			op, a, b := ops[0], int(ops[1]), int(ops[2])
			ops = ops[3:]
			var all []*Value
			var cs []*Value
			var walk func(x *Value)
			walk = func(x *Value) {
				all = append(all, x)
				if x.Kind == Array || x.Kind == Object {
					cs = append(cs, x)
				}
				for _, e := range x.Elems {
					walk(e)
				}
				for _, m := range x.Members {
					walk(m.Value)
				}
			}
			walk(v)
			if len(cs) == 0 {
				break
			}
			c := cs[a%len(cs)]
			n := len(c.Elems) + len(c.Members)
			pos := 0
			if n > 0 {
				pos = b % (n + 1)
			}
			var nv *Value
			switch op % 4 {
			case 0:
				nv = NewString("new")
			case 1:
				nv = newNested()
			case 2:
				if len(all) < 500 { // copies may double the tree
					nv = all[b%len(all)].Clone()
				} else {
					nv = NewNull()
				}
			default:
				nv = NewArray(NewNumber("1"), NewObject())
			}
			switch op / 4 % 6 {
			case 0: // insert
				if c.Kind == Object {
					c.InsertMember(min(pos, len(c.Members)), NewMember(unusedKey(c), nv))
				} else {
					c.InsertElem(min(pos, len(c.Elems)), nv)
				}
			case 1: // remove
				if n > 0 {
					if c.Kind == Object {
						c.RemoveMember(pos % n)
					} else {
						c.RemoveElem(pos % n)
					}
				}
			case 2: // replace a child
				if n > 0 {
					if c.Kind == Object {
						c.Members[pos%n].Value = nv
					} else {
						c.Elems[pos%n] = nv
					}
				}
			case 3: // rename
				if c.Kind == Object && n > 0 {
					m := c.Members[pos%n]
					k := "r" + m.Key
					for c.Get(k) != nil {
						k += "_"
					}
					m.Key = k
				}
			case 4: // container kind change
				if c.Kind == Object {
					var elems []*Value
					for _, m := range c.Members {
						elems = append(elems, m.Value)
					}
					c.Kind, c.Elems, c.Members = Array, elems, nil
				} else {
					c.Kind, c.Members = Object, nil
					for i, e := range c.Elems {
						c.Members = append(c.Members, NewMember(string(rune('a'+i%26))+strings.Repeat("_", i/26), e))
					}
					c.Elems = nil
				}
			default: // swap two children
				if n > 1 {
					i, j := pos%n, (pos+1)%n
					if c.Kind == Object {
						c.Members[i], c.Members[j] = c.Members[j], c.Members[i]
					} else {
						c.Elems[i], c.Elems[j] = c.Elems[j], c.Elems[i]
					}
				}
			}
		}
		if depthOf(v) > MaxDepth {
			return
		}
		out := Render(v)
		if debugFuzz {
			t.Logf("src: %s\nout: %s", src, out)
		}
		back, err := Parse(out)
		if err != nil {
			t.Fatalf("rendering does not parse: %v\nsrc: %q\nout: %q", err, src, out)
		}
		if !back.Equal(v) {
			t.Fatalf("rendering not Equal to edited tree\nsrc: %q\nout: %q", src, out)
		}
		if !bytes.Equal(Render(back), out) {
			t.Fatalf("re-render differs")
		}
		if i := int(which) % len(docs); i < len(units) {
			if want := string(Indent(v, "", units[i])) + "\n"; string(out) != want {
				t.Fatalf("canonical layout lost\nsrc:\n%s\nout:\n%s\nwant:\n%s", src, out, want)
			}
		}
	})
}
