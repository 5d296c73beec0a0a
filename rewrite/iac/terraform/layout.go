package terraform

import (
	"fmt"
	"strings"

	"github.com/hashicorp/hcl/v2/hclsyntax"

	"github.com/fixpolicy/fixpolicy/rewrite/iac"
	"github.com/fixpolicy/fixpolicy/rewrite/jsonast"
)

// member is an existing line-leading "key = value" of an object or a
// block body (or a nested block, which only breaks runs), as terraform fmt
// sees it: one-line members in a run of consecutive lines have their '='
// aligned.
type member struct {
	keyStart, keyEnd int // offsets of the key (name) token
	keyLine, endLine int // lines of the key and of the value's end
	eq               int // offset of the '=' (-1: none, or ':')
	key              string
	val              string // the new value's text; "" when unchanged
	block            bool
}

// newLine is a new member (key and value text) or block to append.
type newLine struct {
	key, val string // key includes the indentation
	block    string // a whole block's text instead
}

// row is a line as the aligner sees it.
type row struct {
	m                  *member
	add                *newLine
	adj                bool
	origSingle, single bool
	origLead, lead     int
	origEqCol          int
	wasAligned         bool
}

// alignSplices returns the splices that keep '=' aligned after keys were
// renamed and values replaced (rename and value splices are the caller's),
// and the text of the new lines to append after the last member.
func alignSplices(src []byte, ms []member, adds []newLine) ([]iac.Splice, string) {
	var rows []*row
	for i := range ms {
		m := &ms[i]
		ok := !m.block && m.eq >= 0 && firstOnLine(src, m.keyStart)
		col := m.keyStart - lineStart(src, m.keyStart)
		rw := &row{m: m, adj: i > 0 && m.keyLine == ms[i-1].endLine+1,
			origSingle: ok && m.keyLine == m.endLine,
			origLead:   col + m.keyEnd - m.keyStart,
			lead:       col + len(m.key)}
		if ok {
			rw.origEqCol = m.eq - lineStart(src, m.eq)
		}
		rw.single = rw.origSingle
		if m.val != "" {
			rw.single = ok && !strings.Contains(m.val, "\n")
		}
		rows = append(rows, rw)
	}
	markAligned(rows)
	for i := range adds {
		a := &adds[i]
		rows = append(rows, &row{add: a, adj: len(rows) > 0, single: a.block == "" && !strings.Contains(a.val, "\n"),
			lead: len(a.key), wasAligned: true})
	}
	var sp []iac.Splice
	var text strings.Builder
	for i := 0; i < len(rows); {
		j := i + 1
		if rows[i].single {
			for j < len(rows) && rows[j].single && rows[j].adj {
				j++
			}
		}
		width, aligned := 0, true
		for _, rw := range rows[i:j] {
			width = max(width, rw.lead)
			aligned = aligned && rw.wasAligned
		}
		for _, rw := range rows[i:j] {
			spaces := 1
			if rw.single && aligned {
				spaces = width - rw.lead + 1
			}
			if a := rw.add; a != nil {
				if a.block != "" {
					text.WriteString(a.block)
					continue
				}
				text.WriteString(a.key + strings.Repeat(" ", spaces) + "= " + a.val + "\n")
				continue
			}
			m := rw.m
			if m.block || m.eq < 0 {
				continue
			}
			if (rw.single && aligned || !rw.single && rw.origSingle && rw.wasAligned) && m.eq-m.keyEnd != spaces {
				sp = append(sp, iac.Splice{Start: m.keyEnd, End: m.eq, Text: strings.Repeat(" ", spaces)})
			}
		}
		i = j
	}
	return sp, text.String()
}

// objectSplices lays out the changes to one object.
func (e *encEditor) objectSplices(ed *edit, p *objEdit) ([]iac.Splice, error) {
	src := e.f.src
	o := p.obj
	r := o.Range()
	bare := ed.w.bareKeys
	if len(o.Items) > 0 {
		nb := 0
		for _, it := range o.Items {
			if bareKey(it) {
				nb++
			}
		}
		bare = 2*nb >= len(o.Items)
	}
	if r.Start.Line == r.End.Line {
		return e.inlineObjectSplices(ed, p, bare), nil
	}
	var sp []iac.Splice
	var ms []member
	for i, it := range o.Items {
		kr, vr := it.KeyExpr.Range(), it.ValueExpr.Range()
		eq := kr.End.Byte
		for eq < len(src) && (src[eq] == ' ' || src[eq] == '\t') {
			eq++
		}
		if eq >= len(src) || src[eq] != '=' {
			eq = -1
		}
		m := member{keyStart: kr.Start.Byte, keyEnd: kr.End.Byte, keyLine: kr.Start.Line, endLine: vr.End.Line,
			eq: eq, key: string(src[kr.Start.Byte:kr.End.Byte])}
		if nk, ok := p.renames[i]; ok {
			m.key = ed.w.key(nk, bareKey(it))
			sp = append(sp, iac.Splice{Start: kr.Start.Byte, End: kr.End.Byte, Text: m.key})
		}
		if v, ok := p.sets[i]; ok {
			var vs []iac.Splice
			vs, m.val = e.f.valueSplices(ed, it.ValueExpr, v, indentAt(src, kr.Start.Byte))
			sp = append(sp, vs...)
		}
		ms = append(ms, m)
	}
	// New members go on the lines after the last one.
	at, indent := lineEnd(src, r.Start.Byte), indentAt(src, r.Start.Byte)+"  "
	if n := len(o.Items); n > 0 {
		last := o.Items[n-1].ValueExpr.Range()
		at, indent = lineEnd(src, last.End.Byte), indentAt(src, o.Items[0].KeyExpr.Range().Start.Byte)
		if last.End.Line == r.End.Line {
			return nil, fmt.Errorf("the object at line %d ends on its last member's line", r.Start.Line)
		}
	}
	var adds []newLine
	for _, m := range p.adds {
		adds = append(adds, newLine{key: indent + ed.w.key(m.Key, bare), val: ed.w.value(m.Value, indent)})
	}
	if ed.w.colon && len(adds) > 0 {
		// "key" : value, one a line, commas between.
		var b strings.Builder
		for i, a := range adds {
			b.WriteString(a.key + " : " + a.val)
			if i < len(adds)-1 {
				b.WriteByte(',')
			}
			b.WriteByte('\n')
		}
		if n := len(o.Items); n > 0 {
			end := o.Items[n-1].ValueExpr.Range().End.Byte
			if c := skipBlanks(src, end); c >= len(src) || src[c] != ',' {
				sp = append(sp, iac.Splice{Start: end, End: end, Text: ","})
			}
		}
		align, _ := alignSplices(src, ms, nil)
		return append(append(sp, align...), iac.Splice{Start: at, End: at, Text: b.String()}), nil
	}
	align, text := alignSplices(src, ms, adds)
	sp = append(sp, align...)
	if text != "" {
		sp = append(sp, iac.Splice{Start: at, End: at, Text: text})
	}
	return sp, nil
}

// inlineObjectSplices edits an object written on one line.
func (e *encEditor) inlineObjectSplices(ed *edit, p *objEdit, bare bool) []iac.Splice {
	src := e.f.src
	o := p.obj
	var sp []iac.Splice
	for i, it := range o.Items {
		if nk, ok := p.renames[i]; ok {
			kr := it.KeyExpr.Range()
			sp = append(sp, iac.Splice{Start: kr.Start.Byte, End: kr.End.Byte, Text: ed.w.key(nk, bareKey(it))})
		}
		if v, ok := p.sets[i]; ok {
			vr := it.ValueExpr.Range()
			sp = append(sp, iac.Splice{Start: vr.Start.Byte, End: vr.End.Byte, Text: ed.w.inline(v, bare)})
		}
	}
	if len(p.adds) == 0 {
		return sp
	}
	parts := make([]string, len(p.adds))
	for i, m := range p.adds {
		parts[i] = ed.w.key(m.Key, bare) + " = " + ed.w.inline(m.Value, bare)
	}
	if n := len(o.Items); n > 0 {
		end := o.Items[n-1].ValueExpr.Range().End.Byte
		return append(sp, iac.Splice{Start: end, End: end, Text: ", " + strings.Join(parts, ", ")})
	}
	r := o.Range()
	_ = src
	return append(sp, iac.Splice{Start: r.Start.Byte, End: r.End.Byte, Text: "{ " + strings.Join(parts, ", ") + " }"})
}

// insertSplices inserts new elements into a list before the element at
// index, one a line with their siblings' indentation, or on the list's
// line when it is written on one line.
func (f *file) insertSplices(ed *edit, t *hclsyntax.TupleConsExpr, index int, vals []*jsonast.Value) []iac.Splice {
	src := f.src
	r := t.Range()
	inline := r.Start.Line == r.End.Line || len(t.Exprs) > 0 && !firstOnLine(src, t.Exprs[0].Range().Start.Byte)
	if index > 0 && !inline {
		pe := t.Exprs[index-1].Range().End
		if pe.Line == r.End.Line {
			inline = true
		}
	}
	if inline && r.Start.Line != r.End.Line && len(t.Exprs) > 0 {
		if sp := f.hugSplices(ed, t, index, vals); sp != nil {
			return sp
		}
	}
	if inline {
		parts := make([]string, len(vals))
		for i, v := range vals {
			parts[i] = ed.w.inline(v, ed.w.bareKeys)
		}
		text := strings.Join(parts, ", ")
		switch {
		case index > 0:
			at := t.Exprs[index-1].Range().End.Byte
			return []iac.Splice{{Start: at, End: at, Text: ", " + text}}
		case len(t.Exprs) > 0:
			at := t.Exprs[0].Range().Start.Byte
			return []iac.Splice{{Start: at, End: at, Text: text + ", "}}
		}
		return []iac.Splice{{Start: r.Start.Byte + 1, End: r.Start.Byte + 1, Text: text}}
	}
	indent := indentAt(src, r.Start.Byte) + "  "
	if len(t.Exprs) > 0 {
		indent = indentAt(src, t.Exprs[0].Range().Start.Byte)
	}
	// After a last element without a comma, the new ones get none either.
	trailing := true
	if index > 0 {
		c := skipBlanks(src, t.Exprs[index-1].Range().End.Byte)
		trailing = c < len(src) && src[c] == ','
	}
	var b strings.Builder
	for i, v := range vals {
		b.WriteString(indent + ed.w.value(v, indent))
		if trailing || i < len(vals)-1 {
			b.WriteByte(',')
		}
		b.WriteByte('\n')
	}
	switch {
	case index == 0 && len(t.Exprs) > 0:
		at := lineStart(src, t.Exprs[0].Range().Start.Byte)
		return []iac.Splice{{Start: at, End: at, Text: b.String()}}
	case index == 0:
		at := lineEnd(src, r.Start.Byte)
		return []iac.Splice{{Start: at, End: at, Text: b.String()}}
	}
	pe := t.Exprs[index-1].Range().End.Byte
	var sp []iac.Splice
	if !trailing {
		sp = append(sp, iac.Splice{Start: pe, End: pe, Text: ","})
	}
	at := lineEnd(src, pe)
	return append(sp, iac.Splice{Start: at, End: at, Text: b.String()})
}

// markAligned records which existing rows sit in runs that terraform fmt
// would leave alone: those are kept aligned; others keep their spacing.
func markAligned(rows []*row) {
	for i := 0; i < len(rows); {
		j := i + 1
		if rows[i].origSingle {
			for j < len(rows) && rows[j].origSingle && rows[j].adj {
				j++
			}
		}
		width := 0
		for _, rw := range rows[i:j] {
			width = max(width, rw.origLead)
		}
		ok := true
		for _, rw := range rows[i:j] {
			want := width + 1
			if !rw.origSingle {
				want = rw.origLead + 1
			}
			ok = ok && (rw.m.eq < 0 || rw.origEqCol == want)
		}
		for _, rw := range rows[i:j] {
			rw.wasAligned = ok
		}
		i = j
	}
}

// hugSplices inserts objects into a multi-line list whose elements hug
// their brackets and each other ([{ ... }, { ... }]); nil when a value is
// not multi-line.
func (f *file) hugSplices(ed *edit, t *hclsyntax.TupleConsExpr, index int, vals []*jsonast.Value) []iac.Splice {
	src := f.src
	var b strings.Builder
	for _, v := range vals {
		if oneLine(v) {
			return nil
		}
		b.WriteString(", " + ed.w.value(v, indentAt(src, t.Exprs[max(index-1, 0)].Range().End.Byte)))
	}
	if index == 0 {
		at := t.Exprs[0].Range().Start.Byte
		return []iac.Splice{{Start: at, End: at, Text: strings.TrimPrefix(b.String(), ", ") + ", "}}
	}
	at := t.Exprs[index-1].Range().End.Byte
	sp := []iac.Splice{{Start: at, End: at, Text: b.String()}}
	// terraform fmt indents "}, {" one level deeper than the "}]" it
	// replaces.
	if ls := lineStart(src, at-1); firstOnLine(src, at-1) && index == len(t.Exprs) {
		in := indentAt(src, at-1)
		sp = append(sp, iac.Splice{Start: ls, End: ls + len(in), Text: in + "  "})
	}
	return sp
}

// skipBlanks skips spaces and tabs from off.
func skipBlanks(src []byte, off int) int {
	for off < len(src) && (src[off] == ' ' || src[off] == '\t') {
		off++
	}
	return off
}

// valueSplices replace expression e by v, and return the new text ("\n"
// when it stays on several lines). Elements removed from a list written
// one element a line are cut out line by line, keeping the other lines and
// their comments; otherwise the expression is replaced whole.
func (f *file) valueSplices(ed *edit, e hclsyntax.Expression, v *jsonast.Value, indent string) ([]iac.Splice, string) {
	if sp := f.cutElements(e, v); sp != nil {
		return sp, "\n"
	}
	r := e.Range()
	text := ed.w.value(v, indent)
	return []iac.Splice{{Start: r.Start.Byte, End: r.End.Byte, Text: text}}, text
}

// cutElements returns the splices that delete the elements of list e that
// v (a subsequence of them) lacks, or nil.
func (f *file) cutElements(e hclsyntax.Expression, v *jsonast.Value) []iac.Splice {
	t, ok := unwrap(e).(*hclsyntax.TupleConsExpr)
	if !ok || v.Kind != jsonast.Array || len(v.Elems) == 0 || len(v.Elems) >= len(t.Exprs) {
		return nil
	}
	r := t.Range()
	prevEnd := r.Start.Line
	for _, el := range t.Exprs {
		er := el.Range()
		if er.Start.Line <= prevEnd || !firstOnLine(f.src, er.Start.Byte) {
			return nil
		}
		prevEnd = er.End.Line
	}
	if prevEnd >= r.End.Line {
		return nil
	}
	var sp []iac.Splice
	k := 0
	for _, el := range t.Exprs {
		old, err := f.st.toJSON(el)
		if err != nil {
			return nil
		}
		if k < len(v.Elems) && old.Equal(v.Elems[k]) {
			k++
			continue
		}
		er := el.Range()
		sp = append(sp, iac.Splice{Start: lineStart(f.src, er.Start.Byte), End: lineEnd(f.src, er.End.Byte)})
	}
	if k < len(v.Elems) {
		return nil
	}
	return sp
}
