package rewrite

import (
	"slices"
	"sort"
	"strings"

	"github.com/fixpolicy/fixpolicy/rewrite/internal/cond"
)

// collectKeys finds the free keys and their regions. Keys that policy
// variables read get their regions first, so that a condition comparing a
// key with a variable is split for each value the variable can take.
//
// It is long because it gathers every key of every statement and case in one pass, then fans the regions out to the worker pool; the steps share the maps they build.
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
		u.byKey[k].computeRegions(sp.choices, usedWithSet[k], varTargets[k])
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
	parallel(len(todo), func(i int) { compute(todo[i]) })
}

// computeRegions finds the key's regions: its choices when the space
// restricts it; else one representative per class of the witnesses of its
// conditions (each value a policy names a region of its own), or, for keys
// that policy variables involve, every witness. varTarget are the literal
// values a variable reading this key is compared with.
//
// It is long because the fixed-choice, pattern and literal paths share the witness list they refine.
func (d *keyDom) computeRegions(choices map[string][]string, usedWithSet bool, varTarget []string) {
	if ch, ok := choices[d.key]; ok {
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
	d.multi = isMultiValued(d.key, usedWithSet)
	if len(varTarget) > 0 {
		d.kcs = append(d.kcs, cond.KeyCond{Op: mustOp("StringEquals"), Values: varTarget})
	}
	d.kcs = uniqueKeyConds(d.kcs)
	var ws []string
	if len(d.kcs) > 0 {
		if exact, ok := exactWitnesses(d.kcs); ok && d.plain {
			ws = exact // literal strings only: no automata to explore
			d.exact = d.exactVectors()
		} else {
			ws = witnessesCached(d.kcs)
		}
	}
	if wellFormedKeys[d.key] {
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
	if d.exact != nil {
		return d.exact(x)
	}
	return d.evalVector(x)
}

// compile compiles the key's conditions once.
func (d *keyDom) compile() {
	if len(d.comp) != len(d.kcs) {
		d.comp = make([]*cond.Compiled, len(d.kcs))
		for i, kc := range d.kcs {
			d.comp[i] = kc.Op.Compile(kc.Values)
		}
	}
}

// evalVector is vector by evaluating every condition on x.
func (d *keyDom) evalVector(x string) string {
	d.compile()
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

// exactVectors returns vector for keys whose conditions compare literals
// and literal prefixes only (exactWitnesses applies): the conditions a value
// equals or extends are found by looking the value and each of its
// prefixes up, instead of evaluating every condition on it (a key with 160
// values costs 160 comparisons per witness otherwise). A condition's
// verdict on one present value depends only on whether the value matches
// one of its patterns, so both verdicts are read off the evaluator, on a
// value that matches and on one that does not.
func (d *keyDom) exactVectors() func(string) string {
	d.compile()
	whole, prefix := map[string][]int{}, map[string][]int{}
	hit, miss := make([]byte, len(d.kcs)), make([]byte, len(d.kcs))
	verdict := func(i int, x string) byte {
		if d.comp[i].Eval([]string{x}, true, nil) {
			return '1'
		}
		return '0'
	}
	for i, kc := range d.kcs {
		like := kc.Op.Base == "StringLike" || kc.Op.Base == "StringNotLike"
		for j, v := range kc.Values {
			if stem, ok := strings.CutSuffix(v, "*"); ok && like {
				prefix[stem] = append(prefix[stem], i)
				v = stem
			} else {
				whole[v] = append(whole[v], i)
			}
			if j == 0 {
				hit[i] = verdict(i, v)
			}
		}
	}
	matched := func(x string) []bool {
		m := make([]bool, len(d.kcs))
		for _, i := range whole[x] {
			m[i] = true
		}
		for l := 0; l <= len(x); l++ {
			for _, i := range prefix[x[:l]] {
				m[i] = true
			}
		}
		return m
	}
	for i := range d.kcs {
		if slices.Contains(prefix[""], i) {
			continue // "*": every value matches, miss is never read
		}
		x := "\x00fixpolicy-none"
		for matched(x)[i] {
			x += "\x00"
		}
		miss[i] = verdict(i, x)
	}
	return func(x string) string {
		b := slices.Clone(miss)
		for i, m := range matched(x) {
			if m {
				b[i] = hit[i]
			}
		}
		return string(b)
	}
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
				if v, ok := r.Ctx[k]; ok && len(v) == 1 {
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
		out[i] = cond.MapResolver(m)
	}
	return out
}
