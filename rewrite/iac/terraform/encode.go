package terraform

import (
	"fmt"
	"sort"

	"github.com/hashicorp/hcl/v2/hclsyntax"

	"github.com/fixpolicy/fixpolicy/rewrite/iac"
	"github.com/fixpolicy/fixpolicy/rewrite/jsonast"
)

// locateJSONEncode reads policy = jsonencode({...}).
func (f *file) locateJSONEncode(d *iac.Document, arg hclsyntax.Expression) error {
	v, err := f.st.toJSON(arg)
	if err != nil {
		return err
	}
	d.Format = iac.FormatTerraformJSONEncode
	d.Policy = render(v)
	d.Pos = pos(arg.Range().Start)
	if obj, ok := unwrap(arg).(*hclsyntax.ObjectConsExpr); ok {
		if st := itemValue(obj, "Statement"); st != nil {
			switch s := unwrap(st).(type) {
			case *hclsyntax.TupleConsExpr:
				for _, e := range s.Exprs {
					d.Statements = append(d.Statements, pos(e.Range().Start))
				}
			default:
				d.Statements = []iac.Pos{pos(s.Range().Start)}
			}
		}
	}
	d.Editor = &encEditor{f: f, root: arg, bare: bareMajority(arg)}
	return nil
}

// itemValue is the value of the object item with key k.
func itemValue(o *hclsyntax.ObjectConsExpr, k string) hclsyntax.Expression {
	if i := itemIndex(o, k); i >= 0 {
		return o.Items[i].ValueExpr
	}
	return nil
}

func itemIndex(o *hclsyntax.ObjectConsExpr, k string) int {
	for i, it := range o.Items {
		if key, ok := objectKey(it.KeyExpr); ok && key == k {
			return i
		}
	}
	return -1
}

// bareKey reports whether an item's key is written as a bare identifier.
func bareKey(it hclsyntax.ObjectConsItem) bool {
	if ke, ok := it.KeyExpr.(*hclsyntax.ObjectConsKeyExpr); ok {
		_, quoted := ke.Wrapped.(*hclsyntax.TemplateExpr)
		return !quoted
	}
	return false
}

// bareMajority reports whether the policy's identifier-like keys are
// mostly written bare.
func bareMajority(e hclsyntax.Expression) bool {
	bare, quoted := 0, 0
	var walk func(e hclsyntax.Expression)
	walk = func(e hclsyntax.Expression) {
		switch x := unwrap(e).(type) {
		case *hclsyntax.ObjectConsExpr:
			for _, it := range x.Items {
				if k, ok := objectKey(it.KeyExpr); ok && identRe.MatchString(k) {
					if bareKey(it) {
						bare++
					} else {
						quoted++
					}
				}
				walk(it.ValueExpr)
			}
		case *hclsyntax.TupleConsExpr:
			for _, el := range x.Exprs {
				walk(el)
			}
		}
	}
	walk(e)
	return bare >= quoted
}

// encEditor writes patches into a jsonencode({...}) argument.
type encEditor struct {
	f    *file
	root hclsyntax.Expression
	bare bool
}

// objEdit collects the changes to one object, which must be laid out
// together to keep '=' aligned.
type objEdit struct {
	obj     *hclsyntax.ObjectConsExpr
	renames map[int]string
	sets    map[int]*jsonast.Value
	adds    []*jsonast.Member
}

type insKey struct {
	tuple *hclsyntax.TupleConsExpr
	index int
}

// Edit implements iac.Editor.
func (e *encEditor) Edit(ops []iac.Op, opt iac.EditOptions) ([]iac.Splice, error) {
	ed := e.f.newEdit(opt, e.bare)
	objs := map[*hclsyntax.ObjectConsExpr]*objEdit{}
	var order []*objEdit
	plan := func(o *hclsyntax.ObjectConsExpr) *objEdit {
		if p := objs[o]; p != nil {
			return p
		}
		p := &objEdit{obj: o, renames: map[int]string{}, sets: map[int]*jsonast.Value{}}
		objs[o] = p
		order = append(order, p)
		return p
	}
	inserts := map[insKey][]*jsonast.Value{}
	var insOrder []insKey
	var sp []iac.Splice
	for _, op := range ops {
		val := ed.value(op.Value, opt)
		switch op.Kind {
		case iac.SetValue:
			if len(op.Path) == 0 {
				r := e.root.Range()
				sp = append(sp, iac.Splice{Start: r.Start.Byte, End: r.End.Byte, Text: ed.w.value(val, indentAt(e.f.src, r.Start.Byte))})
				continue
			}
			parent, last := op.Path.Parent()
			c, err := e.find(parent)
			if err != nil {
				return nil, fmt.Errorf("%s: %v", op, err)
			}
			if last.IsIndex {
				t, ok := c.(*hclsyntax.TupleConsExpr)
				if !ok || last.Index >= len(t.Exprs) {
					return nil, fmt.Errorf("%s: no such element in the source", op)
				}
				r := t.Exprs[last.Index].Range()
				sp = append(sp, iac.Splice{Start: r.Start.Byte, End: r.End.Byte, Text: e.valueAt(ed, val, r.Start.Byte)})
				continue
			}
			o, i, err := e.member(c, last.Key)
			if err != nil {
				return nil, fmt.Errorf("%s: %v", op, err)
			}
			plan(o).sets[i] = val
		case iac.AddMember:
			c, err := e.find(op.Path)
			if err != nil {
				return nil, fmt.Errorf("%s: %v", op, err)
			}
			o, ok := c.(*hclsyntax.ObjectConsExpr)
			if !ok {
				return nil, fmt.Errorf("%s: not an object in the source", op)
			}
			plan(o).adds = append(plan(o).adds, jsonast.NewMember(op.Key, val))
		case iac.RenameKey:
			c, err := e.find(op.Path)
			if err != nil {
				return nil, fmt.Errorf("%s: %v", op, err)
			}
			o, i, err := e.member(c, op.Key)
			if err != nil {
				return nil, fmt.Errorf("%s: %v", op, err)
			}
			plan(o).renames[i] = op.NewKey
		case iac.InsertElem:
			c, err := e.find(op.Path)
			if err != nil {
				return nil, fmt.Errorf("%s: %v", op, err)
			}
			t, ok := c.(*hclsyntax.TupleConsExpr)
			if !ok || op.Index > len(t.Exprs) {
				return nil, fmt.Errorf("%s: not a list in the source", op)
			}
			k := insKey{t, op.Index}
			if inserts[k] == nil {
				insOrder = append(insOrder, k)
			}
			inserts[k] = append(inserts[k], val)
		default:
			return nil, fmt.Errorf("%s: fixpolicy does not remove parts of a policy", op)
		}
	}
	for _, p := range order {
		s, err := e.objectSplices(ed, p)
		if err != nil {
			return nil, err
		}
		sp = append(sp, s...)
	}
	for _, k := range insOrder {
		sp = append(sp, e.f.insertSplices(ed, k.tuple, k.index, inserts[k])...)
	}
	sort.SliceStable(sp, func(i, j int) bool { return sp[i].Start < sp[j].Start })
	return ed.finish(sp, opt), nil
}

// find follows path (keys as before the patch) through the source.
func (e *encEditor) find(path iac.Path) (hclsyntax.Expression, error) {
	x := unwrap(e.root)
	for _, s := range path {
		switch c := x.(type) {
		case *hclsyntax.TupleConsExpr:
			if !s.IsIndex || s.Index < 0 || s.Index >= len(c.Exprs) {
				return nil, fmt.Errorf("no element %d in the source", s.Index)
			}
			x = unwrap(c.Exprs[s.Index])
		case *hclsyntax.ObjectConsExpr:
			i := itemIndex(c, s.Key)
			if s.IsIndex || i < 0 {
				return nil, fmt.Errorf("no member %q in the source", s.Key)
			}
			x = unwrap(c.Items[i].ValueExpr)
		default:
			return nil, fmt.Errorf("%s is not written as a literal object or list", e.f.st.text(x.Range()))
		}
	}
	return x, nil
}

func (e *encEditor) member(c hclsyntax.Expression, key string) (*hclsyntax.ObjectConsExpr, int, error) {
	o, ok := c.(*hclsyntax.ObjectConsExpr)
	if !ok {
		return nil, 0, fmt.Errorf("not an object in the source")
	}
	i := itemIndex(o, key)
	if i < 0 {
		return nil, 0, fmt.Errorf("no member %q in the source", key)
	}
	return o, i, nil
}

// valueAt renders v to replace the expression at off: on one line when
// the surrounding list is on one line.
func (e *encEditor) valueAt(ed *edit, v *jsonast.Value, off int) string {
	if !firstOnLine(e.f.src, off) && !oneLine(v) {
		return ed.w.inline(v, ed.w.bareKeys)
	}
	return ed.w.value(v, indentAt(e.f.src, off))
}
