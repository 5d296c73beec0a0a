package cfn

import (
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/goccy/go-yaml/ast"
	yamlparser "github.com/goccy/go-yaml/parser"
	"github.com/goccy/go-yaml/token"

	"github.com/fixpolicy/fixpolicy/rewrite/jsonast"
)

// kind is what a node is.
type kind uint8

const (
	scalarNode kind = iota
	mapNode
	seqNode
	aliasNode // a YAML alias, a merge key or a tag without a value: never analysed
)

// lit is a scalar's JSON type.
type lit uint8

const (
	litString lit = iota
	litNumber
	litBool
	litNull
)

// node is one value of a template, from YAML or JSON, with where its text
// lies in the source. Short-form intrinsics (!Sub x) are nodes with a tag;
// long-form ones ({"Fn::Sub": x}) are one-key mappings (see intrinsic).
type node struct {
	kind  kind
	tag   string // the YAML tag as written ("!Sub"), "" for none
	str   string // scalar: the decoded text (for litNumber, the literal)
	lit   lit
	keys  []*node // mapNode: key scalars, in order
	vals  []*node // mapNode: their values
	elems []*node // seqNode

	start, end int  // byte range in the source, tag included; end == start for an implicit null
	body       int  // where the value starts after its tag (== start without one)
	flow       bool // a flow collection ({...} or [...]); JSON collections are flow
	quote      byte // scalar: '"' or '\'' when quoted, '|' or '>' for block scalars
	// dashes are the byte offsets of a block sequence's '-' entries.
	dashes []int
	// colon is the offset just past a mapping member's ':' (for its value
	// node; used to place an implicit null or a replaced value).
	colon int
	jv    *jsonast.Value // the value in a JSON template
}

// get returns the value of key k, or nil.
func (n *node) get(k string) *node {
	if n == nil || n.kind != mapNode {
		return nil
	}
	for i, kn := range n.keys {
		if kn.str == k {
			return n.vals[i]
		}
	}
	return nil
}

// lines maps byte offsets to lines and goccy's (rune-based) columns to
// byte offsets.
type lines struct {
	src   []byte
	start []int // byte offset of each line's first byte
}

func newLines(src []byte) *lines {
	l := &lines{src: src, start: []int{0}}
	for i, c := range src {
		if c == '\n' {
			l.start = append(l.start, i+1)
		}
	}
	return l
}

// offset returns the byte offset of 1-based line and rune column.
func (l *lines) offset(line, col int) int {
	if line < 1 {
		return 0
	}
	if line > len(l.start) {
		return len(l.src)
	}
	off := l.start[line-1]
	for c := 1; c < col && off < len(l.src) && l.src[off] != '\n'; c++ {
		_, size := utf8.DecodeRune(l.src[off:])
		off += size
	}
	return off
}

func (l *lines) tokenOffset(t *token.Token) int {
	if t == nil || t.Position == nil {
		return 0
	}
	return l.offset(t.Position.Line, t.Position.Column)
}

// find returns where text starts near token t: goccy's columns are
// sometimes one off (a quoted scalar after a tag points at the blank
// before it), so the text is looked for at the token's position, then
// after it, then before it, on the same line.
func (l *lines) find(t *token.Token, text string) (int, bool) {
	at := l.tokenOffset(t)
	if text == "" {
		return at, true
	}
	for _, d := range []int{0, 1, 2, 3, -1, -2} {
		i := at + d
		if i >= 0 && i+len(text) <= len(l.src) && string(l.src[i:i+len(text)]) == text &&
			!strings.Contains(string(l.src[min(i, at):max(i, at)]), "\n") {
			return i, true
		}
	}
	return at, false
}

// at is find for a text that must be there.
func (b *builder) at(t *token.Token, text string) (int, error) {
	off, ok := b.l.find(t, text)
	if !ok {
		return 0, b.errAt(t, fmt.Sprintf("cannot place %q in the source", text))
	}
	return off, nil
}

// parseYAML parses a YAML template into nodes: the first document's body.
// Syntax errors carry the line and column goccy reports.
func parseYAML(src []byte) (root *node, err error) {
	defer func() {
		// goccy/go-yaml has panicked on malformed input in the past; a
		// panic there is a syntax error here, not a crash of the caller.
		if r := recover(); r != nil {
			root, err = nil, fmt.Errorf("1:1: the YAML parser failed: %v", r)
		}
	}()
	f, err := yamlparser.ParseBytes(src, 0)
	if err != nil {
		return nil, yamlError(err)
	}
	b := &builder{l: newLines(src)}
	for _, d := range f.Docs {
		if d == nil || d.Body == nil {
			continue
		}
		return b.build(d.Body, 0)
	}
	return nil, nil
}

// yamlError turns goccy's multi-line error (with a source excerpt) into one
// line: "3:5: message".
func yamlError(err error) error {
	type tokenErr interface {
		GetToken() *token.Token
		GetMessage() string
	}
	if te, ok := err.(tokenErr); ok {
		if t := te.GetToken(); t != nil && t.Position != nil {
			return fmt.Errorf("%d:%d: %s", t.Position.Line, max(t.Position.Column, 1), te.GetMessage())
		}
		return fmt.Errorf("1:1: %s", te.GetMessage())
	}
	msg, _, _ := strings.Cut(err.Error(), "\n")
	return fmt.Errorf("1:1: %s", msg)
}

type builder struct {
	l *lines
}

const maxDepth = 200

// build converts a goccy node. colon is the offset just past the ':' of the
// member whose value n is (0 elsewhere).
func (b *builder) build(n ast.Node, depth int) (*node, error) {
	if depth > maxDepth {
		return nil, fmt.Errorf("1:1: the template nests deeper than %d levels", maxDepth)
	}
	switch v := n.(type) {
	case *ast.TagNode:
		start, err := b.at(v.Start, v.Start.Value)
		if err != nil {
			return nil, err
		}
		if v.Value == nil {
			return &node{kind: aliasNode, tag: v.Start.Value, start: start, end: start + len(v.Start.Value), body: start + len(v.Start.Value)}, nil
		}
		inner, err := b.build(v.Value, depth+1)
		if err != nil {
			return nil, err
		}
		if inner.tag != "" {
			return nil, b.errAt(v.Start, "two tags on one value")
		}
		inner.tag = v.Start.Value
		inner.body = inner.start
		if inner.end == inner.start { // !Ref with nothing after it
			inner.kind = aliasNode
			inner.end = start + len(v.Start.Value)
			inner.body = inner.end
		}
		inner.start = start
		return inner, nil
	case *ast.MappingNode:
		return b.mapping(v.Values, v.IsFlowStyle, v.Start, v.End, depth)
	case *ast.MappingValueNode:
		return b.mapping([]*ast.MappingValueNode{v}, false, nil, nil, depth)
	case *ast.SequenceNode:
		return b.sequence(v, depth)
	case *ast.LiteralNode:
		return b.literal(v)
	case *ast.AnchorNode:
		if v.Value == nil {
			return nil, b.errAt(v.Start, "an anchor without a value")
		}
		inner, err := b.build(v.Value, depth+1)
		if err != nil {
			return nil, err
		}
		inner.start = min(inner.start, b.l.tokenOffset(v.Start))
		return inner, nil
	case *ast.AliasNode, *ast.MergeKeyNode:
		start := b.l.tokenOffset(n.GetToken())
		return &node{kind: aliasNode, start: start, end: start + len(n.GetToken().Value), body: start}, nil
	case *ast.MappingKeyNode:
		if v.Value == nil {
			return nil, b.errAt(v.Start, "an explicit key without a value")
		}
		return b.build(v.Value, depth+1)
	case ast.ScalarNode:
		return b.scalar(v)
	case nil:
		return nil, fmt.Errorf("1:1: empty node")
	}
	return nil, b.errAt(n.GetToken(), fmt.Sprintf("unexpected YAML node %T", n))
}

func (b *builder) errAt(t *token.Token, msg string) error {
	if t == nil || t.Position == nil {
		return fmt.Errorf("1:1: %s", msg)
	}
	return fmt.Errorf("%d:%d: %s", t.Position.Line, max(t.Position.Column, 1), msg)
}

func (b *builder) mapping(members []*ast.MappingValueNode, flow bool, open, close *token.Token, depth int) (*node, error) {
	m := &node{kind: mapNode, flow: flow}
	for _, mv := range members {
		if mv == nil || mv.Key == nil {
			return nil, fmt.Errorf("1:1: a mapping member without a key")
		}
		k, err := b.build(mv.Key, depth+1)
		if err != nil {
			return nil, err
		}
		if k.kind != scalarNode || k.tag != "" {
			return nil, b.errAt(mv.Key.GetToken(), "a mapping key that is not a plain scalar")
		}
		colon, err := b.at(mv.Start, ":")
		if err != nil {
			return nil, err
		}
		colon++
		var v *node
		if mv.Value == nil || isImplicitNull(mv.Value) {
			v = &node{kind: scalarNode, lit: litNull, start: colon, end: colon, body: colon}
		} else if v, err = b.build(mv.Value, depth+1); err != nil {
			return nil, err
		}
		v.colon = colon
		m.keys = append(m.keys, k)
		m.vals = append(m.vals, v)
	}
	switch {
	case flow && open != nil && close != nil:
		var err error
		if m.start, err = b.at(open, "{"); err != nil {
			return nil, err
		}
		if m.end, err = b.at(close, "}"); err != nil {
			return nil, err
		}
		m.end++
	case len(m.keys) > 0:
		m.start = m.keys[0].start
		m.end = m.vals[len(m.vals)-1].end
		m.end = max(m.end, m.vals[len(m.vals)-1].colon)
	default:
		return nil, b.errAt(open, "an empty block mapping")
	}
	m.body = m.start
	return m, nil
}

func isImplicitNull(n ast.Node) bool {
	t := n.GetToken()
	return t != nil && t.Type == token.ImplicitNullType
}

func (b *builder) sequence(s *ast.SequenceNode, depth int) (*node, error) {
	q := &node{kind: seqNode, flow: s.IsFlowStyle}
	for i, e := range s.Values {
		var dash int
		if !s.IsFlowStyle && i < len(s.Entries) && s.Entries[i] != nil {
			var err error
			if dash, err = b.at(s.Entries[i].Start, "-"); err != nil {
				return nil, err
			}
			q.dashes = append(q.dashes, dash)
		}
		var v *node
		if e == nil || isImplicitNull(e) {
			v = &node{kind: scalarNode, lit: litNull, start: dash + 1, end: dash + 1, body: dash + 1}
		} else {
			var err error
			if v, err = b.build(e, depth+1); err != nil {
				return nil, err
			}
		}
		q.elems = append(q.elems, v)
	}
	if !s.IsFlowStyle && len(q.dashes) != len(q.elems) {
		return nil, b.errAt(s.Start, "a block sequence whose entries could not be placed")
	}
	if s.IsFlowStyle {
		var err error
		if q.start, err = b.at(s.Start, "["); err != nil {
			return nil, err
		}
		if q.end, err = b.at(s.End, "]"); err != nil {
			return nil, err
		}
		q.end++
	} else {
		if len(q.elems) == 0 {
			return nil, b.errAt(s.Start, "an empty block sequence")
		}
		q.start = q.dashes[0]
		q.end = max(q.elems[len(q.elems)-1].end, q.dashes[len(q.dashes)-1]+1)
	}
	q.body = q.start
	return q, nil
}

// literal is a block scalar (| or >): its text runs from the indicator to
// the last non-blank line of its content.
func (b *builder) literal(v *ast.LiteralNode) (*node, error) {
	start, err := b.at(v.Start, v.Start.Value)
	if err != nil {
		return nil, err
	}
	n := &node{kind: scalarNode, start: start, body: start, quote: '|'}
	if v.Value != nil {
		n.str = v.Value.Value
	}
	if strings.HasPrefix(v.Start.Value, ">") {
		n.quote = '>'
	}
	// The content is the following lines that are blank or indented more
	// than the indicator's line.
	src := b.l.src
	lineStart := strings.LastIndexByte(string(src[:start]), '\n') + 1
	indent := 0
	for lineStart+indent < len(src) && src[lineStart+indent] == ' ' {
		indent++
	}
	end := start + len(v.Start.Value)
	i := end
	for i < len(src) && src[i] != '\n' {
		i++
	}
	for i < len(src) {
		j := i + 1 // the next line's start
		k := j
		for k < len(src) && src[k] == ' ' {
			k++
		}
		if k < len(src) && src[k] != '\n' && src[k] != '\r' && k-j <= indent {
			break
		}
		e := k
		for e < len(src) && src[e] != '\n' {
			e++
		}
		if strings.TrimSpace(string(src[j:e])) != "" {
			end = e
		}
		i = e
	}
	n.end = strings.LastIndexFunc(string(src[:end]), func(r rune) bool { return r != '\r' }) + 1
	return n, nil
}

func (b *builder) scalar(s ast.ScalarNode) (*node, error) {
	t := s.GetToken()
	src := b.l.src
	switch t.Type {
	case token.DoubleQuoteType, token.SingleQuoteType:
		q := byte('"')
		if t.Type == token.SingleQuoteType {
			q = '\''
		}
		start, err := b.at(t, string(q))
		if err != nil {
			return nil, err
		}
		n := &node{kind: scalarNode, start: start, body: start, quote: q}
		end, ok := quotedEnd(src, start)
		if !ok {
			return nil, b.errAt(t, "an unterminated quoted string")
		}
		n.end = end
		n.str = t.Value
		return n, nil
	}
	raw := strings.TrimSpace(t.Origin)
	start, ok := b.l.find(t, raw)
	if raw == "" || !ok {
		// Origin is not the token's text: read the plain scalar.
		start = b.l.tokenOffset(t)
		raw = plainAt(src, start)
	}
	n := &node{kind: scalarNode, start: start, body: start, end: start + len(raw)}
	switch s.(type) {
	case *ast.IntegerNode, *ast.FloatNode:
		if jsonast.ValidNumber(raw) {
			n.lit, n.str = litNumber, raw
			return n, nil
		}
	case *ast.BoolNode:
		if raw == "true" || raw == "false" {
			n.lit, n.str = litBool, raw
			return n, nil
		}
	case *ast.NullNode:
		if raw == "null" || raw == "~" || raw == "Null" || raw == "NULL" {
			n.lit = litNull
			return n, nil
		}
	}
	n.str = t.Value
	if sv, ok := s.(*ast.StringNode); ok {
		n.str = sv.Value
	}
	return n, nil
}

// quotedEnd returns the offset past the quoted scalar starting at src[i].
func quotedEnd(src []byte, i int) (int, bool) {
	q := src[i]
	for j := i + 1; j < len(src); j++ {
		switch {
		case q == '"' && src[j] == '\\':
			j++
		case src[j] == q:
			if q == '\'' && j+1 < len(src) && src[j+1] == '\'' {
				j++
				continue
			}
			return j + 1, true
		}
	}
	return 0, false
}

// plainAt reads a one-line plain scalar: to a comment, a flow indicator or
// the end of the line, trailing blanks excluded.
func plainAt(src []byte, i int) string {
	j := i
	for j < len(src) && src[j] != '\n' && src[j] != '\r' {
		if (src[j] == '#' && j > i && (src[j-1] == ' ' || src[j-1] == '\t')) || src[j] == ',' || src[j] == ']' || src[j] == '}' {
			break
		}
		j++
	}
	return strings.TrimRight(string(src[i:j]), " \t")
}

// parseJSON parses a JSON template into nodes.
func parseJSON(src []byte) (*node, error) {
	v, err := jsonast.Parse(src)
	if err != nil {
		if se, ok := err.(*jsonast.SyntaxError); ok {
			return nil, fmt.Errorf("%d:%d: %s", se.Line, se.Col, se.Msg)
		}
		return nil, fmt.Errorf("1:1: %v", err)
	}
	return fromJSON(v), nil
}

func fromJSON(v *jsonast.Value) *node {
	n := &node{jv: v, start: v.Offset, body: v.Offset, flow: true}
	if sp, ok := v.Span(); ok {
		n.end = sp.End.Offset
	}
	switch v.Kind {
	case jsonast.Object:
		n.kind = mapNode
		for _, m := range v.Members {
			n.keys = append(n.keys, &node{kind: scalarNode, str: m.Key, start: m.KeyOffset, body: m.KeyOffset, quote: '"'})
			n.vals = append(n.vals, fromJSON(m.Value))
		}
	case jsonast.Array:
		n.kind = seqNode
		for _, e := range v.Elems {
			n.elems = append(n.elems, fromJSON(e))
		}
	case jsonast.String:
		n.str, n.quote = v.Str, '"'
	case jsonast.Number:
		n.lit, n.str = litNumber, v.Num
	case jsonast.Bool:
		n.lit, n.str = litBool, "false"
		if v.Bool {
			n.str = "true"
		}
	case jsonast.Null:
		n.lit = litNull
	}
	return n
}
