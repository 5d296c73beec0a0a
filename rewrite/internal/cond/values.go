package cond

import (
	"net/netip"
	"strings"
)

// ---- Numeric -------------------------------------------------------------------------------

// decimal is an exact decimal number held as digit strings (no allocation):
// value = ±ip.fp where ip has no leading zeros and fp no trailing zeros. Zero has neg=false.
type decimal struct {
	neg bool
	ip  string
	fp  string
}

// parseDecimal accepts [+-]digits[.digits]: the integer and decimal forms of IAM-operators
// ("integer or decimal value"). Exponents, hex, "Inf" and "NaN" are rejected.
func parseDecimal(s string) (decimal, bool) {
	var d decimal
	i := 0
	if i < len(s) && (s[i] == '+' || s[i] == '-') {
		d.neg = s[i] == '-'
		i++
	}
	start := i
	for i < len(s) && isDigit(s[i]) {
		i++
	}
	if i == start {
		return decimal{}, false
	}
	ip := s[start:i]
	fp := ""
	if i < len(s) {
		if s[i] != '.' {
			return decimal{}, false
		}
		i++
		fs := i
		for i < len(s) && isDigit(s[i]) {
			i++
		}
		if i == fs || i != len(s) {
			return decimal{}, false
		}
		fp = s[fs:i]
	}
	ip = strings.TrimLeft(ip, "0")
	fp = strings.TrimRight(fp, "0")
	d.ip, d.fp = ip, fp
	if ip == "" && fp == "" {
		d.neg = false
	}
	return d, true
}

func isDigit(c byte) bool { return '0' <= c && c <= '9' }

// cmp returns -1, 0 or +1.
func (a decimal) cmp(b decimal) int {
	if a.neg != b.neg {
		if a.neg {
			return -1
		}
		return 1
	}
	c := cmpMagnitude(a, b)
	if a.neg {
		return -c
	}
	return c
}

func cmpMagnitude(a, b decimal) int {
	if len(a.ip) != len(b.ip) {
		if len(a.ip) < len(b.ip) {
			return -1
		}
		return 1
	}
	if c := strings.Compare(a.ip, b.ip); c != 0 {
		return c
	}
	return strings.Compare(a.fp, b.fp)
}

// ---- Date ----------------------------------------------------------------------------------

// instant is a point in time: seconds since the Unix epoch plus nanoseconds in [0, 1e9).
type instant struct {
	sec  int64
	nsec int32
}

func (a instant) cmp(b instant) int {
	switch {
	case a.sec < b.sec:
		return -1
	case a.sec > b.sec:
		return 1
	case a.nsec < b.nsec:
		return -1
	case a.nsec > b.nsec:
		return 1
	}
	return 0
}

const (
	minEpoch = -62167219200 // 0000-01-01T00:00:00Z
	maxEpoch = 253402300799 // 9999-12-31T23:59:59Z
)

// parseDate accepts epoch seconds (an optionally negative integer) and the W3C profile of
// ISO 8601 (IAM-operators): YYYY-MM, YYYY-MM-DD, YYYY-MM-DDThh:mm[:ss[.fraction]][TZD] with
// TZD = Z | ±hh:mm | ±hhmm. A date-time without TZD is taken as UTC. Years are 0000-9999.
//
// It is one scanner over every date form AWS accepts, kept in one piece so the grammar reads top to bottom.
func parseDate(s string) (instant, bool) {
	if s == "" {
		return instant{}, false
	}
	// Epoch seconds.
	if allDigits(s) || (s[0] == '-' && allDigits(s[1:])) {
		neg := s[0] == '-'
		digits := s
		if neg {
			digits = s[1:]
		}
		var v int64
		for i := 0; i < len(digits); i++ {
			v = v*10 + int64(digits[i]-'0')
			if v > 1<<40 {
				return instant{}, false
			}
		}
		if neg {
			v = -v
		}
		if v < minEpoch || v > maxEpoch {
			return instant{}, false
		}
		return instant{sec: v}, true
	}
	// ISO 8601.
	if len(s) < 7 || !allDigits(s[0:4]) || s[4] != '-' || !allDigits(s[5:7]) {
		return instant{}, false
	}
	year := atoi(s[0:4])
	month := atoi(s[5:7])
	day := 1
	rest := s[7:]
	if rest != "" {
		if len(rest) < 3 || rest[0] != '-' || !allDigits(rest[1:3]) {
			return instant{}, false
		}
		day = atoi(rest[1:3])
		rest = rest[3:]
	}
	if month < 1 || month > 12 || day < 1 || day > daysIn(year, month) {
		return instant{}, false
	}
	var hh, mm, ss int
	var nsec int32
	var offset int64
	if rest != "" {
		if rest[0] != 'T' && rest[0] != 't' {
			return instant{}, false
		}
		rest = rest[1:]
		if len(rest) < 5 || !allDigits(rest[0:2]) || rest[2] != ':' || !allDigits(rest[3:5]) {
			return instant{}, false
		}
		hh, mm = atoi(rest[0:2]), atoi(rest[3:5])
		rest = rest[5:]
		if len(rest) >= 3 && rest[0] == ':' && allDigits(rest[1:3]) {
			ss = atoi(rest[1:3])
			rest = rest[3:]
			if len(rest) > 0 && rest[0] == '.' {
				i := 1
				for i < len(rest) && isDigit(rest[i]) {
					i++
				}
				if i == 1 {
					return instant{}, false
				}
				frac := rest[1:i]
				var n int32
				for k := 0; k < 9; k++ {
					n *= 10
					if k < len(frac) {
						n += int32(frac[k] - '0')
					}
				}
				nsec = n
				rest = rest[i:]
			}
		}
		if hh > 23 || mm > 59 || ss > 59 {
			return instant{}, false
		}
		switch {
		case rest == "":
		case rest == "Z" || rest == "z":
		case rest[0] == '+' || rest[0] == '-':
			var oh, om string
			switch {
			case len(rest) == 6 && rest[3] == ':':
				oh, om = rest[1:3], rest[4:6]
			case len(rest) == 5:
				oh, om = rest[1:3], rest[3:5]
			default:
				return instant{}, false
			}
			if !allDigits(oh) || !allDigits(om) || atoi(oh) > 23 || atoi(om) > 59 {
				return instant{}, false
			}
			offset = int64(atoi(oh)*3600 + atoi(om)*60)
			if rest[0] == '-' {
				offset = -offset
			}
		default:
			return instant{}, false
		}
	}
	sec := daysFromCivil(year, month, day)*86400 + int64(hh*3600+mm*60+ss) - offset
	return instant{sec: sec, nsec: nsec}, true
}

func allDigits(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if !isDigit(s[i]) {
			return false
		}
	}
	return true
}

func atoi(s string) int {
	n := 0
	for i := 0; i < len(s); i++ {
		n = n*10 + int(s[i]-'0')
	}
	return n
}

func isLeap(y int) bool { return y%4 == 0 && (y%100 != 0 || y%400 == 0) }

func daysIn(y, m int) int {
	switch m {
	case 2:
		if isLeap(y) {
			return 29
		}
		return 28
	case 4, 6, 9, 11:
		return 30
	}
	return 31
}

// daysFromCivil returns days since 1970-01-01 for a proleptic Gregorian date (H. Hinnant).
func daysFromCivil(y, m, d int) int64 {
	if m <= 2 {
		y--
	}
	era := y
	if era < 0 {
		era -= 399
	}
	era /= 400
	yoe := y - era*400
	mp := (m + 9) % 12
	doy := (153*mp+2)/5 + d - 1
	doe := yoe*365 + yoe/4 - yoe/100 + doy
	return int64(era)*146097 + int64(doe) - 719468
}

// ---- IP ------------------------------------------------------------------------------------

// parseRequestIP parses a request's address. IPv4-mapped IPv6 addresses are treated as IPv4;
// zoned addresses and CIDR blocks are not addresses.
func parseRequestIP(s string) (netip.Addr, bool) {
	a, err := netip.ParseAddr(s)
	if err != nil || a.Zone() != "" {
		return netip.Addr{}, false
	}
	return a.Unmap(), true
}

// parsePolicyIP parses a policy value: a CIDR block or a bare address (= /32 or /128,
// IAM-operators). Host bits are ignored; IPv4-mapped IPv6 blocks of /96 or longer become IPv4.
func parsePolicyIP(s string) (netip.Prefix, bool) {
	if strings.IndexByte(s, '/') >= 0 {
		p, err := netip.ParsePrefix(s)
		if err != nil {
			return netip.Prefix{}, false
		}
		a := p.Addr()
		if a.Is4In6() && p.Bits() >= 96 {
			p = netip.PrefixFrom(a.Unmap(), p.Bits()-96)
		}
		return p.Masked(), true
	}
	a, ok := parseRequestIP(s)
	if !ok {
		return netip.Prefix{}, false
	}
	return netip.PrefixFrom(a, a.BitLen()), true
}

// ---- Bool ----------------------------------------------------------------------------------

// parseBool accepts "true" and "false" in any ASCII case.
func parseBool(s string) (bool, bool) {
	switch {
	case asciiEqualFold(s, "true"):
		return true, true
	case asciiEqualFold(s, "false"):
		return false, true
	}
	return false, false
}

func asciiEqualFold(s, t string) bool {
	if len(s) != len(t) {
		return false
	}
	for i := 0; i < len(s); i++ {
		if lowerASCII(s[i]) != lowerASCII(t[i]) {
			return false
		}
	}
	return true
}

func lowerASCII(c byte) byte {
	if 'A' <= c && c <= 'Z' {
		return c + 'a' - 'A'
	}
	return c
}

// ---- Binary --------------------------------------------------------------------------------

// validBase64 reports whether s is canonical standard base64 with padding (RFC 4648 §4):
// no line breaks, zero padding bits. For such strings, equal decoded bytes means equal strings,
// so BinaryEquals can compare the encodings.
func validBase64(s string) bool {
	if len(s)%4 != 0 {
		return false
	}
	pad := 0
	if len(s) > 0 && s[len(s)-1] == '=' {
		pad++
		if s[len(s)-2] == '=' {
			pad++
		}
	}
	n := len(s) - pad
	for i := 0; i < n; i++ {
		if b64val(s[i]) < 0 {
			return false
		}
	}
	switch pad {
	case 1:
		return b64val(s[n-1])&0x3 == 0
	case 2:
		return b64val(s[n-1])&0xf == 0
	}
	return true
}

func b64val(c byte) int {
	switch {
	case 'A' <= c && c <= 'Z':
		return int(c - 'A')
	case 'a' <= c && c <= 'z':
		return int(c-'a') + 26
	case '0' <= c && c <= '9':
		return int(c-'0') + 52
	case c == '+':
		return 62
	case c == '/':
		return 63
	}
	return -1
}
