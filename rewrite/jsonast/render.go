package jsonast

import (
	"strings"
)

// maxRenderDepth guards against cyclic trees.
const maxRenderDepth = 10000

// Render renders the (possibly mutated) tree v, minimally:
//
//   - a value whose content is unchanged since Parse is written as its
//     original source text (so Render(Parse(src)) == src, including the
//     whitespace and byte order mark around the document's top-level value);
//   - a changed container is rebuilt around its children, each source child
//     keeping its original leading whitespace and key/colon text, and the
//     whitespace before the closing bracket is kept;
//   - new children and new containers take their layout from their
//     siblings, else from the document's style (see Style);
//   - changed scalars are rendered alone (strings escaped without HTML
//     escaping, numbers as their literal).
//
// The style for new parts is StyleOf(v).
func Render(v *Value) []byte { return RenderStyle(v, StyleOf(v)) }

// RenderStyle is Render with an explicit style for the parts that have no
// source layout.
func RenderStyle(v *Value, st Style) []byte {
	def := DefaultStyle()
	if st.Indent == "" || strings.Trim(st.Indent, " \t") != "" {
		st.Indent = def.Indent
	}
	if st.Newline != "\n" && st.Newline != "\r\n" {
		st.Newline = def.Newline
	}
	if strings.Count(st.Colon, ":") != 1 || strings.Trim(st.Colon, " \t:") != "" {
		st.Colon = def.Colon
	}
	r := &renderer{st: st, lineStart: -1}
	if v != nil && v.node != nil {
		n := v.node
		r.base = n.indent
		if n.root {
			src := n.doc.src
			r.out = make([]byte, 0, len(src)+len(src)/8+64)
			r.write(src[:n.start])
			r.value(v, !st.Multiline)
			r.write(src[n.end:])
			return r.out
		}
	}
	r.value(v, !st.Multiline)
	return r.out
}

type renderer struct {
	st        Style
	out       []byte
	lineStart int    // index in out just after the last '\n', -1 if none yet
	base      string // indentation of the line the rendering starts on
	depth     int
}

func (r *renderer) write(s string) {
	if i := strings.LastIndexByte(s, '\n'); i >= 0 {
		r.lineStart = len(r.out) + i + 1
	}
	r.out = append(r.out, s...)
}

// curIndent returns the indentation of the output line being written.
func (r *renderer) curIndent() string {
	if r.lineStart < 0 {
		return r.base
	}
	j := r.lineStart
	for j < len(r.out) && (r.out[j] == ' ' || r.out[j] == '\t') {
		j++
	}
	return string(r.out[r.lineStart:j])
}

// writeShifted writes source text s (whitespace or a raw value, in which
// every newline is between tokens) re-indented: on every line after a
// newline that is not blank, an indentation prefix from becomes to.
func (r *renderer) writeShifted(s, from, to string) {
	if from == to || strings.IndexByte(s, '\n') < 0 {
		r.write(s)
		return
	}
	for {
		i := strings.IndexByte(s, '\n')
		if i < 0 {
			r.write(s)
			return
		}
		r.write(s[:i+1])
		s = s[i+1:]
		if strings.HasPrefix(s, from) {
			rest := s[len(from):]
			// blank lines stay blank; at the end of s a token follows
			if rest == "" || (rest[0] != '\n' && rest[0] != '\r') {
				r.write(to)
				s = rest
			}
		}
	}
}

// unchanged reports whether v's content equals its parse-time snapshot.
// There is no memo: an unchanged subtree is compared at most once per
// changed ancestor, which keeps rendering allocation-free and read-only.
func (r *renderer) unchanged(v *Value) bool {
	if v.node == nil {
		return false
	}
	return r.cmp(v, v.node)
}

func (r *renderer) cmp(v *Value, n *node) bool {
	if v.Kind != n.kind {
		return false
	}
	switch v.Kind {
	case Null:
		return true
	case Bool:
		return v.Bool == n.b
	case Number:
		return v.Num == n.str
	case String:
		return v.Str == n.str
	case Array:
		if len(v.Elems) != len(n.children) {
			return false
		}
		for i, e := range v.Elems {
			if e == nil || !r.cmp(e, n.children[i]) {
				return false
			}
		}
		return true
	case Object:
		if len(v.Members) != len(n.members) {
			return false
		}
		for i, m := range v.Members {
			if m == nil || m.Value == nil || m.Key != n.members[i].key || !r.cmp(m.Value, n.children[i]) {
				return false
			}
		}
		return true
	}
	return false
}

func (r *renderer) value(v *Value, inline bool) {
	if v == nil {
		r.write("null")
		return
	}
	r.depth++
	if r.depth > maxRenderDepth {
		panic("jsonast: tree too deep or cyclic")
	}
	if n := v.node; n != nil && r.unchanged(v) {
		if n.multi {
			r.writeShifted(n.raw(), n.indent, r.curIndent())
		} else {
			r.write(n.raw())
		}
		r.depth--
		return
	}
	switch v.Kind {
	case Bool:
		if v.Bool {
			r.write("true")
		} else {
			r.write("false")
		}
	case Number:
		r.write(v.Num)
	case String:
		r.out = appendQuoted(r.out, v.Str)
	case Array, Object:
		n := v.node
		if n != nil && n.kind != v.Kind {
			n = nil
		}
		r.container(v, n, inline)
	default:
		r.write("null")
	}
	r.depth--
}

// container renders the changed (or new, n == nil) array or object v.
func (r *renderer) container(v *Value, n *node, inline bool) {
	l := newLayout(v, n)
	open, closing := "[", "]"
	if l.isObj {
		open, closing = "{", "}"
	}
	to := r.curIndent()
	from := to
	if n != nil {
		from = n.indent
	}
	r.write(open)
	if l.cnt == 0 {
		r.write(closing)
		return
	}

	childInline := inline
	if l.nOrig > 0 {
		childInline = !n.multi
	}
	st := &r.st
	var firstLead, commaLead, closeWS string
	if childInline {
		if st.InnerSpace {
			firstLead, closeWS = " ", " "
		}
		if st.CommaSpace {
			commaLead = " "
		}
	} else {
		closeWS = st.Newline + to
		firstLead = closeWS + st.Indent
		commaLead = firstLead
	}
	leads, derived := l.leads(firstLead, commaLead, st.CommaSpace)
	colons := l.colons(st.Colon)

	for i := 0; i < l.cnt; i++ {
		if derived[i] {
			r.write(leads[i])
		} else {
			r.writeShifted(leads[i], from, to)
		}
		var child *Value
		if l.isObj {
			m := l.members[i]
			if m.mn != nil && m.mn.key == m.Key {
				r.write(m.mn.keyRaw)
			} else {
				r.out = appendQuoted(r.out, m.Key)
			}
			r.writeShifted(colons[i], from, to)
			child = m.Value
		} else {
			child = v.Elems[i]
		}
		r.value(child, childInline)
		if i < l.cnt-1 {
			if j := l.origIdx[i]; j >= 0 && j < l.nOrig-1 {
				r.writeShifted(l.origPost(j), from, to)
			} else if l.nOrig > 1 {
				// whitespace before commas, as in the comma-first style
				r.writeShifted(l.origPost(0), from, to)
			}
			r.write(",")
		}
	}
	if l.nOrig > 0 {
		r.writeShifted(n.closeWS, from, to)
	} else {
		r.write(closeWS)
	}
	r.write(closing)
}

// layout relates the children of a container being rendered to those of
// its parse-time node n (nil for a new container).
type layout struct {
	n       *node
	isObj   bool
	members []*Member // objects: the members, nil ones left out
	cnt     int       // children to render
	nOrig   int       // children of n
	// origIdx[i]: index in n of output child i, or -1 if it does not come
	// from this container.
	origIdx []int
}

func newLayout(v *Value, n *node) *layout {
	l := &layout{n: n, isObj: v.Kind == Object, cnt: len(v.Elems)}
	if l.isObj {
		l.members = v.Members
		for _, m := range l.members {
			if m == nil {
				l.members = make([]*Member, 0, len(v.Members))
				for _, m := range v.Members {
					if m != nil {
						l.members = append(l.members, m)
					}
				}
				break
			}
		}
		l.cnt = len(l.members)
	}
	if n != nil {
		l.nOrig = len(n.children)
	}
	l.origIdx = make([]int, l.cnt)
	for i := range l.origIdx {
		l.origIdx[i] = -1
		if n == nil {
			continue
		}
		if l.isObj {
			if mn := l.members[i].mn; mn != nil && mn.parent == n {
				l.origIdx[i] = mn.idx
			}
		} else if e := v.Elems[i]; e != nil && e.node != nil && e.node.parent == n {
			l.origIdx[i] = e.node.idx
		}
	}
	return l
}

func (l *layout) origLead(j int) string {
	if l.isObj {
		return l.n.members[j].lead
	}
	return l.n.children[j].lead
}

func (l *layout) origPost(j int) string {
	if l.isObj {
		return l.n.members[j].post
	}
	return l.n.children[j].post
}

// leads is the whitespace before every output child; derived[i] says that
// leads[i] is in output coordinates (not to be re-indented). firstLead and
// commaLead are a new container's.
func (l *layout) leads(firstLead, commaLead string, commaSpace bool) (leads []string, derived []bool) {
	cnt, nOrig, origIdx := l.cnt, l.nOrig, l.origIdx
	leads = make([]string, cnt)
	derived = make([]bool, cnt)
	if l.n == nil {
		leads[0] = firstLead
		for i := 1; i < cnt; i++ {
			leads[i] = commaLead
		}
		for i := range derived {
			derived[i] = true
		}
		return leads, derived
	}
	// nextComma[i]: source index of the nearest later output child that
	// followed a comma in the source, or -1.
	nextComma := make([]int, cnt)
	next := -1
	for i := cnt - 1; i >= 0; i-- {
		nextComma[i] = next
		if origIdx[i] > 0 {
			next = origIdx[i]
		}
	}
	prev := -1
	for i := 0; i < cnt; i++ {
		switch {
		case i == 0 && nOrig > 0:
			leads[i] = l.origLead(0)
		case i == 0:
			leads[i], derived[i] = firstLead, true
		case origIdx[i] > 0:
			leads[i] = l.origLead(origIdx[i])
		case prev >= 0:
			leads[i] = l.origLead(prev)
		case nextComma[i] >= 0:
			leads[i] = l.origLead(nextComma[i])
		case nOrig > 1:
			leads[i] = l.origLead(1)
		case nOrig == 1 && hasNewline(l.origLead(0)):
			leads[i] = l.origLead(0)
		case nOrig == 1:
			// a single child hugging the bracket, as in `[{` ... `}]`:
			// new siblings follow `}, {`
			leads[i] = ""
			if commaSpace {
				leads[i] = " "
			}
		default:
			leads[i], derived[i] = commaLead, true
		}
		if origIdx[i] > 0 {
			prev = origIdx[i]
		}
	}
	return leads, derived
}

// colons is the colon text of every member (nil for arrays): a source
// member's own; for the others, the nearest source sibling's, else the
// document's (colon).
func (l *layout) colons(colon string) []string {
	if !l.isObj {
		return nil
	}
	colons := make([]string, l.cnt)
	near := ""
	for i := l.cnt - 1; i >= 0; i-- {
		colons[i] = near
		if j := l.origIdx[i]; j >= 0 && !hasNewline(l.n.members[j].colon) {
			near = l.n.members[j].colon
		}
	}
	near = ""
	for i := 0; i < l.cnt; i++ {
		if j := l.origIdx[i]; j >= 0 {
			colons[i] = l.n.members[j].colon
			if !hasNewline(colons[i]) {
				near = colons[i]
			}
			continue
		}
		if near != "" {
			colons[i] = near
		} else if colons[i] == "" {
			colons[i] = colon
		}
	}
	return colons
}

func hasNewline(s string) bool { return strings.IndexByte(s, '\n') >= 0 }
