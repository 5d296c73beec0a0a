package terraform

import (
	"strings"

	"github.com/hashicorp/hcl/v2/hclsyntax"

	"github.com/fixpolicy/fixpolicy/rewrite/iac"
	"github.com/fixpolicy/fixpolicy/rewrite/jsonast"
)

// row is one member line of an object being edited, as terraform fmt sees
// it: a one-line "key = value" joins a run whose '=' are aligned.
type row struct {
	item            int // index in the object, -1 for a new member
	keyEnd, eq      int // offsets (existing members)
	adj             bool
	origSingle      bool
	single          bool
	origLead, lead  int // columns before the '=' cell, before and after
	origEqCol       int
	wasAligned      bool
	text            string // new members: key and value
	key, valueLines string
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
	var sp []iac.Splice
	if r.Start.Line == r.End.Line {
		return e.inlineObjectSplices(ed, p, bare), nil
	}
	var rows []*row
	prevEnd := -1
	for i, it := range o.Items {
		kr, vr := it.KeyExpr.Range(), it.ValueExpr.Range()
		eq := kr.End.Byte
		for eq < len(src) && (src[eq] == ' ' || src[eq] == '\t') {
			eq++
		}
		key := string(src[kr.Start.Byte:kr.End.Byte])
		if nk, ok := p.renames[i]; ok {
			key = ed.w.key(nk, bareKey(it))
			sp = append(sp, iac.Splice{Start: kr.Start.Byte, End: kr.End.Byte, Text: key})
		}
		ok := eq < len(src) && src[eq] == '=' && firstOnLine(src, kr.Start.Byte)
		rw := &row{item: i, keyEnd: kr.End.Byte, eq: eq, adj: prevEnd >= 0 && kr.Start.Line == prevEnd+1,
			origSingle: ok && kr.Start.Line == vr.End.Line,
			origLead:   kr.Start.Column - 1 + (kr.End.Byte - kr.Start.Byte),
			lead:       kr.Start.Column - 1 + len(key),
			origEqCol:  eq - lineStart(src, eq)}
		rw.single = rw.origSingle
		if v, ok := p.sets[i]; ok {
			text := ed.w.value(v, indentAt(src, kr.Start.Byte))
			sp = append(sp, iac.Splice{Start: vr.Start.Byte, End: vr.End.Byte, Text: text})
			rw.single = ok && !strings.Contains(text, "\n") && firstOnLine(src, kr.Start.Byte) && src[eq] == '='
		}
		rows = append(rows, rw)
		prevEnd = vr.End.Line
	}
	markAligned(rows)
	// New members go on the lines after the last one.
	at, indent := lineEnd(src, r.Start.Byte), indentAt(src, r.Start.Byte)+"  "
	if n := len(o.Items); n > 0 {
		last := o.Items[n-1].ValueExpr.Range()
		at, indent = lineEnd(src, last.End.Byte), indentAt(src, o.Items[0].KeyExpr.Range().Start.Byte)
		if last.End.Line == r.End.Line {
			return nil, errorf("the object at line %d ends on its last member's line", r.Start.Line)
		}
	}
	for _, m := range p.adds {
		key := ed.w.key(m.Key, bare)
		val := ed.w.value(m.Value, indent)
		rows = append(rows, &row{item: -1, adj: len(rows) > 0, single: !strings.Contains(val, "\n"),
			lead: len(indent) + len(key), key: indent + key, valueLines: val, wasAligned: true})
	}
	var add strings.Builder
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
			if rw.item < 0 {
				if !rw.single || !aligned {
					spaces = 1
				}
				add.WriteString(rw.key + strings.Repeat(" ", spaces) + "= " + rw.valueLines + "\n")
				continue
			}
			if (rw.single && aligned || !rw.single && rw.origSingle && rw.wasAligned) && rw.eq-rw.keyEnd != spaces {
				sp = append(sp, iac.Splice{Start: rw.keyEnd, End: rw.eq, Text: strings.Repeat(" ", spaces)})
			}
		}
		i = j
	}
	if add.Len() > 0 {
		sp = append(sp, iac.Splice{Start: at, End: at, Text: add.String()})
	}
	return sp, nil
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
			ok = ok && rw.origEqCol == want
		}
		for _, rw := range rows[i:j] {
			rw.wasAligned = ok
		}
		i = j
	}
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
func (e *encEditor) insertSplices(ed *edit, t *hclsyntax.TupleConsExpr, index int, vals []*jsonast.Value) []iac.Splice {
	src := e.f.src
	r := t.Range()
	inline := r.Start.Line == r.End.Line || len(t.Exprs) > 0 && !firstOnLine(src, t.Exprs[0].Range().Start.Byte)
	if index > 0 && !inline {
		pe := t.Exprs[index-1].Range().End
		if pe.Line == r.End.Line {
			inline = true
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
	var b strings.Builder
	for _, v := range vals {
		b.WriteString(indent + ed.w.value(v, indent) + ",\n")
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
	c := pe
	for c < len(src) && (src[c] == ' ' || src[c] == '\t') {
		c++
	}
	var sp []iac.Splice
	if c >= len(src) || src[c] != ',' {
		sp = append(sp, iac.Splice{Start: pe, End: pe, Text: ","})
	}
	at := lineEnd(src, pe)
	return append(sp, iac.Splice{Start: at, End: at, Text: b.String()})
}
