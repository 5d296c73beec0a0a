package rewrite

import (
	"context"
	"fmt"
	"math"
	"strings"
	"sync"

	"github.com/fixpolicy/fixpolicy/rewrite/internal/cond"
	"github.com/fixpolicy/fixpolicy/rewrite/internal/sym"
	"github.com/fixpolicy/fixpolicy/rewrite/policy"
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

	// How the statements treat each caller and action, for point.
	callerVecsOnce, actionVecsOnce sync.Once
	callerVecs, actionVecs         []string
}

// keyDom is a free condition key's domain.
type keyDom struct {
	key    string // lower case
	multi  bool
	absent bool     // the key may be absent
	vals   []string // one representative per region
	second []string // multi: another value of the same region, "" if none is known
	kcs    []cond.KeyCond
	comp   []*cond.Compiled    // kcs compiled, for vector
	exact  func(string) string // vector by lookups, when exactWitnesses applies
	plain  bool                // regions were deduplicated by the conditions' vector

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
		r := &EvalRequest{Caller: cc.c, Ctx: map[string][]string{}}
		for k, v := range sp.known {
			r.Ctx[k] = v
		}
		for k, v := range cc.derived {
			r.Ctx[k] = v
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
		// none and exactly one flag, built from the last flag up so that
		// each step adds a node above the diagram so far.
		none, one := s.True(), s.False()
		var singleton []sym.Set
		for i := len(k.bits) - 1; i >= 0; i-- {
			bit := s.Eq(k.bits[i], 1)
			none, one = s.And(s.Not(bit), none), s.Or(s.And(s.Not(bit), one), s.And(bit, none))
			if k.second[i] == "" {
				singleton = append(singleton, bit)
			}
		}
		some := s.Not(none)
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
		pm := st.PrincipalMatch(r)
		return pm != policy.MatchNone && !(allow && policy.Delegates(pm, r, owner))
	})
	parts := []sym.Set{who}
	parts = append(parts, s.In(u.action, func(x int) bool { return st.ActionMatches(u.sp.actions[x]) }))
	var rvars []string
	if vars {
		for _, r := range st.Resources {
			rvars = append(rvars, varKeys(r)...)
		}
	}
	if len(rvars) == 0 {
		parts = append(parts, s.In(u.resource, func(x int) bool { return st.ResourceMatches(u.resources[x], nil) }))
	} else {
		parts = append(parts, u.cases(rvars, func(res cond.Resolver) sym.Set {
			return s.In(u.resource, func(x int) bool { return st.ResourceMatches(u.resources[x], res) })
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
			v, ok := cr.base.Ctx[c.KeyLower]
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

// countPoints is the number of request classes in the set, capped to an int.
func (u *universe) countPoints(a sym.Set) int {
	n := u.s.Count(a)
	if !n.IsInt64() || n.Int64() > math.MaxInt32 {
		return math.MaxInt32
	}
	return int(n.Int64())
}
