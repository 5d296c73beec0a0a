package cond

import (
	"math/rand/v2"
	"net/netip"
	"testing"
)

// TestIPRangesAgreeWithScan: the sorted-interval membership used for
// conditions with many ranges answers as a scan of Prefix.Contains does, on
// random overlapping and adjacent IPv4 and IPv6 ranges and on every range's
// edges and their neighbours.
func TestIPRangesAgreeWithScan(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 9))
	randAddr := func(v6 bool) netip.Addr {
		if v6 {
			var b [16]byte
			b[0], b[1] = 0x20, 0x01
			for i := 2; i < 16; i++ {
				b[i] = byte(r.IntN(4))
			}
			return netip.AddrFrom16(b)
		}
		return netip.AddrFrom4([4]byte{10, byte(r.IntN(4)), byte(r.IntN(256)), byte(r.IntN(256))})
	}
	for round := 0; round < 300; round++ {
		var vals []pval
		var probes []netip.Addr
		for i := 0; i < 9+r.IntN(40); i++ {
			v6 := r.IntN(3) == 0
			bits := 16 + r.IntN(17)
			if v6 {
				bits = 100 + r.IntN(29)
			}
			p := netip.PrefixFrom(randAddr(v6), bits).Masked()
			vals = append(vals, pval{raw: p.String(), ok: true, pfx: p})
			first, last := p.Addr(), lastOf(p)
			probes = append(probes, first, last, first.Prev(), last.Next())
		}
		for i := 0; i < 50; i++ {
			probes = append(probes, randAddr(r.IntN(2) == 0))
		}
		probes = append(probes, netip.MustParseAddr("::ffff:10.0.0.1"), netip.MustParseAddr("0.0.0.0"))
		ips := newIPRanges(vals)
		for _, a := range probes {
			if !a.IsValid() {
				continue
			}
			want := false
			for _, v := range vals {
				want = want || v.pfx.Contains(a)
			}
			if got := ips.contains(a); got != want {
				t.Fatalf("round %d: %s in %d ranges: %v, want %v", round, a, len(vals), got, want)
			}
		}
	}
}
