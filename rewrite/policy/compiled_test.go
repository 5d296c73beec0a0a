package policy

import (
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/fixpolicy/fixpolicy/rewrite/internal/cond"
)

// TestCompiledPatternsAgreeWithCond checks the compiled Action and Resource
// matchers (literal prefixes, fast paths) against cond.MatchAction and
// cond.MatchResource on random patterns and inputs over a small alphabet
// that includes every character with a special meaning.
func TestCompiledPatternsAgreeWithCond(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	pick := func(alpha []string, n int) string {
		var b strings.Builder
		for i := 0; i < n; i++ {
			b.WriteString(alpha[rng.IntN(len(alpha))])
		}
		return b.String()
	}
	actAlpha := []string{"s", "S", "3", ":", "g", "G", "e", "*", "?", "K", "\u212a", "k", "ſ"}
	resAlpha := []string{"a", "A", ":", "/", "*", "?", "$", "{", "}", "b", "日", "${aws:username}", "${*}"}
	vars := cond.MapResolver{"aws:username": "a*"}
	for i := 0; i < 200000; i++ {
		p := pick(actAlpha, rng.IntN(7))
		a := pick(actAlpha, rng.IntN(7))
		ap := compileAction(p)
		if got, want := ap.match(a, isASCII(a)), cond.MatchAction(p, a); got != want {
			t.Fatalf("action pattern %q vs %q: compiled %v, cond %v", p, a, got, want)
		}
		rp := "arn:" + pick(resAlpha, rng.IntN(12))
		rs := "arn:" + pick(resAlpha[:12], rng.IntN(12))
		if rng.IntN(3) == 0 {
			rs = "arn:a:b:::" + pick(resAlpha[:12], rng.IntN(6))
			rp = "arn:a:b:::" + pick(resAlpha, rng.IntN(6))
		}
		cp := compileResource(rp)
		for _, v := range []cond.Resolver{nil, vars} {
			if got, want := cp.match(rs, v), cond.MatchResource(rp, rs, v); got != want {
				t.Fatalf("resource pattern %q vs %q (vars %v): compiled %v, cond %v", rp, rs, v != nil, got, want)
			}
		}
	}
}
