package policy

import (
	"errors"
	"fmt"
	"strings"
	"sync/atomic"

	"github.com/fixpolicy/fixpolicy/rewrite/internal/cond"
	"github.com/fixpolicy/fixpolicy/rewrite/jsonast"
)

// Policy versions AWS accepts.
const (
	Version2012 = "2012-10-17"
	Version2008 = "2008-10-17"
)

// Policy is a parsed bucket policy. It keeps the JSON tree it came from, so
// that rendering an unmodified policy gives back the input byte for byte.
type Policy struct {
	Root       *jsonast.Value
	Version    string // "" when the element is absent
	ID         string
	Statements []*Statement
	// StatementArray is false when "Statement" is a single object.
	StatementArray bool

	comp atomic.Pointer[compiledPolicy] // Decide's compiled form, built on first use
}

// Statement is one statement of a policy, with typed views of its elements.
// Node is the statement's JSON object; patching edits it in place.
type Statement struct {
	Index  int
	Node   *jsonast.Value
	Sid    string
	HasSid bool
	Effect string // "Allow" or "Deny"

	Principal    Principal
	NotPrincipal bool

	Actions   []string
	NotAction bool

	Resources   []string
	NotResource bool

	Conditions []Condition
}

// Principal is the value of a Principal or NotPrincipal element.
type Principal struct {
	Wildcard bool                // the string "*"
	Values   map[string][]string // principal type ("AWS", "Service", ...) -> values
}

// Condition is one (operator, key) pair of a Condition block.
type Condition struct {
	Op       cond.Operator
	OpName   string // as written in the policy
	Key      string // as written
	KeyLower string
	Values   []string // stringified: JSON true -> "true", numbers as written
}

// Label names the statement for messages: `statement 2 (Sid "DenyOutsideVpce")`.
// Indexes in messages are 1-based; Index is 0-based.
func (s *Statement) Label() string {
	if s.HasSid && s.Sid != "" {
		return fmt.Sprintf("statement %d (Sid %q)", s.Index+1, s.Sid)
	}
	return fmt.Sprintf("statement %d", s.Index+1)
}

// IsDeny reports whether the statement's effect is Deny.
func (s *Statement) IsDeny() bool { return s.Effect == "Deny" }

// VarsEnabled reports whether policy variables are substituted (Version 2012-10-17).
func (p *Policy) VarsEnabled() bool { return p.Version == Version2012 }

// Render returns the policy's JSON text, byte-identical to the input for
// everything that was not changed.
func (p *Policy) Render() []byte { return jsonast.Render(p.Root) }

// Compact returns the policy without insignificant whitespace (S3's size measure).
func (p *Policy) Compact() []byte { return jsonast.Compact(p.Root) }

// Clone returns a deep copy that renders identically.
func (p *Policy) Clone() *Policy {
	q, err := FromTree(p.Root.Clone())
	if err != nil {
		// The tree was valid when p was built from it.
		panic("rewrite: clone of a valid policy failed: " + err.Error())
	}
	return q
}

// Parse reads a bucket policy. Invalid input is refused with an *Error
// that names the statement and element at fault and where it is.
func Parse(src []byte) (*Policy, error) {
	root, err := jsonast.Parse(src)
	if err != nil {
		e := &Error{Code: CodeJSONSyntax, Msg: "invalid JSON: " + err.Error(), Offset: -1}
		var se *jsonast.SyntaxError
		if errors.As(err, &se) {
			e.Offset, e.Line, e.Column, e.Column16 = se.Offset, se.Line, se.Col, se.Col16
		}
		return nil, e
	}
	p, err := FromTree(root)
	if err != nil {
		if pe, ok := err.(*Error); ok && pe.Offset >= 0 {
			pos := jsonast.Position(src, pe.Offset)
			pe.Line, pe.Column, pe.Column16 = pos.Line, pos.Col, pos.Col16
		}
		return nil, err
	}
	return p, nil
}

// CodeJSONSyntax is the Error code of a document that is not JSON.
const CodeJSONSyntax = "json_syntax"

// Error is a problem with a policy document. Its position is data, so that
// reports can locate it without reading the message (errors.As).
type Error struct {
	Code   string // stable: "json_syntax", "bad_element", "bad_value", "missing_element", ...
	Where  string // e.g. `statement 2 (Sid "X"), Condition`
	Msg    string
	Offset int // byte offset, -1 if unknown
	Line   int // 1-based, 0 if unknown
	// Column is the 1-based column of Offset in characters, Column16 in
	// UTF-16 code units (jsonast.Pos); 0 if unknown. The message names the
	// column only for invalid JSON (CodeJSONSyntax); other errors name the
	// line.
	Column, Column16 int
}

// Error is the message: "line L: WHERE: MSG" for an invalid element, or
// "invalid JSON: line L, column C ...: MSG".
func (e *Error) Error() string {
	var b strings.Builder
	if e.Line > 0 && e.Code != CodeJSONSyntax {
		fmt.Fprintf(&b, "line %d: ", e.Line)
	}
	if e.Where != "" {
		b.WriteString(e.Where)
		b.WriteString(": ")
	}
	b.WriteString(e.Msg)
	return b.String()
}

func errAt(v *jsonast.Value, code, where, format string, args ...any) *Error {
	off := -1
	if v != nil {
		off = v.Offset
	}
	return &Error{Code: code, Where: where, Msg: fmt.Sprintf(format, args...), Offset: off}
}

// FromTree builds a Policy over an already parsed JSON tree.
func FromTree(root *jsonast.Value) (*Policy, error) {
	if root.Kind != jsonast.Object {
		return nil, errAt(root, "not_policy", "", "a bucket policy must be a JSON object, not %s", kindName(root))
	}
	p := &Policy{Root: root}
	var stmtNode *jsonast.Value
	for _, m := range root.Members {
		switch m.Key {
		case "Version":
			if m.Value.Kind != jsonast.String {
				return nil, errAt(m.Value, "bad_value", "Version", "must be a string, not %s", kindName(m.Value))
			}
			if m.Value.Str != Version2012 && m.Value.Str != Version2008 {
				return nil, errAt(m.Value, "bad_value", "Version", "%q is not a policy version (use %q or %q)", m.Value.Str, Version2012, Version2008)
			}
			p.Version = m.Value.Str
		case "Id":
			if m.Value.Kind != jsonast.String {
				return nil, errAt(m.Value, "bad_value", "Id", "must be a string, not %s", kindName(m.Value))
			}
			p.ID = m.Value.Str
		case "Statement":
			stmtNode = m.Value
		default:
			return nil, errAt(m.Value, "bad_element", "", "unknown top-level element %q (a policy has Version, Id and Statement)", m.Key)
		}
	}
	if stmtNode == nil {
		return nil, errAt(root, "missing_element", "", "the policy has no Statement element")
	}
	var nodes []*jsonast.Value
	switch stmtNode.Kind {
	case jsonast.Object:
		nodes = []*jsonast.Value{stmtNode}
	case jsonast.Array:
		p.StatementArray = true
		if len(stmtNode.Elems) == 0 {
			return nil, errAt(stmtNode, "bad_value", "Statement", "is empty; a policy needs at least one statement")
		}
		nodes = stmtNode.Elems
	default:
		return nil, errAt(stmtNode, "bad_value", "Statement", "must be an object or an array of objects, not %s", kindName(stmtNode))
	}
	sids := map[string]int{}
	for i, n := range nodes {
		s, err := parseStatement(i, n, p.Version == Version2012)
		if err != nil {
			return nil, err
		}
		if s.HasSid && s.Sid != "" {
			if j, dup := sids[s.Sid]; dup {
				return nil, errAt(n, "duplicate_sid", s.Label(), "Sid %q is already used by statement %d; Sids must be unique", s.Sid, j+1)
			}
			sids[s.Sid] = i
		}
		p.Statements = append(p.Statements, s)
	}
	return p, nil
}

func kindName(v *jsonast.Value) string {
	switch v.Kind {
	case jsonast.Null:
		return "null"
	case jsonast.Bool:
		return "a boolean"
	case jsonast.Number:
		return "a number"
	case jsonast.String:
		return "a string"
	case jsonast.Array:
		return "an array"
	default:
		return "an object"
	}
}

// parseStatement checks one statement and builds its model. It is one pass
// over the statement's elements in the order IAM documents them; each
// element's check is a few lines.
func parseStatement(i int, n *jsonast.Value, vars bool) (*Statement, error) {
	s := &Statement{Index: i, Node: n}
	where := fmt.Sprintf("statement %d", i+1)
	if n.Kind != jsonast.Object {
		return nil, errAt(n, "bad_value", where, "must be an object, not %s", kindName(n))
	}
	// The Sid names the statement in every later message.
	if m := n.Get("Sid"); m != nil {
		if m.Value.Kind != jsonast.String {
			return nil, errAt(m.Value, "bad_value", where+", Sid", "must be a string, not %s", kindName(m.Value))
		}
		s.Sid, s.HasSid = m.Value.Str, true
		where = s.Label()
	}
	var seen struct{ principal, action, resource, effect bool }
	for _, m := range n.Members {
		v := m.Value
		elem := where + ", " + m.Key
		switch m.Key {
		case "Sid":
		case "Effect":
			seen.effect = true
			if v.Kind != jsonast.String {
				return nil, errAt(v, "bad_value", elem, "must be \"Allow\" or \"Deny\", not %s", kindName(v))
			}
			if v.Str != "Allow" && v.Str != "Deny" {
				return nil, errAt(v, "bad_value", elem, "%q is not an effect (use \"Allow\" or \"Deny\"; the value is case-sensitive)", v.Str)
			}
			s.Effect = v.Str
		case "Principal", "NotPrincipal":
			if seen.principal {
				return nil, errAt(v, "bad_element", where, "has both Principal and NotPrincipal; use one")
			}
			seen.principal = true
			s.NotPrincipal = m.Key == "NotPrincipal"
			pr, err := parsePrincipal(v, elem)
			if err != nil {
				return nil, err
			}
			s.Principal = pr
		case "Action", "NotAction":
			if seen.action {
				return nil, errAt(v, "bad_element", where, "has both Action and NotAction; use one")
			}
			seen.action = true
			s.NotAction = m.Key == "NotAction"
			list, err := actionList(v, elem)
			if err != nil {
				return nil, err
			}
			s.Actions = list
		case "Resource", "NotResource":
			if seen.resource {
				return nil, errAt(v, "bad_element", where, "has both Resource and NotResource; use one")
			}
			seen.resource = true
			s.NotResource = m.Key == "NotResource"
			list, err := resourceList(v, elem)
			if err != nil {
				return nil, err
			}
			s.Resources = list
		case "Condition":
			conds, err := parseConditions(v, elem, vars)
			if err != nil {
				return nil, err
			}
			s.Conditions = conds
		default:
			return nil, errAt(v, "bad_element", where, "unknown element %q (a statement has Sid, Effect, Principal or NotPrincipal, Action or NotAction, Resource or NotResource, Condition)", m.Key)
		}
	}
	switch {
	case !seen.effect:
		return nil, errAt(n, "missing_element", where, "has no Effect (\"Allow\" or \"Deny\")")
	case !seen.principal:
		return nil, errAt(n, "missing_element", where, "has no Principal or NotPrincipal; bucket policies must name who the statement applies to")
	case !seen.action:
		return nil, errAt(n, "missing_element", where, "has no Action or NotAction")
	case !seen.resource:
		return nil, errAt(n, "missing_element", where, "has no Resource or NotResource")
	}
	return s, nil
}

// actionList reads an Action or NotAction element.
func actionList(v *jsonast.Value, elem string) ([]string, error) {
	list, err := stringList(v, elem)
	if err != nil {
		return nil, err
	}
	for _, a := range list {
		if err := checkAction(a); err != nil {
			return nil, errAt(v, "bad_value", elem, "%s", err)
		}
	}
	return list, nil
}

// resourceList reads a Resource or NotResource element.
func resourceList(v *jsonast.Value, elem string) ([]string, error) {
	list, err := stringList(v, elem)
	if err != nil {
		return nil, err
	}
	for _, r := range list {
		if r != "*" && !strings.HasPrefix(r, "arn:") {
			return nil, errAt(v, "bad_value", elem, "%q is not an ARN (a bucket policy resource looks like arn:aws:s3:::bucket or arn:aws:s3:::bucket/*)", r)
		}
	}
	return list, nil
}

func checkAction(a string) error {
	if a == "*" {
		return nil
	}
	i := strings.IndexByte(a, ':')
	if i <= 0 || i == len(a)-1 {
		return fmt.Errorf("%q is not an action (use service:Action, e.g. s3:GetObject, or \"*\")", a)
	}
	return nil
}

// stringList reads a string-or-array-of-strings element.
func stringList(v *jsonast.Value, where string) ([]string, error) {
	switch v.Kind {
	case jsonast.String:
		return []string{v.Str}, nil
	case jsonast.Array:
		if len(v.Elems) == 0 {
			return nil, errAt(v, "bad_value", where, "is an empty list")
		}
		out := make([]string, 0, len(v.Elems))
		for j, e := range v.Elems {
			if e.Kind != jsonast.String {
				return nil, errAt(e, "bad_value", where, "item %d must be a string, not %s", j+1, kindName(e))
			}
			out = append(out, e.Str)
		}
		return out, nil
	default:
		return nil, errAt(v, "bad_value", where, "must be a string or an array of strings, not %s", kindName(v))
	}
}

var PrincipalTypes = []string{"AWS", "Service", "CanonicalUser", "Federated"}

func parsePrincipal(v *jsonast.Value, where string) (Principal, error) {
	switch v.Kind {
	case jsonast.String:
		if v.Str != "*" {
			return Principal{}, errAt(v, "bad_value", where, "the only string principal is \"*\"; name principals as {\"AWS\": %q}", v.Str)
		}
		return Principal{Wildcard: true}, nil
	case jsonast.Object:
		if len(v.Members) == 0 {
			return Principal{}, errAt(v, "bad_value", where, "is an empty object; name at least one principal")
		}
		pr := Principal{Values: map[string][]string{}}
		for _, m := range v.Members {
			known := false
			for _, t := range PrincipalTypes {
				if m.Key == t {
					known = true
				}
			}
			if !known {
				return Principal{}, errAt(m.Value, "bad_value", where, "unknown principal type %q (use AWS, Service, CanonicalUser or Federated)", m.Key)
			}
			list, err := stringList(m.Value, where+"."+m.Key)
			if err != nil {
				return Principal{}, err
			}
			for _, s := range list {
				if s == "" {
					return Principal{}, errAt(m.Value, "bad_value", where+"."+m.Key, "has an empty principal")
				}
			}
			pr.Values[m.Key] = list
		}
		return pr, nil
	default:
		return Principal{}, errAt(v, "bad_value", where, "must be \"*\" or an object such as {\"AWS\": \"arn:aws:iam::111122223333:root\"}, not %s", kindName(v))
	}
}

func parseConditions(v *jsonast.Value, where string, vars bool) ([]Condition, error) {
	if v.Kind != jsonast.Object {
		return nil, errAt(v, "bad_value", where, "must be an object of operators, not %s", kindName(v))
	}
	var out []Condition
	for _, om := range v.Members {
		op, err := cond.ParseOperator(om.Key)
		if err != nil {
			return nil, errAt(om.Value, "bad_value", where, "%s", err)
		}
		opWhere := where + "." + om.Key
		if om.Value.Kind != jsonast.Object {
			return nil, errAt(om.Value, "bad_value", opWhere, "must be an object of condition keys, not %s", kindName(om.Value))
		}
		if len(om.Value.Members) == 0 {
			return nil, errAt(om.Value, "bad_value", opWhere, "has no condition keys")
		}
		for _, km := range om.Value.Members {
			keyWhere := opWhere + "." + km.Key
			if km.Key == "" {
				return nil, errAt(km.Value, "bad_value", opWhere, "has an empty condition key")
			}
			vals, err := condValues(km.Value, keyWhere)
			if err != nil {
				return nil, err
			}
			if err := op.Validate(vals); err != nil {
				return nil, errAt(km.Value, "bad_value", keyWhere, "%s", err)
			}
			out = append(out, Condition{Op: op, OpName: om.Key, Key: km.Key, KeyLower: strings.ToLower(km.Key), Values: vals})
		}
	}
	return out, nil
}

// condValues reads a condition value: a string, boolean or number, or a
// non-empty array of them.
func condValues(v *jsonast.Value, where string) ([]string, error) {
	scalar := func(e *jsonast.Value) (string, bool) {
		switch e.Kind {
		case jsonast.String:
			return e.Str, true
		case jsonast.Bool:
			if e.Bool {
				return "true", true
			}
			return "false", true
		case jsonast.Number:
			return e.Num, true
		}
		return "", false
	}
	if s, ok := scalar(v); ok {
		return []string{s}, nil
	}
	if v.Kind != jsonast.Array {
		return nil, errAt(v, "bad_value", where, "must be a string, boolean, number or an array of them, not %s", kindName(v))
	}
	if len(v.Elems) == 0 {
		return nil, errAt(v, "bad_value", where, "is an empty list")
	}
	out := make([]string, 0, len(v.Elems))
	for j, e := range v.Elems {
		s, ok := scalar(e)
		if !ok {
			return nil, errAt(e, "bad_value", where, "item %d must be a string, boolean or number, not %s", j+1, kindName(e))
		}
		out = append(out, s)
	}
	return out, nil
}
