package rewrite

import (
	"math/rand/v2"
	"testing"

	"github.com/fixpolicy/fixpolicy/rewrite/internal/cond"
)

// TestExactVectors checks the lookup shortcut for literal and prefix
// conditions against evaluating every condition, on random condition sets
// over a small alphabet (so that values collide, extend each other and are
// empty), with every qualifier, on the witnesses the analysis uses and on
// random values.
func TestExactVectors(t *testing.T) {
	rng := rand.New(rand.NewPCG(9, 9))
	word := func() string {
		b := make([]byte, rng.IntN(4))
		for i := range b {
			b[i] = "ab/"[rng.IntN(3)]
		}
		return string(b)
	}
	bases := []string{"StringEquals", "StringNotEquals", "StringLike", "StringNotLike"}
	quals := []string{"", "ForAnyValue:", "ForAllValues:"}
	checked := 0
	for n := range 2000 {
		var kcs []cond.KeyCond
		for range 1 + rng.IntN(4) {
			name := quals[rng.IntN(len(quals))] + bases[rng.IntN(len(bases))]
			if rng.IntN(3) == 0 {
				name += "IfExists"
			}
			var vals []string
			for range rng.IntN(4) {
				v := word()
				if rng.IntN(2) == 0 {
					v += "*"
				}
				vals = append(vals, v)
			}
			kcs = append(kcs, cond.KeyCond{Op: mustOp(name), Values: vals})
		}
		ws, ok := exactWitnesses(kcs)
		if !ok {
			continue
		}
		checked++
		d := &keyDom{key: "s3:prefix", kcs: kcs}
		fast := d.exactVectors()
		for range 20 {
			ws = append(ws, word())
		}
		for _, w := range ws {
			if got, want := fast(w), d.evalVector(w); got != want {
				t.Fatalf("case %d: %v on %q: lookups say %s, evaluation says %s", n, kcs, w, got, want)
			}
		}
	}
	if checked < 1000 {
		t.Fatalf("only %d of 2000 condition sets took the shortcut", checked)
	}
}
