package cond

import (
	"math/bits"
	"unicode"
	"unicode/utf8"
)

// A "unit" is one character of a string: a valid UTF-8 rune, or a single byte that is not valid
// UTF-8. '?' matches exactly one unit. Units compare byte for byte (or, when folding, by Unicode
// simple case folding for valid runes).

func unitLen(s string, i int) int {
	if s[i] < utf8.RuneSelf {
		return 1
	}
	_, w := utf8.DecodeRuneInString(s[i:])
	return w
}

// unitEq compares two units.
func unitEq(a, b string, fold bool) bool {
	if a == b {
		return true
	}
	if !fold {
		return false
	}
	if len(a) == 1 && len(b) == 1 {
		return a[0] < utf8.RuneSelf && b[0] < utf8.RuneSelf && lowerASCII(a[0]) == lowerASCII(b[0])
	}
	ra, wa := utf8.DecodeRuneInString(a)
	rb, wb := utf8.DecodeRuneInString(b)
	if (ra == utf8.RuneError && wa == 1) || (rb == utf8.RuneError && wb == 1) {
		return false
	}
	return foldRuneEq(ra, rb)
}

// foldRuneEq reports whether r1 and r2 are equal under Unicode simple case folding
// (the rule strings.EqualFold uses).
func foldRuneEq(r1, r2 rune) bool {
	if r1 == r2 {
		return true
	}
	if r2 < r1 {
		r1, r2 = r2, r1
	}
	if r2 < utf8.RuneSelf {
		return 'A' <= r1 && r1 <= 'Z' && r2 == r1+'a'-'A'
	}
	r := unicode.SimpleFold(r1)
	for r != r1 && r < r2 {
		r = unicode.SimpleFold(r)
	}
	return r == r2
}

// foldEqual is strings.EqualFold, except that bytes that are not valid UTF-8 only equal
// themselves (strings.EqualFold treats every invalid byte as U+FFFD).
func foldEqual(a, b string) bool {
	i, j := 0, 0
	for i < len(a) && j < len(b) {
		if a[i] < utf8.RuneSelf && b[j] < utf8.RuneSelf {
			if lowerASCII(a[i]) != lowerASCII(b[j]) {
				return false
			}
			i++
			j++
			continue
		}
		wa, wb := unitLen(a, i), unitLen(b, j)
		if !unitEq(a[i:i+wa], b[j:j+wb], true) {
			return false
		}
		i += wa
		j += wb
	}
	return i == len(a) && j == len(b)
}

// glob matches s against pattern p: '*' matches any run of units (including none), '?' exactly
// one unit, anything else itself. With esc, a backslash makes the next unit literal (the Pattern
// form produced by SubstitutePattern). With fold, literals compare case-insensitively.
// The classic greedy algorithm with one backtrack point: linear in practice, no allocation.
func glob(p, s string, esc, fold bool) bool {
	pi, si := 0, 0
	starP, starS := -1, 0
	for si < len(s) {
		if pi < len(p) {
			c := p[pi]
			switch {
			case c == '*':
				pi++
				if pi == len(p) {
					return true // a trailing '*' takes the rest
				}
				starP, starS = pi, si
				continue
			case c == '?':
				pi++
				if s[si] < utf8.RuneSelf {
					si++
				} else {
					si += unitLen(s, si)
				}
				continue
			case c < utf8.RuneSelf && s[si] < utf8.RuneSelf && c != '\\':
				if c == s[si] || (fold && lowerASCII(c) == lowerASCII(s[si])) {
					pi++
					si++
					continue
				}
			default:
				lp := pi
				if esc && c == '\\' && pi+1 < len(p) {
					lp = pi + 1
				}
				pw, sw := unitLen(p, lp), unitLen(s, si)
				if unitEq(p[lp:lp+pw], s[si:si+sw], fold) {
					pi = lp + pw
					si += sw
					continue
				}
			}
		}
		if starP < 0 {
			return false
		}
		if s[starS] < utf8.RuneSelf {
			starS++
		} else {
			starS += unitLen(s, starS)
		}
		si, pi = starS, starP
	}
	for pi < len(p) && p[pi] == '*' {
		pi++
	}
	return pi == len(p)
}

// StringLike reports whether s matches the StringLike pattern: case-sensitive, '*' matches any
// run of characters (including none), '?' exactly one character, anywhere in the pattern
// (IAM-operators). There is no escape character; use SubstitutePattern for ${*} and ${?}.
func StringLike(pattern, s string) bool { return glob(pattern, s, false, false) }

// MatchAction reports whether action (e.g. "s3:GetObject") matches an Action/NotAction pattern:
// case-insensitive for prefix and name, '*' and '?' wildcards, "*" matches every action
// (IAM-action). The whole string is matched, so "s3:*" does not match "s3express:CreateSession".
func MatchAction(pattern, action string) bool {
	if pattern == "*" {
		return true
	}
	return glob(pattern, action, false, true)
}

// arnColons finds the first five separator colons of an ARN or ARN pattern. With esc, escaped
// units are skipped. ok is false when there are fewer than five.
func arnColons(s string, esc bool) (idx [5]int, ok bool) {
	n := 0
	for i := 0; i < len(s) && n < 5; i++ {
		switch s[i] {
		case ':':
			idx[n] = i
			n++
		case '\\':
			if esc && i+1 < len(s) {
				i += unitLen(s, i+1)
			}
		}
	}
	return idx, n == 5
}

// arnLike implements ArnLike/ArnEquals: both strings must have six colon-separated parts
// (arn:partition:service:region:account:resource, the last part taking the rest of the string);
// each pattern part is a case-sensitive glob matched against the same part of the ARN, so
// wildcards never cross the first five colons (IAM-operators, ARN condition operators).
func arnLike(p string, esc bool, arn string) bool {
	pc, ok := arnColons(p, esc)
	if !ok {
		return false
	}
	ac, ok := arnColons(arn, false)
	if !ok {
		return false
	}
	ps, as := 0, 0
	for k := 0; k < 5; k++ {
		if !glob(p[ps:pc[k]], arn[as:ac[k]], esc, false) {
			return false
		}
		ps, as = pc[k]+1, ac[k]+1
	}
	return glob(p[ps:], arn[as:], esc, false)
}

// ArnLike reports whether arn matches the ArnLike/ArnEquals pattern. Both must consist of six
// colon-separated parts, the sixth taking the rest of the string (so it may contain ':'); each
// part is a case-sensitive glob that cannot cross part boundaries. Anything without six parts
// matches nothing. (IAM-operators: "Each of the six colon-delimited components of the ARN is
// checked separately".)
func ArnLike(pattern, arn string) bool { return arnLike(pattern, false, arn) }

// MatchResource reports whether a request resource ARN matches a Resource/NotResource entry
// (IAM-resource):
//   - "*" alone matches everything;
//   - otherwise the pattern is split at its first five colons; '*' and '?' inside the first five
//     segments do not match ':', except that a '*' that is the last character of a segment may
//     expand across colon boundaries (IAM-resource: "If the * wildcard is the last character of a
//     resource ARN segment, it can expand to match beyond colon boundaries");
//   - the sixth segment (everything after the fifth colon, e.g. "bucket/key/with:colons") is a
//     glob whose '*' spans '/' and ':';
//   - matching is case-sensitive in every segment (for partition/service/region/account this is
//     not stated in AWS's documentation);
//   - the ARN must have at least six parts.
//
// With vars non-nil (policy Version 2012-10-17), policy variables in the resource segment are
// substituted (variables are only allowed after the fifth colon, IAM-vars); an unresolvable
// variable makes the pattern match nothing. With vars nil, "${...}" is literal text.
func MatchResource(pattern, arn string, vars Resolver) bool {
	if pattern == "*" {
		return true
	}
	esc := false
	if vars != nil && hasVar(pattern) {
		pc, ok := arnColons(pattern, false)
		if ok && hasVar(pattern[pc[4]+1:]) {
			res, ok := substitute(pattern[pc[4]+1:], vars, true)
			if !ok {
				return false
			}
			pattern = string(GlobPattern(pattern[:pc[4]+1])) + res
			esc = true
		}
	}
	return matchResource(pattern, esc, arn)
}

func matchResource(p string, esc bool, arn string) bool {
	if _, ok := arnColons(arn, false); !ok {
		return false
	}
	if !resourceCrossing(p, esc) {
		return arnLike(p, esc, arn)
	}
	return nfaMatch(resourceTokens(p, esc), arn)
}

// resourceCrossing reports whether some segment among the first five ends with an unescaped '*'.
func resourceCrossing(p string, esc bool) bool {
	seg := 0
	for i := 0; i < len(p) && seg < 5; i++ {
		switch p[i] {
		case '\\':
			if esc && i+1 < len(p) {
				i += unitLen(p, i+1)
			}
		case '*':
			if i+1 == len(p) || p[i+1] == ':' {
				return true
			}
		case ':':
			seg++
		}
	}
	return false
}

// ---- token NFA (used where wildcards of different kinds meet) ----------------------------------

type tokKind uint8

const (
	tLit  tokKind = iota // one unit
	tOne                 // any one unit
	tStar                // any run of units
)

type foldMode uint8

const (
	foldNone    foldMode = iota
	foldUnicode          // Unicode simple folding (StringEqualsIgnoreCase)
	foldASCII            // ASCII folding (Bool)
)

type tok struct {
	kind    tokKind
	fold    foldMode
	noColon bool   // tOne/tStar: does not match ':'
	unit    string // tLit
}

func (t *tok) matches(u string) bool {
	switch t.kind {
	case tLit:
		switch t.fold {
		case foldUnicode:
			return unitEq(t.unit, u, true)
		case foldASCII:
			return len(u) == 1 && len(t.unit) == 1 && lowerASCII(u[0]) == lowerASCII(t.unit[0])
		}
		return t.unit == u
	default:
		return !t.noColon || u != ":"
	}
}

// globTokens converts a glob (escaped form when esc) to tokens; noColon restricts wildcards.
func globTokens(dst []tok, p string, esc, noColon bool) []tok {
	for i := 0; i < len(p); {
		c := p[i]
		switch {
		case c == '*':
			dst = append(dst, tok{kind: tStar, noColon: noColon})
			i++
		case c == '?':
			dst = append(dst, tok{kind: tOne, noColon: noColon})
			i++
		default:
			if esc && c == '\\' && i+1 < len(p) {
				i++
			}
			w := unitLen(p, i)
			dst = append(dst, tok{kind: tLit, unit: p[i : i+w]})
			i += w
		}
	}
	return dst
}

// resourceTokens builds the token form of a Resource pattern (see MatchResource).
func resourceTokens(p string, esc bool) []tok {
	var out []tok
	seg := 0
	for i := 0; i < len(p); {
		c := p[i]
		if seg >= 5 {
			return globTokens(out, p[i:], esc, false)
		}
		switch {
		case c == ':':
			out = append(out, tok{kind: tLit, unit: ":"})
			seg++
			i++
		case c == '*':
			last := i+1 == len(p) || p[i+1] == ':'
			out = append(out, tok{kind: tStar, noColon: !last})
			i++
		case c == '?':
			out = append(out, tok{kind: tOne, noColon: true})
			i++
		default:
			if esc && c == '\\' && i+1 < len(p) {
				i++
			}
			w := unitLen(p, i)
			out = append(out, tok{kind: tLit, unit: p[i : i+w]})
			i += w
		}
	}
	return out
}

// nfa is a token sequence simulated as a nondeterministic automaton: state i means "the next
// token to match is i"; state len(toks) accepts.
type nfa struct{ toks []tok }

type bitset []uint64

func newBitset(n int) bitset    { return make(bitset, (n+64)/64) }
func (b bitset) has(i int) bool { return b[i/64]&(1<<(uint(i)%64)) != 0 }
func (b bitset) set(i int)      { b[i/64] |= 1 << (uint(i) % 64) }
func (b bitset) clear()         { clear(b) }
func (b bitset) empty() bool {
	for _, w := range b {
		if w != 0 {
			return false
		}
	}
	return true
}
func (n *nfa) states() int           { return len(n.toks) + 1 }
func (n *nfa) accepts(b bitset) bool { return b.has(len(n.toks)) }

func bitsetBytes(b bitset) []byte {
	out := make([]byte, 0, len(b)*8)
	for _, w := range b {
		for k := 0; k < 8; k++ {
			out = append(out, byte(w>>(8*k)))
		}
	}
	return out
}

// closeStars adds the states reachable by skipping star tokens (ascending, so runs of stars
// propagate within the pass).
func (n *nfa) closeStars(b bitset) {
	last := len(n.toks)
	for w := 0; w < len(b); w++ {
		word := b[w]
		for word != 0 {
			i := w*64 + bits.TrailingZeros64(word)
			word &= word - 1
			if i < last && n.toks[i].kind == tStar {
				b.set(i + 1)
				if (i+1)/64 == w {
					word |= 1 << (uint(i+1) % 64)
				}
			}
		}
	}
}

func (n *nfa) start() bitset {
	b := newBitset(n.states())
	b.set(0)
	n.closeStars(b)
	return b
}

// step computes the successor of cur on unit u into next (which is cleared first).
func (n *nfa) step(cur, next bitset, u string) {
	next.clear()
	last := len(n.toks)
	for w := 0; w < len(cur); w++ {
		word := cur[w]
		for word != 0 {
			i := w*64 + bits.TrailingZeros64(word)
			word &= word - 1
			if i >= last {
				continue
			}
			t := &n.toks[i]
			if !t.matches(u) {
				continue
			}
			if t.kind == tStar {
				next.set(i)
			} else {
				next.set(i + 1)
			}
		}
	}
	n.closeStars(next)
}

func nfaMatch(toks []tok, s string) bool {
	n := nfa{toks: toks}
	cur := n.start()
	next := newBitset(n.states())
	for i := 0; i < len(s); {
		w := unitLen(s, i)
		n.step(cur, next, s[i:i+w])
		cur, next = next, cur
		i += w
	}
	return n.accepts(cur)
}
