package rewrite

import (
	"fmt"
	"net/netip"
	"sort"
	"strings"

	"github.com/fixpolicy/fixpolicy/rewrite/cond"
	"github.com/fixpolicy/fixpolicy/rewrite/s3actions"
)

// DeltaOptions tune Delta.
type DeltaOptions struct {
	// Owner is the bucket owner's account, "" when unknown (an Allow naming
	// only an account then counts as allowing, as in simulate).
	Owner string
	// Facts, when set, adds the backup role's sessions (and a re-created
	// role of the same name) to the principals, for fixpolicy's own gate.
	Facts *Facts
	// CatalogueOnly limits actions to the S3 action catalogue. Without it,
	// S3 actions that the catalogue does not know yet (but a wildcard in
	// the policies would match) are a class of their own.
	CatalogueOnly bool
}

// AccessChange is one class of requests whose decision differs.
type AccessChange struct {
	Principals string   `json:"principals"`
	Actions    []string `json:"actions"`
	Resource   string   `json:"resource"`
	Context    string   `json:"context,omitempty"`
	Before     Decision `json:"before"`
	After      Decision `json:"after"`
	Example    Request  `json:"example"`

	resources []string
	actions   []string
	backup    bool // the backup role's sessions (gate class a)
	recreated bool // a re-created role of the backup role's name
	account   bool // principals of the owner's account
}

func (c AccessChange) String() string {
	ctx := ""
	if c.Context != "" {
		ctx = ", " + c.Context
	}
	return fmt.Sprintf("%s, %s on %s%s: %s → %s", c.Principals, joinList(c.Actions, 4), c.Resource, ctx, c.Before, c.After)
}

// DeltaResult is the access delta between two policies.
type DeltaResult struct {
	Equivalent bool           `json:"equivalent"`
	Changes    []AccessChange `json:"changes"`
	Requests   int            `json:"requests"`   // requests enumerated
	Statements int            `json:"statements"` // statements that differ
}

// Delta computes the set of requests whose decision differs between a and
// b, as a finite list of readable classes. It compares statements by
// meaning (order, shapes, Sids, key spelling and action case do not
// matter), and enumerates only the classes of requests that the differing
// statements can tell apart: their principals, actions, resources and each
// condition key's representative values (cond.Witnesses) and absence. Every
// request whose decision differs falls in a reported class, and each class
// carries an example request that the evaluator decides differently.
func Delta(a, b *Policy, opt DeltaOptions) (*DeltaResult, error) {
	removed, added := semanticDelta(a, b)
	res := &DeltaResult{Equivalent: true, Changes: []AccessChange{}, Statements: len(removed) + len(added)}
	if len(removed) == 0 && len(added) == 0 && a.VarsEnabled() == b.VarsEnabled() {
		return res, nil
	}
	if a.VarsEnabled() != b.VarsEnabled() {
		// The Version decides how every "${...}" reads: all statements count.
		removed, added = a.Statements, b.Statements
	}
	changed := append(append([]*Statement{}, removed...), added...)
	// Principals and resources come from every statement of both policies
	// (an unchanged statement may single out a principal or object whose
	// decision the change affects); condition values only from the changed
	// ones, since only those can make the decisions differ.
	all := append(append([]*Statement{}, a.Statements...), b.Statements...)
	sp := deltaSpace(opt, changed, all)
	vars := a.VarsEnabled() || b.VarsEnabled()
	um := newUnmasker(a, b, removed, added, opt.Owner, remainingKeys(a, b, changed, vars))
	var raws []rawChange
	changedKeys, changedCands := sp.freeKeys(changed, vars)
	combos := 1
	for _, c := range changedCands {
		combos *= len(c)
		if combos > maxRequests {
			return nil, fmt.Errorf("the differing statements have too many combinations of condition values to compare exhaustively (over %d per request)", maxRequests)
		}
	}
	// Principal, action and resource do not depend on condition values:
	// decide them once per (principal, action, resource) and skip the
	// condition values entirely when no changed statement can match.
	type pre struct {
		pm  principalMatch
		hit bool
	}
	preR := make([]pre, len(removed))
	preA := make([]pre, len(added))
	parMatch := func(stmts []*Statement, p *Policy, r *EvalRequest, out []pre) bool {
		anyHit := false
		resolver := p.resolver(r)
		for i, s := range stmts {
			pm := s.principalMatch(r)
			hit := pm != pmNone && s.actionMatches(r.Action) && s.resourceMatches(r.Resource, resolver)
			out[i] = pre{pm, hit}
			anyHit = anyHit || hit
		}
		return anyHit
	}
	contrib := func(stmts []*Statement, p *Policy, r *EvalRequest, pres []pre) (deny bool, allow principalMatch) {
		resolver := p.resolver(r)
		for i, s := range stmts {
			if !pres[i].hit {
				continue
			}
			ok := true
			for ci := range s.Conditions {
				if !s.Conditions[ci].eval(r, resolver) {
					ok = false
					break
				}
			}
			if !ok {
				continue
			}
			if s.IsDeny() {
				deny = true
			} else if pres[i].pm > allow {
				allow = pres[i].pm
			}
		}
		return deny, allow
	}
	// Callers and resources that the changed statements cannot tell apart
	// are enumerated once, through a representative; a difference found for
	// a representative is then decided for each member, since unchanged
	// statements may still tell them apart.
	reps, members, resMembers, actMembers := representatives(sp, all, vars)
	idx := make([]int, len(changedKeys))
	rsp := *sp
	rsp.callers = reps
	rsp.actions = nil
	for _, act := range sp.actions {
		if _, ok := actMembers[act]; ok {
			rsp.actions = append(rsp.actions, act)
		}
	}
	rsp.resources = func(action string) []string {
		var out []string
		for _, r := range sp.resources(action) {
			if _, ok := resMembers[r]; ok {
				out = append(out, r)
			}
		}
		return out
	}
	rsp.eachBase(func(rep *callerCand, r *EvalRequest) bool {
		hr := parMatch(removed, a, r, preR)
		ha := parMatch(added, b, r, preA)
		res.Requests += combos * len(members[rep]) * len(resMembers[r.Resource]) * len(actMembers[r.Action])
		if !hr && !ha {
			return true
		}
		for i := range idx {
			idx[i] = 0
		}
		for {
			for i, k := range changedKeys {
				setCtx(r, k, changedCands[i][idx[i]])
			}
			d1, al1 := contrib(removed, a, r, preR)
			d2, al2 := contrib(added, b, r, preA)
			if d1 != d2 || al1 != al2 {
				// No statement of either policy tells the members apart, so
				// they all take the representative's outcomes.
				tuple := append([]int{}, idx...)
				for _, o := range um.outcomes(r.clone()) {
					for _, cc := range members[rep] {
						for _, res := range resMembers[r.Resource] {
							raws = append(raws, rawChange{cc: cc, rep: rep, actions: actMembers[r.Action], resource: res, tuple: tuple, before: o.before, after: o.after, example: o.example, depends: o.depends})
						}
					}
				}
			}
			if !advance(idx, func(j int) int { return len(changedCands[j]) }) {
				for _, k := range changedKeys {
					delete(r.ctx, k)
				}
				return true
			}
		}
	})
	if len(raws) == 0 {
		return res, nil
	}
	res.Equivalent = false
	res.Changes = summarize(raws, sp, changedKeys, changedCands, keySpellings(all), policyLiterals(changed))
	return res, nil
}

type rawChange struct {
	cc       *callerCand
	rep      *callerCand // the representative the example was made for
	actions  []string    // actions no statement tells apart
	resource string
	tuple    []int  // index into each changed key's candidates
	depends  string // keys of unchanged statements the outcome depends on
	before   Decision
	after    Decision
	example  *EvalRequest
}

func keySpellings(stmts []*Statement) map[string]string {
	out := map[string]string{}
	for _, s := range stmts {
		for _, c := range s.Conditions {
			if _, ok := out[c.KeyLower]; !ok {
				out[c.KeyLower] = c.Key
			}
		}
	}
	return out
}

// summarize folds the raw differing requests into readable classes: first
// the context values per (principal, action, resource), then actions, then
// principals into their classes, then resources.
func summarize(raws []rawChange, sp *space, keys []string, cands [][]*string, spell map[string]string, literals map[string][]string) []AccessChange {
	type rec struct {
		callers   []*callerCand
		actions   []string
		resources []string
		ctx       string
		before    Decision
		after     Decision
		example   Request
	}
	// 1. contexts
	type k1 struct {
		cc                   *callerCand
		action, res, depends string
		before, after        Decision
	}
	ctxSets := map[k1][][]int{}
	examples := map[k1]Request{}
	var order1 []k1
	for _, r := range raws {
		k := k1{r.cc, strings.Join(r.actions, ","), r.resource, r.depends, r.before, r.after}
		if _, ok := ctxSets[k]; !ok {
			order1 = append(order1, k)
			examples[k] = asMember(r.example, r.rep, r.cc, r.resource).request()
		}
		ctxSets[k] = append(ctxSets[k], r.tuple)
	}
	// 2. actions
	type k2 struct {
		cc            *callerCand
		res, ctx      string
		before, after Decision
	}
	recs2 := map[k2]*rec{}
	var order2 []k2
	for _, k := range order1 {
		ctx := describeTuples(ctxSets[k], keys, cands, spell, literals)
		switch {
		case k.depends != "" && ctx != "":
			ctx += " (" + k.depends + ")"
		case k.depends != "":
			ctx = k.depends
		}
		kk := k2{k.cc, k.res, ctx, k.before, k.after}
		r := recs2[kk]
		if r == nil {
			r = &rec{callers: []*callerCand{k.cc}, resources: []string{k.res}, ctx: ctx, before: k.before, after: k.after, example: examples[k]}
			recs2[kk] = r
			order2 = append(order2, kk)
		}
		r.actions = append(r.actions, strings.Split(k.action, ",")...)
	}
	// 3. principals
	type k3 struct {
		acts, res, ctx string
		before, after  Decision
	}
	recs3 := map[k3]*rec{}
	var order3 []k3
	for _, k := range order2 {
		r := recs2[k]
		kk := k3{strings.Join(r.actions, ","), k.res, k.ctx, k.before, k.after}
		if x := recs3[kk]; x != nil {
			x.callers = append(x.callers, k.cc)
			continue
		}
		recs3[kk] = r
		order3 = append(order3, kk)
	}
	// 4. resources
	type k4 struct {
		acts, who, ctx string
		before, after  Decision
	}
	recs4 := map[k4]*rec{}
	var order4 []k4
	for _, k := range order3 {
		r := recs3[k]
		who := describeCallers(r.callers, sp.callers)
		kk := k4{k.acts, who, k.ctx, k.before, k.after}
		if x := recs4[kk]; x != nil {
			x.resources = append(x.resources, r.resources...)
			continue
		}
		recs4[kk] = r
		order4 = append(order4, kk)
	}
	out := make([]AccessChange, 0, len(order4))
	for _, k := range order4 {
		r := recs4[k]
		c := AccessChange{
			Principals: k.who,
			Actions:    summarizeActions(r.actions, r.resources, sp),
			Resource:   describeResourceSet(r.resources, sp),
			Context:    r.ctx,
			Before:     r.before,
			After:      r.after,
			Example:    r.example,
			backup:     true, recreated: true, account: true,
		}
		for _, cc := range r.callers {
			c.backup = c.backup && cc.backup
			c.recreated = c.recreated && (cc.recreated || cc.backup)
			c.account = c.account && cc.account
		}
		c.resources = r.resources
		c.actions = r.actions
		out = append(out, c)
	}
	return mergeEveryAction(out, sp)
}

// mergeEveryAction joins classes that differ only in resource when each
// covers every S3 action on its resources ("on the bucket" and "on its
// objects" become "on the bucket and its objects").
func mergeEveryAction(in []AccessChange, sp *space) []AccessChange {
	var out []AccessChange
	for _, c := range in {
		every := len(c.Actions) == 1 && c.Actions[0] == "every S3 action"
		merged := false
		for i := range out {
			o := &out[i]
			if every && len(o.Actions) == 1 && o.Actions[0] == "every S3 action" && o.Principals == c.Principals &&
				o.Context == c.Context && o.Before == c.Before && o.After == c.After {
				o.resources = append(o.resources, c.resources...)
				o.actions = append(o.actions, c.actions...)
				o.Resource = describeResourceSet(o.resources, sp)
				merged = true
				break
			}
		}
		if !merged {
			out = append(out, c)
		}
	}
	return out
}

// describeTuples says which values of the keys a set of candidate tuples
// covers. When the set is a product of per-key sets (the usual case) each
// key is described on its own; a key that takes every candidate is left out.
func describeTuples(tuples [][]int, keys []string, cands [][]*string, spell map[string]string, literals map[string][]string) string {
	if len(keys) == 0 {
		return ""
	}
	per := make([]map[int]bool, len(keys))
	for i := range keys {
		per[i] = map[int]bool{}
	}
	seen := map[string]bool{}
	for _, t := range tuples {
		seen[fmt.Sprint(t)] = true
		for i, v := range t {
			per[i][v] = true
		}
	}
	product := 1
	for i := range keys {
		product *= len(per[i])
	}
	if product != len(seen) {
		// Not a box: list the combinations.
		var parts []string
		for _, t := range tuples {
			var kp []string
			for i, v := range t {
				kp = append(kp, describeValues(spellOf(spell, keys[i]), map[int]bool{v: true}, cands[i], literals[keys[i]]))
			}
			parts = appendUnique(parts, strings.Join(kp, " and "))
		}
		return strings.Join(parts, "; or ")
	}
	var parts []string
	for i, k := range keys {
		if len(per[i]) == len(cands[i]) {
			continue // any value
		}
		parts = append(parts, describeValues(spellOf(spell, k), per[i], cands[i], literals[k]))
	}
	return strings.Join(parts, " and ")
}

func spellOf(spell map[string]string, k string) string {
	if s, ok := spell[k]; ok {
		return s
	}
	return k
}

// describeValues says which of a key's candidate values a set holds:
// "aws:SourceVpce absent or other than vpce-1", "aws:SourceVpce vpce-1".
func describeValues(key string, set map[int]bool, cands []*string, literals []string) string {
	if d, ok := describeIPValues(key, set, cands, literals); ok {
		return d
	}
	absent := false
	var named, unnamed []string
	var allUnnamed = true
	for i, c := range cands {
		isLit := c != nil && contains(literals, *c)
		if !set[i] {
			if c != nil && !isLit {
				allUnnamed = false
			}
			continue
		}
		switch {
		case c == nil:
			absent = true
		case isLit:
			named = append(named, *c)
		default:
			unnamed = append(unnamed, fmt.Sprintf("%q", *c))
		}
	}
	var alts []string
	if absent {
		alts = append(alts, "absent")
	}
	if len(named) > 0 {
		alts = append(alts, joinValues(named, false))
	}
	if len(unnamed) > 0 {
		if allUnnamed {
			var lits []string
			for _, c := range cands {
				if c != nil && contains(literals, *c) {
					lits = append(lits, *c)
				}
			}
			if len(lits) > 0 {
				alts = append(alts, "any value other than "+joinValues(lits, false))
			} else {
				alts = append(alts, "any value")
			}
		} else {
			alts = append(alts, strings.Join(unnamed, " or "))
		}
	}
	return key + " " + strings.Join(alts, " or ")
}

// describeCallers names a set of callers by their classes where a class is
// complete, else one by one.
func describeCallers(group []*callerCand, all []callerCand) string {
	classSize := map[string]int{}
	for i := range all {
		classSize[all[i].classOf()]++
	}
	inGroup := map[string][]*callerCand{}
	var order []string
	for _, cc := range group {
		cl := cc.classOf()
		if _, ok := inGroup[cl]; !ok {
			order = append(order, cl)
		}
		inGroup[cl] = append(inGroup[cl], cc)
	}
	var names []string
	for _, cl := range order {
		if len(inGroup[cl]) == classSize[cl] && classSize[cl] > 1 {
			names = append(names, cl)
			continue
		}
		for _, cc := range inGroup[cl] {
			names = append(names, cc.label)
		}
	}
	return joinList(names, 4)
}

// classOf is the class a caller belongs to for summaries.
func (cc *callerCand) classOf() string {
	switch {
	case cc.class != "":
		return cc.class
	case cc.backup:
		return "the backup role's sessions"
	case cc.c.Authenticated():
		return "principals of account " + cc.c.Account
	}
	return cc.label
}

// summarizeActions lists the actions, or says "every S3 action" when the
// group holds every enumerated action that applies to its resources.
func summarizeActions(acts, resources []string, sp *space) []string {
	want := map[string]bool{}
	for _, a := range sp.actions {
		for _, r := range sp.resources(a) {
			if contains(resources, r) {
				want[a] = true
			}
		}
	}
	// "every S3 action" when the group holds every catalogue action that
	// applies to its kinds of resource.
	every := len(acts) == len(want) && len(sp.catalogue) > 0
	for _, name := range sp.catalogue {
		if !every {
			break
		}
		b, o := resourceKinds(name)
		for _, r := range resources {
			_, isObj := splitS3(r)
			if (isObj && o || !isObj && b) && !want[name] {
				every = false
			}
		}
	}
	if every {
		return []string{"every S3 action"}
	}
	sort.Strings(acts)
	return acts
}

// describeResourceSet names a set of resources: "arn:aws:s3:::b and its objects".
func describeResourceSet(res []string, sp *space) string {
	all := map[string]bool{}
	for _, a := range sp.actions {
		for _, r := range sp.resources(a) {
			all[r] = true
		}
	}
	buckets := map[string]bool{}
	objects := map[string]int{}
	total := map[string]int{}
	for r := range all {
		b, isObj := splitS3(r)
		if isObj {
			total[b]++
		}
	}
	var rest []string
	for _, r := range res {
		b, isObj := splitS3(r)
		switch {
		case !isObj && b != "":
			buckets[b] = true
		case isObj:
			objects[b]++
		default:
			rest = appendUnique(rest, r)
		}
	}
	var names []string
	seen := map[string]bool{}
	for _, r := range res {
		b, isObj := splitS3(r)
		if b == "" || seen[b] {
			continue
		}
		allObjs := objects[b] == total[b] && total[b] > 0
		switch {
		case buckets[b] && allObjs:
			names = append(names, "arn:aws:s3:::"+b+" and its objects")
			seen[b] = true
		case allObjs:
			names = append(names, "objects in arn:aws:s3:::"+b)
			seen[b] = true
		case buckets[b] && !isObj:
			names = appendUnique(names, "arn:aws:s3:::"+b)
		default:
			names = appendUnique(names, r)
		}
	}
	return joinList(append(names, rest...), 4)
}

func splitS3(r string) (bucket string, object bool) {
	const pre = "arn:aws:s3:::"
	if !strings.HasPrefix(r, pre) {
		return "", false
	}
	rest := r[len(pre):]
	if i := strings.IndexByte(rest, '/'); i >= 0 {
		return rest[:i], true
	}
	return rest, false
}

// semanticDelta returns the statements of a whose meaning b lacks, and the
// statements of b whose meaning a lacks.
func semanticDelta(a, b *Policy) (removed, added []*Statement) {
	inA, inB := map[string]bool{}, map[string]bool{}
	for _, s := range a.Statements {
		inA[s.canonical()] = true
	}
	for _, s := range b.Statements {
		inB[s.canonical()] = true
	}
	for _, s := range a.Statements {
		if !inB[s.canonical()] {
			removed = append(removed, s)
		}
	}
	for _, s := range b.Statements {
		if !inA[s.canonical()] {
			added = append(added, s)
		}
	}
	return removed, added
}

// remainingKeys are the condition keys only unchanged statements use, with
// their candidate values.
func remainingKeys(a, b *Policy, changed []*Statement, vars bool) map[string][]*string {
	inChanged := map[string]bool{}
	for _, s := range changed {
		for _, c := range s.Conditions {
			inChanged[c.KeyLower] = true
		}
	}
	var rest []*Statement
	for _, p := range []*Policy{a, b} {
		rest = append(rest, p.Statements...)
	}
	sp := &space{known: map[string][]string{}, absent: map[string]bool{}}
	keys, cands := sp.freeKeys(rest, vars)
	out := map[string][]*string{}
	for i, k := range keys {
		if !inChanged[k] && !isDerived(k) {
			out[k] = cands[i]
		}
	}
	return out
}

// unmasker decides a request under both policies. When the decisions agree
// only because an unchanged statement matches, it looks for values of the
// keys that only unchanged statements use that stop those statements from
// matching, so that the difference shows. The last assignment that worked
// is tried first: most requests are masked by the same statements.
type unmasker struct {
	a, b      *Policy
	common    []*Statement // statements of a that b has too
	removed   []*Statement
	added     []*Statement
	owner     string
	remaining map[string][]*string
	keys      []string
	last      map[string]*string // key -> value (nil: absent)
}

func newUnmasker(a, b *Policy, removed, added []*Statement, owner string, remaining map[string][]*string) *unmasker {
	u := &unmasker{a: a, b: b, removed: removed, added: added, owner: owner, remaining: remaining}
	gone := map[*Statement]bool{}
	for _, s := range removed {
		gone[s] = true
	}
	for _, s := range a.Statements {
		if !gone[s] {
			u.common = append(u.common, s)
		}
	}
	for k := range remaining {
		u.keys = append(u.keys, k)
	}
	sort.Strings(u.keys)
	return u
}

// decide decides the request under both policies (their compiled forms).
func (u *unmasker) decide(r *EvalRequest) (Decision, Decision) {
	return u.a.Decide(r, u.owner).Decision, u.b.Decide(r, u.owner).Decision
}

// matching counts the statements of either policy that match the request.
func (u *unmasker) matching(r *EvalRequest) int {
	n := 0
	count := func(set []*Statement, p *Policy) {
		vars := p.resolver(r)
		for _, s := range set {
			if ok, _ := s.matches(r, vars); ok {
				n++
			}
		}
	}
	count(u.common, u.a)
	count(u.removed, u.a)
	count(u.added, u.b)
	return n
}

type outcome struct {
	before, after Decision
	example       *EvalRequest
	depends       string
}

// maxRemaining bounds the joint enumeration of the keys only unchanged
// statements use; beyond it the greedy search of unmask is used.
const maxRemaining = 64

// outcomes returns each distinct (before, after) pair with before != after
// that the request takes over the values of the keys only unchanged
// statements use: so a class whose outcome depends on, say, an unchanged
// Allow's IP range is reported with both outcomes.
func (u *unmasker) outcomes(r *EvalRequest) []outcome {
	total := 1
	for _, k := range u.keys {
		total *= len(u.remaining[k])
		if total > maxRemaining {
			break
		}
	}
	if len(u.keys) == 0 {
		// Nothing else to vary: r (a snapshot the caller owns) is the example.
		if da, db := u.decide(r); da != db {
			return []outcome{{da, db, r, ""}}
		}
		return nil
	}
	if total > maxRemaining {
		da, db, ex := u.unmask(r)
		if da == db {
			return nil
		}
		return []outcome{{da, db, ex, ""}}
	}
	w := r.clone()
	idx := make([]int, len(u.keys))
	var out []outcome
	seen := map[[2]Decision]bool{}
	for {
		for i, k := range u.keys {
			setCtx(w, k, u.remaining[k][idx[i]])
		}
		da, db := u.decide(w)
		if da != db && !seen[[2]Decision{da, db}] {
			seen[[2]Decision{da, db}] = true
			out = append(out, outcome{da, db, w.clone(), ""})
		}
		if !advance(idx, func(j int) int { return len(u.remaining[u.keys[j]]) }) {
			break
		}
	}
	if len(out) > 1 {
		dep := "depending on " + strings.Join(u.keys, ", ")
		for i := range out {
			out[i].depends = dep
		}
	}
	return out
}

// unmask returns the decisions and the request it settled on.
func (u *unmasker) unmask(r *EvalRequest) (Decision, Decision, *EvalRequest) {
	da, db := u.decide(r)
	if da != db || len(u.keys) == 0 {
		return da, db, r.clone()
	}
	w := r.clone()
	if u.last != nil {
		for k, v := range u.last {
			setCtx(w, k, v)
		}
		if da, db := u.decide(w); da != db {
			return da, db, w
		}
		w = r.clone()
	}
	// Greedy: try each key's values in turn, keep a value when it makes the
	// decisions differ or stops an unchanged statement from matching.
	chosen := map[string]*string{}
	for round := 0; round < 3; round++ {
		for _, k := range u.keys {
			orig, had := w.ctx[k]
			best := -1
			base := u.matching(w)
			for i, v := range u.remaining[k] {
				setCtx(w, k, v)
				if da, db := u.decide(w); da != db {
					chosen[k] = v
					u.last = chosen
					return da, db, w
				}
				if n := u.matching(w); n < base {
					base, best = n, i
				}
			}
			switch {
			case best >= 0:
				setCtx(w, k, u.remaining[k][best])
				chosen[k] = u.remaining[k][best]
			case had:
				w.ctx[k] = orig
			default:
				delete(w.ctx, k)
			}
		}
	}
	return da, da, r.clone()
}

func setCtx(r *EvalRequest, k string, v *string) {
	if v == nil {
		delete(r.ctx, k)
	} else {
		r.ctx[k] = []string{*v}
	}
}

func (r *EvalRequest) request() Request {
	ctx := map[string][]string{}
	for k, v := range r.ctx {
		ctx[k] = v
	}
	return Request{Principal: r.Caller.ARN, Action: r.Action, Resource: r.Resource, Context: ctx}
}

// policyLiterals maps each condition key to the values the statements name.
func policyLiterals(stmts []*Statement) map[string][]string {
	out := map[string][]string{}
	for _, s := range stmts {
		for _, c := range s.Conditions {
			for _, v := range c.Values {
				out[c.KeyLower] = appendUnique(out[c.KeyLower], v)
			}
		}
	}
	return out
}

func contains(list []string, v string) bool {
	for _, x := range list {
		if x == v {
			return true
		}
	}
	return false
}

// deltaSpace enumerates the classes of requests the statements tell apart.
func deltaSpace(opt DeltaOptions, stmts, all []*Statement) *space {
	owner := opt.Owner
	if owner == "" && opt.Facts != nil {
		owner = opt.Facts.AccountID
	}
	if owner == "" {
		owner = "123456789012"
	}
	f := Facts{AccountID: owner, RoleName: DefaultRoleName, RoleID: "AROAFIXPOLICYUNKNOWN0"}
	if opt.Facts != nil {
		f = *opt.Facts
	}
	var callers []callerCand
	if opt.Facts != nil {
		callers = append(callers, f.backupCallers()...)
		recreated := f.backupCallers()[0]
		recreated.derived = cloneCtx(recreated.derived)
		recreated.derived["aws:userid"] = []string{"AROAFIXPOLICYRECREATE:" + recreated.c.Session}
		recreated.backup, recreated.recreated = false, true
		recreated.label = "a re-created " + f.roleName() + " role (new RoleId)"
		callers = append(callers, recreated)
	}
	pol := &Policy{Statements: all}
	callers = append(callers, f.accountCallers(pol)...)
	for i := range callers {
		if !callers[i].backup {
			callers[i].label = strings.Replace(callers[i].label, "the account", "account "+owner, 1)
		}
	}
	callers = append(callers, literalCallers(f, all)...)
	other := "999999999999"
	if other == owner {
		other = "111111111111"
	}
	accounts := []string{other}
	if opt.Owner == "" && opt.Facts == nil {
		// Without an owner, the account named in the policies may be it.
		for _, s := range all {
			for _, c := range s.Conditions {
				if c.KeyLower == "aws:principalaccount" || c.KeyLower == "aws:resourceaccount" {
					for _, v := range c.Values {
						if isAccountID(v) {
							accounts = appendUnique(accounts, v)
						}
					}
				}
			}
		}
	}
	for _, s := range all {
		for _, e := range s.Principal.Values["AWS"] {
			if isAccountID(e) {
				accounts = appendUnique(accounts, e)
			} else if c, err := ParseCaller(e); err == nil && c.Kind == AccountRoot {
				accounts = appendUnique(accounts, c.Account)
			}
		}
	}
	for _, acct := range accounts {
		if acct == owner {
			continue
		}
		of := f
		of.AccountID = acct
		for _, cc := range of.accountCallers() {
			cc.account = false
			cc.label = strings.Replace(cc.label, "the account", "account "+acct, 1)
			callers = append(callers, cc)
		}
	}
	anon, _ := ParseCaller("anonymous")
	callers = append(callers, callerCand{c: anon, derived: map[string][]string{"aws:userid": {"anonymous"}, "aws:principaltype": {"Anonymous"}}, label: "anonymous callers"})
	services := []string{"fixpolicy-example.amazonaws.com"}
	for _, s := range all {
		services = append(services, s.Principal.Values["Service"]...)
	}
	sort.Strings(services)
	for i, svc := range services {
		if i > 0 && services[i-1] == svc {
			continue
		}
		c, err := ParseCaller(svc)
		if err != nil {
			continue
		}
		label := "the service " + svc
		if svc == "fixpolicy-example.amazonaws.com" {
			label = "other AWS service principals"
		}
		callers = append(callers, callerCand{c: c, derived: map[string][]string{}, label: label})
	}
	for _, s := range all {
		for _, cu := range s.Principal.Values["CanonicalUser"] {
			if c, err := ParseCaller(cu); err == nil {
				callers = append(callers, callerCand{c: c, derived: map[string][]string{}, label: "the canonical user " + cu})
			}
		}
	}

	actions := deltaActions(stmts, opt.CatalogueOnly)
	resources := deltaResources(all, f)
	if opt.Facts != nil && f.Bucket != "" {
		// A bucket policy is only ever evaluated for requests on its own
		// bucket and its objects.
		var own []string
		for _, r := range resources {
			if b, _ := splitS3(r); b == f.Bucket {
				own = append(own, r)
			}
		}
		resources = own
	}
	return &space{
		catalogue: s3actions.Names(),
		callers:   callers,
		actions:   actions,
		resources: func(action string) []string {
			b, o := resourceKinds(action)
			var out []string
			for _, r := range resources {
				isObj := strings.Contains(strings.TrimPrefix(r, "arn:"), "/")
				if isObj && o || !isObj && b {
					out = append(out, r)
				}
			}
			return out
		},
		known:  map[string][]string{},
		absent: map[string]bool{},
	}
}

func cloneCtx(m map[string][]string) map[string][]string {
	out := make(map[string][]string, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}

// literalCallers are principals that the statements' principal elements and
// principal-derived condition keys (aws:userid, aws:PrincipalArn,
// aws:username, aws:PrincipalAccount) single out.
func literalCallers(f Facts, stmts []*Statement) []callerCand {
	var out []callerCand
	seen := map[string]bool{}
	add := func(cc callerCand) {
		k := cc.c.ARN + "|" + strings.Join(cc.derived["aws:userid"], ",") + "|" + strings.Join(cc.derived["aws:principalarn"], ",")
		if !seen[k] {
			seen[k] = true
			out = append(out, cc)
		}
	}
	session := func(acct, role, roleARN, userid, label string) callerCand {
		c, _ := ParseCaller(fmt.Sprintf("arn:aws:sts::%s:assumed-role/%s/fixpolicy", acct, role))
		return callerCand{c: c, label: label, account: acct == f.AccountID, derived: map[string][]string{
			"aws:userid": {userid}, "aws:principalarn": {roleARN}, "aws:principalaccount": {acct}, "aws:principaltype": {"AssumedRole"}}}
	}
	user := func(acct, name, userid, label string) callerCand {
		arn := fmt.Sprintf("arn:aws:iam::%s:user/%s", acct, name)
		c, _ := ParseCaller(arn)
		return callerCand{c: c, label: label, account: acct == f.AccountID, derived: map[string][]string{
			"aws:userid": {userid}, "aws:principalarn": {arn}, "aws:principalaccount": {acct}, "aws:username": {name}, "aws:principaltype": {"User"}}}
	}
	byKey := map[string][]cond.KeyCond{}
	for _, s := range stmts {
		for _, e := range s.Principal.Values["AWS"] {
			c, err := ParseCaller(e)
			if err != nil {
				if strings.HasPrefix(e, "AROA") {
					add(session(f.AccountID, "role-"+e, fmt.Sprintf("arn:aws:iam::%s:role/role-%s", f.AccountID, e), e+":fixpolicy", "sessions of the role with unique ID "+e))
				} else if strings.HasPrefix(e, "AIDA") {
					add(user(f.AccountID, "user-"+e, e, "the user with unique ID "+e))
				}
				continue
			}
			switch c.Kind {
			case IAMUser:
				add(user(c.Account, strings.TrimPrefix(c.Path, "/")+c.Name, "AIDAFIXPOLICY"+strings.ToUpper(c.Name), "the user "+e))
			case IAMRole:
				add(session(c.Account, c.Name, e, "AROAFIXPOLICY"+strings.ToUpper(c.Name)+":fixpolicy", "sessions of the role "+e))
			case AssumedRole:
				cc := session(c.Account, c.Name, fmt.Sprintf("arn:aws:iam::%s:role/%s", c.Account, c.Name), "AROAFIXPOLICY"+strings.ToUpper(c.Name)+":"+c.Session, "the session "+e)
				cc.c = c
				add(cc)
			}
		}
		for _, c := range s.Conditions {
			if isDerived(c.KeyLower) && c.KeyLower != "aws:principaltype" {
				byKey[c.KeyLower] = append(byKey[c.KeyLower], cond.KeyCond{Op: c.Op, Values: c.Values})
			}
		}
	}
	keys := make([]string, 0, len(byKey))
	for k := range byKey {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		for _, w := range witnessesCached(byKey[k]) {
			switch k {
			case "aws:userid":
				id, sess, ok := strings.Cut(w, ":")
				switch {
				case ok && id == f.RoleID:
					cc := session(f.AccountID, f.roleName(), f.roleARN(), w, fmt.Sprintf("the backup role's sessions (aws:userid %s)", w))
					cc.backup = true
					add(cc)
				case ok && strings.HasPrefix(id, "AROA"):
					cc := session(f.AccountID, "role-"+id, fmt.Sprintf("arn:aws:iam::%s:role/role-%s", f.AccountID, id), w, fmt.Sprintf("sessions of the role with RoleId %s (aws:userid %s)", id, w))
					cc.class = "sessions of the role with RoleId " + id
					add(cc)
				case !ok && strings.HasPrefix(w, "AIDA"):
					add(user(f.AccountID, "user-"+w, w, "the user with unique ID "+w))
				default:
					_ = sess // other user IDs are the generic callers'
				}
			case "aws:principalarn":
				c, err := ParseCaller(w)
				if err != nil || !c.Authenticated() {
					continue
				}
				switch c.Kind {
				case IAMRole:
					cc := session(c.Account, c.Name, w, "AROAFIXPOLICY"+strings.ToUpper(c.Name)+":fixpolicy", "sessions of the role "+w)
					cc.class = cc.label
					// Another RoleId under the backup role's ARN: a re-created role.
					cc.recreated = w == f.roleARN() && f.RoleID != ""
					add(cc)
				case IAMUser:
					add(user(c.Account, strings.TrimPrefix(c.Path, "/")+c.Name, "AIDAFIXPOLICY"+strings.ToUpper(c.Name), "the user "+w))
				}
			case "aws:username":
				add(user(f.AccountID, w, "AIDAFIXPOLICYUSER"+fmt.Sprint(len(out)), "the user named "+w))
			case "aws:principalaccount":
				if isAccountID(w) {
					add(user(w, "fixpolicy-user", "AIDAFIXPOLICYACCT"+w, "an IAM user of account "+w))
				}
			}
		}
	}
	return out
}

// deltaActions are the actions to enumerate: the catalogue's S3 actions
// that the statements' patterns reach, the literal actions, and (unless
// catalogueOnly) instances of each wildcard that the catalogue does not
// know.
func deltaActions(stmts []*Statement, catalogueOnly bool) []string {
	var pats []string
	notAction := false
	for _, s := range stmts {
		pats = append(pats, s.Actions...)
		notAction = notAction || s.NotAction
	}
	var out []string
	seen := map[string]bool{}
	add := func(a string) {
		if k := strings.ToLower(a); !seen[k] {
			seen[k] = true
			out = append(out, a)
		}
	}
	for _, a := range s3actions.All() {
		q := a.Qualified()
		if notAction {
			add(q)
			continue
		}
		for _, p := range pats {
			if cond.MatchAction(p, q) {
				add(q)
				break
			}
		}
	}
	for _, p := range pats {
		if !strings.ContainsAny(p, "*?") {
			add(p)
		}
	}
	if !catalogueOnly {
		add("s3:FixpolicyUnlistedAction")
		for _, p := range pats {
			if p == "*" || !strings.HasPrefix(strings.ToLower(p), "s3:") {
				continue
			}
			inst := strings.NewReplacer("*", "FixpolicyUnlisted", "?", "X").Replace(p)
			add(inst)
		}
	}
	if len(out) == 0 {
		add("s3:GetObject")
	}
	return out
}

// deltaResources are the bucket and object ARNs that the statements'
// resource patterns tell apart.
func deltaResources(stmts []*Statement, f Facts) []string {
	var pats []string
	buckets := map[string]bool{}
	for _, s := range stmts {
		for _, r := range s.Resources {
			pats = append(pats, r)
			const pre = "arn:aws:s3:::"
			if strings.HasPrefix(r, pre) {
				name := strings.SplitN(r[len(pre):], "/", 2)[0]
				if name != "" && !strings.ContainsAny(name, "*?$") {
					buckets[name] = true
				}
			}
		}
	}
	if f.Bucket != "" {
		buckets[f.Bucket] = true
	}
	if len(buckets) == 0 {
		buckets["fixpolicy-bucket"] = true
	}
	var out []string
	names := make([]string, 0, len(buckets))
	for b := range buckets {
		names = append(names, b)
	}
	sort.Strings(names)
	for _, b := range names {
		out = appendUnique(out, "arn:aws:s3:::"+b)
		out = appendUnique(out, "arn:aws:s3:::"+b+"/fixpolicy/object-key")
	}
	if len(pats) > 0 {
		for _, w := range witnessesCached([]cond.KeyCond{{Op: mustOp("StringLike"), Values: pats}}) {
			if strings.HasPrefix(w, "arn:aws:s3:::") && len(w) > len("arn:aws:s3:::") {
				out = appendUnique(out, w)
			}
		}
	}
	return out
}

// describeIPValues describes address candidates by the literal ranges:
// "aws:SourceIp outside 192.0.2.0/24 and 203.0.113.0/24 (or absent)".
func describeIPValues(key string, set map[int]bool, cands []*string, literals []string) (string, bool) {
	var ranges []netip.Prefix
	for _, l := range literals {
		p, err := parsePrefix(l)
		if err != nil {
			return "", false
		}
		ranges = append(ranges, p)
	}
	if len(ranges) == 0 {
		return "", false
	}
	inside := func(c string) bool {
		a, err := netip.ParseAddr(c)
		if err != nil {
			return false
		}
		for _, r := range ranges {
			if r.Contains(a.Unmap()) {
				return true
			}
		}
		return false
	}
	allOut, allIn, anyOut, anyIn, absent := true, true, false, false, false
	for i, c := range cands {
		if c == nil {
			absent = set[i]
			continue
		}
		in := inside(*c)
		switch {
		case in && set[i]:
			anyIn = true
		case in:
			allIn = false
		case set[i]:
			anyOut = true
		default:
			allOut = false
		}
	}
	lits := strings.Join(literals, ", ")
	var alts []string
	switch {
	case anyOut && allOut && !anyIn:
		alts = append(alts, key+" outside "+lits)
	case anyIn && allIn && !anyOut:
		alts = append(alts, key+" inside "+lits)
	case anyIn || anyOut:
		return "", false
	}
	if absent {
		alts = append(alts, "no "+key)
	}
	return strings.Join(alts, " or "), true
}

// representatives groups the space's callers, resources and actions by how
// the statements see them: callers by their principal match in each
// statement and the principal-derived values the statements' conditions
// read; resources by their match in each statement and their kind; actions
// by their match in each statement and the kinds of resource they take. It
// returns the representative callers, each representative's members (itself
// first), and each representative resource's and action's members.
func representatives(sp *space, stmts []*Statement, vars bool) ([]callerCand, map[*callerCand][]*callerCand, map[string][]string, map[string][]string) {
	read := map[string]bool{}
	resVars := false
	for _, s := range stmts {
		for _, c := range s.Conditions {
			if isDerived(c.KeyLower) {
				read[c.KeyLower] = true
			}
			if vars {
				for _, v := range c.Values {
					for _, k := range varKeys(v) {
						read[k] = true
					}
				}
			}
		}
		for _, r := range s.Resources {
			resVars = resVars || vars && strings.Contains(r, "${")
		}
	}
	var reps []callerCand
	bySig := map[string]int{}
	var groups [][]*callerCand
	for i := range sp.callers {
		cc := &sp.callers[i]
		r := &EvalRequest{Caller: cc.c, ctx: cc.derived}
		var b strings.Builder
		for _, s := range stmts {
			fmt.Fprintf(&b, "%d,", s.principalMatch(r))
		}
		for _, k := range derivedKeys {
			if read[k] {
				fmt.Fprintf(&b, "|%q", cc.derived[k])
			}
		}
		fmt.Fprintf(&b, "|%s", cc.c.Account)
		sig := b.String()
		if j, ok := bySig[sig]; ok {
			groups[j] = append(groups[j], cc)
			continue
		}
		bySig[sig] = len(groups)
		groups = append(groups, []*callerCand{cc})
	}
	members := map[*callerCand][]*callerCand{}
	reps = make([]callerCand, len(groups))
	for j, g := range groups {
		reps[j] = *g[0]
		members[&reps[j]] = g
	}
	// Resources.
	seen := map[string]bool{}
	var all []string
	for _, a := range sp.actions {
		for _, r := range sp.resources(a) {
			if !seen[r] {
				seen[r] = true
				all = append(all, r)
			}
		}
	}
	resMembers := map[string][]string{}
	repOf := map[string]string{}
	for _, res := range all {
		if resVars {
			resMembers[res] = []string{res}
			continue
		}
		_, isObj := splitS3(res)
		var b strings.Builder
		fmt.Fprintf(&b, "%v|", isObj)
		for _, s := range stmts {
			fmt.Fprintf(&b, "%v,", s.resourceMatches(res, nil))
		}
		sig := b.String()
		if rep, ok := repOf[sig]; ok {
			resMembers[rep] = append(resMembers[rep], res)
			continue
		}
		repOf[sig] = res
		resMembers[res] = []string{res}
	}
	// Actions.
	actMembers := map[string][]string{}
	actRep := map[string]string{}
	for _, act := range sp.actions {
		bk, ob := resourceKinds(act)
		var b strings.Builder
		fmt.Fprintf(&b, "%v%v|", bk, ob)
		for _, s := range stmts {
			fmt.Fprintf(&b, "%v,", s.actionMatches(act))
		}
		sig := b.String()
		if rep, ok := actRep[sig]; ok {
			actMembers[rep] = append(actMembers[rep], act)
			continue
		}
		actRep[sig] = act
		actMembers[act] = []string{act}
	}
	return reps, members, resMembers, actMembers
}

// asMember is the request r (made for the representative rep) for another
// caller and resource of the same groups.
func asMember(r *EvalRequest, rep, cc *callerCand, res string) *EvalRequest {
	m := r.clone()
	m.Resource = res
	if cc != rep {
		m.Caller = cc.c
		for _, k := range derivedKeys {
			delete(m.ctx, k)
		}
		for k, v := range cc.derived {
			m.ctx[k] = v
		}
	}
	return m
}
