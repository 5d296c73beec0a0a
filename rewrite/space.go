package rewrite

import (
	"regexp"
	"sort"
	"strings"

	"github.com/fixpolicy/fixpolicy/rewrite/cond"
)

// A space is a finite family of requests that stands for an infinite one.
// Callers, actions and resources are listed; context keys are either known
// (fixed values or known to be absent), derived from the caller, or free.
// A free key takes, for the statements being evaluated, every representative
// value of its equivalence classes (cond.Witnesses of the conditions that
// mention it) and absence: so "for some value" and "for every value" over a
// free key reduce to a finite check.
type space struct {
	callers   []callerCand
	actions   []string
	resources func(action string) []string
	known     map[string][]string // lower-case key -> values (present)
	absent    map[string]bool     // lower-case key -> known to be absent
}

// callerCand is one principal of a space, with the context keys that follow
// from who it is.
type callerCand struct {
	c       Caller
	derived map[string][]string // aws:userid, aws:principalarn, ... (absent when missing)
	label   string
	backup  bool // a session of the backup role
	account bool // a principal of the bucket owner's account
}

// derivedKeys are the context keys a callerCand fixes.
var derivedKeys = []string{"aws:userid", "aws:principalarn", "aws:principalaccount", "aws:username", "aws:principaltype"}

func isDerived(k string) bool {
	for _, d := range derivedKeys {
		if k == d {
			return true
		}
	}
	return false
}

var varRE = regexp.MustCompile(`\$\{([^}]*)\}`)

// freeKeys returns, for the statements, each free key with its candidate
// values; nil in a candidate list stands for "absent".
func (sp *space) freeKeys(stmts []*Statement, vars bool) ([]string, [][]*string) {
	byKey := map[string][]cond.KeyCond{}
	varOnly := map[string]bool{}
	var order []string
	add := func(k string) bool {
		if sp.known[k] != nil || sp.absent[k] || isDerived(k) {
			return false
		}
		if _, seen := byKey[k]; !seen {
			byKey[k] = nil
			order = append(order, k)
		}
		return true
	}
	for _, s := range stmts {
		for _, c := range s.Conditions {
			if add(c.KeyLower) {
				byKey[c.KeyLower] = append(byKey[c.KeyLower], cond.KeyCond{Op: c.Op, Values: c.Values})
			}
			if vars {
				for _, v := range c.Values {
					for _, m := range varRE.FindAllStringSubmatch(v, -1) {
						k := strings.ToLower(strings.TrimSpace(strings.SplitN(m[1], ",", 2)[0]))
						if k == "*" || k == "?" || k == "$" {
							continue
						}
						if add(k) {
							varOnly[k] = true
							// The variable's value matters where it meets the
							// compared key's values.
							byKey[k] = append(byKey[k], cond.KeyCond{Op: mustOp("StringEquals"), Values: literalValues(c.Values)})
						}
					}
				}
			}
		}
		if vars {
			for _, r := range s.Resources {
				for _, m := range varRE.FindAllStringSubmatch(r, -1) {
					k := strings.ToLower(strings.TrimSpace(strings.SplitN(m[1], ",", 2)[0]))
					if k != "*" && k != "?" && k != "$" && add(k) {
						varOnly[k] = true
					}
				}
			}
		}
	}
	sort.Strings(order)
	cands := make([][]*string, len(order))
	for i, k := range order {
		var ws []string
		if len(byKey[k]) > 0 {
			ws = cond.Witnesses(byKey[k])
		}
		if varOnly[k] {
			ws = appendUnique(ws, "fixpolicy-value")
		}
		list := []*string{nil}
		for j := range ws {
			list = append(list, &ws[j])
		}
		cands[i] = list
	}
	return order, cands
}

func literalValues(vals []string) []string {
	var out []string
	for _, v := range vals {
		if !strings.Contains(v, "${") {
			out = append(out, v)
		}
	}
	return out
}

func mustOp(name string) cond.Operator {
	op, err := cond.ParseOperator(name)
	if err != nil {
		panic(err)
	}
	return op
}

func appendUnique(list []string, v string) []string {
	for _, x := range list {
		if x == v {
			return list
		}
	}
	return append(list, v)
}

// each calls fn for every request of the space that matters to stmts,
// stopping when fn returns false. It reuses one EvalRequest; fn must not
// keep it.
func (sp *space) each(stmts []*Statement, vars bool, fn func(cc *callerCand, r *EvalRequest) bool) {
	keys, cands := sp.freeKeys(stmts, vars)
	ctx := make(map[string][]string, len(sp.known)+len(keys)+len(derivedKeys))
	r := &EvalRequest{ctx: ctx}
	idx := make([]int, len(keys))
	for ci := range sp.callers {
		cc := &sp.callers[ci]
		r.Caller = cc.c
		for _, a := range sp.actions {
			r.Action = a
			for _, res := range sp.resources(a) {
				r.Resource = res
				clear(ctx)
				for k, v := range sp.known {
					ctx[k] = v
				}
				for k, v := range cc.derived {
					ctx[k] = v
				}
				for i := range idx {
					idx[i] = 0
				}
				for {
					for i, k := range keys {
						if v := cands[i][idx[i]]; v != nil {
							ctx[k] = []string{*v}
						} else {
							delete(ctx, k)
						}
					}
					if !fn(cc, r) {
						return
					}
					// next combination
					i := 0
					for ; i < len(idx); i++ {
						idx[i]++
						if idx[i] < len(cands[i]) {
							break
						}
						idx[i] = 0
					}
					if i == len(idx) {
						break
					}
				}
			}
		}
	}
}

// anyMatch reports whether some request of the space matches the statement.
func (sp *space) anyMatch(s *Statement, vars bool) (found bool, example *EvalRequest) {
	sp.each([]*Statement{s}, vars, func(_ *callerCand, r *EvalRequest) bool {
		var res cond.Resolver
		if vars {
			res = r
		}
		if ok, _ := s.matches(r, res); ok {
			found = true
			example = r.clone()
			return false
		}
		return true
	})
	return found, example
}

func (r *EvalRequest) clone() *EvalRequest {
	ctx := make(map[string][]string, len(r.ctx))
	for k, v := range r.ctx {
		ctx[k] = v
	}
	return &EvalRequest{Caller: r.Caller, Action: r.Action, Resource: r.Resource, ctx: ctx}
}
