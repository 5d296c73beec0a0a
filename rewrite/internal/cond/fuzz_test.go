package cond

import (
	"regexp"
	"strings"
	"testing"
	"unicode/utf8"
)

func splitList(s string) []string {
	if s == "" {
		return nil
	}
	return strings.Split(s, "|")
}

// FuzzEval: Eval never panics, is deterministic, agrees with Compile, and ParseOperator and
// Validate accept arbitrary input.
func FuzzEval(f *testing.F) {
	for _, c := range conformance {
		f.Add(c.op, strings.Join(c.values, "|"), strings.Join(c.req, "|"), c.present, c.vars != nil)
	}
	f.Add("ForAnyValue:IpAddressIfExists", "::ffff:1.2.3.4/120|10.0.0.0/8", "::ffff:1.2.3.4|x", true, false)
	f.Add("DateLessThan", "9999-12-31T23:59:59.9999999999Z", "-62167219200", true, false)
	f.Fuzz(func(t *testing.T, opName, values, req string, present, useVars bool) {
		op, err := ParseOperator(opName)
		if err != nil {
			// Hand-built operators from arbitrary text must not panic either.
			op = Operator{Name: opName, Base: opName}
		}
		pv, rv := splitList(values), splitList(req)
		var vars Resolver
		if useVars {
			vars = MapResolver{"aws:username": "a*b", "aws:x": "${aws:x}", "": "empty"}
		}
		got := op.Eval(pv, rv, present, vars)
		if again := op.Eval(pv, rv, present, vars); again != got {
			t.Fatalf("non-deterministic Eval")
		}
		if comp := op.Compile(pv).Eval(rv, present, vars); comp != got {
			t.Fatalf("Compile().Eval = %v, Eval = %v", comp, got)
		}
		_ = op.Validate(pv)
		if err == nil {
			if back, err := ParseOperator(op.Name); err != nil || back != op {
				t.Fatalf("canonical name %q does not round-trip: %v", op.Name, err)
			}
			// Set-operator laws (IAM-multi).
			if op.Set == ForAllValues && !present && !got {
				t.Fatalf("ForAllValues must be true on an absent key")
			}
			if op.IfExists && !present && !got {
				t.Fatalf("IfExists must be true on an absent key")
			}
		}
	})
}

// globRegexp is a reference implementation of StringLike/MatchAction built on regexp.
func globRegexp(p string, fold bool) *regexp.Regexp {
	var b strings.Builder
	b.WriteString("(?s)")
	if fold {
		b.WriteString("(?i)")
	}
	b.WriteString("^")
	for _, r := range p {
		switch r {
		case '*':
			b.WriteString(".*")
		case '?':
			b.WriteString(".")
		default:
			b.WriteString(regexp.QuoteMeta(string(r)))
		}
	}
	b.WriteString("$")
	return regexp.MustCompile(b.String())
}

// resourceRegexp is a reference implementation of MatchResource's documented rules.
func resourceRegexp(p string) *regexp.Regexp {
	var b strings.Builder
	b.WriteString("(?s)^")
	seg := 0
	rs := []rune(p)
	for i, r := range rs {
		if seg >= 5 {
			switch r {
			case '*':
				b.WriteString(".*")
			case '?':
				b.WriteString(".")
			default:
				b.WriteString(regexp.QuoteMeta(string(r)))
			}
			continue
		}
		switch r {
		case ':':
			b.WriteString(":")
			seg++
		case '*':
			if i+1 == len(rs) || rs[i+1] == ':' {
				b.WriteString(".*")
			} else {
				b.WriteString("[^:]*")
			}
		case '?':
			b.WriteString("[^:]")
		default:
			b.WriteString(regexp.QuoteMeta(string(r)))
		}
	}
	b.WriteString("$")
	return regexp.MustCompile(b.String())
}

// arnLikeRef is a reference ArnLike: split both at the first five colons, compare part-wise.
func arnLikeRef(p, s string) bool {
	pp, sp := strings.SplitN(p, ":", 6), strings.SplitN(s, ":", 6)
	if len(pp) != 6 || len(sp) != 6 {
		return false
	}
	for i := range pp {
		if !globRegexp(pp[i], false).MatchString(sp[i]) {
			return false
		}
	}
	return true
}

// FuzzGlob cross-checks the wildcard matchers against regexp-based reference implementations.
func FuzzGlob(f *testing.F) {
	for _, c := range actionCases {
		f.Add(c.pattern, c.subject)
	}
	for _, c := range resourceCases {
		f.Add(c.pattern, c.subject)
	}
	for _, c := range conformance {
		if c.op == "StringLike" || c.op == "ArnLike" {
			for _, r := range c.req {
				f.Add(c.values[0], r)
			}
		}
	}
	f.Add("a*a*a*a*a*a*b", strings.Repeat("a", 60))
	f.Add("k*ſ", "\u212aS")
	f.Fuzz(func(t *testing.T, p, s string) {
		if len(p) > 200 || len(s) > 400 {
			return
		}
		like := StringLike(p, s)
		act := MatchAction(p, s)
		arn := ArnLike(p, s)
		res := MatchResource(p, s, nil)
		if GlobPattern(p).Match(s) != like || GlobPattern(p).MatchARN(s) != arn || GlobPattern(p).MatchResource(s) != res {
			t.Fatalf("Pattern methods disagree with raw matchers for %q %q", p, s)
		}
		if !QuotePattern(s).Match(s) {
			t.Fatalf("QuotePattern(%q) does not match itself", s)
		}
		if !utf8.ValidString(p) || !utf8.ValidString(s) {
			return // regexp reads invalid bytes as U+FFFD; the matchers compare bytes
		}
		if want := globRegexp(p, false).MatchString(s); like != want {
			t.Fatalf("StringLike(%q, %q) = %v, regexp says %v", p, s, like, want)
		}
		if want := p == "*" || globRegexp(p, true).MatchString(s); act != want {
			t.Fatalf("MatchAction(%q, %q) = %v, regexp says %v", p, s, act, want)
		}
		if want := arnLikeRef(p, s); arn != want {
			t.Fatalf("ArnLike(%q, %q) = %v, reference says %v", p, s, arn, want)
		}
		want := p == "*" || (strings.Count(s, ":") >= 5 && resourceRegexp(p).MatchString(s))
		if res != want {
			t.Fatalf("MatchResource(%q, %q) = %v, reference says %v", p, s, res, want)
		}
	})
}

// FuzzWitnesses: for arbitrary values under a pair of operators, every probe value behaves like
// some witness (the conditions share the String/ARN/Bool/Binary group).
func FuzzWitnesses(f *testing.F) {
	f.Add(uint8(0), uint8(5), "AROA*:*", "arn:aws:iam::*:role/x", "AROA1:x")
	f.Add(uint8(2), uint8(6), "Ab?", "arn:*:s3:::b/${*}", "ab")
	f.Add(uint8(9), uint8(10), "true", "QUJD", "TRUE")
	ops := []string{"StringEquals", "StringNotEquals", "StringEqualsIgnoreCase", "StringNotEqualsIgnoreCase", "StringLike", "StringNotLike",
		"ArnLike", "ArnNotLike", "ArnEquals", "Bool", "BinaryEquals", "Null"}
	f.Fuzz(func(t *testing.T, a, b uint8, v1, v2, probe string) {
		if len(v1) > 24 || len(v2) > 24 || len(probe) > 40 || !utf8.ValidString(v1+v2+probe) {
			return
		}
		vars := MapResolver{"aws:username": "u*"}
		conds := []KeyCond{
			{Op: mustOp(t, ops[int(a)%len(ops)]), Values: []string{v1}, Vars: vars},
			{Op: mustOp(t, ops[int(b)%len(ops)]), Values: []string{v2, v1}},
		}
		ws := Witnesses(conds)
		target := vectorOf(conds, probe)
		for _, w := range ws {
			if vectorOf(conds, w) == target {
				return
			}
		}
		t.Fatalf("probe %q (%s) not represented; conditions %s; witnesses %q", probe, target, describe(conds), ws)
	})
}
