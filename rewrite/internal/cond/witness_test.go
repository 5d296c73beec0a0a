package cond

import (
	"fmt"
	"math/rand/v2"
	"net/netip"
	"slices"
	"strings"
	"testing"
)

func mustOp(t testing.TB, s string) Operator {
	t.Helper()
	op, err := ParseOperator(s)
	if err != nil {
		t.Fatal(err)
	}
	return op
}

// vectorOf evaluates every condition for the single request value x.
func vectorOf(conds []KeyCond, x string) string {
	b := make([]byte, len(conds))
	for i, c := range conds {
		b[i] = '0'
		if c.Op.Eval(c.Values, []string{x}, true, c.Vars) {
			b[i] = '1'
		}
	}
	return string(b)
}

// checkWitnesses asserts that every probe value behaves like some witness.
func checkWitnesses(t *testing.T, conds []KeyCond, probes []string) {
	t.Helper()
	ws := Witnesses(conds)
	if len(ws) == 0 {
		t.Fatalf("no witnesses for %v", describe(conds))
	}
	seen := map[string]bool{}
	vecs := map[string]bool{}
	for _, w := range ws {
		if seen[w] {
			t.Fatalf("duplicate witness %q for %v", w, describe(conds))
		}
		seen[w] = true
		vecs[vectorOf(conds, w)] = true
	}
	for _, x := range probes {
		if v := vectorOf(conds, x); !vecs[v] {
			t.Fatalf("value %q evaluates as %s, which no witness shows\nconditions: %v\nwitnesses: %q", x, v, describe(conds), ws)
		}
	}
	if again := Witnesses(conds); !slices.Equal(again, ws) {
		t.Fatalf("Witnesses not deterministic: %q vs %q", ws, again)
	}
}

func describe(conds []KeyCond) string {
	var parts []string
	for _, c := range conds {
		parts = append(parts, fmt.Sprintf("%s%q(vars=%v)", c.Op.Name, c.Values, c.Vars != nil))
	}
	return strings.Join(parts, " ")
}

func TestWitnessesExamples(t *testing.T) {
	userid := []KeyCond{{Op: mustOp(t, "StringNotLike"), Values: []string{"AROAEXAMPLE:*"}}}
	ws := Witnesses(userid)
	// Brief: each * as "" and as a fresh run; a value matching none.
	if !slices.Contains(ws, "AROAEXAMPLE:") || !slices.ContainsFunc(ws, func(w string) bool {
		return len(w) > len("AROAEXAMPLE:") && strings.HasPrefix(w, "AROAEXAMPLE:")
	}) {
		t.Errorf("witnesses %q lack the instantiations of AROAEXAMPLE:*", ws)
	}
	if v := vectorOf(userid, "other"); v != "1" {
		t.Fatal(v)
	}
	found := false
	for _, w := range ws {
		found = found || vectorOf(userid, w) == "1"
	}
	if !found {
		t.Errorf("no witness matches none of the patterns: %q", ws)
	}

	ip := []KeyCond{{Op: mustOp(t, "NotIpAddress"), Values: []string{"203.0.113.0/24", "2001:db8::/32"}}}
	ws = Witnesses(ip)
	for _, want := range []string{"203.0.113.0", "203.0.113.255", "203.0.112.255", "203.0.114.0", "2001:db8::", "2001:db7:ffff:ffff:ffff:ffff:ffff:ffff"} {
		if !slices.Contains(ws, want) {
			t.Errorf("IP witnesses %q lack %q", ws, want)
		}
	}

	num := []KeyCond{{Op: mustOp(t, "NumericLessThan"), Values: []string{"10", "2.5"}}}
	ws = Witnesses(num)
	for _, want := range []string{"10", "2.5", "9", "11", "1.5", "3.5", "6.25"} {
		if !slices.Contains(ws, want) {
			t.Errorf("numeric witnesses %q lack %q", ws, want)
		}
	}

	date := []KeyCond{{Op: mustOp(t, "DateLessThan"), Values: []string{"2020-01-01T00:00:00Z"}}}
	ws = Witnesses(date)
	for _, want := range []string{"2020-01-01T00:00:00Z", "2019-12-31T23:59:59Z", "2020-01-01T00:00:01Z"} {
		if !slices.Contains(ws, want) {
			t.Errorf("date witnesses %q lack %q", ws, want)
		}
	}

	fold := []KeyCond{{Op: mustOp(t, "StringEqualsIgnoreCase"), Values: []string{"Backup"}}}
	ws = Witnesses(fold)
	for _, want := range []string{"Backup", "BACKUP", "backup"} {
		if !slices.Contains(ws, want) {
			t.Errorf("IgnoreCase witnesses %q lack %q", ws, want)
		}
	}

	b := []KeyCond{{Op: mustOp(t, "Bool"), Values: []string{"true"}}}
	if ws = Witnesses(b); !slices.Contains(ws, "true") || !slices.Contains(ws, "false") {
		t.Errorf("Bool witnesses %q", ws)
	}
	if ws = Witnesses([]KeyCond{{Op: mustOp(t, "Null"), Values: []string{"true"}}}); len(ws) != 1 {
		t.Errorf("Null-only witnesses should be one present value: %q", ws)
	}
	if ws = Witnesses(nil); len(ws) != 1 {
		t.Errorf("no conditions: %q", ws)
	}
}

// ---- property test ----------------------------------------------------------------------

var (
	strOps = []string{
		"StringEquals", "StringNotEquals", "StringEqualsIgnoreCase", "StringNotEqualsIgnoreCase", "StringLike", "StringNotLike",
		"ArnLike", "ArnNotLike", "ArnEquals", "ArnNotEquals", "Bool", "BinaryEquals", "Null",
		"ForAllValues:StringLike", "ForAnyValue:StringNotEquals", "StringNotLikeIfExists", "ForAnyValue:ArnNotLike",
	}
	numOps  = []string{"NumericEquals", "NumericNotEquals", "NumericLessThan", "NumericLessThanEquals", "NumericGreaterThan", "NumericGreaterThanEqualsIfExists", "ForAllValues:NumericNotEquals", "Null"}
	dateOps = []string{"DateEquals", "DateNotEquals", "DateLessThan", "DateLessThanEquals", "DateGreaterThan", "DateGreaterThanEquals", "ForAnyValue:DateNotEquals", "Null"}
	ipOps   = []string{"IpAddress", "NotIpAddress", "IpAddressIfExists", "ForAllValues:NotIpAddress", "Null"}
)

// The string alphabet includes case pairs, the Kelvin sign and long s (fold to k and s), ':'
// for ARNs, wildcard characters and '$' for variables.
var strRunes = []string{"a", "A", "b", "k", "K", "\u212a", "s", "ſ", ":", "*", "?", "/", "$", "x", "é", "É", "t", "r", "u", "e", "T", "E"}

func randString(r *rand.Rand, alphabet []string, maxLen int) string {
	n := r.IntN(maxLen + 1)
	var b strings.Builder
	for i := 0; i < n; i++ {
		b.WriteString(alphabet[r.IntN(len(alphabet))])
	}
	return b.String()
}

func randARNish(r *rand.Rand, alphabet []string) string {
	parts := make([]string, 6)
	for i := range parts {
		parts[i] = randString(r, alphabet, 2)
	}
	if r.IntN(3) == 0 {
		parts[0] = "arn"
	}
	return strings.Join(parts, ":")
}

func randStrValue(r *rand.Rand, op string) string {
	switch {
	case strings.Contains(op, "Bool"):
		return []string{"true", "false", "TRUE", "maybe", "${aws:flag}"}[r.IntN(5)]
	case strings.Contains(op, "Binary"):
		return []string{"YQ==", "Yg==", "QUJD", "bad", ""}[r.IntN(5)]
	case op == "Null":
		return []string{"true", "false"}[r.IntN(2)]
	}
	switch r.IntN(6) {
	case 0:
		return randARNish(r, []string{"a", "*", "?", "b", "K"})
	case 1:
		return randString(r, strRunes, 3) + []string{"${aws:username}", "${*}", "${?}", "${$}", "${aws:none, 'd*'}", "${aws:none}"}[r.IntN(6)] + randString(r, strRunes, 2)
	}
	return randString(r, strRunes, 4)
}

func randStrProbe(r *rand.Rand) string {
	switch r.IntN(8) {
	case 0:
		return randARNish(r, strRunes)
	case 1:
		return []string{"true", "FALSE", "tRuE", "YQ==", "Yg==", "QUJD", "da*vid", "d*"}[r.IntN(8)]
	}
	return randString(r, strRunes, 6)
}

func randConds(r *rand.Rand, ops []string, value func(*rand.Rand, string) string, vars Resolver) []KeyCond {
	n := 1 + r.IntN(3)
	conds := make([]KeyCond, n)
	for i := range conds {
		name := ops[r.IntN(len(ops))]
		op, err := ParseOperator(name)
		if err != nil {
			panic(err)
		}
		k := 1 + r.IntN(3)
		vals := make([]string, k)
		for j := range vals {
			vals[j] = value(r, name)
		}
		conds[i] = KeyCond{Op: op, Values: vals}
		if r.IntN(2) == 0 {
			conds[i].Vars = vars
		}
	}
	return conds
}

var numPool = []string{"-1.5", "0", "1", "2", "2.5", "10", "007", "1.25", "-0", "100000000000000000000", "0.001"}

func randNumProbe(r *rand.Rand) string {
	switch r.IntN(4) {
	case 0:
		return numPool[r.IntN(len(numPool))]
	case 1:
		return []string{"x", "", "1e3", "NaN"}[r.IntN(4)]
	}
	n := r.IntN(4000) - 2000
	return fmt.Sprintf("%d.%03d", n/1000, abs(n%1000))
}

func abs(n int) int {
	if n < 0 {
		return -n
	}
	return n
}

var datePool = []string{"2020-01-01", "2020-01-01T00:00:00Z", "2020-01-01T00:00:00.5Z", "1577836801", "2021-06-30T12:00:00+02:00", "0000-01-01", "9999-12-31T23:59:59Z", "2020-01-01T00:00:00.000000001Z"}

func randDateProbe(r *rand.Rand) string {
	switch r.IntN(4) {
	case 0:
		return datePool[r.IntN(len(datePool))]
	case 1:
		return []string{"x", "", "2020-02-30", "0000-01-01T00:00:00+05:00", "9999-12-31T23:59:59-05:00", "0000-01-01T00:00:00.5+00:01"}[r.IntN(6)]
	}
	sec := int64(1577836800 + r.IntN(7) - 3)
	if r.IntN(3) == 0 {
		sec = int64(r.IntN(2_000_000_000))
	}
	s, _ := formatInstant(instant{sec: sec, nsec: int32(r.IntN(3)) * 250_000_000})
	return s
}

var (
	numDateOps  = []string{"NumericLessThan", "NumericEquals", "NumericNotEquals", "DateLessThan", "DateGreaterThanEquals", "DateNotEquals", "Null"}
	numDatePool = []string{"1577836800", "1577836800.5", "2020-01-01T00:00:00Z", "2020-01-01T00:00:00.5Z", "-62167219200", "253402300799", "1e3", "0", "-1.5", "300000000000"}
)

func randNumDateProbe(r *rand.Rand) string {
	switch r.IntN(5) {
	case 0:
		return numDatePool[r.IntN(len(numDatePool))]
	case 1:
		return randDateProbe(r)
	case 2:
		return randNumProbe(r)
	}
	bases := []int64{1577836800, -62167219200, 253402300799, 0, 300000000000}
	return fmt.Sprint(bases[r.IntN(len(bases))] + int64(r.IntN(7)-3))
}

var ipPool = []string{"10.0.0.0/8", "10.1.0.0/16", "203.0.113.5", "0.0.0.0/0", "2001:db8::/32", "2001:db8::1", "::/0", "::ffff:192.168.0.0/112", "::fffe:0:0/95", "192.168.0.0/24", "255.255.255.255/32", "::/128", "bad"}

func randIPProbe(r *rand.Rand) string {
	switch r.IntN(5) {
	case 0:
		return []string{"not-an-ip", "", "10.0.0.0/8", "::ffff:10.1.2.3", "::fffe:ffff:ffff", "::ffff:ffff:ffff"}[r.IntN(6)]
	case 1:
		b := make([]byte, 16)
		for i := range b {
			b[i] = byte(r.IntN(256))
		}
		return netip.AddrFrom16([16]byte(b)).String()
	}
	return fmt.Sprintf("%d.%d.%d.%d", []int{0, 9, 10, 11, 192, 203, 255}[r.IntN(7)], r.IntN(3), r.IntN(256), r.IntN(256))
}

// TestWitnessesProperty: for random small condition sets over one key and random request values,
// the evaluation vector of the random value equals that of some witness.
func TestWitnessesProperty(t *testing.T) {
	vars := MapResolver{"aws:username": "da*vid", "aws:flag": "TRUE"}
	groups := []struct {
		name  string
		ops   []string
		value func(*rand.Rand, string) string
		probe func(*rand.Rand) string
	}{
		{"string", strOps, randStrValue, randStrProbe},
		{"numeric", numOps, func(r *rand.Rand, op string) string {
			if op == "Null" {
				return "true"
			}
			return numPool[r.IntN(len(numPool))]
		}, randNumProbe},
		{"date", dateOps, func(r *rand.Rand, op string) string {
			if op == "Null" {
				return "false"
			}
			return datePool[r.IntN(len(datePool))]
		}, randDateProbe},
		{"numeric+date", numDateOps, func(r *rand.Rand, op string) string {
			if op == "Null" {
				return "true"
			}
			return numDatePool[r.IntN(len(numDatePool))]
		}, randNumDateProbe},
		{"ip", ipOps, func(r *rand.Rand, op string) string {
			if op == "Null" {
				return "true"
			}
			return ipPool[r.IntN(len(ipPool))]
		}, randIPProbe},
	}
	iters := 400
	if testing.Short() {
		iters = 60
	}
	for gi, g := range groups {
		t.Run(g.name, func(t *testing.T) {
			t.Parallel()
			r := rand.New(rand.NewPCG(uint64(gi)+1, 42))
			for i := 0; i < iters; i++ {
				conds := randConds(r, g.ops, g.value, vars)
				probes := make([]string, 300)
				for j := range probes {
					probes[j] = g.probe(r)
				}
				checkWitnesses(t, conds, probes)
			}
		})
	}
}

// TestWitnessesARNAndString covers the realistic mixed case of one key under both StringNotLike
// and ArnNotLike (aws:PrincipalArn), which the automaton exploration handles exactly.
func TestWitnessesARNAndString(t *testing.T) {
	conds := []KeyCond{
		{Op: mustOp(t, "StringNotLike"), Values: []string{"arn:aws:iam::*:role/admin*"}},
		{Op: mustOp(t, "ArnNotLike"), Values: []string{"arn:aws:iam::111122223333:role/service-role/*"}},
		{Op: mustOp(t, "ArnEquals"), Values: []string{"arn:aws:iam::111122223333:role/admin"}},
	}
	probes := []string{
		"arn:aws:iam::111122223333:role/admin", "arn:aws:iam::1:2:role/admin", "arn:aws:iam::111122223333:role/service-role/admin",
		"arn:aws:iam::111122223333:role/service-role/x", "x", "arn:aws:iam::9:role/adminX", "arn:aws:iam::111122223333:role/admin:x",
	}
	checkWitnesses(t, conds, probes)
}
