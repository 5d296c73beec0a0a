package cfn

import (
	"fmt"
	"strings"

	"github.com/fixpolicy/fixpolicy/rewrite/iac"
	"github.com/fixpolicy/fixpolicy/rewrite/jsonast"
)

// editor writes a patch into the template a policy came from: splices of
// the YAML text in the template's style, or of the JSON template rendered
// by jsonast (which keeps every untouched byte).
type editor struct {
	t       *template
	policy  *node // the PolicyDocument
	address string
	before  []byte // Document.Policy
	syms    []iac.Symbol
	copies  *copies // set by Edit
}

// Edit implements iac.Editor. The values the patch introduces are written
// as the template writes values: the literal RoleId, and placeholders as
// intrinsics (an account id as !Ref AWS::AccountId, a role ARN as
// !Sub "arn:${AWS::Partition}:iam::${AWS::AccountId}:role/...").
func (e *editor) Edit(ops []iac.Op, opt iac.EditOptions) ([]iac.Splice, error) {
	for _, op := range ops {
		if op.Kind == iac.RemoveMember || op.Kind == iac.RemoveElem {
			return nil, fmt.Errorf("%s: the CloudFormation editor does not remove parts of a policy", op)
		}
	}
	e.copies = e.findCopies(opt)
	var out []iac.Splice
	if e.t.isJSON {
		sp, err := e.editJSON(ops)
		if err != nil {
			return nil, err
		}
		out = sp
	} else {
		y := &yamlEditor{src: e.t.src, em: yamlEmitter{st: detectStyle(e.t.src, e.policy), syms: e.syms, copies: e.copies}}
		for _, op := range ops {
			sp, err := y.op(e.policy, op)
			if err != nil {
				return nil, fmt.Errorf("%s: %w", op, err)
			}
			out = append(out, sp...)
		}
	}
	if err := e.check(ops, out); err != nil {
		return nil, fmt.Errorf("the edit of %s could not be written safely: %w", e.address, err)
	}
	return out, nil
}

// check locates the policy in the edited template and compares it with the
// policy the operations make: an editor that cannot write an edit
// faithfully (a construct the YAML parser reads differently once text is
// added around it) refuses it rather than write something else.
func (e *editor) check(ops []iac.Op, sp []iac.Splice) error {
	before, err := jsonast.Parse(e.before)
	if err != nil {
		return err
	}
	want, err := iac.Apply(before, ops)
	if err != nil {
		return err
	}
	out, err := iac.ApplySplices(e.t.src, sp)
	if err != nil {
		return err
	}
	docs, err := Locate(e.t.file, out)
	if err != nil {
		return fmt.Errorf("the edited template does not parse: %w", err)
	}
	if err := e.othersUnchanged(docs); err != nil {
		return err
	}
	for _, d := range docs {
		if d.Address != e.address {
			continue
		}
		if d.Unsupported != "" {
			return fmt.Errorf("the edited policy cannot be read: %s", d.Unsupported)
		}
		got, err := jsonast.Parse(d.Policy)
		if err != nil {
			return err
		}
		if e.copies.canon(got, d.Symbols) != e.copies.canon(want, e.syms) {
			return fmt.Errorf("the edited template reads as a different policy")
		}
		return nil
	}
	return fmt.Errorf("the policy is gone from the edited template")
}

// othersUnchanged checks that the template's other policies read as
// before the edit.
func (e *editor) othersUnchanged(after []iac.Document) error {
	before, err := Locate(e.t.file, e.t.src)
	if err != nil || len(before) != len(after) {
		return fmt.Errorf("the edit changed the template's other policies")
	}
	for i, b := range before {
		a := after[i]
		if a.Address != b.Address || (a.Unsupported == "") != (b.Unsupported == "") {
			return fmt.Errorf("the edit changed %s", b.Address)
		}
		if b.Address == e.address || b.Unsupported != "" {
			continue
		}
		bv, err1 := jsonast.Parse(b.Policy)
		av, err2 := jsonast.Parse(a.Policy)
		if err1 != nil || err2 != nil || e.copies.canon(bv, b.Symbols) != e.copies.canon(av, a.Symbols) {
			return fmt.Errorf("the edit changed %s", b.Address)
		}
	}
	return nil
}

// lookup follows a policy path through the template's nodes; it refuses to
// enter an intrinsic (which the policy sees as one string).
func lookup(root *node, p iac.Path) (*node, error) {
	n := root
	for _, s := range p {
		if isIntrinsic(n) {
			return nil, fmt.Errorf("the path enters an intrinsic function")
		}
		switch {
		case s.IsIndex:
			if n.kind != seqNode || s.Index < 0 || s.Index >= len(n.elems) {
				return nil, fmt.Errorf("no element %d", s.Index)
			}
			n = n.elems[s.Index]
		default:
			if n = n.get(s.Key); n == nil {
				return nil, fmt.Errorf("no member %q", s.Key)
			}
		}
	}
	return n, nil
}

type yamlEditor struct {
	src []byte
	em  yamlEmitter
}

func (y *yamlEditor) op(root *node, op iac.Op) ([]iac.Splice, error) {
	n, err := lookup(root, op.Path)
	if err != nil {
		return nil, err
	}
	if op.Kind != iac.SetValue && (isIntrinsic(n) || n.kind == aliasNode) {
		return nil, fmt.Errorf("the target is an intrinsic function")
	}
	switch op.Kind {
	case iac.SetValue:
		return y.set(root, op.Path, n, op.Value)
	case iac.AddMember:
		return y.addMember(n, op.Key, op.Value)
	case iac.RenameKey:
		for _, k := range n.keys {
			if k.str == op.Key {
				return []iac.Splice{{Start: k.start, End: k.end, Text: y.requote(k, op.NewKey)}}, nil
			}
		}
		return nil, fmt.Errorf("no member %q", op.Key)
	case iac.InsertElem:
		return y.insert(n, op.Index, op.Value)
	}
	return nil, fmt.Errorf("unsupported operation")
}

// requote writes a renamed key quoted as the old one was.
func (y *yamlEditor) requote(k *node, s string) string {
	switch {
	case k.quote == '\'' && !strings.ContainsAny(s, "\n\r\t\\"):
		return "'" + strings.ReplaceAll(s, "'", "''") + "'"
	case k.quote == '"':
		return jsonast.Quote(s)
	case plainSafe(s, false):
		return s
	}
	return y.em.quoted(s)
}

// eol returns the offset of the end of the line that off is on (before its
// line break), so an insertion there keeps a trailing comment on its line.
func (y *yamlEditor) eol(off int) int {
	for off < len(y.src) && y.src[off] != '\n' {
		off++
	}
	if off < len(y.src) && off > 0 && y.src[off-1] == '\r' {
		off--
	}
	return off
}

// hasComment reports whether the rest of off's line is a comment.
func (y *yamlEditor) hasComment(off int) bool {
	rest := strings.TrimSpace(string(y.src[off:y.eol(off)]))
	return strings.HasPrefix(rest, "#")
}

func (y *yamlEditor) col(off int) int { return column(y.src, off) }

// set replaces the value n at path.
func (y *yamlEditor) set(root *node, path iac.Path, n *node, v *jsonast.Value) ([]iac.Splice, error) {
	if len(path) == 0 {
		return nil, fmt.Errorf("the whole policy cannot be replaced")
	}
	parentPath, step := path.Parent()
	p, err := lookup(root, parentPath)
	if err != nil {
		return nil, err
	}
	if p.flow {
		return []iac.Splice{{Start: n.start, End: n.end, Text: y.em.flow(v)}}, nil
	}
	if step.IsIndex { // an entry of a block sequence, after its "- "
		return []iac.Splice{{Start: n.start, End: n.end, Text: y.em.item(v, y.col(n.start))}}, nil
	}
	keyCol := y.col(p.keys[0].start)
	sameLine := !strings.Contains(string(y.src[n.colon:n.start]), "\n")
	switch {
	case sameLine && isCollection(v) && !y.hasComment(n.end) && !(v.Kind == jsonast.Array && y.em.st.flowSeq):
		// key: scalar  →  key:\n  block
		return []iac.Splice{{Start: n.colon, End: n.end, Text: y.em.afterKey(v, keyCol)}}, nil
	case !sameLine && !isCollection(v) && !strings.Contains(string(y.src[n.colon:n.start]), "#"):
		// key:\n  - a\n  - b  →  key: scalar
		return []iac.Splice{{Start: n.colon, End: n.end, Text: " " + y.em.inline(v)}}, nil
	case sameLine || !isCollection(v):
		text := y.em.inline(v)
		if n.start == n.end && n.start == n.colon { // an implicit null
			text = " " + text
		}
		return []iac.Splice{{Start: n.start, End: n.end, Text: text}}, nil
	}
	// The old value starts on its own line; the new block starts there.
	return []iac.Splice{{Start: n.start, End: n.end, Text: y.em.block(v, y.col(n.start))}}, nil
}

func (y *yamlEditor) addMember(m *node, key string, v *jsonast.Value) ([]iac.Splice, error) {
	if m.kind != mapNode {
		return nil, fmt.Errorf("not a mapping")
	}
	if m.flow {
		text := y.em.key(key, true) + ": " + y.em.flow(v)
		if len(m.vals) == 0 {
			return []iac.Splice{{Start: m.start + 1, End: m.start + 1, Text: text}}, nil
		}
		at := m.vals[len(m.vals)-1].end
		return []iac.Splice{{Start: at, End: at, Text: ", " + text}}, nil
	}
	col := y.col(m.keys[0].start)
	at := y.eol(m.end)
	text := y.em.st.nl + spaces(col) + y.em.key(key, false) + ":" + y.em.afterKey(v, col)
	return []iac.Splice{{Start: at, End: at, Text: text}}, nil
}

func (y *yamlEditor) insert(s *node, index int, v *jsonast.Value) ([]iac.Splice, error) {
	if s.kind != seqNode || index < 0 || index > len(s.elems) {
		return nil, fmt.Errorf("not a sequence, or the index is out of range")
	}
	if s.flow {
		text := y.em.flow(v)
		switch {
		case len(s.elems) == 0:
			return []iac.Splice{{Start: s.start + 1, End: s.start + 1, Text: text}}, nil
		case index == 0:
			at := s.elems[0].start
			return []iac.Splice{{Start: at, End: at, Text: text + ", "}}, nil
		}
		at := s.elems[index-1].end
		return []iac.Splice{{Start: at, End: at, Text: ", " + text}}, nil
	}
	dash := s.dashes[0]
	col := y.col(dash)
	text := "- " + y.em.item(v, col+2)
	if index == 0 {
		ls := dash - col
		if strings.TrimSpace(string(y.src[ls:dash])) != "" {
			return nil, fmt.Errorf("the sequence does not start its line")
		}
		return []iac.Splice{{Start: ls, End: ls, Text: spaces(col) + text + y.em.st.nl}}, nil
	}
	at := y.eol(s.elems[index-1].end)
	return []iac.Splice{{Start: at, End: at, Text: y.em.st.nl + spaces(col) + text}}, nil
}

// editJSON applies ops to the policy of a JSON template with jsonast (new
// values with intrinsics in JSON form) and returns one splice: the policy's
// text, re-rendered, trimmed to what changed.
func (e *editor) editJSON(ops []iac.Op) ([]iac.Splice, error) {
	src := e.t.src
	root, err := jsonast.Parse(src)
	if err != nil {
		return nil, err
	}
	pd, err := findJSON(root, e.policy.jv.Offset)
	if err != nil {
		return nil, err
	}
	conv := make([]iac.Op, len(ops))
	for i, op := range ops {
		if _, err := lookup(e.policy, op.Path); err != nil {
			return nil, fmt.Errorf("%s: %w", op, err)
		}
		conv[i] = op
		if op.Value != nil {
			conv[i].Value = e.jsonIntrinsics(op.Value)
		}
	}
	after, err := iac.Apply(pd.Value, conv)
	if err != nil {
		return nil, err
	}
	sp, _ := pd.Value.Span()
	start, end := sp.Start.Offset, sp.End.Offset
	pd.Value = after
	out := jsonast.Render(root)
	tail := len(src) - end
	if len(out) < start+tail || string(out[:start]) != string(src[:start]) || string(out[len(out)-tail:]) != string(src[end:]) {
		return nil, fmt.Errorf("rendering the template changed text outside the policy")
	}
	text := out[start : len(out)-tail]
	old := src[start:end]
	for len(text) > 0 && len(old) > 0 && text[0] == old[0] {
		text, old, start = text[1:], old[1:], start+1
	}
	for len(text) > 0 && len(old) > 0 && text[len(text)-1] == old[len(old)-1] {
		text, old, end = text[:len(text)-1], old[:len(old)-1], end-1
	}
	if start == end && len(text) == 0 {
		return nil, nil
	}
	return []iac.Splice{{Start: start, End: end, Text: string(text)}}, nil
}

// findJSON returns the member whose value starts at offset off.
func findJSON(v *jsonast.Value, off int) (*jsonast.Member, error) {
	var found *jsonast.Member
	var walk func(v *jsonast.Value, depth int)
	walk = func(v *jsonast.Value, depth int) {
		if found != nil || depth > maxDepth {
			return
		}
		for _, m := range v.Members {
			if m.Value.Offset == off {
				found = m
				return
			}
			walk(m.Value, depth+1)
		}
		for _, x := range v.Elems {
			walk(x, depth+1)
		}
	}
	walk(v, 0)
	if found == nil {
		return nil, fmt.Errorf("the policy is no longer where it was found")
	}
	return found, nil
}

// jsonIntrinsics copies v with strings that hold placeholders written as
// intrinsics in JSON form ({"Ref": ...}, {"Fn::Sub": ...}).
func (e *editor) jsonIntrinsics(v *jsonast.Value) *jsonast.Value {
	if c, ok := e.copies.json[e.copies.key(v)]; ok {
		return c.Clone()
	}
	switch v.Kind {
	case jsonast.Object:
		o := jsonast.NewObject()
		for _, m := range v.Members {
			o.Members = append(o.Members, jsonast.NewMember(m.Key, e.jsonIntrinsics(m.Value)))
		}
		return o
	case jsonast.Array:
		a := jsonast.NewArray()
		for _, x := range v.Elems {
			a.Elems = append(a.Elems, e.jsonIntrinsics(x))
		}
		return a
	case jsonast.String:
		f := formOf(v.Str, e.syms)
		switch {
		case f.sym != nil:
			return exprJSON(f.sym.Expr)
		case f.isSub && len(f.vars) == 0:
			return exprJSON(`{"Fn::Sub": ` + jsonast.Quote(f.sub) + `}`)
		case f.isSub:
			var vars []string
			for i, name := range f.vars {
				vars = append(vars, jsonast.Quote(name)+": "+f.varSyms[i].Expr)
			}
			return exprJSON(`{"Fn::Sub": [` + jsonast.Quote(f.sub) + `, {` + strings.Join(vars, ", ") + `}]}`)
		}
		return jsonast.NewString(v.Str)
	case jsonast.Number:
		return jsonast.NewNumber(v.Num)
	case jsonast.Bool:
		return jsonast.NewBool(v.Bool)
	}
	return jsonast.NewNull()
}

// exprJSON parses an intrinsic written on one line; jsonast renders a
// parsed value as its text, so it stays on one line in the template.
func exprJSON(expr string) *jsonast.Value {
	v, err := jsonast.Parse([]byte(expr))
	if err != nil {
		return jsonast.NewString(expr)
	}
	return v
}
