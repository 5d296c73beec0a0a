package cond

import "testing"

// recorder remembers the keys Lookup was asked for.
type recorder struct {
	m    MapResolver
	keys []string
}

func (r *recorder) Lookup(k string) (string, bool) {
	r.keys = append(r.keys, k)
	return r.m.Lookup(k)
}

func TestSubstitute(t *testing.T) {
	vars := MapResolver{"aws:username": "david", "aws:principaltag/team": "eng", "aws:empty": "", "aws:wild": "a*b?c\\"}
	tests := []struct {
		in   string
		out  string
		ok   bool
		rule string
	}{
		{"home/${aws:username}/*", "home/david/*", true, "IAM-vars ${key}"},
		{"${AWS:UserName}", "david", true, "IAM-vars key names case-insensitive"},
		{"${aws:PrincipalTag/team, 'company-wide'}", "eng", true, "IAM-vars default ignored when the key has a value"},
		{"${aws:PrincipalTag/dept, 'company-wide'}", "company-wide", true, "IAM-vars default value"},
		{"${aws:PrincipalTag/dept,'x'}", "x", true, "IAM-vars default (space tolerated missing)"},
		{"${aws:PrincipalTag/dept, ''}", "", true, "IAM-vars empty default"},
		{"${aws:PrincipalTag/dept}", "", false, "IAM-vars no value and no default"},
		{"${aws:PrincipalTag/dept, company}", "", false, "IAM-vars unquoted default is not a default"},
		{"${*}${?}${$}", "*?$", true, "IAM-vars special characters"},
		{"${$}{aws:username}", "${aws:username}", true, "IAM-vars single pass: ${$} then literal text"},
		{"${aws:empty}x", "x", true, "a key present with an empty value substitutes the empty string"},
		{"${aws:username", "${aws:username", true, "unterminated ${ is literal"},
		{"$aws:username}", "$aws:username}", true, "no ${ at all"},
		{"${}", "", false, "empty key has no value"},
		{"a${aws:username}b${aws:username}c", "adavidbdavidc", true, "several variables"},
		{"${aws:wild}", "a*b?c\\", true, "values are inserted as they are"},
	}
	for _, tc := range tests {
		got, ok := Substitute(tc.in, vars)
		if got != tc.out || ok != tc.ok {
			t.Errorf("Substitute(%q) = %q, %v; want %q, %v (%s)", tc.in, got, ok, tc.out, tc.ok, tc.rule)
		}
	}
	// IAM-version: without a resolver nothing is substituted.
	if got, ok := Substitute("${aws:username}${*}", nil); got != "${aws:username}${*}" || !ok {
		t.Errorf("Substitute with nil vars = %q, %v", got, ok)
	}
	r := &recorder{m: vars}
	Substitute("${AWS:PrincipalTag/Team}", r)
	if len(r.keys) != 1 || r.keys[0] != "aws:principaltag/team" {
		t.Errorf("Lookup received %q, want the lower-cased key", r.keys)
	}
}

func TestSubstitutePattern(t *testing.T) {
	vars := MapResolver{"aws:username": "da*vid", "aws:x": `a\b`}
	tests := []struct {
		in      string
		pattern Pattern
		matches []string
		misses  []string
	}{
		{"home/${aws:username}/*", `home/da\*vid/*`, []string{"home/da*vid/x", "home/da*vid/"}, []string{"home/daXvid/x"}},
		{"a${*}b${?}c", `a\*b\?c`, []string{"a*b?c"}, []string{"axbyc", "a*byc"}},
		{`back\slash*`, `back\\slash*`, []string{`back\slash`, `back\slashes`}, []string{"backslash"}},
		{"${aws:x}*", `a\\b*`, []string{`a\b`, `a\bc`}, []string{"ab"}},
		{"cost${$}*", `cost$*`, []string{"cost$", "cost$5"}, []string{"cost"}},
	}
	for _, tc := range tests {
		p, ok := SubstitutePattern(tc.in, vars)
		if !ok || p != tc.pattern {
			t.Errorf("SubstitutePattern(%q) = %q, %v; want %q", tc.in, p, ok, tc.pattern)
		}
		for _, s := range tc.matches {
			if !p.Match(s) {
				t.Errorf("%q should match %q", p, s)
			}
		}
		for _, s := range tc.misses {
			if p.Match(s) {
				t.Errorf("%q should not match %q", p, s)
			}
		}
	}
	if _, ok := SubstitutePattern("${aws:none}*", vars); ok {
		t.Error("unresolvable variable should fail")
	}
	if p, ok := SubstitutePattern(`${aws:username}\*`, nil); !ok || p != `${aws:username}\\*` {
		t.Errorf("nil vars: %q %v", p, ok)
	}
}

func TestPattern(t *testing.T) {
	if !QuotePattern("a*b?c\\").Match("a*b?c\\") || QuotePattern("a*").Match("ab") {
		t.Error("QuotePattern")
	}
	if lit, ok := QuotePattern("a*b?").Literal(); !ok || lit != "a*b?" {
		t.Errorf("Literal = %q %v", lit, ok)
	}
	if _, ok := GlobPattern("a*").Literal(); ok {
		t.Error("a wildcard pattern has no literal")
	}
	if !GlobPattern(`x\y*`).Match(`x\yz`) {
		t.Error("GlobPattern keeps backslashes literal")
	}
	if !Pattern(`arn:aws:s3:::b/\*`).MatchARN("arn:aws:s3:::b/*") || Pattern(`arn:aws:s3:::b/\*`).MatchARN("arn:aws:s3:::b/x") {
		t.Error("MatchARN with escapes")
	}
	if !Pattern("*").MatchResource("anything") || !Pattern(`arn:aws:s3:::b/\*`).MatchResource("arn:aws:s3:::b/*") {
		t.Error("MatchResource on Pattern")
	}
}

func TestGlobEdges(t *testing.T) {
	tests := []struct {
		p, s string
		want bool
	}{
		{"", "", true},
		{"", "a", false},
		{"*", "", true},
		{"**", "abc", true},
		{"?", "", false},
		{"?*", "", false},
		{"*?", "a", true},
		{"a*a*a*a*b", "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", false},
		{"*x", "\xff\xfex", true},
		{"?x", "\xffx", true},
		{"\xff", "\xfe", false},
		{"é?", "éé", true},
		{"\\*", "\\anything", true}, // no escapes in raw StringLike
	}
	for _, tc := range tests {
		if got := StringLike(tc.p, tc.s); got != tc.want {
			t.Errorf("StringLike(%q, %q) = %v", tc.p, tc.s, got)
		}
	}
	// MatchAction folds Unicode simply; ASCII fast path.
	if !MatchAction("S3:Get*", "s3:getobject") || MatchAction("s3:Get", "s3:Ge") {
		t.Error("MatchAction")
	}
	if !ArnLike("arn:*:*:*:*:*", "arn:aws:s3:::b") || ArnLike("arn:*:*:*:*", "arn:aws:s3:::b") || ArnLike("arn:aws:s3:::b", "arn:aws:s3::b") {
		t.Error("ArnLike part counts")
	}
}
