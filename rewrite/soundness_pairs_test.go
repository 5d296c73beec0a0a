package rewrite

import (
	"math/rand/v2"
	"net/netip"
)

func lastAddr(p netip.Prefix) netip.Addr {
	a := p.Masked().Addr()
	b := a.AsSlice()
	for i := p.Bits(); i < len(b)*8; i++ {
		b[i/8] |= 1 << (7 - i%8)
	}
	out, _ := netip.AddrFromSlice(b)
	return out
}

// soundPair is a pair of policies and how b was made from a.
type soundPair struct {
	seed       string
	ops        []string
	srcA, srcB []byte
	a, b       *Policy
}

// makePair mutates a seed with one to three operators chosen by r. It
// returns false when the result does not parse (or nothing applied).
func makePair(r *rand.Rand, seed soundSeed) (soundPair, bool) {
	pa, err := decodeJSON(seed.src)
	if err != nil {
		return soundPair{}, false
	}
	pb := cloneJSON(pa).(jmap)
	n := 1
	switch x := r.IntN(10); {
	case x >= 9:
		n = 3
	case x >= 7:
		n = 2
	}
	var ops []string
	for range n {
		for try := 0; try < 8; try++ {
			m := soundMutations[r.IntN(len(soundMutations))]
			if m.fn(r, pb) {
				ops = append(ops, m.name)
				break
			}
		}
	}
	if len(ops) == 0 {
		return soundPair{}, false
	}
	srcB := encodeJSON(pb)
	b, err := Parse(srcB)
	if err != nil {
		return soundPair{}, false
	}
	a, err := Parse(seed.src)
	if err != nil {
		return soundPair{}, false
	}
	return soundPair{seed: seed.name, ops: ops, srcA: seed.src, srcB: srcB, a: a, b: b}, true
}
