package rewrite

import (
	"context"
	"fmt"
	"math"
	"runtime"
	"slices"
	"sort"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/fixpolicy/fixpolicy/rewrite/cond"
	"github.com/fixpolicy/fixpolicy/rewrite/sym"
)

// A universe is the symbolic form of a space for a set of statements: one
// variable for the caller, one for the action, one for the resource, and for
// each condition key the space leaves free, variables over a partition of
// the key's values into regions that no condition of the statements tells
// apart (cond.Witnesses, deduplicated by how every condition on the key
// evaluates them). Each statement element becomes a set of points by
// evaluating it, with the concrete evaluator, on each value's
// representative; a point maps back to a concrete request that the
// evaluator replays.
//
// A single-valued key is one variable: absent, or one region. A
// multi-valued key (aws:TagKeys, aws:CalledVia, ...) is a presence flag, one
// flag per region ("some value of the request lies in it") and a flag for
// "two or more values", so ForAnyValue, ForAllValues and plain operators on
// several values are all exact (IAM User Guide, "Single-valued vs.
// multivalued context keys").
type universe struct {
	sp        *space
	s         *sym.Space
	caller    sym.Var
	action    sym.Var
	resource  sym.Var
	resources []string
	keys      []*keyDom
	byKey     map[string]*keyDom
	base      []*EvalRequest // per caller: known and derived context
	valid     sym.Set
	order     []sym.Var // generalization order: keys, then action, caller, resource
	stmts     []*Statement
	varsOf    map[*Statement]bool
	owner     string    // the bucket owner's account for Allow delegation, "" when unknown
	pols      []*Policy // the policies compared, for point's renaming
}

// keyDom is a free condition key's domain.
type keyDom struct {
	key    string // lower case
	multi  bool
	absent bool     // the key may be absent
	vals   []string // one representative per region
	second []string // multi: another value of the same region, "" if none is known
	kcs    []cond.KeyCond
	comp   []*cond.Compiled // kcs compiled, for vector
	plain  bool             // regions were deduplicated by the conditions' vector

	v       sym.Var // single-valued: 0 absent, i+1 region i
	present sym.Var // multi-valued
	many    sym.Var
	bits    []sym.Var
}

// multiValuedKeys are the global and S3 condition keys whose request value
// is a set (AWS global condition context keys reference; S3's
// s3:RequestObjectTagKeys).
var multiValuedKeys = map[string]bool{
	"aws:tagkeys": true, "aws:calledvia": true, "aws:principalorgpaths": true,
	"aws:principalservicenameslist": true, "aws:sourceorgpaths": true, "aws:resourceorgpaths": true,
	"s3:requestobjecttagkeys": true,
}

// isMultiValued reports whether a key can carry several values: a known
// multi-valued key, or a service key that is not a global or S3 key and
// that a policy tests with ForAnyValue or ForAllValues.
func isMultiValued(key string, usedWithSet bool) bool {
	if multiValuedKeys[key] {
		return true
	}
	if strings.HasPrefix(key, "aws:") || strings.HasPrefix(key, "s3:") {
		return false
	}
	return usedWithSet
}

// wellFormedKeys are keys whose value, when present, AWS always sets in its
// type's format (an address, a number, a date), so the malformed values
// cond.Witnesses adds for typed operators never occur (AWS global condition
// context keys; S3 condition keys).
var wellFormedKeys = map[string]bool{
	"aws:sourceip": true, "aws:vpcsourceip": true, "aws:currenttime": true, "aws:epochtime": true,
	"aws:tokenissuetime": true, "aws:multifactorauthage": true, "s3:tlsversion": true,
	"s3:signatureage": true, "s3:max-keys": true, "s3:object-lock-remaining-retention-days": true,
}

// absentChoice in a space's choices stands for "the key is absent".
const absentChoice = "\x00absent"

// stmtSource is a group of statements and whether their policy resolves
// policy variables.
type stmtSource struct {
	stmts []*Statement
	vars  bool
}

func newUniverse(ctx context.Context, sp *space, srcs ...stmtSource) (*universe, error) {
	u := &universe{sp: sp, byKey: map[string]*keyDom{}, varsOf: map[*Statement]bool{}}
	for _, src := range srcs {
		for _, s := range src.stmts {
			if _, dup := u.varsOf[s]; !dup {
				u.stmts = append(u.stmts, s)
			}
			u.varsOf[s] = u.varsOf[s] || src.vars
		}
	}
	// Resources: the union over actions, in first-seen order.
	seenRes := map[string]bool{}
	for _, a := range sp.actions {
		for _, r := range sp.resources(a) {
			if !seenRes[r] {
				seenRes[r] = true
				u.resources = append(u.resources, r)
			}
		}
	}
	if len(u.resources) == 0 {
		return nil, fmt.Errorf("internal error: the request space has no resource")
	}
	// Per-caller base requests.
	for i := range sp.callers {
		cc := &sp.callers[i]
		r := &EvalRequest{Caller: cc.c, ctx: map[string][]string{}}
		for k, v := range sp.known {
			r.ctx[k] = v
		}
		for k, v := range cc.derived {
			r.ctx[k] = v
		}
		u.base = append(u.base, r)
	}
	u.collectKeys()
	var b sym.Builder
	u.caller = b.Enum("caller", len(sp.callers))
	u.action = b.Enum("action", len(sp.actions))
	u.resource = b.Enum("resource", len(u.resources))
	for _, k := range u.keys {
		if k.multi {
			k.present = b.Flag(k.key + " present")
			k.many = b.Flag(k.key + " several")
			for i := range k.vals {
				k.bits = append(k.bits, b.Flag(fmt.Sprintf("%s region %d", k.key, i)))
			}
		} else {
			k.v = b.Enum(k.key, len(k.vals)+1)
		}
	}
	s, err := b.Build(ctx)
	if err != nil {
		return nil, err
	}
	u.s = s
	for _, k := range u.keys {
		if k.multi {
			u.order = append(u.order, k.present, k.many)
			u.order = append(u.order, k.bits...)
		} else {
			u.order = append(u.order, k.v)
		}
	}
	u.order = append(u.order, u.action, u.caller, u.resource)
	u.valid = u.validity()
	return u, s.Err()
}

// collectKeys finds the free keys and their regions. Keys that policy
// variables read get their regions first, so that a condition comparing a
// key with a variable is split for each value the variable can take.
func (u *universe) collectKeys() {
	sp := u.sp
	var order []string
	add := func(k string) *keyDom {
		if sp.known[k] != nil || sp.absent[k] || isDerived(k) {
			return nil
		}
		d := u.byKey[k]
		if d == nil {
			d = &keyDom{key: k, absent: true, plain: true}
			u.byKey[k] = d
			order = append(order, k)
		}
		return d
	}
	type pending struct {
		d *keyDom
		c *Condition
	}
	var withVars []pending
	usedWithSet := map[string]bool{}
	varTargets := map[string][]string{} // variable key -> literal values it is compared with
	isVarKey := map[string]bool{}
	for _, s := range u.stmts {
		vars := u.varsOf[s]
		for ci := range s.Conditions {
			c := &s.Conditions[ci]
			if c.Op.Set != 0 {
				usedWithSet[c.KeyLower] = true
			}
			d := add(c.KeyLower)
			hasVar := false
			if vars {
				for _, k := range varKeysOf(c.Values) {
					hasVar = true
					if vd := add(k); vd != nil {
						vd.plain = false
						isVarKey[k] = true
						varTargets[k] = append(varTargets[k], literalValues(c.Values)...)
					}
				}
			}
			if d == nil {
				continue
			}
			// Read literally (by a policy without variables, or with them
			// left unresolved).
			d.kcs = append(d.kcs, cond.KeyCond{Op: c.Op, Values: c.Values})
			if hasVar {
				d.plain = false
				withVars = append(withVars, pending{d, c})
			}
		}
		if vars {
			for _, r := range s.Resources {
				for _, k := range varKeys(r) {
					if vd := add(k); vd != nil {
						vd.plain = false
						isVarKey[k] = true
					}
				}
			}
		}
	}
	doms := map[string]bool{}
	compute := func(k string) {
		d := u.byKey[k]
		if ch, ok := sp.choices[k]; ok {
			d.absent = false
			d.plain = false
			d.vals = nil
			for _, v := range ch {
				if v == absentChoice {
					d.absent = true
				} else {
					d.vals = append(d.vals, v)
				}
			}
			d.second = make([]string, len(d.vals))
			return
		}
		d.multi = isMultiValued(k, usedWithSet[k])
		if t := varTargets[k]; len(t) > 0 {
			d.kcs = append(d.kcs, cond.KeyCond{Op: mustOp("StringEquals"), Values: t})
		}
		d.kcs = uniqueKeyConds(d.kcs)
		var ws []string
		if len(d.kcs) > 0 {
			if exact, ok := exactWitnesses(d.kcs); ok && d.plain {
				ws = exact // literal strings only: no automata to explore
			} else {
				ws = witnessesCached(d.kcs)
			}
		}
		if wellFormedKeys[k] {
			ws = slices.DeleteFunc(slices.Clone(ws), func(w string) bool {
				return w == "not-an-ip" || w == "not-a-number" || w == "not-a-date"
			})
		}
		if !d.plain {
			ws = appendUnique(append([]string{}, ws...), "fixpolicy-value")
		}
		if len(ws) == 0 {
			ws = []string{"fixpolicy-value"}
		}
		if !d.plain {
			d.vals = ws
			d.second = make([]string, len(ws))
			for i, w := range ws {
				if d.multi {
					d.second[i] = w + "-2"
				}
			}
			return
		}
		// One representative per region; the next witness of the same
		// region is the second value a multi-valued key may need. Each
		// value a policy names is a region of its own, so that classes can
		// be described by the policies' own values.
		lits := map[string]bool{}
		for _, kc := range d.kcs {
			for _, v := range kc.Values {
				lits[v] = true
			}
		}
		byVec := map[string]int{}
		for _, w := range ws {
			if lits[w] {
				d.vals = append(d.vals, w)
				d.second = append(d.second, "")
				continue
			}
			vec := d.vector(w)
			if i, ok := byVec[vec]; ok {
				if d.second[i] == "" {
					d.second[i] = w
				}
				continue
			}
			byVec[vec] = len(d.vals)
			d.vals = append(d.vals, w)
			d.second = append(d.second, "")
		}
		if d.multi {
			for i, w := range d.vals {
				if d.second[i] == "" {
					d.second[i] = d.secondValue(w)
				}
			}
		}
	}
	domain := func(k string) {
		if !doms[k] {
			doms[k] = true
			compute(k)
		}
	}
	for _, k := range order {
		if isVarKey[k] {
			domain(k)
		}
	}
	for _, pc := range withVars {
		for _, res := range u.varCases(varKeysOf(pc.c.Values)) {
			pc.d.kcs = append(pc.d.kcs, cond.KeyCond{Op: pc.c.Op, Values: pc.c.Values, Vars: res})
		}
	}
	sort.Strings(order)
	// The other keys' regions are independent of each other: compute them
	// on every processor (the witnesses are the costly part of a question).
	var todo []string
	for _, k := range order {
		if !doms[k] {
			doms[k] = true
			todo = append(todo, k)
		}
		u.keys = append(u.keys, u.byKey[k])
	}
	var next atomic.Int64
	var wg sync.WaitGroup
	for w := 0; w < min(runtime.GOMAXPROCS(0), len(todo)); w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1)) - 1
				if i >= len(todo) {
					return
				}
				compute(todo[i])
			}
		}()
	}
	wg.Wait()
}

// uniqueKeyConds drops repeated conditions (the same operator and values,
// without variables): two policies that share a statement, or a statement and
// its patched form, mention the same conditions, and the witnesses of a
// list are cached by its text.
func uniqueKeyConds(kcs []cond.KeyCond) []cond.KeyCond {
	seen := map[string]bool{}
	out := kcs[:0:0]
	for _, kc := range kcs {
		if kc.Vars != nil {
			out = append(out, kc)
			continue
		}
		key := kc.Op.Name + "\x00" + strings.Join(kc.Values, "\x00")
		if !seen[key] {
			seen[key] = true
			out = append(out, kc)
		}
	}
	return out
}

// vector is how every condition on the key evaluates the single value x.
func (d *keyDom) vector(x string) string {
	if len(d.comp) != len(d.kcs) {
		d.comp = make([]*cond.Compiled, len(d.kcs))
		for i, kc := range d.kcs {
			d.comp[i] = kc.Op.Compile(kc.Values)
		}
	}
	b := make([]byte, len(d.kcs))
	req := []string{x}
	for i, kc := range d.kcs {
		b[i] = '0'
		if d.comp[i].Eval(req, true, kc.Vars) {
			b[i] = '1'
		}
	}
	return string(b)
}

// secondValue finds another value in x's region, or "".
func (d *keyDom) secondValue(x string) string {
	vec := d.vector(x)
	for _, y := range []string{x + "-2", x + "0", "x" + x, x + "x", strings.ToUpper(x), strings.ToLower(x)} {
		if y != x && d.vector(y) == vec {
			return y
		}
	}
	return ""
}

func varKeysOf(vals []string) []string {
	var out []string
	for _, v := range vals {
		for _, k := range varKeys(v) {
			out = appendUnique(out, k)
		}
	}
	return out
}

// varCases lists the contexts the variable keys can take: one per caller
// for derived keys, times one per representative of each free key. Keys the
// space knows take their known value.
func (u *universe) varCases(keys []string) []cond.Resolver {
	cases := []map[string]string{{}}
	perCaller := false
	for _, k := range keys {
		if isDerived(k) {
			perCaller = true
		}
	}
	if perCaller {
		var next []map[string]string
		for _, r := range u.base {
			m := map[string]string{}
			for _, k := range keys {
				if v, ok := r.ctx[k]; ok && len(v) == 1 {
					m[k] = v[0]
				}
			}
			next = append(next, m)
		}
		cases = next
	}
	for _, k := range keys {
		if isDerived(k) {
			continue
		}
		if v, ok := u.sp.known[k]; ok {
			if len(v) == 1 {
				for _, m := range cases {
					m[k] = v[0]
				}
			}
			continue
		}
		if u.sp.absent[k] {
			continue
		}
		// Free: the policy's literal values it meets, and one other value.
		d := u.byKey[k]
		var vals []string
		if d != nil && d.vals != nil {
			vals = d.vals
		} else {
			vals = []string{"fixpolicy-value"}
		}
		var next []map[string]string
		for _, m := range cases {
			for _, v := range vals {
				mm := make(map[string]string, len(m)+1)
				for kk, vv := range m {
					mm[kk] = vv
				}
				mm[k] = v
				next = append(next, mm)
			}
		}
		cases = next
	}
	out := make([]cond.Resolver, len(cases))
	for i, m := range cases {
		out[i] = mapResolver(m)
	}
	return out
}

type mapResolver map[string]string

func (m mapResolver) Lookup(key string) (string, bool) {
	v, ok := m[strings.ToLower(key)]
	return v, ok
}

// validity is the set of points that stand for real requests.
func (u *universe) validity() sym.Set {
	s := u.s
	parts := []sym.Set{s.Valid()}
	// Each action on the resources it applies to.
	bySig := map[string][]int{}
	var sigs []string
	for ai, a := range u.sp.actions {
		ok := map[string]bool{}
		for _, r := range u.sp.resources(a) {
			ok[r] = true
		}
		var sb strings.Builder
		for _, r := range u.resources {
			if ok[r] {
				sb.WriteByte('1')
			} else {
				sb.WriteByte('0')
			}
		}
		sig := sb.String()
		if _, seen := bySig[sig]; !seen {
			sigs = append(sigs, sig)
		}
		bySig[sig] = append(bySig[sig], ai)
	}
	var pairs []sym.Set
	for _, sig := range sigs {
		acts := map[int]bool{}
		for _, a := range bySig[sig] {
			acts[a] = true
		}
		pairs = append(pairs, s.And(
			s.In(u.action, func(x int) bool { return acts[x] }),
			s.In(u.resource, func(x int) bool { return sig[x] == '1' })))
	}
	parts = append(parts, s.Or(pairs...))
	for _, k := range u.keys {
		if !k.multi {
			if !k.absent {
				parts = append(parts, s.Not(s.Eq(k.v, 0)))
			}
			continue
		}
		present := s.Eq(k.present, 1)
		many := s.Eq(k.many, 1)
		var anyBit []sym.Set
		none, one := s.True(), s.False()
		var singleton []sym.Set
		for i, b := range k.bits {
			bit := s.Eq(b, 1)
			anyBit = append(anyBit, bit)
			none, one = s.And(none, s.Not(bit)), s.Or(s.And(one, s.Not(bit)), s.And(none, bit))
			if k.second[i] == "" {
				singleton = append(singleton, bit)
			}
		}
		some := s.Or(anyBit...)
		parts = append(parts,
			// absent: no value
			s.Or(present, s.And(none, s.Not(many))),
			// several values: at least one region
			s.Or(s.Not(many), some),
			// one flag at most unless several
			s.Or(many, none, one),
			// several values in one region need a region with two values
			s.Not(s.And(many, one, s.Or(singleton...))),
		)
		if !k.absent {
			parts = append(parts, present)
		}
	}
	return s.And(parts...)
}

// perCaller is the set of points whose caller satisfies pred.
func (u *universe) perCaller(pred func(ci int, r *EvalRequest) bool) sym.Set {
	return u.s.In(u.caller, func(ci int) bool { return pred(ci, u.base[ci]) })
}

// stmt is the set of points the statement matches. For an Allow, an entry
// that names only the owner's account delegates to the account's IAM
// policies and does not count (owner "" when unknown).
func (u *universe) stmt(st *Statement, owner string) sym.Set {
	s := u.s
	vars := u.varsOf[st]
	allow := !st.IsDeny()
	who := u.perCaller(func(_ int, r *EvalRequest) bool {
		pm := st.principalMatch(r)
		return pm != pmNone && !(allow && delegates(pm, r, owner))
	})
	parts := []sym.Set{who}
	parts = append(parts, s.In(u.action, func(x int) bool { return st.actionMatches(u.sp.actions[x]) }))
	var rvars []string
	if vars {
		for _, r := range st.Resources {
			rvars = append(rvars, varKeys(r)...)
		}
	}
	if len(rvars) == 0 {
		parts = append(parts, s.In(u.resource, func(x int) bool { return st.resourceMatches(u.resources[x], nil) }))
	} else {
		parts = append(parts, u.cases(rvars, func(res cond.Resolver) sym.Set {
			return s.In(u.resource, func(x int) bool { return st.resourceMatches(u.resources[x], res) })
		}))
	}
	for ci := range st.Conditions {
		parts = append(parts, u.condition(&st.Conditions[ci], vars))
	}
	return s.And(parts...)
}

// cases splits on the variable keys' values: for each caller (when a
// derived key is read) and each region of each free key read, the set of
// points in that case and what fn returns for a resolver of it.
func (u *universe) cases(keys []string, fn func(res cond.Resolver) sym.Set) sym.Set {
	s := u.s
	type cs struct {
		set sym.Set
		req *caseResolver
	}
	perCaller := false
	for _, k := range keys {
		if isDerived(k) || u.sp.known[k] != nil || u.sp.absent[k] {
			perCaller = true
		}
	}
	var list []cs
	if perCaller {
		for ci := range u.base {
			list = append(list, cs{s.Eq(u.caller, ci), &caseResolver{base: u.base[ci], vals: map[string]string{}}})
		}
	} else {
		list = []cs{{s.True(), &caseResolver{vals: map[string]string{}}}}
	}
	for _, k := range keys {
		d := u.byKey[k]
		if d == nil || d.multi {
			continue // known, derived or absent: in base; a set: never resolves
		}
		var next []cs
		for _, c := range list {
			for x := 0; x <= len(d.vals); x++ {
				vals := make(map[string]string, len(c.req.vals)+1)
				for kk, vv := range c.req.vals {
					vals[kk] = vv
				}
				absent := map[string]bool{}
				for kk := range c.req.absent {
					absent[kk] = true
				}
				if x == 0 {
					absent[k] = true
				} else {
					vals[k] = d.vals[x-1]
				}
				next = append(next, cs{s.And(c.set, s.Eq(d.v, x)), &caseResolver{base: c.req.base, vals: vals, absent: absent}})
			}
		}
		list = next
	}
	out := make([]sym.Set, 0, len(list))
	for _, c := range list {
		out = append(out, s.And(c.set, fn(c.req)))
	}
	return s.Or(out...)
}

// caseResolver resolves variables from fixed values, then a base request.
type caseResolver struct {
	base   *EvalRequest
	vals   map[string]string
	absent map[string]bool
}

func (c *caseResolver) Lookup(key string) (string, bool) {
	k := strings.ToLower(key)
	if v, ok := c.vals[k]; ok {
		return v, true
	}
	if c.absent[k] || c.base == nil {
		return "", false
	}
	return c.base.Lookup(k)
}

// condition is the set of points where the condition holds.
func (u *universe) condition(c *Condition, vars bool) sym.Set {
	s := u.s
	op := c.Op.Compile(c.Values)
	var vk []string
	if vars {
		vk = varKeysOf(c.Values)
	}
	d := u.byKey[c.KeyLower]
	if d == nil {
		// Known, absent or derived: decided by the caller alone (and the
		// variables' cases).
		keys := append([]string{"aws:userid"}, vk...)
		return u.cases(keys, func(res cond.Resolver) sym.Set {
			cr := res.(*caseResolver)
			v, ok := cr.base.ctx[c.KeyLower]
			var rv cond.Resolver
			if vars {
				rv = res
			}
			return s.From(op.Eval(v, ok, rv))
		})
	}
	eval := func(res cond.Resolver) sym.Set {
		var rv cond.Resolver
		if vars {
			rv = res
		}
		if !d.multi {
			return s.In(d.v, func(x int) bool {
				if x == 0 {
					return op.Eval(nil, false, rv)
				}
				return op.Eval(d.vals[x-1:x], true, rv)
			})
		}
		present := s.Eq(d.present, 1)
		absentCase := s.And(s.Not(present), s.From(op.Eval(nil, false, rv)))
		m := make([]bool, len(d.vals))
		for i := range d.vals {
			m[i] = op.Eval(d.vals[i:i+1], true, rv)
		}
		var body sym.Set
		switch c.Op.Set {
		case cond.ForAllValues:
			var parts []sym.Set
			for i, b := range d.bits {
				if !m[i] {
					parts = append(parts, s.Eq(b, 0))
				}
			}
			body = s.And(parts...)
		default:
			var parts []sym.Set
			for i, b := range d.bits {
				if m[i] {
					parts = append(parts, s.Eq(b, 1))
				}
			}
			body = s.Or(parts...)
			if c.Op.Set != cond.ForAnyValue {
				body = s.And(body, s.Eq(d.many, 0)) // a plain operator needs exactly one value
			}
		}
		return s.Or(absentCase, s.And(present, body))
	}
	if len(vk) == 0 {
		return eval(nil)
	}
	return u.cases(vk, eval)
}

// decisions returns the sets of points the policy's statements deny, allow
// (and do not deny), and leave undecided.
func (u *universe) decisions(stmts []*Statement, owner string) (deny, allow, none sym.Set) {
	s := u.s
	var ds, as []sym.Set
	for _, st := range stmts {
		if st.IsDeny() {
			ds = append(ds, u.stmt(st, owner))
		} else {
			as = append(as, u.stmt(st, owner))
		}
	}
	deny = s.And(u.valid, s.Or(ds...))
	allow = s.Minus(s.And(u.valid, s.Or(as...)), deny)
	none = s.Minus(s.Minus(u.valid, deny), allow)
	return deny, allow, none
}

// request is the concrete request a point stands for.
func (u *universe) request(p sym.Point) *EvalRequest {
	cc := &u.sp.callers[p[u.caller]]
	r := &EvalRequest{Caller: cc.c, Action: u.sp.actions[p[u.action]], Resource: u.resources[p[u.resource]], ctx: map[string][]string{}}
	for k, v := range u.base[p[u.caller]].ctx {
		r.ctx[k] = v
	}
	for _, d := range u.keys {
		if !d.multi {
			if x := p[d.v]; x > 0 {
				r.ctx[d.key] = []string{d.vals[x-1]}
			}
			continue
		}
		if p[d.present] == 0 {
			continue
		}
		vals := []string{}
		for i, b := range d.bits {
			if p[b] == 1 {
				vals = append(vals, d.vals[i])
			}
		}
		if p[d.many] == 1 && len(vals) == 1 {
			for i, b := range d.bits {
				if p[b] == 1 {
					vals = append(vals, d.second[i])
				}
			}
		}
		r.ctx[d.key] = vals
	}
	return r
}

// point maps a concrete request to the point of its class: the caller,
// action and resource that every statement treats alike, and each key's
// region. It reports false when the universe has no such point (the request
// lies outside the space).
func (u *universe) point(r *EvalRequest) (sym.Point, bool) {
	if p, ok := u.pointExact(r); ok {
		return p, true
	}
	// Policy variables read derived values (aws:userid, aws:username...)
	// that the universe fixes per caller: a request of a caller whose
	// values no policy names is in the class of the same request made by a
	// caller of the universe, with its values renamed throughout, when both
	// policies decide the two alike.
	for ci := range u.base {
		r2 := renameCaller(r, u.base[ci])
		if r2 == nil || !u.decideAlike(r, r2) {
			continue
		}
		if p, ok := u.pointExact(r2); ok && p[u.caller] == ci {
			return p, true
		}
	}
	return nil, false
}

// renameCaller is r made by cand's caller: the derived keys take cand's
// values, and each of r's derived values is replaced by cand's wherever it
// appears in the other context values and the resource.
func renameCaller(r, cand *EvalRequest) *EvalRequest {
	r2 := &EvalRequest{Caller: cand.Caller, Action: r.Action, Resource: r.Resource, ctx: map[string][]string{}}
	var pairs []string
	for _, k := range derivedKeys {
		old, new := r.ctx[k], cand.ctx[k]
		if len(old) == 1 && len(new) == 1 && old[0] != "" {
			// Case-folded too, for the IgnoreCase operators.
			pairs = append(pairs, old[0], new[0], strings.ToLower(old[0]), strings.ToLower(new[0]), strings.ToUpper(old[0]), strings.ToUpper(new[0]))
		}
	}
	rep := strings.NewReplacer(pairs...)
	for k, v := range r.ctx {
		if isDerived(k) {
			continue
		}
		vv := make([]string, len(v))
		for i, x := range v {
			vv[i] = rep.Replace(x)
		}
		r2.ctx[k] = vv
	}
	for _, k := range derivedKeys {
		if v, ok := cand.ctx[k]; ok {
			r2.ctx[k] = v
		}
	}
	r2.Resource = rep.Replace(r.Resource)
	return r2
}

// decideAlike reports whether every policy of the universe decides r and r2
// alike.
func (u *universe) decideAlike(r, r2 *EvalRequest) bool {
	for _, p := range u.pols {
		if p.Decide(r, u.owner).Decision != p.Decide(r2, u.owner).Decision {
			return false
		}
	}
	return len(u.pols) > 0
}

// pointExact is point without renaming.
func (u *universe) pointExact(r *EvalRequest) (sym.Point, bool) {
	p := make(sym.Point, u.s.Vars())
	resolverOf := func(st *Statement, req *EvalRequest) cond.Resolver {
		if u.varsOf[st] {
			return req
		}
		return nil
	}
	varRead := map[string]bool{}
	for _, st := range u.stmts {
		if !u.varsOf[st] {
			continue
		}
		for _, c := range st.Conditions {
			for _, k := range varKeysOf(c.Values) {
				varRead[k] = true
			}
		}
		for _, k := range varKeysOf(st.Resources) {
			varRead[k] = true
		}
	}
	callerVec := func(req *EvalRequest) string {
		var b strings.Builder
		for _, st := range u.stmts {
			pm := st.principalMatch(req)
			fmt.Fprintf(&b, "%d", pm)
			if pm == pmAccount && u.owner != "" && req.Caller.Account == u.owner {
				b.WriteByte('o')
			}
			for ci := range st.Conditions {
				c := &st.Conditions[ci]
				if u.byKey[c.KeyLower] == nil {
					v, ok := req.ctx[c.KeyLower]
					fmt.Fprintf(&b, "%t", c.Op.Eval(c.Values, v, ok, resolverOf(st, req)))
				}
			}
		}
		// Variables that read a derived key: only the same values are
		// certainly alike.
		for _, k := range derivedKeys {
			if varRead[k] {
				b.WriteString(strings.Join(req.ctx[k], ","))
				b.WriteByte('|')
			}
		}
		return b.String()
	}
	want := callerVec(r)
	found := false
	for ci := range u.base {
		probe := &EvalRequest{Caller: u.base[ci].Caller, ctx: u.base[ci].ctx}
		if callerVec(probe) == want {
			p[u.caller], found = ci, true
			break
		}
	}
	if !found {
		return nil, false
	}
	actionVec := func(a string) string {
		var b strings.Builder
		bk, ob := resourceKinds(a)
		fmt.Fprintf(&b, "%t%t", bk, ob)
		for _, st := range u.stmts {
			fmt.Fprintf(&b, "%t", st.actionMatches(a))
		}
		return b.String()
	}
	want = actionVec(r.Action)
	found = false
	for ai, a := range u.sp.actions {
		if actionVec(a) == want {
			p[u.action], found = ai, true
			break
		}
	}
	if !found {
		return nil, false
	}
	resVec := func(res string) string {
		var b strings.Builder
		_, obj := splitS3(res)
		fmt.Fprintf(&b, "%t", obj)
		for _, st := range u.stmts {
			fmt.Fprintf(&b, "%t", st.resourceMatches(res, resolverOf(st, r)))
		}
		return b.String()
	}
	want = resVec(r.Resource)
	found = false
	for ri, res := range u.resources {
		if res == r.Resource || resVec(res) == want {
			p[u.resource], found = ri, true
			break
		}
	}
	if !found {
		return nil, false
	}
	for _, d := range u.keys {
		v, ok := r.ctx[d.key]
		region := func(x string) (int, bool) {
			for i, w := range d.vals {
				if w == x {
					return i, true
				}
			}
			// The same outcome under every condition on the key, in every
			// case of the variables they read.
			vec := d.vector(x)
			for i, w := range d.vals {
				if d.vector(w) == vec {
					return i, true
				}
			}
			return 0, false
		}
		if !d.multi {
			if !ok {
				p[d.v] = 0
				continue
			}
			if len(v) != 1 {
				return nil, false
			}
			i, ok := region(v[0])
			if !ok {
				return nil, false
			}
			p[d.v] = i + 1
			continue
		}
		if !ok {
			continue
		}
		p[d.present] = 1
		if len(v) >= 2 {
			p[d.many] = 1
		}
		for _, x := range v {
			i, ok := region(x)
			if !ok {
				return nil, false
			}
			p[d.bits[i]] = 1
		}
	}
	return p, true
}

// countPoints is the number of request classes in the set, capped to an int.
func (u *universe) countPoints(a sym.Set) int {
	n := u.s.Count(a)
	if !n.IsInt64() || n.Int64() > math.MaxInt32 {
		return math.MaxInt32
	}
	return int(n.Int64())
}
