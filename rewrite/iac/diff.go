package iac

import (
	"fmt"
	"strings"

	"github.com/fixpolicy/fixpolicy/rewrite/jsonast"
)

// Step is one step of a Path: an object member's key, or an array index
// when Key is "" and IsIndex.
type Step struct {
	Key     string
	Index   int
	IsIndex bool
}

// Path leads from the policy's root to a value of the policy before the
// patch: Statement, 0, Condition, StringNotEquals.
type Path []Step

// String renders the path for messages: Statement[0].Condition.
func (p Path) String() string {
	var b strings.Builder
	for i, s := range p {
		if s.IsIndex {
			fmt.Fprintf(&b, "[%d]", s.Index)
			continue
		}
		if i > 0 {
			b.WriteByte('.')
		}
		b.WriteString(s.Key)
	}
	return b.String()
}

func (p Path) key(k string) Path { return append(append(Path(nil), p...), Step{Key: k}) }
func (p Path) index(i int) Path {
	return append(append(Path(nil), p...), Step{Index: i, IsIndex: true})
}
func (p Path) Parent() (Path, Step) { return p[:len(p)-1], p[len(p)-1] }

// OpKind is what an Op does.
type OpKind int

// The operations Diff produces.
const (
	// SetValue replaces the value at Path with Value.
	SetValue OpKind = iota + 1
	// AddMember adds the member Key: Value at the end of the object at Path.
	AddMember
	// RenameKey renames the member Key of the object at Path to NewKey,
	// keeping its value (a SetValue or other ops on Path.key(NewKey)...
	// follow with paths that use the old key).
	RenameKey
	// InsertElem inserts Value into the array at Path before the element
	// that was at Index before the patch (Index == the old length: at the
	// end). Several inserts at one Index keep their order.
	InsertElem
	// RemoveMember and RemoveElem delete Key or the element at Index. The
	// patch never removes anything; editors may refuse them.
	RemoveMember
	RemoveElem
)

var opNames = [...]string{SetValue: "set", AddMember: "add", RenameKey: "rename", InsertElem: "insert", RemoveMember: "remove", RemoveElem: "remove"}

// Op is one operation on the policy tree before the patch. Paths use the
// keys as they were before the patch, also under a renamed member.
type Op struct {
	Kind   OpKind
	Path   Path
	Key    string // AddMember, RenameKey, RemoveMember
	NewKey string // RenameKey
	Index  int    // InsertElem, RemoveElem
	Value  *jsonast.Value
}

func (o Op) String() string {
	s := fmt.Sprintf("%s %s", opNames[o.Kind], o.Path)
	switch o.Kind {
	case AddMember, RemoveMember:
		s += fmt.Sprintf(" .%s", o.Key)
	case RenameKey:
		s += fmt.Sprintf(" .%s -> %s", o.Key, o.NewKey)
	case InsertElem, RemoveElem:
		s += fmt.Sprintf(" [%d]", o.Index)
	}
	if o.Value != nil {
		s += " " + string(jsonast.Compact(o.Value))
	}
	return s
}

// renames are the member renames Diff recognises: the patch turns Action into
// NotAction (Patch B); the others are for symmetry.
var renames = map[string]string{
	"Action": "NotAction", "NotAction": "Action",
	"Resource": "NotResource", "NotResource": "Resource",
	"Principal": "NotPrincipal", "NotPrincipal": "Principal",
}

// Diff lists the operations that turn before into after. Arrays of scalars
// that changed other than by appending are replaced whole; arrays of objects
// (the statements) are aligned so that unchanged and edited elements keep
// their place and new ones are inserted.
func Diff(before, after *jsonast.Value) []Op {
	var ops []Op
	diffValue(&ops, nil, before, after)
	return ops
}

func diffValue(ops *[]Op, at Path, b, a *jsonast.Value) {
	if b.Equal(a) {
		return
	}
	switch {
	case b.Kind == jsonast.Object && a.Kind == jsonast.Object:
		diffObject(ops, at, b, a)
	case b.Kind == jsonast.Array && a.Kind == jsonast.Array:
		diffArray(ops, at, b, a)
	default:
		*ops = append(*ops, Op{Kind: SetValue, Path: at, Value: a})
	}
}

func diffObject(ops *[]Op, at Path, b, a *jsonast.Value) {
	renamed := map[string]string{} // new key → old key
	for _, m := range b.Members {
		if a.Get(m.Key) != nil {
			continue
		}
		if nk, ok := renames[m.Key]; ok && a.Get(nk) != nil && b.Get(nk) == nil {
			renamed[nk] = m.Key
			*ops = append(*ops, Op{Kind: RenameKey, Path: at, Key: m.Key, NewKey: nk})
			continue
		}
		*ops = append(*ops, Op{Kind: RemoveMember, Path: at, Key: m.Key})
	}
	for _, m := range a.Members {
		old := m.Key
		if k, ok := renamed[m.Key]; ok {
			old = k
		}
		bm := b.Get(old)
		if bm == nil {
			*ops = append(*ops, Op{Kind: AddMember, Path: at, Key: m.Key, Value: m.Value})
			continue
		}
		diffValue(ops, at.key(old), bm.Value, m.Value)
	}
}

func scalars(v *jsonast.Value) bool {
	for _, e := range v.Elems {
		if e.Kind == jsonast.Array || e.Kind == jsonast.Object {
			return false
		}
	}
	return true
}

func diffArray(ops *[]Op, at Path, b, a *jsonast.Value) {
	if scalars(b) && scalars(a) {
		if len(a.Elems) > len(b.Elems) && prefixEqual(b.Elems, a.Elems) {
			for _, e := range a.Elems[len(b.Elems):] {
				*ops = append(*ops, Op{Kind: InsertElem, Path: at, Index: len(b.Elems), Value: e})
			}
			return
		}
		*ops = append(*ops, Op{Kind: SetValue, Path: at, Value: a})
		return
	}
	// Align: equal elements anchor (longest common subsequence); between
	// anchors, elements pair up in order, extra new ones are inserted
	// after them and extra old ones removed.
	pairs := lcs(b.Elems, a.Elems)
	pairs = append(pairs, [2]int{len(b.Elems), len(a.Elems)})
	i, j := 0, 0
	for _, p := range pairs {
		for i < p[0] && j < p[1] {
			diffValue(ops, at.index(i), b.Elems[i], a.Elems[j])
			i++
			j++
		}
		for ; j < p[1]; j++ {
			*ops = append(*ops, Op{Kind: InsertElem, Path: at, Index: p[0], Value: a.Elems[j]})
		}
		for ; i < p[0]; i++ {
			*ops = append(*ops, Op{Kind: RemoveElem, Path: at, Index: i})
		}
		i, j = p[0]+1, p[1]+1
	}
}

func prefixEqual(b, a []*jsonast.Value) bool {
	for i := range b {
		if !b[i].Equal(a[i]) {
			return false
		}
	}
	return true
}

// lcs returns the index pairs of a longest common subsequence of equal
// elements, in order.
func lcs(b, a []*jsonast.Value) [][2]int {
	n, m := len(b), len(a)
	t := make([][]int, n+1)
	for i := range t {
		t[i] = make([]int, m+1)
	}
	for i := n - 1; i >= 0; i-- {
		for j := m - 1; j >= 0; j-- {
			switch {
			case b[i].Equal(a[j]):
				t[i][j] = t[i+1][j+1] + 1
			case t[i+1][j] >= t[i][j+1]:
				t[i][j] = t[i+1][j]
			default:
				t[i][j] = t[i][j+1]
			}
		}
	}
	var out [][2]int
	for i, j := 0, 0; i < n && j < m; {
		switch {
		case b[i].Equal(a[j]):
			out = append(out, [2]int{i, j})
			i++
			j++
		case t[i+1][j] >= t[i][j+1]:
			i++
		default:
			j++
		}
	}
	return out
}

// Apply performs ops on a clone of before and returns it: the reference
// semantics of the operations, which tests use to check Diff and editors.
func Apply(before *jsonast.Value, ops []Op) (*jsonast.Value, error) {
	root := before.Clone()
	// Resolve every op's target first, so paths keep meaning the tree
	// before the patch.
	targets := make([]*jsonast.Value, len(ops))
	for i, op := range ops {
		v, err := lookup(root, op.Path)
		if err != nil {
			return nil, fmt.Errorf("%s: %v", op, err)
		}
		targets[i] = v
	}
	type edits struct {
		ins     map[int][]*jsonast.Value
		removed map[int]bool
	}
	arrays := map[*jsonast.Value]*edits{}
	var order []*jsonast.Value
	for i, op := range ops {
		v := targets[i]
		switch op.Kind {
		case SetValue:
			*v = *op.Value.Clone()
		case AddMember:
			if v.Kind != jsonast.Object || v.Get(op.Key) != nil {
				return nil, fmt.Errorf("%s: not an object, or the key is there already", op)
			}
			v.Members = append(v.Members, jsonast.NewMember(op.Key, op.Value.Clone()))
		case RenameKey, RemoveMember:
			m := v.Get(op.Key)
			if v.Kind != jsonast.Object || m == nil {
				return nil, fmt.Errorf("%s: no such member", op)
			}
			if op.Kind == RenameKey {
				m.Key = op.NewKey
			} else {
				v.Delete(op.Key)
			}
		case InsertElem, RemoveElem:
			if v.Kind != jsonast.Array || op.Index < 0 || op.Index > len(v.Elems) || op.Kind == RemoveElem && op.Index == len(v.Elems) {
				return nil, fmt.Errorf("%s: not an array, or the index is out of range", op)
			}
			e := arrays[v]
			if e == nil {
				e = &edits{ins: map[int][]*jsonast.Value{}, removed: map[int]bool{}}
				arrays[v] = e
				order = append(order, v)
			}
			if op.Kind == RemoveElem {
				e.removed[op.Index] = true
			} else {
				e.ins[op.Index] = append(e.ins[op.Index], op.Value.Clone())
			}
		default:
			return nil, fmt.Errorf("unknown operation %d", op.Kind)
		}
	}
	for _, v := range order {
		e := arrays[v]
		var out []*jsonast.Value
		for k := 0; k <= len(v.Elems); k++ {
			out = append(out, e.ins[k]...)
			if k < len(v.Elems) && !e.removed[k] {
				out = append(out, v.Elems[k])
			}
		}
		v.Elems = out
	}
	return root, nil
}

// lookup follows path from root. Keys match exactly, as the patch writes
// them.
func lookup(root *jsonast.Value, path Path) (*jsonast.Value, error) {
	v := root
	for _, s := range path {
		switch {
		case s.IsIndex:
			if v.Kind != jsonast.Array || s.Index < 0 || s.Index >= len(v.Elems) {
				return nil, fmt.Errorf("no element %d", s.Index)
			}
			v = v.Elems[s.Index]
		default:
			m := v.Get(s.Key)
			if v.Kind != jsonast.Object || m == nil {
				return nil, fmt.Errorf("no member %q", s.Key)
			}
			v = m.Value
		}
	}
	return v, nil
}
