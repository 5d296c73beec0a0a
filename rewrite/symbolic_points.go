package rewrite

import (
	"fmt"
	"slices"
	"sort"
	"strings"

	"github.com/fixpolicy/fixpolicy/rewrite/internal/cond"
	"github.com/fixpolicy/fixpolicy/rewrite/internal/sym"
	"github.com/fixpolicy/fixpolicy/rewrite/policy"
)

// request is the concrete request a point stands for.
func (u *universe) request(p sym.Point) *EvalRequest {
	cc := &u.sp.callers[p[u.caller]]
	r := &EvalRequest{Caller: cc.c, Action: u.sp.actions[p[u.action]], Resource: u.resources[p[u.resource]], Ctx: map[string][]string{}}
	for k, v := range u.base[p[u.caller]].Ctx {
		r.Ctx[k] = v
	}
	for _, d := range u.keys {
		if !d.multi {
			if x := p[d.v]; x > 0 {
				r.Ctx[d.key] = []string{d.vals[x-1]}
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
		r.Ctx[d.key] = vals
	}
	return r
}

// point maps a concrete request to the point of its class: the caller,
// action and resource that every statement treats alike, and each key's
// region. It reports false when the universe has no such point (the request
// lies outside the space).
func (u *universe) point(r *EvalRequest) (sym.Point, bool) {
	// Policy variables that read a key no policy fixes (a principal tag,
	// say) compare its value with other values; the universe gives such a
	// key one value per region, so a request whose value no policy names
	// is in the class of the same request with that value renamed,
	// throughout, to a representative, when both policies decide the two
	// alike.
	for _, r1 := range append([]*EvalRequest{r}, u.valueRenames(r)...) {
		if r1 != r && !u.decideAlike(r, r1) {
			continue
		}
		// The point's own request must be decided as r is: regions of
		// keys that variables compare were computed for the
		// representatives' values, not r's.
		if p, ok := u.pointExact(r1); ok && u.decideAlike(r, u.request(p)) {
			return p, true
		}
		// Policy variables read derived values (aws:userid,
		// aws:username...) that the universe fixes per caller: a request
		// of a caller whose values no policy names is in the class of the
		// same request made by a caller of the universe, with its values
		// renamed throughout, when both policies decide the two alike.
		for ci := range u.base {
			r2 := renameCaller(r1, u.base[ci])
			if r2 == nil || !u.decideAlike(r, r2) {
				continue
			}
			if p, ok := u.pointExact(r2); ok && p[u.caller] == ci && u.decideAlike(r, u.request(p)) {
				return p, true
			}
		}
	}
	return nil, false
}

// maxRenames bounds the renamed requests valueRenames tries.
const maxRenames = 256

// valueRenames are r with the value of each key that policy variables read
// (and that is not derived from the caller) renamed to each of the key's
// representatives, wherever the value appears in r.
func (u *universe) valueRenames(r *EvalRequest) []*EvalRequest {
	var keys []string
	for k := range u.varReadKeys() {
		if d := u.byKey[k]; d != nil && !isDerived(k) && !d.multi {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	cands := []*EvalRequest{r}
	var out []*EvalRequest
	for _, k := range keys {
		var next []*EvalRequest
		for _, c := range cands {
			v := c.Ctx[k]
			if len(v) != 1 || v[0] == "" || slices.Contains(u.byKey[k].vals, v[0]) {
				next = append(next, c)
				continue
			}
			for _, w := range u.byKey[k].vals {
				if len(next) < maxRenames {
					next = append(next, renameValue(c, k, v[0], w))
				}
			}
		}
		cands = next
	}
	for _, c := range cands {
		if c != r {
			out = append(out, c)
		}
	}
	return out
}

// renameValue is r with key's value old renamed to new, in every other
// context value and the resource too (case-folded as well, for the
// IgnoreCase operators).
func renameValue(r *EvalRequest, key, old, new string) *EvalRequest {
	r2 := renamed(r, r.Caller, strings.NewReplacer(foldedPair(nil, old, new)...))
	r2.Ctx[key] = []string{new}
	return r2
}

// renameCaller is r made by cand's caller: the derived keys take cand's
// values, and each of r's derived values is replaced by cand's wherever it
// appears in the other context values and the resource.
func renameCaller(r, cand *EvalRequest) *EvalRequest {
	var pairs []string
	for _, k := range derivedKeys {
		old, new := r.Ctx[k], cand.Ctx[k]
		if len(old) == 1 && len(new) == 1 && old[0] != "" {
			pairs = foldedPair(pairs, old[0], new[0])
		}
	}
	r2 := renamed(r, cand.Caller, strings.NewReplacer(pairs...))
	for _, k := range derivedKeys {
		delete(r2.Ctx, k)
		if v, ok := cand.Ctx[k]; ok {
			r2.Ctx[k] = v
		}
	}
	return r2
}

// foldedPair adds old → new to a replacer's pairs, case-folded too, for
// the IgnoreCase operators.
func foldedPair(pairs []string, old, new string) []string {
	return append(pairs, old, new, strings.ToLower(old), strings.ToLower(new), strings.ToUpper(old), strings.ToUpper(new))
}

// renamed is r made by caller, with rep applied to its resource and to its
// context values other than the caller's derived ones.
func renamed(r *EvalRequest, caller Caller, rep *strings.Replacer) *EvalRequest {
	r2 := &EvalRequest{Caller: caller, Action: r.Action, Resource: rep.Replace(r.Resource), Ctx: make(map[string][]string, len(r.Ctx))}
	for k, v := range r.Ctx {
		if isDerived(k) {
			r2.Ctx[k] = v
			continue
		}
		vv := make([]string, len(v))
		for i, x := range v {
			vv[i] = rep.Replace(x)
		}
		r2.Ctx[k] = vv
	}
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

// varReadKeys are the keys that the policy variables of the statements read.
func (u *universe) varReadKeys() map[string]bool {
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
	return varRead
}

// pointExact is point without renaming.
func (u *universe) pointExact(r *EvalRequest) (sym.Point, bool) {
	p := make(sym.Point, u.s.Vars())
	var ok bool
	if p[u.caller], ok = u.callerOf(r); !ok {
		return nil, false
	}
	if p[u.action], ok = u.actionOf(r.Action); !ok {
		return nil, false
	}
	if p[u.resource], ok = u.resourceOf(r); !ok {
		return nil, false
	}
	for _, d := range u.keys {
		if !d.place(p, r) {
			return nil, false
		}
	}
	return p, true
}

// resolverOf is the resolver statement st evaluates req's variables with.
func (u *universe) resolverOf(st *Statement, req *EvalRequest) cond.Resolver {
	if u.varsOf[st] {
		return req
	}
	return nil
}

// callerVec is how the statements treat req's caller: their principal
// matches and the conditions on keys the universe does not vary.
func (u *universe) callerVec(req *EvalRequest, varRead map[string]bool) string {
	var b strings.Builder
	for _, st := range u.stmts {
		pm := st.PrincipalMatch(req)
		fmt.Fprintf(&b, "%d", pm)
		if pm == policy.MatchAccount && u.owner != "" && req.Caller.Account == u.owner {
			b.WriteByte('o')
		}
		for ci := range st.Conditions {
			c := &st.Conditions[ci]
			if u.byKey[c.KeyLower] == nil {
				v, ok := req.Ctx[c.KeyLower]
				fmt.Fprintf(&b, "%t", c.Op.Eval(c.Values, v, ok, u.resolverOf(st, req)))
			}
		}
	}
	// Variables that read a derived key: only the same values are
	// certainly alike.
	for _, k := range derivedKeys {
		if varRead[k] {
			b.WriteString(strings.Join(req.Ctx[k], ","))
			b.WriteByte('|')
		}
	}
	return b.String()
}

// callerOf is the universe's caller that every statement treats as r's.
func (u *universe) callerOf(r *EvalRequest) (int, bool) {
	varRead := u.varReadKeys()
	u.callerVecsOnce.Do(func() {
		u.callerVecs = make([]string, len(u.base))
		for ci := range u.base {
			u.callerVecs[ci] = u.callerVec(&EvalRequest{Caller: u.base[ci].Caller, Ctx: u.base[ci].Ctx}, varRead)
		}
	})
	want := u.callerVec(r, varRead)
	for ci := range u.base {
		if u.callerVecs[ci] == want {
			return ci, true
		}
	}
	return 0, false
}

// actionVec is how the statements treat an action, with the kinds of
// resource it applies to.
func (u *universe) actionVec(a string) string {
	var b strings.Builder
	bk, ob := resourceKinds(a)
	fmt.Fprintf(&b, "%t%t", bk, ob)
	for _, st := range u.stmts {
		fmt.Fprintf(&b, "%t", st.ActionMatches(a))
	}
	return b.String()
}

// actionOf is the universe's action that every statement treats as a.
func (u *universe) actionOf(a string) (int, bool) {
	u.actionVecsOnce.Do(func() {
		u.actionVecs = make([]string, len(u.sp.actions))
		for ai, x := range u.sp.actions {
			u.actionVecs[ai] = u.actionVec(x)
		}
	})
	want := u.actionVec(a)
	for ai, vec := range u.actionVecs {
		if vec == want {
			return ai, true
		}
	}
	return 0, false
}

// resourceOf is the universe's resource that every statement treats as
// r's (with r's variables).
func (u *universe) resourceOf(r *EvalRequest) (int, bool) {
	resVec := func(res string) string {
		var b strings.Builder
		_, obj := splitS3(res)
		fmt.Fprintf(&b, "%t", obj)
		for _, st := range u.stmts {
			fmt.Fprintf(&b, "%t", st.ResourceMatches(res, u.resolverOf(st, r)))
		}
		return b.String()
	}
	want := resVec(r.Resource)
	for ri, res := range u.resources {
		if res == r.Resource || resVec(res) == want {
			return ri, true
		}
	}
	return 0, false
}

// region is the region of the key's value x: its own when x is a
// representative, else one with the same outcome under every condition on
// the key, in every case of the variables they read.
func (d *keyDom) region(x string) (int, bool) {
	for i, w := range d.vals {
		if w == x {
			return i, true
		}
	}
	vec := d.vector(x)
	for i, w := range d.vals {
		if d.vector(w) == vec {
			return i, true
		}
	}
	return 0, false
}

// place sets the key's variables in p to r's value of the key.
func (d *keyDom) place(p sym.Point, r *EvalRequest) bool {
	v, ok := r.Ctx[d.key]
	if !d.multi {
		if !ok {
			p[d.v] = 0
			return true
		}
		if len(v) != 1 {
			return false
		}
		i, ok := d.region(v[0])
		p[d.v] = i + 1
		return ok
	}
	if !ok {
		return true
	}
	p[d.present] = 1
	if len(v) >= 2 {
		p[d.many] = 1
	}
	for _, x := range v {
		i, ok := d.region(x)
		if !ok {
			return false
		}
		p[d.bits[i]] = 1
	}
	return true
}
