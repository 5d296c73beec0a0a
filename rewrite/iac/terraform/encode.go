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
	d.Editor = &encEditor{f: f, root: arg, bare: bareMajority(arg), colon: colonMajority(f.src, arg)}
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
	f     *file
	root  hclsyntax.Expression
	bare  bool
	colon bool // JSON pasted into HCL: "key" : value, with commas
}

// separator is the byte after an object item's key: '=' or ':'.
func separator(src []byte, it hclsyntax.ObjectConsItem) byte {
	i := it.KeyExpr.Range().End.Byte
	for i < len(src) && (src[i] == ' ' || src[i] == '\t') {
		i++
	}
	if i < len(src) {
		return src[i]
	}
	return 0
}

// colonMajority reports whether the policy's objects mostly use ':'.
func colonMajority(src []byte, e hclsyntax.Expression) bool {
	colon, eq := 0, 0
	var walk func(e hclsyntax.Expression)
	walk = func(e hclsyntax.Expression) {
		switch x := unwrap(e).(type) {
		case *hclsyntax.ObjectConsExpr:
			for _, it := range x.Items {
				if separator(src, it) == ':' {
					colon++
				} else {
					eq++
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
	return colon > eq
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

// encPlan collects an Edit's changes: objects are laid out once with all
// their changes, list insertions grouped by place.
type encPlan struct {
	objs     map[*hclsyntax.ObjectConsExpr]*objEdit
	order    []*objEdit
	inserts  map[insKey][]*jsonast.Value
	insOrder []insKey
	sp       []iac.Splice // direct replacements
}

func (p *encPlan) obj(o *hclsyntax.ObjectConsExpr) *objEdit {
	if oe := p.objs[o]; oe != nil {
		return oe
	}
	oe := &objEdit{obj: o, renames: map[int]string{}, sets: map[int]*jsonast.Value{}}
	p.objs[o] = oe
	p.order = append(p.order, oe)
	return oe
}

// Edit implements iac.Editor.
func (e *encEditor) Edit(ops []iac.Op, opt iac.EditOptions) ([]iac.Splice, error) {
	ed := e.f.newEdit(opt, e.bare)
	ed.w.colon = e.colon
	p := &encPlan{objs: map[*hclsyntax.ObjectConsExpr]*objEdit{}, inserts: map[insKey][]*jsonast.Value{}}
	for _, op := range ops {
		if err := e.plan(ed, p, op, ed.value(op.Value, opt)); err != nil {
			return nil, fmt.Errorf("%s: %v", op, err)
		}
	}
	sp := p.sp
	for _, oe := range p.order {
		s, err := e.objectSplices(ed, oe)
		if err != nil {
			return nil, err
		}
		sp = append(sp, s...)
	}
	for _, k := range p.insOrder {
		sp = append(sp, e.f.insertSplices(ed, k.tuple, k.index, p.inserts[k])...)
	}
	sort.SliceStable(sp, func(i, j int) bool { return sp[i].Start < sp[j].Start })
	return ed.finish(sp, opt)
}

// plan records one operation, val its prepared new value.
func (e *encEditor) plan(ed *edit, p *encPlan, op iac.Op, val *jsonast.Value) error {
	switch op.Kind {
	case iac.SetValue:
		if len(op.Path) == 0 {
			r := e.root.Range()
			p.sp = append(p.sp, iac.Splice{Start: r.Start.Byte, End: r.End.Byte, Text: ed.w.value(val, indentAt(e.f.src, r.Start.Byte))})
			return nil
		}
		parent, last := op.Path.Parent()
		c, err := e.find(parent)
		if err != nil {
			return err
		}
		if last.IsIndex {
			t, ok := c.(*hclsyntax.TupleConsExpr)
			if !ok || last.Index >= len(t.Exprs) {
				return fmt.Errorf("no such element in the source")
			}
			r := t.Exprs[last.Index].Range()
			p.sp = append(p.sp, iac.Splice{Start: r.Start.Byte, End: r.End.Byte, Text: e.valueAt(ed, val, r.Start.Byte)})
			return nil
		}
		o, i, err := e.member(c, last.Key)
		if err != nil {
			return err
		}
		p.obj(o).sets[i] = val
	case iac.AddMember:
		c, err := e.find(op.Path)
		if err != nil {
			return err
		}
		o, ok := c.(*hclsyntax.ObjectConsExpr)
		if !ok {
			return fmt.Errorf("not an object in the source")
		}
		p.obj(o).adds = append(p.obj(o).adds, jsonast.NewMember(op.Key, val))
	case iac.RenameKey:
		c, err := e.find(op.Path)
		if err != nil {
			return err
		}
		o, i, err := e.member(c, op.Key)
		if err != nil {
			return err
		}
		p.obj(o).renames[i] = op.NewKey
	case iac.InsertElem:
		c, err := e.find(op.Path)
		if err != nil {
			return err
		}
		t, ok := c.(*hclsyntax.TupleConsExpr)
		if !ok || op.Index > len(t.Exprs) {
			return fmt.Errorf("not a list in the source")
		}
		k := insKey{t, op.Index}
		if p.inserts[k] == nil {
			p.insOrder = append(p.insOrder, k)
		}
		p.inserts[k] = append(p.inserts[k], val)
	default:
		return fmt.Errorf("fixpolicy does not remove parts of a policy")
	}
	return nil
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
