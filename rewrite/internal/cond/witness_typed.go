package cond

import (
	"fmt"
	"math/big"
	"net/netip"
	"slices"
	"strings"
)

// Witnesses for the typed operator families: numbers, dates and IP
// addresses, each at and around every boundary the conditions name.

func decString(d decimal) string {
	s := d.ip
	if s == "" {
		s = "0"
	}
	if d.fp != "" {
		s += "." + d.fp
	}
	if d.neg {
		s = "-" + s
	}
	return s
}

func ratString(r *big.Rat, prec int) string {
	s := r.FloatString(prec)
	if strings.IndexByte(s, '.') >= 0 {
		s = strings.TrimRight(strings.TrimRight(s, "0"), ".")
	}
	if s == "-0" {
		s = "0"
	}
	return s
}

func (w *witnessBuilder) numeric() {
	if !w.has(Numeric) {
		return
	}
	var rats []*big.Rat
	prec := 1
	for i, c := range w.conds {
		if !w.valid[i] || w.infos[i].family != Numeric {
			continue
		}
		for _, v := range c.Values {
			d, ok := parseDecimal(v)
			if !ok {
				continue
			}
			w.add(v)
			r, _ := new(big.Rat).SetString(decString(d))
			rats = append(rats, r)
			prec = max(prec, len(d.fp)+1)
		}
	}
	if len(rats) == 0 {
		w.add("0")
	}
	slices.SortFunc(rats, func(a, b *big.Rat) int { return a.Cmp(b) })
	rats = slices.CompactFunc(rats, func(a, b *big.Rat) bool { return a.Cmp(b) == 0 })
	one := big.NewRat(1, 1)
	two := big.NewRat(2, 1)
	mixed := w.has(Date)
	addN := func(r *big.Rat) {
		s := ratString(r, prec)
		w.add(s)
		if mixed && strings.IndexByte(s, '.') < 0 {
			// The same number spelled so that it is not also epoch seconds (aws:EpochTime).
			w.extra = append(w.extra, s+".0")
		}
	}
	for i, r := range rats {
		if s := ratString(r, prec); mixed && strings.IndexByte(s, '.') < 0 {
			w.extra = append(w.extra, s+".0")
		}
		addN(new(big.Rat).Sub(r, one))
		addN(new(big.Rat).Add(r, one))
		if i+1 < len(rats) {
			mid := new(big.Rat).Add(r, rats[i+1])
			addN(mid.Quo(mid, two))
		}
	}
	w.extra = append(w.extra, "not-a-number")
}

// ---- Date ----------------------------------------------------------------------------------

func instantNanos(t instant) *big.Int {
	n := new(big.Int).Mul(big.NewInt(t.sec), big.NewInt(1e9))
	return n.Add(n, big.NewInt(int64(t.nsec)))
}

func nanosInstant(n *big.Int) instant {
	q, m := new(big.Int).DivMod(n, big.NewInt(1e9), new(big.Int))
	return instant{sec: q.Int64(), nsec: int32(m.Int64())}
}

// formatInstant renders t as RFC 3339: in UTC for years 0000-9999, and with a ±23:59 offset for
// the instants just outside that range that a zoned date can still express (parseDate accepts
// offsets up to 23:59). ok is false beyond.
func formatInstant(t instant) (string, bool) {
	off := int64(0)
	zone := "Z"
	switch {
	case t.sec < minEpoch:
		off, zone = 86340, "+23:59"
	case t.sec > maxEpoch:
		off, zone = -86340, "-23:59"
	}
	local := t.sec + off
	if local < minEpoch || local > maxEpoch {
		return "", false
	}
	days := local / 86400
	rem := local % 86400
	if rem < 0 {
		rem += 86400
		days--
	}
	y, m, d := civilFromDays(days)
	s := fmt.Sprintf("%04d-%02d-%02dT%02d:%02d:%02d", y, m, d, rem/3600, rem%3600/60, rem%60)
	if t.nsec != 0 {
		s += strings.TrimRight(fmt.Sprintf(".%09d", t.nsec), "0")
	}
	return s + zone, true
}

// civilFromDays is the inverse of daysFromCivil (H. Hinnant).
func civilFromDays(z int64) (y, m, d int64) {
	z += 719468
	era := z
	if era < 0 {
		era -= 146096
	}
	era /= 146097
	doe := z - era*146097
	yoe := (doe - doe/1460 + doe/36524 - doe/146096) / 365
	y = yoe + era*400
	doy := doe - (365*yoe + yoe/4 - yoe/100)
	mp := (5*doy + 2) / 153
	d = doy - (153*mp+2)/5 + 1
	if mp < 10 {
		m = mp + 3
	} else {
		m = mp - 9
	}
	if m <= 2 {
		y++
	}
	return y, m, d
}

func (w *witnessBuilder) date() {
	if !w.has(Date) {
		return
	}
	var ts []instant
	for i, c := range w.conds {
		if !w.valid[i] || w.infos[i].family != Date {
			continue
		}
		for _, v := range c.Values {
			t, ok := parseDate(v)
			if !ok {
				continue
			}
			w.add(v)
			ts = append(ts, t)
		}
	}
	if len(ts) == 0 {
		w.add("1970-01-01T00:00:00Z")
	}
	slices.SortFunc(ts, instant.cmp)
	ts = slices.Compact(ts)
	addT := func(t instant) {
		if s, ok := formatInstant(t); ok {
			w.add(s)
		}
	}
	for i, t := range ts {
		if f, ok := formatInstant(t); ok {
			w.extra = append(w.extra, f) // ISO spelling: not also a number
		}
		addT(instant{sec: t.sec - 1, nsec: t.nsec})
		addT(instant{sec: t.sec + 1, nsec: t.nsec})
		if i+1 < len(ts) {
			sum := new(big.Int).Add(instantNanos(t), instantNanos(ts[i+1]))
			addT(nanosInstant(sum.Rsh(sum, 1)))
		}
	}
	w.extra = append(w.extra, "not-a-date")
}

// epochIntegers covers keys tested by both Numeric and Date operators (aws:EpochTime): an integer
// is then both a number and epoch seconds, so every integer cell between the combined breakpoints
// (numbers, instants, and the ends of the epoch range) needs a representative.
func (w *witnessBuilder) epochIntegers() {
	if !w.has(Numeric) || !w.has(Date) {
		return
	}
	points := []*big.Rat{big.NewRat(2*minEpoch-1, 2), big.NewRat(2*maxEpoch+1, 2)}
	for i, c := range w.conds {
		if !w.valid[i] {
			continue
		}
		for _, v := range c.Values {
			switch w.infos[i].family {
			case Numeric:
				if d, ok := parseDecimal(v); ok {
					r, _ := new(big.Rat).SetString(decString(d))
					points = append(points, r)
				}
			case Date:
				if t, ok := parseDate(v); ok {
					points = append(points, new(big.Rat).SetFrac(instantNanos(t), big.NewInt(1e9)))
				}
			}
		}
	}
	slices.SortFunc(points, func(a, b *big.Rat) int { return a.Cmp(b) })
	points = slices.CompactFunc(points, func(a, b *big.Rat) bool { return a.Cmp(b) == 0 })
	one := big.NewInt(1)
	for _, p := range points {
		fl := new(big.Int).Quo(p.Num(), p.Denom()) // truncates toward zero
		if p.Sign() < 0 && !p.IsInt() {
			fl.Sub(fl, one)
		}
		for _, d := range []int64{-1, 0, 1, 2} {
			w.extra = append(w.extra, new(big.Int).Add(fl, big.NewInt(d)).String())
		}
	}
}

// ---- IP ------------------------------------------------------------------------------------

func lastAddr(p netip.Prefix) netip.Addr {
	a := p.Addr()
	if a.Is4() {
		b := a.As4()
		for i := p.Bits(); i < 32; i++ {
			b[i/8] |= 0x80 >> (i % 8)
		}
		return netip.AddrFrom4(b)
	}
	b := a.As16()
	for i := p.Bits(); i < 128; i++ {
		b[i/8] |= 0x80 >> (i % 8)
	}
	return netip.AddrFrom16(b)
}

var (
	mappedBelow = netip.MustParseAddr("::fffe:ffff:ffff") // just below ::ffff:0:0/96
	mappedAbove = netip.MustParseAddr("::1:0:0:0")        // just above it
)

func (w *witnessBuilder) ip() {
	if !w.has(IP) {
		return
	}
	var pfx []netip.Prefix
	for i, c := range w.conds {
		if !w.valid[i] || w.infos[i].family != IP {
			continue
		}
		for _, v := range c.Values {
			if p, ok := parsePolicyIP(v); ok {
				pfx = append(pfx, p)
			}
		}
	}
	var cands []netip.Addr
	addA := func(a netip.Addr) {
		if !a.IsValid() {
			return
		}
		if a.Is4In6() { // requests never carry mapped addresses: they are IPv4
			w.add(mappedBelow.String())
			w.add(mappedAbove.String())
			return
		}
		cands = append(cands, a)
		w.add(a.String())
	}
	for _, p := range pfx {
		first, last := p.Addr(), lastAddr(p)
		addA(first)
		addA(last)
		addA(first.Prev())
		addA(last.Next())
	}
	outside := func(a netip.Addr) bool {
		for _, p := range pfx {
			if p.Contains(a) {
				return false
			}
		}
		return true
	}
	fixed4 := []string{"192.0.2.1", "0.0.0.0", "255.255.255.255"}
	fixed6 := []string{"2001:db8::1", "::", "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", "::1:0:0:0"}
	for _, group := range []struct {
		is4   bool
		fixed []string
	}{{true, fixed4}, {false, fixed6}} {
		all := slices.Clone(cands)
		for _, s := range group.fixed {
			all = append(all, netip.MustParseAddr(s))
		}
		for _, a := range all {
			if a.Is4() == group.is4 && !a.Is4In6() && outside(a) {
				w.add(a.String())
				break
			}
		}
	}
	w.extra = append(w.extra, "0.0.0.0", "::", "::1:0:0:0", "not-an-ip")
}
