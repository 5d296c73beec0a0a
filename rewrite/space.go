package rewrite

import (
	"regexp"
	"sort"
	"strings"
	"sync"
	"sync/atomic"

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
	catalogue []string // every S3 action the catalogue knows (for summaries)
	callers   []callerCand
	actions   []string
	resources func(action string) []string
	known     map[string][]string // lower-case key -> values (present)
	absent    map[string]bool     // lower-case key -> known to be absent
	// choices restricts a key to a finite set of values (absentChoice for
	// "absent"): s3:TlsVersion is 1.2 or 1.3, say.
	choices map[string][]string
}

// callerCand is one principal of a space, with the context keys that follow
// from who it is.
type callerCand struct {
	c         Caller
	derived   map[string][]string // aws:userid, aws:principalarn, ... (absent when missing)
	label     string
	class     string // the class it is summarised under, when not the default
	backup    bool   // a session of the backup role
	recreated bool   // a session of a re-created role of the backup role's name
	account   bool   // a principal of the bucket owner's account
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

// varKeys returns the lower-cased context keys that the policy variables in
// s read (${key} or ${key, 'default'}), leaving out the escapes ${*} ${?} ${$}.
func varKeys(s string) []string {
	var out []string
	for _, m := range varRE.FindAllStringSubmatch(s, -1) {
		k := strings.ToLower(strings.TrimSpace(strings.SplitN(m[1], ",", 2)[0]))
		if k != "*" && k != "?" && k != "$" {
			out = append(out, k)
		}
	}
	return out
}

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
					for _, k := range varKeys(v) {
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
				for _, k := range varKeys(r) {
					if add(k) {
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
			ws = witnessesCached(byKey[k])
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

// maxRequests bounds the requests a proof may enumerate.
const maxRequests = 4_000_000

// eachBase calls fn for every caller, action and resource, with the known
// and derived context set and no free key.
func (sp *space) eachBase(fn func(cc *callerCand, r *EvalRequest) bool) {
	ctx := make(map[string][]string, len(sp.known)+len(derivedKeys)+8)
	r := &EvalRequest{ctx: ctx}
	for ci := range sp.callers {
		cc := &sp.callers[ci]
		r.Caller = cc.c
		// The context is set once per caller: callbacks must leave the
		// known and derived keys alone and unset the free keys they set.
		clear(ctx)
		for k, v := range sp.known {
			ctx[k] = v
		}
		for k, v := range cc.derived {
			ctx[k] = v
		}
		for _, a := range sp.actions {
			r.Action = a
			for _, res := range sp.resources(a) {
				r.Resource = res
				if !fn(cc, r) {
					return
				}
			}
		}
	}
}

// condGroup is a set of free keys whose conditions must be decided together
// (they are linked by policy variables), with the conditions on them.
type condGroup struct {
	keys  []string
	cands [][]*string
	conds []*Condition
}

// groups splits a statement's conditions into the ones on fixed keys and
// groups of free keys. Conditions on different free keys are independent
// (the Condition block is a conjunction), so "some value" and "every value"
// are decided one group at a time, without a cross product.
func (sp *space) groups(s *Statement, vars bool) (fixed []*Condition, groups []*condGroup) {
	keys, cands := sp.freeKeys([]*Statement{s}, vars)
	pos := map[string]int{}
	for i, k := range keys {
		pos[k] = i
	}
	parent := make([]int, len(keys))
	for i := range parent {
		parent[i] = i
	}
	find := func(i int) int {
		for parent[i] != i {
			i = parent[i]
		}
		return i
	}
	condKeys := make([][]int, len(s.Conditions))
	for ci := range s.Conditions {
		c := &s.Conditions[ci]
		var ks []int
		if i, ok := pos[c.KeyLower]; ok {
			ks = append(ks, i)
		}
		if vars {
			for _, v := range c.Values {
				for _, k := range varKeys(v) {
					if i, ok := pos[k]; ok {
						ks = append(ks, i)
					}
				}
			}
		}
		for j := 1; j < len(ks); j++ {
			parent[find(ks[j])] = find(ks[0])
		}
		condKeys[ci] = ks
	}
	byRoot := map[int]*condGroup{}
	for i, k := range keys {
		root := find(i)
		g := byRoot[root]
		if g == nil {
			g = &condGroup{}
			byRoot[root] = g
			groups = append(groups, g)
		}
		g.keys = append(g.keys, k)
		g.cands = append(g.cands, cands[i])
	}
	for ci := range s.Conditions {
		c := &s.Conditions[ci]
		if len(condKeys[ci]) == 0 {
			fixed = append(fixed, c)
			continue
		}
		g := byRoot[find(condKeys[ci][0])]
		g.conds = append(g.conds, c)
	}
	return fixed, groups
}

// maxGroup bounds the joint enumeration of linked keys.
const maxGroup = 1 << 16

// decide answers, for one request with its free keys unset, whether some
// (exists) or every (!exists) value of the free keys satisfies the group's
// conditions. Too large a group answers conservatively: true for "some",
// false for "every".
func (g *condGroup) decide(r *EvalRequest, vars cond.Resolver, exists bool) bool {
	total := 1
	for _, c := range g.cands {
		total *= len(c)
		if total > maxGroup {
			return exists
		}
	}
	idx := make([]int, len(g.keys))
	defer func() {
		for _, k := range g.keys {
			delete(r.ctx, k)
		}
	}()
	for {
		for i, k := range g.keys {
			if v := g.cands[i][idx[i]]; v != nil {
				r.ctx[k] = []string{*v}
			} else {
				delete(r.ctx, k)
			}
		}
		ok := true
		for _, c := range g.conds {
			if !c.eval(r, vars) {
				ok = false
				break
			}
		}
		if ok == exists {
			return exists
		}
		if !advance(idx, func(j int) int { return len(g.cands[j]) }) {
			return !exists
		}
	}
}

// quantify reports whether the statement matches some request of the space
// (exists) or every request (!exists), and an example request for "some".
func (sp *space) quantify(s *Statement, vars bool, exists bool) (bool, *EvalRequest) {
	fixed, groups := sp.groups(s, vars)
	return sp.quantifyWith(s, vars, exists, fixed, groups)
}

// matchedActions returns, in the space's order, the actions for which some
// request of the space matches the statement, with one example request.
func (sp *space) matchedActions(s *Statement, vars bool) ([]string, *EvalRequest) {
	fixed, groups := sp.groups(s, vars)
	var out []string
	var example *EvalRequest
	for _, act := range sp.actions {
		if !s.actionMatches(act) {
			continue
		}
		one := *sp
		one.actions = []string{act}
		if ok, ex := one.quantifyWith(s, vars, true, fixed, groups); ok {
			out = append(out, act)
			if example == nil {
				example = ex
			}
		}
	}
	return out, example
}

func (sp *space) quantifyWith(s *Statement, vars bool, exists bool, fixed []*Condition, groups []*condGroup) (bool, *EvalRequest) {
	result := !exists
	var example *EvalRequest
	sp.eachBase(func(_ *callerCand, r *EvalRequest) bool {
		var res cond.Resolver
		if vars {
			res = r
		}
		m := s.principalMatch(r) != pmNone && s.actionMatches(r.Action) && s.resourceMatches(r.Resource, res)
		for _, c := range fixed {
			m = m && c.eval(r, res)
		}
		for _, g := range groups {
			if !m {
				break
			}
			m = g.decide(r, res, exists)
			if m && exists {
				// Fix a witness for the example.
				g.pin(r, res)
			}
		}
		if m == exists {
			result = exists
			if exists {
				example = r.clone()
			}
			return false
		}
		for _, g := range groups {
			for _, k := range g.keys {
				delete(r.ctx, k)
			}
		}
		return true
	})
	return result, example
}

// pin sets the group's keys to the first candidate combination that satisfies it.
func (g *condGroup) pin(r *EvalRequest, vars cond.Resolver) {
	idx := make([]int, len(g.keys))
	for n := 0; n < maxGroup; n++ {
		for i, k := range g.keys {
			if v := g.cands[i][idx[i]]; v != nil {
				r.ctx[k] = []string{*v}
			} else {
				delete(r.ctx, k)
			}
		}
		ok := true
		for _, c := range g.conds {
			ok = ok && c.eval(r, vars)
		}
		if ok {
			return
		}
		if !advance(idx, func(j int) int { return len(g.cands[j]) }) {
			return
		}
	}
}

// allMatch reports whether every request of the space matches the statement.
func (sp *space) allMatch(s *Statement, vars bool) bool {
	ok, _ := sp.quantify(s, vars, false)
	return ok
}

func (r *EvalRequest) clone() *EvalRequest {
	ctx := make(map[string][]string, len(r.ctx))
	for k, v := range r.ctx {
		ctx[k] = v
	}
	return &EvalRequest{Caller: r.Caller, Action: r.Action, Resource: r.Resource, ctx: ctx}
}

// witnessCache memoises cond.Witnesses: analysis and proof ask for the same
// keys' witnesses many times. Keys are the conditions' operators and values.
var witnessCache sync.Map

const maxWitnessCache = 4096

var witnessCacheSize atomic.Int64

func witnessesCached(conds []cond.KeyCond) []string {
	var b strings.Builder
	for _, c := range conds {
		b.WriteString(c.Op.Name)
		for _, v := range c.Values {
			b.WriteByte(0)
			b.WriteString(v)
		}
		b.WriteByte(1)
	}
	key := b.String()
	if v, ok := witnessCache.Load(key); ok {
		return v.([]string)
	}
	ws := cond.Witnesses(conds)
	ws = ws[:len(ws):len(ws)] // shared: any append must copy
	if witnessCacheSize.Add(1) > maxWitnessCache {
		witnessCache.Clear()
		witnessCacheSize.Store(0)
	}
	witnessCache.Store(key, ws)
	return ws
}

// advance steps idx, an odometer over lists of the given sizes, to the next
// combination; it returns false once every combination has been visited.
func advance(idx []int, size func(int) int) bool {
	for i := range idx {
		idx[i]++
		if idx[i] < size(i) {
			return true
		}
		idx[i] = 0
	}
	return false
}
