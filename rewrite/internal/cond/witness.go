package cond

import (
	"fmt"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"
)

// KeyCond is one condition on a key: an operator and the values the policy lists for it.
type KeyCond struct {
	Op     Operator
	Values []string
	// Vars, if non-nil, is the Resolver the caller will pass to Eval for this condition;
	// Witnesses then reasons about the substituted values. Nil means no substitution.
	Vars Resolver
}

// Witnesses returns representative request values for a key that appears with these
// operators/values in a policy: a finite set W such that, for every possible single request
// value x (present, req = [x]), some w in W makes every given condition evaluate exactly as x
// does. Callers use it to enumerate "every value a request could carry" from the literals a
// policy mentions. Absence of the key is NOT a witness; callers add it.
//
// W always contains: each literal; for *Like and Arn* patterns an instantiation with every '*'
// empty and one with every '*' a fresh character run ('?' a fresh character); upper- and
// lower-case variants for IgnoreCase; "true" and "false" for Bool; each Binary value and
// another; for Numeric each n, n-1, n+1 and the midpoints; for Date t, t-1s, t+1s and the
// midpoints; for IP the first and last address of each range, the addresses just outside it,
// and one IPv4 and one IPv6 address outside every range. Further values are added only when
// they show a behaviour not yet covered: values found by exploring the product of the
// String/ARN/Bool/Binary patterns as automata (exact, including values that match no pattern),
// the edges of the IPv4 and IPv6 spaces, and one malformed value per typed family ("not-a-number",
// "not-a-date", "not-an-ip"; callers that know the key is always well formed may drop them).
//
// Exactness: W is complete whenever the conditions' families are all taken from one of the groups
// {String, ARN, Bool, Binary, Null}, {Numeric, Date, Null}, {IP, Null} (a key has one type;
// Numeric and Date meet on epoch-second keys such as aws:EpochTime). When one key mixes groups (say StringLike and NumericLessThan), W is the union of the
// groups' witnesses, which may miss combinations. The exploration has an internal budget that
// small policies never reach; beyond it, W is best effort.
//
// The order is deterministic and W has no duplicates.
func Witnesses(conds []KeyCond) []string {
	w := &witnessBuilder{conds: conds, seen: map[string]bool{}, vecs: map[string]bool{}}
	for i := range conds {
		info, ok := conds[i].Op.info()
		w.infos = append(w.infos, info)
		w.valid = append(w.valid, ok)
		// Parsed once: an IP condition with hundreds of ranges is
		// evaluated for every candidate.
		w.comp = append(w.comp, conds[i].Op.Compile(conds[i].Values))
	}
	w.fresh = w.freshUnit()
	w.stringRecipes()
	w.numeric()
	w.date()
	w.ip()
	w.epochIntegers()
	w.explore()
	w.extras()
	if len(w.out) == 0 {
		w.add("")
	}
	return w.out
}

type witnessBuilder struct {
	conds  []KeyCond
	comp   []*Compiled
	infos  []baseInfo
	valid  []bool
	fresh  string
	out    []string
	seen   map[string]bool // witness strings
	vecs   map[string]bool // evaluation vectors already covered
	extra  []string        // candidates kept only if they show a new behaviour
	req    [1]string
	vecBuf []byte
}

func (w *witnessBuilder) vector(x string) string {
	w.req[0] = x
	w.vecBuf = w.vecBuf[:0]
	for i := range w.conds {
		b := byte('0')
		if w.valid[i] && w.comp[i].Eval(w.req[:], true, w.conds[i].Vars) {
			b = '1'
		}
		w.vecBuf = append(w.vecBuf, b)
	}
	return string(w.vecBuf)
}

// add includes x unconditionally (unless it is a duplicate).
func (w *witnessBuilder) add(x string) {
	if w.seen[x] {
		return
	}
	w.seen[x] = true
	w.out = append(w.out, x)
	w.vecs[w.vector(x)] = true
}

// addIfNew includes x only when it evaluates differently from every witness so far.
func (w *witnessBuilder) addIfNew(x string) {
	if w.seen[x] {
		return
	}
	v := w.vector(x)
	if w.vecs[v] {
		return
	}
	w.seen[x] = true
	w.vecs[v] = true
	w.out = append(w.out, x)
}

func (w *witnessBuilder) has(f ...Family) bool {
	for i, info := range w.infos {
		if w.valid[i] && slices.Contains(f, info.family) {
			return true
		}
	}
	return false
}

// ---- String, ARN, Bool, Binary -------------------------------------------------------------

// resolvedText returns the plain and pattern forms of a String/ARN/Bool value after
// substitution; ok is false when a variable is unresolvable (the value then matches nothing).
func resolvedText(info baseInfo, v string, vars Resolver) (plain string, pat Pattern, ok bool) {
	if info.family != String && info.family != ARN && info.family != Bool {
		return v, GlobPattern(v), true
	}
	if info.cmp == cmpLike {
		pat, ok = SubstitutePattern(v, vars)
		return "", pat, ok
	}
	plain, ok = Substitute(v, vars)
	return plain, QuotePattern(plain), ok
}

// freshUnit picks a character that no String/ARN/Bool/Binary value mentions, in any case.
func (w *witnessBuilder) freshUnit() string {
	used := map[string]bool{":": true}
	for _, c := range "truefalse" { // the Bool automata spell these words
		used[string(c)] = true
	}
	for i, c := range w.conds {
		for _, v := range c.Values {
			for j := 0; j < len(v); {
				n := unitLen(v, j)
				used[v[j:j+n]] = true
				j += n
			}
		}
		if w.valid[i] && (w.infos[i].family == String || w.infos[i].family == ARN) {
			for _, v := range c.Values {
				if s, ok := Substitute(v, c.Vars); ok {
					for j := 0; j < len(s); {
						n := unitLen(s, j)
						used[s[j:j+n]] = true
						j += n
					}
				}
			}
		}
	}
	clash := func(u string) bool {
		for k := range used {
			if unitEq(k, u, true) {
				return true
			}
		}
		return false
	}
	for _, c := range "xzqjkvwybgmhpcdfnlr0123456789" {
		if u := string(c); !clash(u) {
			return u
		}
	}
	for r := rune(0x100); r < 0x3000; r++ {
		if u := string(r); unicode.IsLetter(r) && !clash(u) {
			return u
		}
	}
	return "\u2603"
}

// instantiate replaces each '*' by star and each '?' by one, unescaping literals.
func instantiate(p Pattern, star, one string) string {
	var b strings.Builder
	for i := 0; i < len(p); i++ {
		switch c := p[i]; {
		case c == '*':
			b.WriteString(star)
		case c == '?':
			b.WriteString(one)
		case c == '\\' && i+1 < len(p):
			i++
			b.WriteByte(p[i])
		default:
			b.WriteByte(c)
		}
	}
	return b.String()
}

func (w *witnessBuilder) stringRecipes() {
	for i, c := range w.conds {
		if !w.valid[i] {
			continue
		}
		info := w.infos[i]
		switch info.family {
		case String, ARN:
			for _, v := range c.Values {
				plain, pat, ok := resolvedText(info, v, c.Vars)
				if !ok {
					continue
				}
				switch info.cmp {
				case cmpLike:
					w.add(instantiate(pat, "", w.fresh))
					w.add(instantiate(pat, w.fresh+w.fresh, w.fresh))
				case cmpEqFold:
					w.add(plain)
					w.add(strings.ToUpper(plain))
					w.add(strings.ToLower(plain))
				default:
					w.add(plain)
				}
			}
		case Bool:
			w.add("true")
			w.add("false")
		case Binary:
			for _, v := range c.Values {
				if validBase64(v) {
					w.add(v)
				}
			}
			for b := 0; b < 256; b++ {
				enc := b64encode([]byte{byte(b)})
				if !slices.Contains(c.Values, enc) {
					w.add(enc)
					break
				}
			}
		}
	}
}

func b64encode(b []byte) string {
	const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
	var sb strings.Builder
	for i := 0; i < len(b); i += 3 {
		var n uint32
		k := min(3, len(b)-i)
		for j := 0; j < 3; j++ {
			n <<= 8
			if j < k {
				n |= uint32(b[i+j])
			}
		}
		for j := 0; j < 4; j++ {
			if j <= k {
				sb.WriteByte(alphabet[(n>>(18-6*uint(j)))&63])
			} else {
				sb.WriteByte('=')
			}
		}
	}
	return sb.String()
}

// atomsFor returns the token automata of the string-like predicates a condition tests.
func (w *witnessBuilder) atomsFor(i int) [][]tok {
	c, info := w.conds[i], w.infos[i]
	var atoms [][]tok
	for _, v := range c.Values {
		plain, pat, ok := resolvedText(info, v, c.Vars)
		if !ok {
			continue
		}
		switch info.family {
		case String:
			switch info.cmp {
			case cmpLike:
				atoms = append(atoms, globTokens(nil, string(pat), true, false))
			case cmpEqFold:
				ts := globTokens(nil, string(QuotePattern(plain)), true, false)
				for k := range ts {
					ts[k].fold = foldUnicode
				}
				atoms = append(atoms, ts)
			default:
				atoms = append(atoms, globTokens(nil, string(QuotePattern(plain)), true, false))
			}
		case ARN:
			if t, ok := arnTokens(string(pat)); ok {
				atoms = append(atoms, t)
			}
		case Bool:
			if b, ok := parseBool(plain); ok {
				atoms = append(atoms, boolTokens(b))
			}
		case Binary:
			if validBase64(v) {
				atoms = append(atoms, globTokens(nil, string(QuotePattern(v)), true, false))
			}
		}
	}
	if info.family == ARN {
		// Well-formedness (six parts) decides the negated operators on its own.
		wf, _ := arnTokens("*:*:*:*:*:*")
		atoms = append(atoms, wf)
	}
	return atoms
}

func boolTokens(b bool) []tok {
	word := "false"
	if b {
		word = "true"
	}
	ts := globTokens(nil, word, false, false)
	for k := range ts {
		ts[k].fold = foldASCII
	}
	return ts
}

// arnTokens converts an ArnLike pattern (escaped form) to tokens; ok is false without six parts.
func arnTokens(p string) ([]tok, bool) {
	pc, ok := arnColons(p, true)
	if !ok {
		return nil, false
	}
	var ts []tok
	start := 0
	for k := 0; k < 5; k++ {
		ts = globTokens(ts, p[start:pc[k]], true, true)
		ts = append(ts, tok{kind: tLit, unit: ":"})
		start = pc[k] + 1
	}
	return globTokens(ts, p[start:], true, false), true
}

const (
	exploreMaxStates = 20000
	exploreBudget    = 4_000_000 // token steps
)

// explore runs a breadth-first search over the product of the string-like automata; every
// reachable combination of pattern outcomes is visited, and its shortest string is kept when it
// evaluates differently from the witnesses so far.
func (w *witnessBuilder) explore() {
	var atoms []nfa
	keys := map[string]bool{}
	for i := range w.conds {
		if !w.valid[i] {
			continue
		}
		switch w.infos[i].family {
		case String, ARN, Bool, Binary:
		default:
			continue
		}
		for _, ts := range w.atomsFor(i) {
			k := fmt.Sprint(ts)
			if !keys[k] {
				keys[k] = true
				atoms = append(atoms, nfa{toks: ts})
			}
		}
	}
	if len(atoms) == 0 {
		if w.has(String, ARN, Bool, Binary, Null) {
			w.addIfNew(w.fresh)
		}
		return
	}
	alphabet := w.alphabet(atoms)

	type node struct {
		st []bitset
		s  string
	}
	stateKey := func(st []bitset) string {
		var b []byte
		for _, s := range st {
			b = append(b, bitsetBytes(s)...)
		}
		return string(b)
	}
	start := make([]bitset, len(atoms))
	for i := range atoms {
		start[i] = atoms[i].start()
	}
	seen := map[string]bool{stateKey(start): true}
	queue := []node{{st: start}}
	cost := 0
	for len(queue) > 0 {
		n := queue[0]
		queue = queue[1:]
		w.addIfNew(n.s)
		if cost > exploreBudget || len(seen) > exploreMaxStates {
			continue // budget exhausted: still keep the states already discovered
		}
		for _, u := range alphabet {
			next := make([]bitset, len(atoms))
			for i := range atoms {
				next[i] = newBitset(atoms[i].states())
				if !n.st[i].empty() {
					atoms[i].step(n.st[i], next[i], u)
					cost += len(atoms[i].toks)
				}
			}
			k := stateKey(next)
			if !seen[k] {
				seen[k] = true
				queue = append(queue, node{st: next, s: n.s + u})
			}
		}
	}
}

// alphabet returns one representative of every class of characters the automata distinguish:
// each literal, its case-fold variants, ':' and a fresh character.
func (w *witnessBuilder) alphabet(atoms []nfa) []string {
	set := map[string]bool{":": true, w.fresh: true}
	for _, a := range atoms {
		for _, t := range a.toks {
			if t.kind != tLit {
				continue
			}
			set[t.unit] = true
			switch t.fold {
			case foldASCII:
				set[strings.ToUpper(t.unit)] = true
				set[strings.ToLower(t.unit)] = true
			case foldUnicode:
				r, n := utf8.DecodeRuneInString(t.unit)
				if r == utf8.RuneError && n == 1 {
					continue
				}
				for f := unicode.SimpleFold(r); f != r; f = unicode.SimpleFold(f) {
					set[string(f)] = true
				}
			}
		}
	}
	out := make([]string, 0, len(set))
	for u := range set {
		out = append(out, u)
	}
	slices.Sort(out)
	return out
}

// ---- Numeric -------------------------------------------------------------------------------

func (w *witnessBuilder) extras() {
	for _, x := range w.extra {
		w.addIfNew(x)
	}
}
