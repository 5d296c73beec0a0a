package rewrite

import (
	"context"
	"fmt"
	"strings"

	"github.com/fixpolicy/fixpolicy/rewrite/internal/sym"
	"github.com/fixpolicy/fixpolicy/rewrite/policy"
)

// Delta computes the set of requests whose decision differs between a and
// b, as a finite list of readable classes; see DeltaContext.
func Delta(a, b *Policy, opt DeltaOptions) (*DeltaResult, error) {
	return DeltaContext(context.Background(), a, b, opt)
}

// DeltaContext computes the set of requests whose decision differs between
// a and b. Statements are compared by meaning first (order, shapes, Sids,
// key spelling and action case do not matter): identical policies are
// equivalent without further work. Otherwise both policies are encoded over
// one symbolic request (see universe): the principals, actions and
// resources the statements tell apart, and a partition of each condition
// key's values. The decision of each policy is a set of points, and the
// difference between them is decided exactly, whatever the number of keys
// and values. It is reported as classes (boxes of the partition) that
// together cover it; each class carries an example request that the
// evaluator replays with the class's two decisions, and a class whose
// example does not replay is an error, never a silent answer.
//
// It stops with ctx's error when ctx is done.
//
// It is the delta's pipeline (space, universe, classes, partial class, replay), one step after the other.
func DeltaContext(ctx context.Context, a, b *Policy, opt DeltaOptions) (*DeltaResult, error) {
	removed, added := policy.SemanticDelta(a, b)
	res := &DeltaResult{Equivalent: true, Changes: []AccessChange{}, Statements: len(removed) + len(added)}
	if len(removed) == 0 && len(added) == 0 && a.VarsEnabled() == b.VarsEnabled() {
		return res, nil
	}
	if ctx == nil {
		ctx = context.Background()
	}
	all := append(append([]*Statement{}, a.Statements...), b.Statements...)
	sp := deltaSpace(opt, all, all)
	u, err := newUniverse(ctx, sp, stmtSource{a.Statements, a.VarsEnabled()}, stmtSource{b.Statements, b.VarsEnabled()})
	if err != nil {
		return nil, err
	}
	u.owner = opt.Owner
	u.pols = []*Policy{a, b}
	s := u.s
	dA, aA, nA := u.decisions(a.Statements, opt.Owner)
	dB, aB, nB := u.decisions(b.Statements, opt.Owner)
	before := []sym.Set{dA, aA, nA}
	after := []sym.Set{dB, aB, nB}
	decs := []Decision{Deny, Allow, None}
	res.Requests = u.countPoints(u.valid)
	spell := keySpellings(all)
	literals := policyLiterals(all)
	covered := s.False()
	{
		for i := range decs {
			for j := range decs {
				if i == j {
					continue
				}
				diff := s.And(before[i], after[j])
				if s.Empty(diff) {
					continue
				}
				limit := max(maxClasses-len(res.Changes), 1)
				boxes, points, rest, err := s.Classes(diff, u.order, limit)
				if err != nil {
					return nil, err
				}
				replay := func(p sym.Point) (*EvalRequest, error) {
					ex := u.request(p)
					if da, db := a.Decide(ex, opt.Owner).Decision, b.Decide(ex, opt.Owner).Decision; da != decs[i] || db != decs[j] {
						return nil, fmt.Errorf("internal error: the proof's example request %s decides %s → %s, not %s → %s as the symbolic encoding says; this is a bug in fixpolicy", ex.Request(), da, db, decs[i], decs[j])
					}
					return ex, nil
				}
				for k, box := range boxes {
					ex, err := replay(points[k])
					if err != nil {
						return nil, err
					}
					res.Changes = append(res.Changes, u.change(box, ex, decs[i], decs[j], spell, literals))
					covered = s.Or(covered, s.BoxSet(box))
				}
				if !s.Empty(rest) {
					// Too many classes to list: the rest is reported as its
					// bounding box, marked partial (only some of its
					// requests change).
					p, _ := s.Pick(rest)
					ex, err := replay(p)
					if err != nil {
						return nil, err
					}
					c := u.change(s.Bounds(rest), ex, decs[i], decs[j], spell, literals)
					c.Partial = true
					res.Changes = append(res.Changes, c)
					covered = s.Or(covered, rest)
				}
			}
		}
	}
	if err := s.Err(); err != nil {
		return nil, err
	}
	if len(res.Changes) > 0 {
		res.Equivalent = false
		res.Changes = mergeEveryAction(res.Changes, sp)
	}
	res.u, res.covered = u, covered
	return res, nil
}

// maxClasses bounds the classes a delta lists; beyond it the rest of each
// change is one partial class.
const maxClasses = 60

// Covers reports whether the request lies in one of the reported classes
// (for the differential soundness tests). Requests outside the classes'
// universe are not covered.
func (d *DeltaResult) Covers(r *EvalRequest) bool {
	if d.u == nil {
		return false
	}
	p, ok := d.u.point(r)
	return ok && d.u.s.Contains(d.covered, p)
}

// change describes one class.
func (u *universe) change(box sym.Box, ex *EvalRequest, before, after Decision, spell map[string]string, literals map[string][]string) AccessChange {
	var group []*callerCand
	for _, ci := range box[u.caller] {
		group = append(group, &u.sp.callers[ci])
	}
	var acts, ress []string
	for _, ai := range box[u.action] {
		acts = append(acts, u.sp.actions[ai])
	}
	for _, ri := range box[u.resource] {
		ress = append(ress, u.resources[ri])
	}
	var ctxParts []string
	for _, d := range u.keys {
		if part := d.describe(box, u.s, spellOf(spell, d.key), literals[d.key]); part != "" {
			ctxParts = append(ctxParts, part)
		}
	}
	// The gate judges a class by flags that hold for all its callers; a
	// class may mix callers (the backup role's sessions and the account's
	// principals, say, for the console's reads), and it passes the gate
	// exactly when each of its callers would alone.
	c := AccessChange{
		Principals: describeCallers(group, u.sp.callers),
		Actions:    summarizeActions(append([]string{}, acts...), ress, u.sp),
		Resource:   describeResourceSet(ress, u.sp),
		Context:    strings.Join(ctxParts, " and "),
		Before:     before,
		After:      after,
		Example:    ex.Request(),
		resources:  ress,
		actions:    acts,
		backup:     true, recreated: true, account: true,
	}
	for _, cc := range group {
		c.callers = append(c.callers, cc.c)
		c.backup = c.backup && cc.backup
		c.recreated = c.recreated && (cc.recreated || cc.backup)
		c.account = c.account && cc.account
	}
	return c
}

// describe says which values of the key a box allows, "" for any.
//
// It is long because each kind of key (absent, single-valued, multi-valued, negated sets) has its own wording; the cases read best side by side.
func (d *keyDom) describe(box sym.Box, s *sym.Space, key string, literals []string) string {
	cands := make([]*string, len(d.vals)+1)
	for i := range d.vals {
		cands[i+1] = &d.vals[i]
	}
	if !d.multi {
		vals := box[d.v]
		n := len(d.vals) + 1
		if !d.absent {
			n--
		}
		if len(vals) >= n {
			return ""
		}
		set := map[int]bool{}
		for _, x := range vals {
			set[x] = true
		}
		return describeValues(key, set, cands, literals)
	}
	pres := box[d.present]
	if len(pres) == 1 && pres[0] == 0 {
		return key + " absent"
	}
	var parts []string
	var with, without []int
	for i, b := range d.bits {
		switch vals := box[b]; {
		case len(vals) == 1 && vals[0] == 1:
			with = append(with, i+1)
		case len(vals) == 1 && vals[0] == 0:
			without = append(without, i+1)
		}
	}
	lits := map[string]bool{}
	for _, l := range literals {
		lits[l] = true
	}
	nonLiteral := 0
	for _, v := range d.vals {
		if !lits[v] {
			nonLiteral++
		}
	}
	region := func(idx []int, sep string) string {
		var out []string
		for _, x := range idx {
			v := d.vals[x-1]
			switch {
			case lits[v]:
				out = append(out, v)
			case nonLiteral == 1 && len(literals) > 0:
				out = append(out, "a value other than "+policy.JoinValues(literals, false))
			case nonLiteral == 1:
				out = append(out, "any value")
			default:
				out = append(out, fmt.Sprintf("%q", v))
			}
		}
		return strings.Join(out, sep)
	}
	if len(with) > 0 {
		parts = append(parts, "including "+region(with, " and "))
	}
	if len(without) > 0 && len(without) < len(d.bits) {
		parts = append(parts, "without "+region(without, " or "))
	}
	if len(without) == len(d.bits) && len(d.bits) > 0 {
		parts = append(parts, "with no values")
	}
	switch m := box[d.many]; {
	case len(m) == 1 && m[0] == 1:
		parts = append(parts, "with two or more values")
	case len(m) == 1 && m[0] == 0 && len(with) > 0:
		parts = append(parts, "with one value")
	}
	if len(parts) == 0 {
		if len(pres) == 1 {
			return key + " present"
		}
		return ""
	}
	prefix := key + " "
	if len(pres) == 2 {
		prefix = key + " absent or "
	}
	return prefix + strings.Join(parts, ", ")
}
