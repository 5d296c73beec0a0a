package terraform

import (
	"fmt"
	"sort"
	"strings"

	"github.com/hashicorp/hcl/v2/hclsyntax"

	"github.com/fixpolicy/fixpolicy/rewrite/iac"
	"github.com/fixpolicy/fixpolicy/rewrite/jsonast"
)

// stmtEdit collects the changes to one statement block.
type stmtEdit struct {
	renames map[string]string         // attribute name → new name
	sets    map[string]*jsonast.Value // JSON key → new value
	conds   []*jsonast.Value          // new condition blocks: {test, variable, values}
}

// Edit implements iac.Editor for a data "aws_iam_policy_document": Patch
// A adds condition blocks (or values to an existing one), Patch B renames
// actions to not_actions and adds a statement block. An operation the
// block structure cannot express exactly is refused.
func (doc *pdDoc) Edit(ops []iac.Op, opt iac.EditOptions) ([]iac.Splice, error) {
	ed := doc.f.newEdit(opt, false)
	edits := map[int]*stmtEdit{}
	var order []int
	plan := func(i int) *stmtEdit {
		if p := edits[i]; p != nil {
			return p
		}
		p := &stmtEdit{renames: map[string]string{}, sets: map[string]*jsonast.Value{}}
		edits[i] = p
		order = append(order, i)
		return p
	}
	inserts := map[int][]*jsonast.Value{}
	appends := map[*hclsyntax.TupleConsExpr][]*jsonast.Value{}
	var sp []iac.Splice
	for _, op := range ops {
		val := ed.value(op.Value, opt)
		p := op.Path
		if len(p) == 1 && p[0].Key == "Statement" && op.Kind == iac.InsertElem {
			inserts[op.Index] = append(inserts[op.Index], val)
			continue
		}
		if len(p) < 2 || p[0].Key != "Statement" || !p[1].IsIndex || p[1].Index >= len(doc.stmts) {
			return nil, doc.refuse(op, "only statements are edited, and inserted whole")
		}
		i := p[1].Index
		t, extra, s, err := doc.mapOp(ed, op, val, plan(i))
		if err != nil {
			return nil, doc.refuse(op, err.Error())
		}
		if t != nil {
			appends[t] = append(appends[t], extra...)
		}
		sp = append(sp, s...)
	}
	for _, i := range order {
		s, err := doc.stmtSplices(ed, doc.stmts[i], edits[i])
		if err != nil {
			return nil, err
		}
		sp = append(sp, s...)
	}
	for t, vals := range appends {
		sp = append(sp, doc.f.insertSplices(ed, t, len(t.Exprs), vals)...)
	}
	idx := make([]int, 0, len(inserts))
	for k := range inserts {
		idx = append(idx, k)
	}
	sort.Ints(idx)
	for _, k := range idx {
		s, err := doc.insertStatements(ed, k, inserts[k])
		if err != nil {
			return nil, err
		}
		sp = append(sp, s...)
	}
	sort.SliceStable(sp, func(i, j int) bool { return sp[i].Start < sp[j].Start })
	return ed.finish(sp, opt)
}

func (doc *pdDoc) refuse(op iac.Op, why string) error {
	return fmt.Errorf("%s: cannot be written into data.aws_iam_policy_document.%s: %s", op, doc.block.Labels[1], why)
}

// mapOp maps one operation on statement p[1] onto its block: into the
// statement's plan, as values to append to a list (t, extra), or as
// direct splices.
func (doc *pdDoc) mapOp(ed *edit, op iac.Op, val *jsonast.Value, pl *stmtEdit) (t *hclsyntax.TupleConsExpr, extra []*jsonast.Value, sp []iac.Splice, err error) {
	s, rest := doc.stmts[op.Path[1].Index], op.Path[2:]
	switch {
	case op.Kind == iac.RenameKey && len(rest) == 0 && jsonAttrs[op.Key] != "" && jsonAttrs[op.NewKey] != "" && s.attrs[op.Key] != nil:
		pl.renames[jsonAttrs[op.Key]] = jsonAttrs[op.NewKey]
	case op.Kind == iac.SetValue && len(rest) == 1 && s.attrs[rest[0].Key] != nil:
		pl.sets[rest[0].Key] = val
	case op.Kind == iac.AddMember && len(rest) == 0 && op.Key == "Condition" && val.Kind == jsonast.Object:
		for _, m := range val.Members {
			c, err := condBlocks(m.Key, m.Value)
			if err != nil {
				return nil, nil, nil, err
			}
			pl.conds = append(pl.conds, c...)
		}
	case op.Kind == iac.AddMember && len(rest) == 1 && rest[0].Key == "Condition":
		c, err := condBlocks(op.Key, val)
		if err != nil {
			return nil, nil, nil, err
		}
		pl.conds = append(pl.conds, c...)
	case op.Kind == iac.AddMember && len(rest) == 2 && rest[0].Key == "Condition":
		c, err := condBlocks(rest[1].Key, jsonast.NewObject(jsonast.NewMember(op.Key, val)))
		if err != nil {
			return nil, nil, nil, err
		}
		pl.conds = append(pl.conds, c...)
	case (op.Kind == iac.SetValue || op.Kind == iac.InsertElem) && len(rest) == 3 && rest[0].Key == "Condition":
		t, extra, whole, err := doc.values(s, rest[1].Key, rest[2].Key, op, val)
		if err != nil {
			return nil, nil, nil, err
		}
		if whole != nil {
			r := whole.Range()
			return nil, nil, []iac.Splice{{Start: r.Start.Byte, End: r.End.Byte, Text: ed.w.value(listOf(val), indentAt(doc.f.src, r.Start.Byte))}}, nil
		}
		return t, extra, nil, nil
	default:
		return nil, nil, nil, fmt.Errorf("no block attribute holds it")
	}
	return nil, nil, nil, nil
}

// listOf is v as a list: a string is a list of one.
func listOf(v *jsonast.Value) *jsonast.Value {
	if v.Kind == jsonast.Array {
		return v
	}
	return jsonast.NewArray(v)
}

// condBlocks turns {variable: values} under test into condition blocks.
func condBlocks(test string, vars *jsonast.Value) ([]*jsonast.Value, error) {
	if vars.Kind != jsonast.Object {
		return nil, fmt.Errorf("the condition operator's value is not an object")
	}
	var out []*jsonast.Value
	for _, m := range vars.Members {
		vals := listOf(m.Value)
		for _, e := range vals.Elems {
			if e.Kind != jsonast.String {
				return nil, fmt.Errorf("a condition value that is not a string")
			}
		}
		out = append(out, jsonast.NewObject(
			jsonast.NewMember("test", jsonast.NewString(test)),
			jsonast.NewMember("variable", jsonast.NewString(m.Key)),
			jsonast.NewMember("values", vals)))
	}
	return out, nil
}

// values maps a change of Condition.test.variable onto the blocks holding
// it: values appended to the last block's list (extra), or the one block's
// values replaced (whole).
func (doc *pdDoc) values(s *pdStmt, test, variable string, op iac.Op, val *jsonast.Value) (t *hclsyntax.TupleConsExpr, extra []*jsonast.Value, whole hclsyntax.Expression, err error) {
	var blocks []*hclsyntax.Block
	var old []*jsonast.Value
	for _, b := range s.conds {
		bt, _ := literalAttr(b, "test")
		bv, _ := literalAttr(b, "variable")
		if bt != test || bv != variable {
			continue
		}
		blocks = append(blocks, b)
		v, err := doc.strings(b.Body.Attributes["values"].Expr, true)
		if err != nil {
			return nil, nil, nil, err
		}
		old = append(old, v...)
	}
	if len(blocks) == 0 {
		return nil, nil, nil, fmt.Errorf("no condition block with test %q and variable %q", test, variable)
	}
	last := blocks[len(blocks)-1].Body.Attributes["values"].Expr
	if op.Kind == iac.InsertElem {
		if op.Index != len(old) {
			return nil, nil, nil, fmt.Errorf("values are only appended")
		}
		extra = []*jsonast.Value{val}
	} else {
		nv := listOf(val).Elems
		prefix := len(nv) >= len(old)
		for i := 0; prefix && i < len(old); i++ {
			prefix = old[i].Equal(nv[i])
		}
		switch {
		case prefix:
			extra = nv[len(old):]
		case len(blocks) == 1:
			return nil, nil, last, nil
		default:
			return nil, nil, nil, fmt.Errorf("the values of %d condition blocks would change", len(blocks))
		}
	}
	t, ok := unwrap(last).(*hclsyntax.TupleConsExpr)
	if !ok {
		return nil, nil, nil, fmt.Errorf("the values are %s, not a list", doc.f.st.text(last.Range()))
	}
	return t, extra, nil, nil
}

// stmtSplices writes the renames, new values and new condition blocks of
// one statement block, keeping '=' aligned.
func (doc *pdDoc) stmtSplices(ed *edit, s *pdStmt, p *stmtEdit) ([]iac.Splice, error) {
	src := doc.f.src
	var sp []iac.Splice
	var ms []member
	lastEnd := -1
	for _, it := range items(s.block.Body) {
		if nb := it.block; nb != nil {
			r := nb.Range()
			ms = append(ms, member{keyStart: r.Start.Byte, keyEnd: r.Start.Byte, keyLine: r.Start.Line, endLine: r.End.Line, eq: -1, block: true})
			lastEnd = r.End.Byte
			continue
		}
		a := it.attr
		m := member{keyStart: a.NameRange.Start.Byte, keyEnd: a.NameRange.End.Byte, keyLine: a.NameRange.Start.Line,
			endLine: a.Expr.Range().End.Line, eq: a.EqualsRange.Start.Byte, key: a.Name}
		if nn, ok := p.renames[a.Name]; ok {
			m.key = nn
			sp = append(sp, iac.Splice{Start: m.keyStart, End: m.keyEnd, Text: nn})
		}
		for k, v := range p.sets {
			if s.attrs[k] != a {
				continue
			}
			if jsonAttrs[k] != "" {
				v = listOf(v)
			}
			var vs []iac.Splice
			vs, m.val = doc.f.valueSplices(ed, a.Expr, v, indentAt(src, m.keyStart))
			sp = append(sp, vs...)
		}
		ms = append(ms, m)
		lastEnd = a.Expr.Range().End.Byte
	}
	align, _ := alignSplices(src, ms, nil)
	sp = append(sp, align...)
	if len(p.conds) == 0 {
		return sp, nil
	}
	br := s.block.Body.Range()
	indent := indentAt(src, s.block.Range().Start.Byte) + "  "
	at := lineEnd(src, br.Start.Byte)
	if n := len(s.conds); n > 0 {
		lastEnd = s.conds[n-1].Range().End.Byte
	}
	if lastEnd >= 0 {
		at = lineEnd(src, lastEnd)
		if at > s.block.CloseBraceRange.Start.Byte {
			return nil, fmt.Errorf("the statement block at line %d is written on one line", s.block.Range().Start.Line)
		}
	}
	var b strings.Builder
	for _, c := range p.conds {
		b.WriteString(blockText(ed, indent, "condition", c.Members))
	}
	return append(sp, iac.Splice{Start: at, End: at, Text: b.String()}), nil
}

// blockText renders a block of simple attributes, '=' aligned.
func blockText(ed *edit, indent, typ string, attrs []*jsonast.Member) string {
	var adds []newLine
	for _, m := range attrs {
		adds = append(adds, newLine{key: indent + "  " + m.Key, val: ed.w.value(m.Value, indent+"  ")})
	}
	_, body := alignSplices(nil, nil, adds)
	return indent + typ + " {\n" + body + indent + "}\n"
}

// insertStatements adds statement blocks before the block at index k.
func (doc *pdDoc) insertStatements(ed *edit, k int, vals []*jsonast.Value) ([]iac.Splice, error) {
	if len(doc.stmts) == 0 {
		return nil, fmt.Errorf("data.aws_iam_policy_document.%s has no statement block to add one next to", doc.block.Labels[1])
	}
	src := doc.f.src
	indent := indentAt(src, doc.stmts[0].block.Range().Start.Byte)
	var b strings.Builder
	for _, v := range vals {
		t, err := statementText(ed, indent, v)
		if err != nil {
			return nil, err
		}
		b.WriteString(t)
	}
	if k == 0 {
		at := lineStart(src, doc.stmts[0].block.Range().Start.Byte)
		return []iac.Splice{{Start: at, End: at, Text: strings.TrimPrefix(b.String(), "\n") + "\n"}}, nil
	}
	at := lineEnd(src, doc.stmts[k-1].block.Range().End.Byte)
	return []iac.Splice{{Start: at, End: at, Text: b.String()}}, nil
}

// statementText renders a statement as a block, its keys in order.
func statementText(ed *edit, indent string, v *jsonast.Value) (string, error) {
	if v.Kind != jsonast.Object {
		return "", fmt.Errorf("a statement that is not an object")
	}
	in := indent + "  "
	var lines []newLine
	for _, m := range v.Members {
		switch m.Key {
		case "Sid", "Effect":
			lines = append(lines, newLine{key: in + strings.ToLower(m.Key), val: ed.w.value(m.Value, in)})
		case "Action", "NotAction", "Resource", "NotResource":
			lines = append(lines, newLine{key: in + jsonAttrs[m.Key], val: ed.w.value(listOf(m.Value), in)})
		case "Principal", "NotPrincipal":
			typ := "principals"
			if m.Key == "NotPrincipal" {
				typ = "not_principals"
			}
			if m.Value.Kind == jsonast.String && m.Value.Str == "*" {
				lines = append(lines, newLine{block: blockText(ed, in, typ, []*jsonast.Member{
					jsonast.NewMember("type", jsonast.NewString("*")), jsonast.NewMember("identifiers", jsonast.NewArray(jsonast.NewString("*")))})})
				continue
			}
			if m.Value.Kind != jsonast.Object {
				return "", fmt.Errorf("a principal that is neither \"*\" nor an object")
			}
			for _, p := range m.Value.Members {
				lines = append(lines, newLine{block: blockText(ed, in, typ, []*jsonast.Member{
					jsonast.NewMember("type", jsonast.NewString(p.Key)), jsonast.NewMember("identifiers", listOf(p.Value))})})
			}
		case "Condition":
			if m.Value.Kind != jsonast.Object {
				return "", fmt.Errorf("a condition that is not an object")
			}
			for _, t := range m.Value.Members {
				cs, err := condBlocks(t.Key, t.Value)
				if err != nil {
					return "", err
				}
				for _, c := range cs {
					lines = append(lines, newLine{block: blockText(ed, in, "condition", c.Members)})
				}
			}
		default:
			return "", fmt.Errorf("a statement key %q that aws_iam_policy_document cannot express", m.Key)
		}
	}
	_, body := alignSplices(nil, nil, lines)
	return "\n" + indent + "statement {\n" + body + indent + "}\n", nil
}
