package jsonast

import (
	"fmt"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf16"
	"unicode/utf8"
)

// MaxDepth is the maximum nesting depth of arrays and objects Parse accepts.
const MaxDepth = 100

const bom = "\uFEFF"

// SyntaxError describes why Parse rejected its input.
type SyntaxError struct {
	Offset int    // byte offset of the error in the source
	Line   int    // 1-based line of Offset
	Col    int    // 1-based column of Offset, in characters (a tab counts 1)
	Col16  int    // the same column in UTF-16 code units (see Pos)
	Path   string // JSON Pointer of the enclosing value; "" for the root
	Msg    string
}

// Error returns "line L, column C: MSG", with " (at PATH)" after the column
// when the path is not the root.
func (e *SyntaxError) Error() string {
	if e.Path != "" {
		return fmt.Sprintf("line %d, column %d (at %s): %s", e.Line, e.Col, e.Path, e.Msg)
	}
	return fmt.Sprintf("line %d, column %d: %s", e.Line, e.Col, e.Msg)
}

// LineCol returns the 1-based line and column of the byte offset in src.
// Lines are separated by '\n'; columns count characters (UTF-8 sequences),
// a tab counts as one and a leading byte order mark as none. Offsets out of
// range are clamped. Position gives the UTF-16 column as well.
func LineCol(src []byte, offset int) (line, col int) {
	p := position(string(src), offset)
	return p.Line, p.Col
}

// Pos is a position in a source text.
type Pos struct {
	Offset int // byte offset, clamped to the source
	Line   int // 1-based; lines are separated by '\n'
	// Col is the 1-based column in characters (UTF-8 sequences; a tab and an
	// invalid byte count as one, a leading byte order mark as none).
	Col int
	// Col16 is the same column in UTF-16 code units: characters outside the
	// Basic Multilingual Plane count two. SARIF counts columns this way by
	// default (SARIF 2.1.0, the run object's columnKind "utf16CodeUnits").
	Col16 int
}

// Position returns the position of the byte offset in src (see Pos);
// offsets out of range are clamped.
func Position(src []byte, offset int) Pos { return position(string(src), offset) }

// Span is the source text of a value: Start at its first byte, End just
// past its last (End.Offset is exclusive, so End's column is one past the
// value's last character).
type Span struct {
	Start, End Pos
}

// IsZero reports whether s is the zero Span (no source position known).
func (s Span) IsZero() bool { return s == Span{} }

func position(s string, offset int) Pos {
	offset = max(0, min(offset, len(s)))
	ls := strings.LastIndexByte(s[:offset], '\n') + 1
	line := 1 + strings.Count(s[:offset], "\n")
	if ls == 0 && strings.HasPrefix(s, bom) && offset >= len(bom) {
		ls = len(bom)
	}
	col, col16 := 1, 1
	for _, r := range s[ls:offset] {
		col++
		col16 += utf16.RuneLen(r)
	}
	return Pos{Offset: offset, Line: line, Col: col, Col16: col16}
}

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

func (p *parser) errAt(off int, msg string) *SyntaxError {
	return p.errPath(off, msg, p.path)
}

func (p *parser) errPath(off int, msg string, path []pathSeg) *SyntaxError {
	pos := position(p.s, off)
	return &SyntaxError{Offset: off, Line: pos.Line, Col: pos.Col, Col16: pos.Col16, Path: pointer(path), Msg: msg}
}

func pointer(path []pathSeg) string {
	if len(path) == 0 {
		return ""
	}
	var b strings.Builder
	for _, s := range path {
		b.WriteByte('/')
		if s.index >= 0 {
			b.WriteString(strconv.Itoa(s.index))
		} else {
			b.WriteString(escapePointer(s.key))
		}
	}
	return b.String()
}

func escapePointer(s string) string {
	if !strings.ContainsAny(s, "~/") {
		return s
	}
	return strings.ReplaceAll(strings.ReplaceAll(s, "~", "~0"), "/", "~1")
}

// errEOF reports the end of the input inside a value.
func (p *parser) errEOF() *SyntaxError {
	if len(p.open) == 0 {
		return p.errAt(len(p.s), "unexpected end of input")
	}
	o := p.open[len(p.open)-1]
	at := position(p.s, o.off)
	what := "array"
	if o.kind == Object {
		what = "object"
	}
	// the path of the unterminated container itself
	path := p.path
	if d := len(p.open) - 1; d < len(path) {
		path = path[:d]
	}
	return p.errPath(len(p.s), fmt.Sprintf("unterminated %s opened at line %d, column %d", what, at.Line, at.Col), path)
}

// errChar reports the unexpected character at off; ctx completes the
// sentence "invalid character 'x' ...".
func (p *parser) errChar(off int, ctx string) *SyntaxError {
	if off >= len(p.s) {
		return p.errEOF()
	}
	r, size := utf8.DecodeRuneInString(p.s[off:])
	if r == utf8.RuneError && size <= 1 {
		return p.errAt(off, fmt.Sprintf("invalid UTF-8 byte 0x%02X", p.s[off]))
	}
	msg := "invalid character " + quoteChar(r) + " " + ctx
	switch {
	case r == '\'':
		msg += " (JSON strings must use double quotes)"
	case r == '/' && off+1 < len(p.s) && (p.s[off+1] == '/' || p.s[off+1] == '*'):
		msg += " (comments are not allowed in JSON)"
	}
	return p.errAt(off, msg)
}

func quoteChar(r rune) string {
	switch r {
	case '\'':
		return `'\''`
	case '"':
		return `'"'`
	}
	q := strconv.Quote(string(r))
	return "'" + q[1:len(q)-1] + "'"
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

// str parses the string starting at p.pos (an opening quote) and returns
// it decoded.
func (p *parser) str() (string, error) {
	s := p.s
	start := p.pos
	i := start + 1
	ascii := true
	for i < len(s) {
		c := s[i]
		switch {
		case c == '"':
			seg := s[start+1 : i]
			if !ascii && !utf8.ValidString(seg) {
				return "", p.badUTF8(start + 1)
			}
			p.pos = i + 1
			return seg, nil
		case c == '\\':
			return p.strSlow(start, i)
		case c < 0x20:
			return "", p.errAt(i, fmt.Sprintf("invalid control character U+%04X in string (must be escaped)", c))
		case c >= utf8.RuneSelf:
			ascii = false
		}
		i++
	}
	return "", p.errAt(start, "unterminated string")
}

// badUTF8 reports the first invalid UTF-8 sequence at or after off.
func (p *parser) badUTF8(off int) *SyntaxError {
	s := p.s
	for off < len(s) {
		r, size := utf8.DecodeRuneInString(s[off:])
		if r == utf8.RuneError && size == 1 {
			return p.errAt(off, fmt.Sprintf("invalid UTF-8 byte 0x%02X in string", s[off]))
		}
		off += size
	}
	return p.errAt(off, "invalid UTF-8 in string")
}

func hexVal(c byte) rune {
	switch {
	case c >= '0' && c <= '9':
		return rune(c - '0')
	case c >= 'a' && c <= 'f':
		return rune(c - 'a' + 10)
	case c >= 'A' && c <= 'F':
		return rune(c - 'A' + 10)
	}
	return -1
}

// hex4 decodes the four hex digits of a \u escape whose backslash is at bs.
func (p *parser) hex4(bs int) (rune, error) {
	s := p.s
	var r rune
	for j := bs + 2; j < bs+6; j++ {
		if j >= len(s) {
			return 0, p.errAt(p.curString, "unterminated string")
		}
		h := hexVal(s[j])
		if h < 0 {
			end := j + 1
			if s[j] >= utf8.RuneSelf {
				_, size := utf8.DecodeRuneInString(s[j:])
				end = j + size
			}
			return 0, p.errAt(bs, "invalid escape "+showEscape(s[bs:end])+" in string")
		}
		r = r<<4 | h
	}
	return r, nil
}

// showEscape quotes a bad escape sequence for a message: as written when
// printable (`"\q"`), else Go-quoted.
func showEscape(esc string) string {
	for _, r := range esc {
		if r == utf8.RuneError || !unicode.IsPrint(r) {
			return strconv.Quote(esc)
		}
	}
	return `"` + esc + `"`
}

func (p *parser) strSlow(start, i int) (string, error) {
	s := p.s
	p.curString = start
	buf := make([]byte, 0, i-start+16)
	buf = append(buf, s[start+1:i]...)
	for i < len(s) {
		c := s[i]
		switch {
		case c == '"':
			if !utf8.Valid(buf) {
				return "", p.badUTF8(start + 1)
			}
			p.pos = i + 1
			return string(buf), nil
		case c < 0x20:
			return "", p.errAt(i, fmt.Sprintf("invalid control character U+%04X in string (must be escaped)", c))
		case c != '\\':
			buf = append(buf, c)
			i++
			continue
		}
		// escape
		if i+1 >= len(s) {
			return "", p.errAt(start, "unterminated string")
		}
		e := s[i+1]
		switch e {
		case '"', '\\', '/':
			buf = append(buf, e)
		case 'b':
			buf = append(buf, '\b')
		case 'f':
			buf = append(buf, '\f')
		case 'n':
			buf = append(buf, '\n')
		case 'r':
			buf = append(buf, '\r')
		case 't':
			buf = append(buf, '\t')
		case 'u':
			r, err := p.hex4(i)
			if err != nil {
				return "", err
			}
			i += 6
			if utf16.IsSurrogate(r) {
				r2 := rune(-1)
				if i+1 < len(s) && s[i] == '\\' && s[i+1] == 'u' {
					lo, err := p.hex4(i)
					if err != nil {
						return "", err
					}
					r2 = lo
				}
				if d := utf16.DecodeRune(r, r2); d != utf8.RuneError {
					r = d
					i += 6
				} else {
					r = utf8.RuneError
				}
			}
			buf = utf8.AppendRune(buf, r)
			continue
		default:
			end := i + 2
			if e >= utf8.RuneSelf {
				_, size := utf8.DecodeRuneInString(s[i+1:])
				end = i + 1 + size
			}
			return "", p.errAt(i, "invalid escape "+showEscape(s[i:end])+" in string")
		}
		i += 2
	}
	return "", p.errAt(start, "unterminated string")
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
