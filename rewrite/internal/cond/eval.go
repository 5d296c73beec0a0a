package cond

import (
	"net/netip"
	"slices"
	"strconv"
	"sync"
)

// pval is a policy value, parsed for its operator's family.
type pval struct {
	raw    string
	hasVar bool // String/ARN/Bool value containing "${"
	ok     bool // parsed successfully (typed families)
	b      bool
	dec    decimal
	inst   instant
	pfx    netip.Prefix
}

func parsePval(f Family, s string) pval {
	v := pval{raw: s}
	switch f {
	case String, ARN:
		v.hasVar = hasVar(s)
		v.ok = true
	case Bool:
		v.hasVar = hasVar(s)
		v.b, v.ok = parseBool(s)
	case Numeric:
		v.dec, v.ok = parseDecimal(s)
	case Date:
		v.inst, v.ok = parseDate(s)
	case IP:
		v.pfx, v.ok = parsePolicyIP(s)
	case Binary:
		v.ok = validBase64(s)
	case Null:
		v.b, v.ok = parseBool(s)
	}
	return v
}

// rval is a request value, parsed for its operator's family.
type rval struct {
	raw  string
	b    bool
	dec  decimal
	inst instant
	addr netip.Addr
}

// parseRval parses a request value; ok is false when the value cannot be interpreted by the
// family, in which case neither the positive nor the negated test holds.
func parseRval(f Family, s string) (rval, bool) {
	r := rval{raw: s}
	ok := true
	switch f {
	case Bool:
		r.b, ok = parseBool(s)
	case Numeric:
		r.dec, ok = parseDecimal(s)
	case Date:
		r.inst, ok = parseDate(s)
	case IP:
		r.addr, ok = parseRequestIP(s)
	case Binary:
		ok = validBase64(s)
	case ARN:
		_, ok = arnColons(s, false)
	}
	return r, ok
}

func ordered(c int, k cmpKind) bool {
	switch k {
	case cmpEq:
		return c == 0
	case cmpLT:
		return c < 0
	case cmpLE:
		return c <= 0
	case cmpGT:
		return c > 0
	case cmpGE:
		return c >= 0
	}
	return false
}

// matchText is the positive test for String and ARN operators.
func matchText(info *baseInfo, p string, pHasVar bool, r string, vars Resolver) bool {
	if pHasVar && vars != nil {
		if info.cmp == cmpLike {
			pat, ok := substitute(p, vars, true)
			if !ok {
				return false
			}
			if info.family == ARN {
				return arnLike(pat, true, r)
			}
			return glob(pat, r, true, false)
		}
		lit, ok := substitute(p, vars, false)
		if !ok {
			return false
		}
		if info.cmp == cmpEqFold {
			return foldEqual(lit, r)
		}
		return lit == r
	}
	switch info.cmp {
	case cmpEq:
		return p == r
	case cmpEqFold:
		return foldEqual(p, r)
	}
	if info.family == ARN {
		return arnLike(p, false, r)
	}
	return glob(p, r, false, false)
}

// matchPos is the positive (un-negated) test of one policy value against one request value.
// Ordered comparisons read "request OP policy", e.g. NumericLessThan: request < policy.
func matchPos(info *baseInfo, p *pval, r *rval, vars Resolver) bool {
	switch info.family {
	case String, ARN:
		return matchText(info, p.raw, p.hasVar, r.raw, vars)
	case Bool:
		if p.hasVar && vars != nil {
			lit, ok := substitute(p.raw, vars, false)
			if !ok {
				return false
			}
			b, ok := parseBool(lit)
			return ok && b == r.b
		}
		return p.ok && p.b == r.b
	case Numeric:
		return p.ok && ordered(r.dec.cmp(p.dec), info.cmp)
	case Date:
		return p.ok && ordered(r.inst.cmp(p.inst), info.cmp)
	case IP:
		return p.ok && p.pfx.Contains(r.addr)
	case Binary:
		return p.ok && p.raw == r.raw
	}
	return false
}

// evaluator is the shared skeleton of Operator.Eval and Compiled.Eval.
type evaluator struct {
	info     baseInfo
	set      SetOp
	ifExists bool
	raw      []string // policy values, parsed on the fly
	comp     []pval   // or pre-parsed
	compiled bool
	ips      *ipRanges // IP families with many ranges: sorted, searched
	vars     Resolver
}

func (e *evaluator) eval(req []string, present bool) bool {
	if e.info.family == Null {
		// Null: "true" means the key is absent, "false" that it is present (IAM-operators).
		if e.compiled {
			for i := range e.comp {
				if e.comp[i].ok && e.comp[i].b != present {
					return true
				}
			}
			return false
		}
		for _, s := range e.raw {
			if b, ok := parseBool(s); ok && b != present {
				return true
			}
		}
		return false
	}
	if !present {
		switch {
		case e.ifExists:
			return true // IAM-operators, ...IfExists: a missing key evaluates to true
		case e.set == ForAllValues:
			return true // IAM-multi: ForAllValues is true when the key is absent
		case e.set == ForAnyValue:
			return false // IAM-multi: ForAnyValue is false when the key is absent
		}
		return e.info.negated // IAM-operators: positive false, negated true
	}
	switch e.set {
	case ForAllValues:
		for _, v := range req {
			if !e.test(v) {
				return false
			}
		}
		return true // also for an empty value list (IAM-multi)
	case ForAnyValue:
		for _, v := range req {
			if e.test(v) {
				return true
			}
		}
		return false
	}
	if len(req) != 1 {
		return false // a multivalued key under a plain operator never matches (see doc.go)
	}
	return e.test(req[0])
}

// test is the per-value test: the request value matches some policy value (OR), negated for
// negated operators (NOR). A request value the family cannot interpret fails both ways.
func (e *evaluator) test(v string) bool {
	if f := e.info.family; !e.compiled && (f == String || f == ARN) {
		// Fast path: no parsing needed.
		if f == ARN {
			if _, ok := arnColons(v, false); !ok {
				return false
			}
		}
		m := false
		for _, p := range e.raw {
			if matchText(&e.info, p, e.vars != nil && hasVar(p), v, e.vars) {
				m = true
				break
			}
		}
		return m != e.info.negated
	}
	r, ok := parseRval(e.info.family, v)
	if !ok {
		return false
	}
	m := false
	if e.ips != nil {
		m = e.ips.contains(r.addr)
	} else if e.compiled {
		for i := range e.comp {
			if matchPos(&e.info, &e.comp[i], &r, e.vars) {
				m = true
				break
			}
		}
	} else {
		for _, s := range e.raw {
			p := parsePval(e.info.family, s)
			if matchPos(&e.info, &p, &r, e.vars) {
				m = true
				break
			}
		}
	}
	return m != e.info.negated
}

// Eval decides one (operator, key) condition for one request (IAM-operators, IAM-multi,
// IAM-vars).
//
// policyValues are the values listed in the policy for the key (JSON true -> "true", numbers as
// written); several values are ORed, and NORed for negated operators. req holds the request's
// values for the key, present=false meaning the key is absent from the request context. vars
// resolves policy variables in String, ARN and Bool values; nil means variables are not
// substituted (Version 2008-10-17: "${...}" is literal text). A value whose variable cannot be
// resolved matches nothing, so positive operators do not match through it and negated operators
// do (IAM-vars).
//
// Absent key: ...IfExists is true; otherwise ForAllValues is true and ForAnyValue false;
// otherwise positive operators are false and negated ones true. Null is true when its value
// ("true" = absent, "false" = present) describes the key. Present key: ForAllValues requires
// every request value to pass the per-value test (true for an empty list), ForAnyValue at least
// one; a plain operator requires exactly one request value (zero or several give false,
// package documentation). The per-value test of a negated operator is "matches none of the
// policy values"; a request value the family cannot interpret fails it either way.
//
// Eval never panics and does not allocate unless variables are substituted; an Operator whose
// Base is unknown evaluates to false.
func (op Operator) Eval(policyValues []string, req []string, present bool, vars Resolver) bool {
	info, ok := op.info()
	if !ok {
		return false
	}
	e := evaluator{info: info, set: op.Set, ifExists: op.IfExists, raw: policyValues, vars: vars}
	return e.eval(req, present)
}

// Compiled is an operator with its policy values parsed once, for repeated evaluation.
// It is immutable and safe for concurrent use.
type Compiled struct {
	op   Operator
	info baseInfo
	ok   bool
	vals []pval
	ips  *ipRanges
}

// ipRanges is the union of a condition's address ranges as sorted,
// disjoint intervals: membership is a binary search instead of a scan (800
// ranges, say). IPv4 ranges sort before IPv6 ones (netip.Addr.Compare), and
// an address meets only ranges of its own family, as Prefix.Contains says.
type ipRanges struct {
	lo, hi []netip.Addr
}

func newIPRanges(vals []pval) *ipRanges {
	type iv struct{ lo, hi netip.Addr }
	var ivs []iv
	for _, v := range vals {
		if !v.ok {
			continue
		}
		ivs = append(ivs, iv{v.pfx.Masked().Addr(), lastOf(v.pfx)})
	}
	slices.SortFunc(ivs, func(a, b iv) int { return a.lo.Compare(b.lo) })
	r := &ipRanges{}
	for _, x := range ivs {
		n := len(r.lo)
		if n > 0 && r.hi[n-1].BitLen() == x.lo.BitLen() && (x.lo.Compare(r.hi[n-1]) <= 0 || r.hi[n-1].Next() == x.lo) {
			if x.hi.Compare(r.hi[n-1]) > 0 {
				r.hi[n-1] = x.hi
			}
			continue
		}
		r.lo = append(r.lo, x.lo)
		r.hi = append(r.hi, x.hi)
	}
	return r
}

func (r *ipRanges) contains(a netip.Addr) bool {
	i, _ := slices.BinarySearchFunc(r.lo, a, func(x, t netip.Addr) int { return x.Compare(t) })
	// r.lo[i-1] <= a < r.lo[i] (or a == r.lo[i]).
	if i < len(r.lo) && r.lo[i] == a {
		return true
	}
	return i > 0 && r.hi[i-1].BitLen() == a.BitLen() && a.Compare(r.hi[i-1]) <= 0
}

// lastOf is the last address of a prefix.
func lastOf(p netip.Prefix) netip.Addr {
	a := p.Masked().Addr()
	b := a.AsSlice()
	bits := p.Bits()
	for i := range b {
		for j := 0; j < 8; j++ {
			if i*8+j >= bits {
				b[i] |= 0x80 >> j
			}
		}
	}
	out, _ := netip.AddrFromSlice(b)
	if a.Is4() {
		return out.Unmap()
	}
	return out
}

// Compile parses the policy values for repeated evaluation; Compiled.Eval(req, present, vars)
// equals op.Eval(policyValues, req, present, vars). Use it when the same condition is evaluated
// against many requests (IpAddress and Date values are then parsed once).
func (op Operator) Compile(policyValues []string) *Compiled {
	if op.base == 0 {
		return op.compile(policyValues)
	}
	// Each value with its length: [] and [""] differ, as do ["a,b"] and
	// ["a", "b"] whatever the separator.
	n := len(op.Name)
	for _, v := range policyValues {
		n += len(v) + 8
	}
	kb := make([]byte, 0, n)
	kb = append(kb, op.Name...)
	for _, v := range policyValues {
		kb = append(kb, '|')
		kb = strconv.AppendInt(kb, int64(len(v)), 10)
		kb = append(kb, ':')
		kb = append(kb, v...)
	}
	key := string(kb)
	if c, ok := compiledMemo.Load(key); ok {
		return c.(*Compiled)
	}
	c := op.compile(policyValues)
	compiledMemo.Store(key, c)
	return c
}

// compiledMemo maps an operator and its values to their compiled form,
// which never changes once built: an analysis and its proof compile each
// condition of a policy many times over (once per question). There are as
// many entries as distinct conditions the process has read.
var compiledMemo sync.Map

func (op Operator) compile(policyValues []string) *Compiled {
	info, ok := op.info()
	c := &Compiled{op: op, info: info, ok: ok}
	if ok {
		c.vals = make([]pval, len(policyValues))
		for i, s := range policyValues {
			c.vals[i] = parsePval(info.family, s)
		}
		if info.family == IP && len(c.vals) > 8 {
			c.ips = newIPRanges(c.vals)
		}
	}
	return c
}

// Operator returns the compiled operator.
func (c *Compiled) Operator() Operator { return c.op }

// Eval evaluates the compiled condition; see Operator.Eval.
func (c *Compiled) Eval(req []string, present bool, vars Resolver) bool {
	if !c.ok {
		return false
	}
	e := evaluator{info: c.info, set: c.op.Set, ifExists: c.op.IfExists, comp: c.vals, compiled: true, vars: vars, ips: c.ips}
	return e.eval(req, present)
}
