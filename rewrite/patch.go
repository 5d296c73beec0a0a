package rewrite

import (
	"fmt"
	"strings"

	"github.com/fixpolicy/fixpolicy/rewrite/internal/cond"
	"github.com/fixpolicy/fixpolicy/rewrite/internal/s3actions"
	"github.com/fixpolicy/fixpolicy/rewrite/jsonast"
)

// ExemptBy selects how Patch A exempts the backup role.
type ExemptBy string

// Exemption styles.
const (
	// ExemptByUserID adds StringNotLike {"aws:userid": "ROLEID:*"}: it
	// matches exactly the sessions of the role with that RoleId, and fails
	// closed if the role is deleted and re-created.
	ExemptByUserID ExemptBy = "userid"
	// ExemptByPrincipalARN adds ArnNotLike {"aws:PrincipalArn": ROLE_ARN}
	// (AWS's newer guidance): it survives re-creating the role, and would
	// also exempt a different role re-created under the same name.
	ExemptByPrincipalARN ExemptBy = "principal-arn"
)

// exemption returns the operator, key and value Patch A adds.
func (f Facts) exemption(by ExemptBy) (op, key, value string) {
	if by == ExemptByPrincipalARN {
		return "ArnNotLike", "aws:PrincipalArn", f.roleARN()
	}
	return "StringNotLike", "aws:userid", f.RoleID + ":*"
}

// addCondition makes the statement's Condition require key to match none of
// value under the negated operator opName: it merges into an existing block
// of that operator and into every existing spelling of the key, never
// creating a duplicate JSON key. Negated operators combine their values as
// NOR, so appending a value narrows the statement by exactly that value.
func addCondition(stmt *jsonast.Value, opName, key, value string) {
	want := mustOp(opName)
	condM := stmt.Get("Condition")
	if condM == nil {
		stmt.Members = append(stmt.Members, jsonast.NewMember("Condition",
			jsonast.NewObject(jsonast.NewMember(opName, jsonast.NewObject(jsonast.NewMember(key, jsonast.NewString(value)))))))
		return
	}
	var block *jsonast.Value
	for _, om := range condM.Value.Members {
		if op, err := cond.ParseOperator(om.Key); err == nil && op.Name == want.Name {
			block = om.Value
			break
		}
	}
	if block == nil {
		condM.Value.Members = append(condM.Value.Members, jsonast.NewMember(opName,
			jsonast.NewObject(jsonast.NewMember(key, jsonast.NewString(value)))))
		return
	}
	merged := false
	for _, km := range block.Members {
		if !strings.EqualFold(km.Key, key) {
			continue
		}
		merged = true
		appendValue(km, value)
	}
	if !merged {
		block.Members = append(block.Members, jsonast.NewMember(key, jsonast.NewString(value)))
	}
}

// appendValue adds value to a string-or-array member unless already listed.
func appendValue(m *jsonast.Member, value string) {
	v := m.Value
	switch v.Kind {
	case jsonast.Array:
		for _, e := range v.Elems {
			if e.Kind == jsonast.String && e.Str == value {
				return
			}
		}
		v.Elems = append(v.Elems, jsonast.NewString(value))
	default:
		if v.Kind == jsonast.String && v.Str == value {
			return
		}
		m.Value = jsonast.NewArray(v, jsonast.NewString(value))
	}
}

// setList sets a member to a list of strings, as a string when there is one.
func setList(m *jsonast.Member, list []string) {
	if len(list) == 1 {
		if m.Value.Kind == jsonast.String && m.Value.Str == list[0] {
			return
		}
		m.Value = jsonast.NewString(list[0])
		return
	}
	elems := make([]*jsonast.Value, len(list))
	old := map[string]*jsonast.Value{}
	if m.Value.Kind == jsonast.Array {
		for _, e := range m.Value.Elems {
			if e.Kind == jsonast.String {
				old[e.Str] = e
			}
		}
	} else if m.Value.Kind == jsonast.String {
		old[m.Value.Str] = m.Value
	}
	for i, s := range list {
		if e, ok := old[s]; ok && m.Value.Kind == jsonast.Array {
			elems[i] = e
		} else {
			elems[i] = jsonast.NewString(s)
		}
	}
	if m.Value.Kind == jsonast.Array {
		m.Value.Elems = elems
		return
	}
	m.Value = jsonast.NewArray(elems...)
}

// coversAllS3 reports whether an action pattern covers every S3 action. A
// bucket policy is only consulted for S3 requests, so "*" and "s3:*" mean the
// same there.
func coversAllS3(pattern string) bool {
	return pattern == "*" || strings.EqualFold(pattern, "s3:*") || strings.EqualFold(pattern, "s3:**")
}

// carveActions makes the statement stop covering the actions in drop,
// changing nothing else. It reports the wildcards it expanded.
func carveActions(stmt *jsonast.Value, s *Statement, drop []string) (expanded []string, empty bool) {
	isDropped := func(a string) bool {
		for _, d := range drop {
			if strings.EqualFold(a, d) {
				return true
			}
		}
		return false
	}
	if s.NotAction {
		m := stmt.Get("NotAction")
		list := append([]string{}, s.Actions...)
		for _, d := range drop {
			list = appendUnique(list, d)
		}
		setList(m, list)
		return nil, false
	}
	m := stmt.Get("Action")
	for _, a := range s.Actions {
		if coversAllS3(a) {
			m.Key = "NotAction"
			setList(m, drop)
			return nil, false
		}
	}
	var out []string
	for _, a := range s.Actions {
		hits := false
		for _, d := range drop {
			if cond.MatchAction(a, d) {
				hits = true
			}
		}
		switch {
		case !hits:
			out = appendUnique(out, a)
		case !strings.ContainsAny(a, "*?"):
			// the literal action itself: drop it
		default:
			expanded = append(expanded, a)
			for _, e := range s3actions.Expand(a) {
				if !isDropped(e) && !coveredBy(e, s.Actions, a, drop) {
					out = appendUnique(out, e)
				}
			}
		}
	}
	if len(out) == 0 {
		return expanded, true
	}
	setList(m, out)
	return expanded, false
}

// coveredBy reports whether another (kept) pattern of the list already covers
// the action, so an expansion need not repeat it.
func coveredBy(action string, patterns []string, self string, drop []string) bool {
	for _, p := range patterns {
		if p == self {
			continue
		}
		if !cond.MatchAction(p, action) {
			continue
		}
		// p is kept only if it covers none of the dropped actions.
		keeps := true
		for _, d := range drop {
			if cond.MatchAction(p, d) {
				keeps = false
			}
		}
		if keeps {
			return true
		}
	}
	return false
}

// uniqueSid returns an alphanumeric Sid based on base that is not in used,
// and marks it used.
func uniqueSid(used map[string]bool, base string) string {
	var b strings.Builder
	for _, r := range base {
		if r < 128 && (r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9') {
			b.WriteRune(r)
		}
	}
	name := b.String()
	for i := 2; used[name]; i++ {
		name = fmt.Sprintf("%s%d", b.String(), i)
	}
	used[name] = true
	return name
}

// statementArray returns the Statement array, turning a single statement
// object into a one-element array first.
func statementArray(p *Policy) *jsonast.Value {
	m := p.Root.Get("Statement")
	if m.Value.Kind != jsonast.Array {
		m.Value = jsonast.NewArray(m.Value)
	}
	return m.Value
}

// splitConsole builds Patch B's statement for the statement at orig (a clone
// of its node taken before any edit): a Deny of exactly the console actions
// on the bucket ARN, with the original principal and conditions plus
// StringNotEquals aws:PrincipalAccount ACCT.
func splitConsole(orig *jsonast.Value, sid string, actions []string, f Facts) *jsonast.Value {
	n := orig.Clone()
	if m := n.Get("Sid"); m != nil {
		m.Value = jsonast.NewString(sid)
	} else {
		n.Members = append([]*jsonast.Member{jsonast.NewMember("Sid", jsonast.NewString(sid))}, n.Members...)
	}
	for _, m := range n.Members {
		switch m.Key {
		case "Action", "NotAction":
			m.Key = "Action"
			m.Value = jsonast.NewString("")
			setList(m, actions)
		case "Resource", "NotResource":
			m.Key = "Resource"
			m.Value = jsonast.NewString(f.bucketARN())
		}
	}
	addCondition(n, "StringNotEquals", "aws:PrincipalAccount", f.AccountID)
	return n
}
