package jsonast

import (
	"fmt"
	"strconv"
	"strings"
)

// MaxDepth is the maximum nesting depth of arrays and objects Parse accepts.
const MaxDepth = 100

const bom = "\uFEFF"

// Parse parses one strict RFC 8259 JSON document. Whitespace around the
// value is allowed, as is a leading UTF-8 byte order mark; both are kept and
// re-emitted by Render. Objects with duplicate keys and nesting deeper than
// MaxDepth are rejected. Errors are *SyntaxError.
func Parse(src []byte) (*Value, error) {
	s := string(src)
	p := &parser{s: s, d: &doc{src: s}}
	if strings.HasPrefix(s, bom) {
		p.pos = len(bom)
		p.lineStart = len(bom)
	}
	p.skipWS()
	if p.pos >= len(s) {
		return nil, p.errAt(p.pos, "unexpected end of input")
	}
	v, err := p.value()
	if err != nil {
		return nil, err
	}
	p.skipWS()
	if p.pos < len(s) {
		return nil, p.errAt(p.pos, "unexpected data after the JSON value")
	}
	v.node.root = true
	p.d.style = p.finishStyle(v.node)
	return v, nil
}

type pathSeg struct {
	key   string
	index int // -1 for object keys
}

type openContainer struct {
	off  int
	kind Kind
}

type styleCount struct {
	text string
	n    int
}

type parser struct {
	s         string
	pos       int
	d         *doc
	lineStart int // offset of the first byte of the current line
	lines     int // number of '\n' seen so far
	path      []pathSeg
	open      []openContainer
	curString int // offset of the string being decoded (for errors)

	// style statistics
	lf, crlf          int
	colons, incs      []styleCount
	innerYes, innerNo int
	commaYes, commaNo int
}

type pairAlloc struct {
	v Value
	n node
}

type memberAlloc struct {
	m  Member
	mn mnode
}

func (p *parser) newValue(k Kind, start int) (*Value, *node) {
	a := &pairAlloc{}
	a.v.Kind = k
	a.v.Offset = start
	a.v.node = &a.n
	a.n.doc = p.d
	a.n.kind = k
	a.n.start = start
	a.n.indent = p.lineIndent()
	return &a.v, &a.n
}

func (p *parser) skipWS() {
	s := p.s
	i := p.pos
	for i < len(s) {
		switch s[i] {
		case ' ', '\t', '\r':
		case '\n':
			if i > 0 && s[i-1] == '\r' {
				p.crlf++
			} else {
				p.lf++
			}
			p.lines++
			p.lineStart = i + 1
		default:
			p.pos = i
			return
		}
		i++
	}
	p.pos = i
}

// lineIndent returns the run of spaces and tabs starting the current line.
func (p *parser) lineIndent() string {
	i := p.lineStart
	for i < len(p.s) && (p.s[i] == ' ' || p.s[i] == '\t') {
		i++
	}
	return p.s[p.lineStart:i]
}

func (p *parser) value() (*Value, error) {
	if p.pos >= len(p.s) {
		return nil, p.errEOF()
	}
	switch c := p.s[p.pos]; {
	case c == '{':
		return p.object()
	case c == '[':
		return p.array()
	case c == '"':
		start := p.pos
		str, err := p.str()
		if err != nil {
			return nil, err
		}
		v, n := p.newValue(String, start)
		v.Str, n.str, n.end = str, str, p.pos
		return v, nil
	case c == 't' || c == 'f' || c == 'n':
		return p.literal()
	case c == '-' || (c >= '0' && c <= '9'):
		return p.number()
	}
	return nil, p.errChar(p.pos, "looking for beginning of value")
}

func (p *parser) literal() (*Value, error) {
	start := p.pos
	var lit string
	var v *Value
	var n *node
	switch p.s[start] {
	case 't':
		lit = "true"
		v, n = p.newValue(Bool, start)
		v.Bool, n.b = true, true
	case 'f':
		lit = "false"
		v, n = p.newValue(Bool, start)
	default:
		lit = "null"
		v, n = p.newValue(Null, start)
	}
	for j := 1; j < len(lit); j++ {
		if start+j >= len(p.s) {
			return nil, p.errEOF()
		}
		if p.s[start+j] != lit[j] {
			return nil, p.errChar(start+j, fmt.Sprintf("in literal %s (expecting %s)", lit, quoteChar(rune(lit[j]))))
		}
	}
	p.pos = start + len(lit)
	n.end = p.pos
	return v, nil
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

func (p *parser) number() (*Value, error) {
	s := p.s
	start := p.pos
	i := start
	if s[i] == '-' {
		i++
	}
	if i >= len(s) {
		return nil, p.errEOF()
	}
	switch {
	case s[i] == '0':
		i++
		if i < len(s) && isDigit(s[i]) {
			j := i
			for j < len(s) && (isDigit(s[j]) || s[j] == '.' || s[j] == 'e' || s[j] == 'E' || s[j] == '+' || s[j] == '-') {
				j++
			}
			return nil, p.errAt(start, fmt.Sprintf("invalid number %q: leading zeros are not allowed", s[start:j]))
		}
	case isDigit(s[i]):
		for i < len(s) && isDigit(s[i]) {
			i++
		}
	default:
		return nil, p.errChar(i, "in numeric literal")
	}
	if i < len(s) && s[i] == '.' {
		i++
		if i >= len(s) {
			return nil, p.errEOF()
		}
		if !isDigit(s[i]) {
			return nil, p.errChar(i, "after decimal point in numeric literal")
		}
		for i < len(s) && isDigit(s[i]) {
			i++
		}
	}
	if i < len(s) && (s[i] == 'e' || s[i] == 'E') {
		i++
		if i < len(s) && (s[i] == '+' || s[i] == '-') {
			i++
		}
		if i >= len(s) {
			return nil, p.errEOF()
		}
		if !isDigit(s[i]) {
			return nil, p.errChar(i, "in exponent of numeric literal")
		}
		for i < len(s) && isDigit(s[i]) {
			i++
		}
	}
	p.pos = i
	v, n := p.newValue(Number, start)
	v.Num, n.str, n.end = s[start:i], s[start:i], i
	return v, nil
}

func (p *parser) push(k Kind, off int) error {
	if len(p.open) >= MaxDepth {
		return p.errAt(off, fmt.Sprintf("exceeded maximum nesting depth of %d", MaxDepth))
	}
	p.open = append(p.open, openContainer{off: off, kind: k})
	return nil
}

func (p *parser) pop() { p.open = p.open[:len(p.open)-1] }

func (p *parser) array() (*Value, error) {
	start := p.pos
	if err := p.push(Array, start); err != nil {
		return nil, err
	}
	v, n := p.newValue(Array, start)
	startLine := p.lines
	p.pos++
	leadStart := p.pos
	p.skipWS()
	v.Elems = []*Value{}
	if p.pos < len(p.s) && p.s[p.pos] == ']' {
		n.closeWS = p.s[leadStart:p.pos]
		return p.endContainer(v, n, startLine)
	}
	for {
		if p.pos >= len(p.s) {
			return nil, p.errEOF()
		}
		lead := p.s[leadStart:p.pos]
		p.path = append(p.path, pathSeg{index: len(v.Elems)})
		e, err := p.value()
		if err != nil {
			return nil, err
		}
		p.path = p.path[:len(p.path)-1]
		en := e.node
		en.parent, en.idx, en.lead = n, len(v.Elems), lead
		v.Elems = append(v.Elems, e)
		n.children = append(n.children, en)
		ws, closed, next, err := p.afterChild(']', "array element", e)
		if err != nil {
			return nil, err
		}
		if closed {
			n.closeWS = ws
			return p.endContainer(v, n, startLine)
		}
		en.post, leadStart = ws, next
	}
}

func (p *parser) object() (*Value, error) {
	start := p.pos
	if err := p.push(Object, start); err != nil {
		return nil, err
	}
	v, n := p.newValue(Object, start)
	startLine := p.lines
	p.pos++
	leadStart := p.pos
	p.skipWS()
	v.Members = []*Member{}
	var seen map[string]struct{}
	if p.pos < len(p.s) && p.s[p.pos] == '}' {
		n.closeWS = p.s[leadStart:p.pos]
		return p.endContainer(v, n, startLine)
	}
	for {
		if p.pos >= len(p.s) {
			return nil, p.errEOF()
		}
		if p.s[p.pos] != '"' {
			return nil, p.errChar(p.pos, "looking for beginning of object key string")
		}
		lead := p.s[leadStart:p.pos]
		keyOff := p.pos
		key, err := p.str()
		if err != nil {
			return nil, err
		}
		keyRaw := p.s[keyOff:p.pos]
		if isDup(v.Members, key, &seen) {
			return nil, p.errAt(keyOff, "duplicate key "+strconv.Quote(key))
		}
		colon, err := p.colon()
		if err != nil {
			return nil, err
		}
		p.path = append(p.path, pathSeg{key: key, index: -1})
		val, err := p.value()
		if err != nil {
			return nil, err
		}
		p.path = p.path[:len(p.path)-1]
		idx := len(v.Members)
		ma := &memberAlloc{
			m:  Member{Key: key, Value: val, KeyOffset: keyOff},
			mn: mnode{parent: n, idx: idx, key: key, keyRaw: keyRaw, lead: lead, colon: colon},
		}
		mn := &ma.mn
		ma.m.mn = mn
		val.node.parent, val.node.idx = n, idx
		v.Members = append(v.Members, &ma.m)
		n.members = append(n.members, mn)
		n.children = append(n.children, val.node)
		p.countColon(colon)
		ws, closed, next, err := p.afterChild('}', "object member", val)
		if err != nil {
			return nil, err
		}
		if closed {
			n.closeWS = ws
			return p.endContainer(v, n, startLine)
		}
		mn.post, leadStart = ws, next
	}
}

// isDup reports whether key is among the object's members so far, and
// records it; a set of the keys (*seen) replaces the linear scan once the
// object has 8 members.
func isDup(members []*Member, key string, seen *map[string]struct{}) bool {
	dup := false
	if *seen != nil {
		_, dup = (*seen)[key]
	} else {
		for _, m := range members {
			if m.Key == key {
				dup = true
				break
			}
		}
	}
	if dup {
		return true
	}
	if *seen == nil && len(members) >= 8 {
		*seen = make(map[string]struct{}, 16)
		for _, m := range members {
			(*seen)[m.Key] = struct{}{}
		}
	}
	if *seen != nil {
		(*seen)[key] = struct{}{}
	}
	return false
}

// colon reads the text between an object key and its value: whitespace,
// ':' and whitespace.
func (p *parser) colon() (string, error) {
	colonStart := p.pos
	p.skipWS()
	if p.pos >= len(p.s) {
		return "", p.errEOF()
	}
	if p.s[p.pos] != ':' {
		return "", p.errAt(p.pos, "expected ':' after object key")
	}
	p.pos++
	p.skipWS()
	return p.s[colonStart:p.pos], nil
}

// afterChild reads what follows a container's child: a comma, after which
// it skips to the next child (returning the whitespace before the comma and
// where the next child's leading whitespace starts), or the closing bracket
// (closed, with the whitespace before it). A comma right before the closing
// bracket is an error.
func (p *parser) afterChild(closer byte, what string, child *Value) (ws string, closed bool, next int, err error) {
	postStart := p.pos
	p.skipWS()
	if p.pos >= len(p.s) {
		return "", false, 0, p.errEOF()
	}
	switch p.s[p.pos] {
	case ',':
		ws = p.s[postStart:p.pos]
		comma := p.pos
		p.pos++
		next = p.pos
		p.skipWS()
		if p.pos < len(p.s) && p.s[p.pos] == closer {
			return "", false, 0, p.errAt(comma, "trailing comma before '"+string(closer)+"'")
		}
		return ws, false, next, nil
	case closer:
		return p.s[postStart:p.pos], true, 0, nil
	}
	return "", false, 0, p.errAt(p.pos, "expected ',' or '"+string(closer)+"' after "+what+p.quoteHint(child))
}

// quoteHint explains the common case of a string missing its closing quote:
// the string prev then ends at what was meant as the next opening quote, and
// the next token's text follows directly.
func (p *parser) quoteHint(prev *Value) string {
	if prev.Kind != String || p.pos >= len(p.s) || p.pos != prev.node.end {
		return ""
	}
	c := p.s[p.pos]
	if c == '_' || c == '$' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' {
		return " (is a string missing its closing quote?)"
	}
	return ""
}

// endContainer finishes a container whose closing bracket is at p.pos.
func (p *parser) endContainer(v *Value, n *node, startLine int) (*Value, error) {
	p.pos++
	n.end = p.pos
	n.multi = p.lines != startLine
	p.pop()
	p.containerStats(n)
	return v, nil
}
