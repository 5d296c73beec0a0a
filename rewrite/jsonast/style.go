package jsonast

import "strings"

// Style is the layout convention of a document, used to render values that
// have no source layout of their own.
type Style struct {
	// Multiline: new containers are laid out one child per line (the
	// document's top-level value spans several lines). Otherwise they are
	// rendered on one line.
	Multiline bool
	// Indent is one indentation level, e.g. "  ", "    " or "\t".
	Indent string
	// Newline is "\n" or "\r\n".
	Newline string
	// Colon is the text between a key and its value, e.g. ": ", ":" or " : ".
	Colon string
	// CommaSpace: in one-line containers a space follows each comma.
	CommaSpace bool
	// InnerSpace: in one-line containers a space follows the opening
	// bracket and precedes the closing one, as in `{ "a": 1 }`.
	InnerSpace bool
}

// DefaultStyle is the style used for trees that have no source: multi-line,
// four-space indent, "\n", ": ", a space after commas in one-line containers.
func DefaultStyle() Style {
	return Style{Multiline: true, Indent: "    ", Newline: "\n", Colon: ": ", CommaSpace: true}
}

// Detect parses src and returns its layout style, or DefaultStyle() if src
// is not valid JSON.
func Detect(src []byte) Style {
	v, err := Parse(src)
	if err != nil {
		return DefaultStyle()
	}
	return v.node.doc.style
}

// StyleOf returns the style of the document v (or, for a value created by
// New*, of the first parsed value found inside it) was parsed from, or
// DefaultStyle().
func StyleOf(v *Value) Style {
	if n := findNode(v, 0); n != nil {
		return n.doc.style
	}
	return DefaultStyle()
}

func findNode(v *Value, depth int) *node {
	if v == nil || depth > 10000 {
		return nil
	}
	if v.node != nil {
		return v.node
	}
	for _, e := range v.Elems {
		if n := findNode(e, depth+1); n != nil {
			return n
		}
	}
	for _, m := range v.Members {
		if m != nil {
			if n := findNode(m.Value, depth+1); n != nil {
				return n
			}
		}
	}
	return nil
}

func addCount(c []styleCount, text string) []styleCount {
	for i := range c {
		if c[i].text == text {
			c[i].n++
			return c
		}
	}
	return append(c, styleCount{text: text, n: 1})
}

func bestCount(c []styleCount) (string, bool) {
	best := -1
	for i := range c {
		if best < 0 || c[i].n > c[best].n {
			best = i
		}
	}
	if best < 0 {
		return "", false
	}
	return c[best].text, true
}

func (p *parser) countColon(colon string) {
	if strings.IndexByte(colon, '\n') < 0 && strings.IndexByte(colon, '\r') < 0 {
		p.colons = addCount(p.colons, colon)
	}
}

// lastLineIndent returns the whitespace after the last newline of the
// whitespace ws, and whether ws contains a newline and that tail is made of
// spaces and tabs only.
func lastLineIndent(ws string) (string, bool) {
	i := strings.LastIndexByte(ws, '\n')
	if i < 0 {
		return "", false
	}
	t := ws[i+1:]
	if strings.Trim(t, " \t") != "" {
		return "", false
	}
	return t, true
}

func (p *parser) containerStats(n *node) {
	k := len(n.children)
	if k == 0 {
		return
	}
	lead := func(i int) string {
		if n.kind == Object {
			return n.members[i].lead
		}
		return n.children[i].lead
	}
	if n.multi {
		for i := 0; i < k; i++ {
			ci, ok := lastLineIndent(lead(i))
			if !ok {
				continue
			}
			if len(ci) > len(n.indent) && strings.HasPrefix(ci, n.indent) {
				p.incs = addCount(p.incs, ci[len(n.indent):])
			}
			break
		}
		return
	}
	if lead(0) != "" {
		p.innerYes++
	} else {
		p.innerNo++
	}
	if n.closeWS != "" {
		p.innerYes++
	} else {
		p.innerNo++
	}
	if k > 1 {
		if lead(1) != "" {
			p.commaYes++
		} else {
			p.commaNo++
		}
	}
}

func (p *parser) finishStyle(root *node) Style {
	st := DefaultStyle()
	if len(root.children) > 0 {
		st.Multiline = root.multi
	} else {
		st.Multiline = p.lf+p.crlf > 0
	}
	if u, ok := bestCount(p.incs); ok {
		st.Indent = u
	}
	if p.crlf > p.lf {
		st.Newline = "\r\n"
	}
	if c, ok := bestCount(p.colons); ok {
		st.Colon = c
	}
	if p.commaYes+p.commaNo > 0 {
		st.CommaSpace = p.commaYes >= p.commaNo
	} else {
		st.CommaSpace = strings.HasSuffix(st.Colon, " ")
	}
	st.InnerSpace = p.innerYes > p.innerNo
	return st
}
