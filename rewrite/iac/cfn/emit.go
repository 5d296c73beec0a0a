package cfn

import (
	"strconv"
	"strings"

	"github.com/fixpolicy/fixpolicy/rewrite/iac"
	"github.com/fixpolicy/fixpolicy/rewrite/jsonast"
)

// strForm is how a policy string is written in the template: a literal,
// one symbol's expression, or an Fn::Sub template (with a variable map for
// symbols that have no ${} form).
type strForm struct {
	literal string
	sym     *iac.Symbol
	sub     string // Fn::Sub template, when isSub
	isSub   bool
	vars    []string // variable names, parallel to varSyms
	varSyms []*iac.Symbol
}

// formOf splits s at the placeholders of syms.
func formOf(s string, syms []iac.Symbol) strForm {
	parts := iac.SplitPlaceholders(s, syms)
	hasSym := false
	for _, p := range parts {
		hasSym = hasSym || p.Symbol != nil
	}
	switch {
	case !hasSym:
		return strForm{literal: s}
	case len(parts) == 1:
		return strForm{sym: parts[0].Symbol}
	}
	f := strForm{isSub: true}
	var b strings.Builder
	for _, p := range parts {
		switch {
		case p.Symbol == nil:
			b.WriteString(strings.ReplaceAll(p.Text, "${", "${!"))
		case p.Symbol.Interp != "":
			b.WriteString(p.Symbol.Interp)
		default:
			name := ""
			for i, s := range f.varSyms {
				if s == p.Symbol {
					name = f.vars[i]
				}
			}
			if name == "" {
				name = "FixpolicyValue" + strconv.Itoa(len(f.vars)+1)
				f.vars = append(f.vars, name)
				f.varSyms = append(f.varSyms, p.Symbol)
			}
			b.WriteString("${" + name + "}")
		}
	}
	f.sub = b.String()
	return f
}

// yamlStyle is how the policy in a YAML template is written, so new text
// looks like the old.
type yamlStyle struct {
	indent    int    // spaces per nesting level of block mappings
	seqIndent int    // columns from a key to the '-' of its block sequence value
	quote     byte   // '"' or '\'' for strings that are quoted
	flowSeq   bool   // new lists are flow sequences ([a, b])
	nl        string // line ending
	// quoted[key][colon] says whether plain-safe strings of the class
	// (keys or values, with a colon or without) are mostly quoted.
	quoted [2][2]bool
}

// detectStyle reads the style of the policy pd.
func detectStyle(src []byte, pd *node) yamlStyle {
	st := yamlStyle{indent: 2, seqIndent: -1, quote: '"', nl: "\n"}
	if strings.Count(string(src), "\r\n")*2 > strings.Count(string(src), "\n") {
		st.nl = "\r\n"
	}
	c := &styleCounts{src: src, indents: map[int]int{}, seqIndents: map[int]int{}}
	c.walk(pd, 0)
	st.indent = most(c.indents, 2)
	st.seqIndent = most(c.seqIndents, st.indent)
	if c.sq > c.dq {
		st.quote = '\''
	}
	for k := range 2 {
		for col := range 2 {
			n := c.counts[k][col]
			if n[0]+n[1] == 0 { // no sample: as values of the same kind
				n = c.counts[0][col]
			}
			st.quoted[k][col] = n[1] > n[0]
		}
	}
	st.flowSeq = c.flowS > c.blockS
	return st
}

// styleCounts are the statistics detectStyle decides by.
type styleCounts struct {
	src                 []byte
	indents, seqIndents map[int]int
	dq, sq              int
	flowS, blockS       int
	counts              [2][2][2]int // [key][colon][quoted] of plain-safe strings
}

func (c *styleCounts) class(n *node, key bool) {
	if n.tag != "" || n.lit != litString || !plainSafe(n.str, false) {
		return
	}
	k, col, q := 0, 0, 0
	if key {
		k = 1
	}
	if strings.Contains(n.str, ":") {
		col = 1
	}
	if n.quote != 0 {
		q = 1
	}
	c.counts[k][col][q]++
}

func (c *styleCounts) walk(n *node, depth int) {
	if depth > maxDepth {
		return
	}
	switch n.kind {
	case mapNode:
		for i, k := range n.keys {
			countQuote(k, &c.dq, &c.sq)
			c.class(k, true)
			v := n.vals[i]
			if !n.flow && !v.flow && v.tag == "" && len(v.keys)+len(v.elems) > 0 {
				d := column(c.src, v.start) - column(c.src, k.start)
				if v.kind == mapNode && d > 0 {
					c.indents[d]++
				}
				if v.kind == seqNode && d >= 0 && lineOf(c.src, v.start) != lineOf(c.src, k.start) {
					c.seqIndents[d]++
				}
			}
			c.walk(v, depth+1)
		}
	case seqNode:
		scalars := true
		for _, e := range n.elems {
			scalars = scalars && e.kind == scalarNode
			c.walk(e, depth+1)
		}
		if scalars && n.tag == "" {
			if n.flow {
				c.flowS++
			} else {
				c.blockS++
			}
		}
	case scalarNode:
		countQuote(n, &c.dq, &c.sq)
		c.class(n, false)
	}
}

func countQuote(n *node, dq, sq *int) {
	switch n.quote {
	case '"':
		*dq++
	case '\'':
		*sq++
	}
}

func most(m map[int]int, def int) int {
	best, n := def, 0
	for k, c := range m {
		if c > n || c == n && k < best {
			best, n = k, c
		}
	}
	return best
}

// column is the 0-based byte column of off on its line.
func column(src []byte, off int) int {
	return off - (strings.LastIndexByte(string(src[:off]), '\n') + 1)
}

func lineOf(src []byte, off int) int { return strings.Count(string(src[:off]), "\n") }

// plainSafe reports whether s may be written as a plain scalar that reads
// back as the same string: letters first, a conservative set of characters,
// no word YAML would read as a bool or null. In flow context, no colon.
func plainSafe(s string, flow bool) bool {
	if s == "" || !(s[0] >= 'a' && s[0] <= 'z' || s[0] >= 'A' && s[0] <= 'Z') || strings.HasSuffix(s, ":") {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9':
		case strings.IndexByte("_./*@=+-", c) >= 0:
		case c == ':' && !flow:
		default:
			return false
		}
	}
	switch strings.ToLower(s) {
	case "true", "false", "yes", "no", "on", "off", "y", "n", "null":
		return false
	}
	return true
}

// yamlEmitter writes new values as YAML in a template's style.
type yamlEmitter struct {
	st     yamlStyle
	syms   []iac.Symbol
	copies *copies
}

// copied returns the source text of a value of the policy equal to v (the
// patch copies conditions, principals and resources into its new
// statement), if it fits the context.
func (e *yamlEmitter) copied(v *jsonast.Value, flow bool) (string, bool) {
	t, ok := e.copies.yaml[e.copies.key(v)]
	if !ok || flow && !flowSafe(t) {
		return "", false
	}
	return t, true
}

// flowSafe reports whether one-line YAML text t reads the same inside a
// flow collection.
func flowSafe(t string) bool {
	if strings.HasPrefix(t, "!") {
		_, t, _ = strings.Cut(t, " ")
	}
	return t != "" && (strings.IndexByte("\"'[{", t[0]) >= 0 || !strings.ContainsAny(t, ":,[]{}#"))
}

func spaces(n int) string { return strings.Repeat(" ", max(n, 0)) }

// quoted writes s quoted in the template's quote style.
func (e *yamlEmitter) quoted(s string) string {
	if e.st.quote == '\'' && !strings.ContainsAny(s, "\n\r\t\\") && isPrintable(s) {
		return "'" + strings.ReplaceAll(s, "'", "''") + "'"
	}
	return jsonast.Quote(s)
}

func isPrintable(s string) bool {
	for _, r := range s {
		if r < 0x20 || r == 0x7f {
			return false
		}
	}
	return true
}

func (e *yamlEmitter) key(k string, flow bool) string {
	if t, ok := e.copies.keys[k]; ok && (!flow || flowSafe(t)) {
		return t
	}
	return e.plainOrQuoted(k, true, flow)
}

// plainOrQuoted writes s plain when it may be and the template writes
// strings of its class plain.
func (e *yamlEmitter) plainOrQuoted(s string, key, flow bool) string {
	k, c := 0, 0
	if key {
		k = 1
	}
	if strings.Contains(s, ":") {
		c = 1
	}
	if plainSafe(s, flow) && !e.st.quoted[k][c] {
		return s
	}
	return e.quoted(s)
}

// scalar writes a scalar value; strings with placeholders become
// intrinsics.
func (e *yamlEmitter) scalar(v *jsonast.Value, flow bool) string {
	switch v.Kind {
	case jsonast.Number:
		return v.Num
	case jsonast.Bool:
		return strconv.FormatBool(v.Bool)
	case jsonast.Null:
		return "null"
	}
	if t, ok := e.copied(v, flow); ok {
		return t
	}
	f := formOf(v.Str, e.syms)
	switch {
	case f.sym != nil:
		return e.expr(f.sym, flow)
	case f.isSub && len(f.vars) == 0:
		return "!Sub " + e.quoted(f.sub)
	case f.isSub:
		var vars []string
		for i, name := range f.vars {
			vars = append(vars, name+": "+e.expr(f.varSyms[i], true))
		}
		return "!Sub [" + e.quoted(f.sub) + ", {" + strings.Join(vars, ", ") + "}]"
	}
	return e.plainOrQuoted(v.Str, false, flow)
}

// expr writes a symbol's expression; in flow context a tag's argument
// with a colon is quoted (!Ref 'AWS::AccountId'), which parsers agree on.
func (e *yamlEmitter) expr(s *iac.Symbol, flow bool) string {
	tag, arg, ok := strings.Cut(s.Expr, " ")
	if !flow || !ok || !strings.HasPrefix(tag, "!") || (tag != "!Ref" && tag != "!GetAtt") || plainSafe(arg, true) {
		return s.Expr
	}
	return tag + " " + e.quoted(arg)
}

// inline writes v on one line in block context.
func (e *yamlEmitter) inline(v *jsonast.Value) string {
	if v.Kind != jsonast.Object && v.Kind != jsonast.Array {
		return e.scalar(v, false)
	}
	return e.flow(v)
}

// flow writes v on one line.
func (e *yamlEmitter) flow(v *jsonast.Value) string {
	if t, ok := e.copied(v, true); ok {
		return t
	}
	switch v.Kind {
	case jsonast.Object:
		var ms []string
		for _, m := range v.Members {
			ms = append(ms, e.key(m.Key, true)+": "+e.flow(m.Value))
		}
		return "{" + strings.Join(ms, ", ") + "}"
	case jsonast.Array:
		var es []string
		for _, x := range v.Elems {
			es = append(es, e.flow(x))
		}
		return "[" + strings.Join(es, ", ") + "]"
	}
	return e.scalar(v, true)
}

func isCollection(v *jsonast.Value) bool {
	return (v.Kind == jsonast.Object && len(v.Members) > 0) || (v.Kind == jsonast.Array && len(v.Elems) > 0)
}

// afterKey writes v as the value of a block mapping key at column col: the
// text that follows "key:".
func (e *yamlEmitter) afterKey(v *jsonast.Value, col int) string {
	if t, ok := e.copied(v, false); ok {
		return " " + t
	}
	switch {
	case !isCollection(v), v.Kind == jsonast.Array && e.st.flowSeq:
		return " " + e.inline(v)
	case v.Kind == jsonast.Array:
		return e.st.nl + spaces(col+e.st.seqIndent) + e.block(v, col+e.st.seqIndent)
	}
	return e.st.nl + spaces(col+e.st.indent) + e.block(v, col+e.st.indent)
}

// block writes a collection in block style whose first line starts at
// column col (the caller wrote the indentation of the first line).
func (e *yamlEmitter) block(v *jsonast.Value, col int) string {
	var b strings.Builder
	switch v.Kind {
	case jsonast.Object:
		for i, m := range v.Members {
			if i > 0 {
				b.WriteString(e.st.nl + spaces(col))
			}
			b.WriteString(e.key(m.Key, false) + ":" + e.afterKey(m.Value, col))
		}
	case jsonast.Array:
		for i, x := range v.Elems {
			if i > 0 {
				b.WriteString(e.st.nl + spaces(col))
			}
			b.WriteString("- " + e.item(x, col+2))
		}
	default:
		return e.inline(v)
	}
	return b.String()
}

// item writes v after a sequence entry's "- ", at column col.
func (e *yamlEmitter) item(v *jsonast.Value, col int) string {
	if t, ok := e.copied(v, false); ok {
		return t
	}
	if v.Kind == jsonast.Object && len(v.Members) > 0 {
		return e.block(v, col)
	}
	return e.inline(v)
}

// flowExpr is a node rendered as one-line YAML: the canonical form of an
// opaque expression.
func flowYAML(n *node) string {
	var s string
	switch n.kind {
	case mapNode:
		var ms []string
		for i, k := range n.keys {
			ms = append(ms, yamlScalarText(k.str, true)+": "+flowYAML(n.vals[i]))
		}
		s = "{" + strings.Join(ms, ", ") + "}"
	case seqNode:
		var es []string
		for _, x := range n.elems {
			es = append(es, flowYAML(x))
		}
		s = "[" + strings.Join(es, ", ") + "]"
	case aliasNode:
		s = "*alias"
	default:
		switch n.lit {
		case litString:
			s = yamlScalarText(n.str, true)
		case litNull:
			s = "null"
		default:
			s = n.str
		}
	}
	if n.tag != "" {
		return n.tag + " " + s
	}
	return s
}

func yamlScalarText(s string, flow bool) string {
	if plainSafe(s, flow) {
		return s
	}
	return jsonast.Quote(s)
}
