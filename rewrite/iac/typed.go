package iac

import (
	"fmt"
	"strings"

	"github.com/fixpolicy/fixpolicy/rewrite/jsonast"
)

// TypedStandIns makes a policy with placeholders parseable where a
// condition operator needs a typed value: a placeholder that is a whole
// value of an IP address operator (NotIpAddress {"aws:SourceIp":
// var.office_cidrs}) becomes a stand-in range of the reserved block
// 240.0.0.0/4, which no request comes from, one per placeholder. The
// analysis then treats the value as it treats a placeholder: a range no
// other literal equals, so that AWS Backup's requests, which come from
// AWS's own addresses, are outside it. standIns maps each stand-in back to
// its placeholder. A policy with nothing to stand in is returned as is.
func TypedStandIns(policy []byte) (out []byte, standIns map[string]string) {
	if !strings.Contains(string(policy), PlaceholderPrefix) {
		return policy, nil
	}
	root, err := jsonast.Parse(policy)
	if err != nil {
		return policy, nil
	}
	standIns = map[string]string{}
	byPlaceholder := map[string]string{}
	stand := func(v *jsonast.Value) *jsonast.Value {
		if v.Kind != jsonast.String || !placeholderOnly(v.Str) {
			return v
		}
		s, ok := byPlaceholder[v.Str]
		if !ok {
			n := len(byPlaceholder) + 1
			s = fmt.Sprintf("240.%d.%d.0/24", n/256, n%256)
			byPlaceholder[v.Str], standIns[s] = s, v.Str
		}
		return jsonast.NewString(s)
	}
	for _, c := range conditionBlocks(root) {
		if !ipOperator(c.Key) || c.Value.Kind != jsonast.Object {
			continue
		}
		for _, k := range c.Value.Members {
			switch k.Value.Kind {
			case jsonast.String:
				k.Value = stand(k.Value)
			case jsonast.Array:
				for i, e := range k.Value.Elems {
					k.Value.Elems[i] = stand(e)
				}
			}
		}
	}
	if len(standIns) == 0 {
		return policy, nil
	}
	return jsonast.Render(root), standIns
}

// placeholderOnly reports whether s is exactly one placeholder.
func placeholderOnly(s string) bool {
	rest, ok := strings.CutPrefix(s, PlaceholderPrefix)
	if !ok || rest == "" {
		return false
	}
	for _, c := range rest {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}

// ipOperator reports whether a condition operator compares IP addresses
// (IpAddress, NotIpAddress, with a set prefix or IfExists).
func ipOperator(op string) bool {
	if i := strings.IndexByte(op, ':'); i >= 0 {
		op = op[i+1:]
	}
	op = strings.TrimSuffix(op, "IfExists")
	return op == "IpAddress" || op == "NotIpAddress"
}

// conditionBlocks are the operator members of every statement's Condition.
func conditionBlocks(root *jsonast.Value) []*jsonast.Member {
	if root.Kind != jsonast.Object {
		return nil
	}
	st := root.Get("Statement")
	if st == nil {
		return nil
	}
	stmts := []*jsonast.Value{st.Value}
	if st.Value.Kind == jsonast.Array {
		stmts = st.Value.Elems
	}
	var out []*jsonast.Member
	for _, s := range stmts {
		if s.Kind != jsonast.Object {
			continue
		}
		if c := s.Get("Condition"); c != nil && c.Value.Kind == jsonast.Object {
			out = append(out, c.Value.Members...)
		}
	}
	return out
}
