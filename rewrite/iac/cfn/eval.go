package cfn

import (
	"fmt"
	"strings"

	"github.com/fixpolicy/fixpolicy/rewrite/iac"
	"github.com/fixpolicy/fixpolicy/rewrite/jsonast"
)

// evaluator renders one policy's nodes as JSON, intrinsics as placeholders.
type evaluator struct {
	t         *template
	used      map[*iac.Symbol]bool
	bucketRef string // the logical id Properties.Bucket refers to, if any
}

// intrinsic reports whether n is an intrinsic function call, with its long
// name (Ref, Fn::Sub, Condition) and argument.
func intrinsic(n *node) (name string, arg *node, ok bool) {
	if n == nil || n.kind == aliasNode {
		return "", nil, false
	}
	if n.tag != "" && !strings.HasPrefix(n.tag, "!!") {
		t := strings.TrimPrefix(n.tag, "!")
		arg := *n
		arg.tag, arg.start = "", n.body
		if t != "Ref" && t != "Condition" {
			t = "Fn::" + t
		}
		return t, &arg, true
	}
	if n.kind == mapNode && len(n.keys) == 1 {
		k := n.keys[0].str
		if k == "Ref" || k == "Condition" || strings.HasPrefix(k, "Fn::") {
			return k, n.vals[0], true
		}
	}
	return "", nil, false
}

func isIntrinsic(n *node) bool { _, _, ok := intrinsic(n); return ok }

// symbols returns the Document's symbols: the account and the partition,
// then those the policy and the bucket use, in placeholder order; the
// bucket's symbol has the bucket role.
func (ev *evaluator) symbols() []iac.Symbol {
	var out []iac.Symbol
	bucket := ev.t.syms["Ref "+ev.bucketRef]
	for i, s := range ev.t.order {
		if i >= 2 && !ev.used[s] {
			continue
		}
		c := *s
		if s == bucket && c.Role == iac.RoleUnknown {
			c.Role = iac.RoleBucket
		}
		out = append(out, c)
	}
	return out
}

func (ev *evaluator) use(k symKey, n *node) string {
	s := ev.t.symbol(k, n)
	ev.used[s] = true
	return s.Placeholder
}

// eval renders n as a JSON value.
func (ev *evaluator) eval(n *node) (*jsonast.Value, error) {
	if isIntrinsic(n) {
		s, err := ev.str(n)
		if err != nil {
			return nil, err
		}
		return jsonast.NewString(s), nil
	}
	switch n.kind {
	case mapNode:
		o := jsonast.NewObject()
		for i, k := range n.keys {
			v, err := ev.eval(n.vals[i])
			if err != nil {
				return nil, err
			}
			o.Members = append(o.Members, jsonast.NewMember(k.str, v))
		}
		return o, nil
	case seqNode:
		a := jsonast.NewArray()
		for _, e := range n.elems {
			v, err := ev.eval(e)
			if err != nil {
				return nil, err
			}
			a.Elems = append(a.Elems, v)
		}
		return a, nil
	case aliasNode:
		return nil, ev.errorf(n, "a YAML alias, merge key, or tag without a value")
	}
	switch n.lit {
	case litNumber:
		return jsonast.NewNumber(n.str), nil
	case litBool:
		return jsonast.NewBool(n.str == "true"), nil
	case litNull:
		return jsonast.NewNull(), nil
	}
	return jsonast.NewString(n.str), nil
}

func (ev *evaluator) errorf(n *node, format string, args ...any) error {
	p := ev.t.pos(n.start)
	return fmt.Errorf("line %d, column %d: %s", p.Line, p.Col, fmt.Sprintf(format, args...))
}

// str evaluates n to a string: a literal, or an intrinsic's value with
// placeholders for what the template leaves open.
func (ev *evaluator) str(n *node) (string, error) {
	name, arg, ok := intrinsic(n)
	if !ok {
		if n.kind != scalarNode {
			return "", ev.errorf(n, "a YAML %s where a string is expected", describe(n))
		}
		if n.lit == litNull {
			return "", ev.errorf(n, "a null where a string is expected")
		}
		return n.str, nil
	}
	switch name {
	case "Ref":
		if arg.kind != scalarNode || isIntrinsic(arg) {
			return "", ev.errorf(n, "Ref of something other than a name")
		}
		return ev.ref(n, arg.str)
	case "Fn::GetAtt":
		return ev.getAtt(n, arg)
	case "Fn::Sub":
		return ev.sub(n, arg)
	case "Fn::Join":
		if s, ok, err := ev.join(n, arg); ok || err != nil {
			return s, err
		}
	case "Fn::If", "Condition":
		return "", ev.errorf(n, "%s: the value depends on a template condition, and fixpolicy analyses one policy, not one per branch", name)
	case "Fn::Split", "Fn::GetAZs", "Fn::Cidr":
		return "", ev.errorf(n, "%s gives a list, which fixpolicy cannot analyse as one value", name)
	case "Fn::Transform", "Fn::ForEach", "Fn::ToJsonString":
		return "", ev.errorf(n, "%s is not supported", name)
	case "Fn::ImportValue", "Fn::Select", "Fn::FindInMap", "Fn::Base64", "Fn::Length", "Fn::GetStackOutput":
	default:
		if n.tag != "" {
			return "", ev.errorf(n, "unknown tag %s", n.tag)
		}
	}
	return ev.use(symKey{"expr", ev.exprText(n)}, n), nil
}

// exprText is the source form of an opaque expression, as a symbol's Expr.
func (ev *evaluator) exprText(n *node) string {
	if ev.t.isJSON && n.jv != nil {
		return string(jsonast.Compact(n.jv))
	}
	return flowYAML(n)
}

func (ev *evaluator) ref(n *node, name string) (string, error) {
	switch {
	case name == "AWS::NoValue":
		return "", ev.errorf(n, "Ref AWS::NoValue removes the value, which fixpolicy cannot analyse")
	case strings.HasPrefix(ev.t.params[name], "List<") || ev.t.params[name] == "CommaDelimitedList" ||
		strings.HasPrefix(ev.t.params[name], "AWS::SSM::Parameter::Value<List<") ||
		strings.HasPrefix(ev.t.params[name], "AWS::SSM::Parameter::Value<CommaDelimitedList"):
		return "", ev.errorf(n, "Ref %s is a list parameter, which fixpolicy cannot analyse as one value", name)
	}
	return ev.use(refKey(name), nil), nil
}

func (ev *evaluator) getAtt(n, arg *node) (string, error) {
	var res, attr string
	switch {
	case arg.kind == scalarNode && !isIntrinsic(arg):
		var ok bool
		if res, attr, ok = strings.Cut(arg.str, "."); !ok {
			return "", ev.errorf(n, "Fn::GetAtt %q names no attribute", arg.str)
		}
	case arg.kind == seqNode && len(arg.elems) == 2 && !isIntrinsic(arg.elems[0]) && !isIntrinsic(arg.elems[1]) &&
		arg.elems[0].kind == scalarNode && arg.elems[1].kind == scalarNode:
		res, attr = arg.elems[0].str, arg.elems[1].str
	default:
		return ev.use(symKey{"expr", ev.exprText(n)}, n), nil
	}
	return ev.attr(res, attr), nil
}

// attr is the value of resource res's attribute: a bucket's ARN is built
// from its name, so that every way of writing it agrees.
func (ev *evaluator) attr(res, attr string) string {
	if attr == "Arn" && ev.t.resourceType(res) == "AWS::S3::Bucket" {
		return "arn:" + ev.use(refKey("AWS::Partition"), nil) + ":s3:::" + ev.use(refKey(res), nil)
	}
	return ev.use(symKey{"GetAtt", res + "." + attr}, nil)
}

func (ev *evaluator) sub(n, arg *node) (string, error) {
	tmpl := arg
	var vars *node
	if arg.kind == seqNode && !isIntrinsic(arg) {
		if len(arg.elems) != 2 || arg.elems[1].kind != mapNode || isIntrinsic(arg.elems[1]) {
			return "", ev.errorf(n, "Fn::Sub takes a string or [string, {variables}]")
		}
		tmpl, vars = arg.elems[0], arg.elems[1]
	}
	if tmpl.kind != scalarNode || isIntrinsic(tmpl) {
		return "", ev.errorf(n, "Fn::Sub's template is not a literal string")
	}
	var b strings.Builder
	s := tmpl.str
	for {
		i := strings.Index(s, "${")
		if i < 0 {
			b.WriteString(s)
			return b.String(), nil
		}
		b.WriteString(s[:i])
		s = s[i+2:]
		if strings.HasPrefix(s, "!") { // ${!Literal} is the text ${Literal}
			b.WriteString("${")
			s = s[1:]
			continue
		}
		j := strings.IndexByte(s, '}')
		if j < 0 {
			b.WriteString("${" + s)
			return b.String(), nil
		}
		name := strings.TrimSpace(s[:j])
		s = s[j+1:]
		if v := vars.get(name); v != nil {
			val, err := ev.str(v)
			if err != nil {
				return "", err
			}
			b.WriteString(val)
			continue
		}
		if res, attr, ok := strings.Cut(name, "."); ok && !strings.Contains(name, "::") {
			b.WriteString(ev.attr(res, attr))
			continue
		}
		val, err := ev.ref(n, name)
		if err != nil {
			return "", err
		}
		b.WriteString(val)
	}
}

// join evaluates Fn::Join over a literal list; ok is false for a list the
// template computes (an opaque symbol then).
func (ev *evaluator) join(n, arg *node) (string, bool, error) {
	if arg.kind != seqNode || isIntrinsic(arg) || len(arg.elems) != 2 {
		return "", false, ev.errorf(n, "Fn::Join takes [delimiter, [values]]")
	}
	delim, list := arg.elems[0], arg.elems[1]
	if delim.kind != scalarNode || isIntrinsic(delim) {
		return "", false, ev.errorf(n, "Fn::Join's delimiter is not a literal string")
	}
	if list.kind != seqNode || isIntrinsic(list) {
		return "", false, nil
	}
	parts := make([]string, len(list.elems))
	for i, e := range list.elems {
		s, err := ev.str(e)
		if err != nil {
			return "", false, err
		}
		parts[i] = s
	}
	return strings.Join(parts, delim.str), true, nil
}
