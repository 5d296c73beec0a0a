package policy

import (
	"sort"
	"strings"
)

// canonicalStatement renders a statement's meaning as a string: element
// shapes (string or array), order, Sids, action case and the spellings of
// condition keys and operators do not matter; account IDs in principals are
// written as root ARNs, as S3 itself rewrites them.
func (s *Statement) Canonical() string {
	var b strings.Builder
	b.WriteString(s.Effect)
	b.WriteString("|")
	if s.NotPrincipal {
		b.WriteString("!")
	}
	if s.Principal.Wildcard {
		b.WriteString("*")
	} else {
		for _, t := range PrincipalTypes {
			vals := s.Principal.Values[t]
			if len(vals) == 0 {
				continue
			}
			norm := make([]string, len(vals))
			for i, v := range vals {
				if t == "AWS" && IsAccountID(v) {
					v = "arn:aws:iam::" + v + ":root"
				}
				norm[i] = v
			}
			b.WriteString(t + "=" + sortedSet(norm, false) + ";")
		}
	}
	b.WriteString("|")
	if s.NotAction {
		b.WriteString("!")
	}
	b.WriteString(sortedSet(s.Actions, true))
	b.WriteString("|")
	if s.NotResource {
		b.WriteString("!")
	}
	b.WriteString(sortedSet(s.Resources, false))
	b.WriteString("|")
	conds := make([]string, len(s.Conditions))
	for i, c := range s.Conditions {
		conds[i] = c.Op.Name + " " + c.KeyLower + "=" + sortedSet(c.Values, false)
	}
	sort.Strings(conds)
	b.WriteString(strings.Join(conds, "&"))
	return b.String()
}

func sortedSet(vals []string, fold bool) string {
	seen := map[string]bool{}
	out := make([]string, 0, len(vals))
	for _, v := range vals {
		if fold {
			v = strings.ToLower(v)
		}
		if !seen[v] {
			seen[v] = true
			out = append(out, v)
		}
	}
	sort.Strings(out)
	return strings.Join(out, "\x00")
}

// Equivalent reports whether two policies have the same statements up to
// formatting, order, shapes, Sids, action case and S3's own rewriting of
// account principals. It is a fast structural check: policies it calls
// different may still decide every request alike (see Delta for that).
func Equivalent(a, b *Policy) bool {
	removed, added := SemanticDelta(a, b)
	return a.VarsEnabled() == b.VarsEnabled() && len(removed) == 0 && len(added) == 0
}

// SemanticDelta returns the statements of a whose meaning b lacks, and the
// statements of b whose meaning a lacks.
func SemanticDelta(a, b *Policy) (removed, added []*Statement) {
	inA, inB := map[string]bool{}, map[string]bool{}
	for _, s := range a.Statements {
		inA[s.Canonical()] = true
	}
	for _, s := range b.Statements {
		inB[s.Canonical()] = true
	}
	for _, s := range a.Statements {
		if !inB[s.Canonical()] {
			removed = append(removed, s)
		}
	}
	for _, s := range b.Statements {
		if !inA[s.Canonical()] {
			added = append(added, s)
		}
	}
	return removed, added
}

// Request is the request r decides, in Request form.
func (r *EvalRequest) Request() Request {
	ctx := map[string][]string{}
	for k, v := range r.Ctx {
		ctx[k] = v
	}
	return Request{Principal: r.Caller.ARN, Action: r.Action, Resource: r.Resource, Context: ctx}
}
