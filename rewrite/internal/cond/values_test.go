package cond

import (
	"testing"
	"time"
)

func TestParseDecimal(t *testing.T) {
	tests := []struct {
		a, b string
		cmp  int
	}{
		{"1", "1.0", 0},
		{"-0", "0", 0},
		{"+5", "5", 0},
		{"0010", "10", 0},
		{"1.5", "1.49", 1},
		{"-1.5", "-1.49", -1},
		{"-1", "1", -1},
		{"99", "100", -1},
		{"0.001", "0.01", -1},
		{"123456789012345678901234567890", "123456789012345678901234567889", 1},
	}
	for _, tc := range tests {
		a, ok1 := parseDecimal(tc.a)
		b, ok2 := parseDecimal(tc.b)
		if !ok1 || !ok2 {
			t.Fatalf("parse %q %q", tc.a, tc.b)
		}
		if got := a.cmp(b); got != tc.cmp {
			t.Errorf("cmp(%s, %s) = %d, want %d", tc.a, tc.b, got, tc.cmp)
		}
		if got := b.cmp(a); got != -tc.cmp {
			t.Errorf("cmp(%s, %s) = %d, want %d", tc.b, tc.a, got, -tc.cmp)
		}
	}
	for _, bad := range []string{"", "-", "+", ".5", "5.", "1e3", "0x10", "NaN", "Inf", " 1", "1 ", "1.2.3", "--1"} {
		if _, ok := parseDecimal(bad); ok {
			t.Errorf("parseDecimal(%q) accepted", bad)
		}
	}
}

// TestParseDateAgainstTime checks the date parser against the standard library on RFC 3339 inputs.
func TestParseDateAgainstTime(t *testing.T) {
	inputs := []string{
		"2020-01-01T00:00:00Z", "1999-12-31T23:59:59.999999999Z", "2024-02-29T12:00:00+05:30",
		"0001-01-01T00:00:00Z", "9999-12-31T23:59:59Z", "1970-01-01T00:00:00-00:01", "2000-02-29T00:00:00.1Z",
		"1900-03-01T00:00:00Z", "2100-02-28T00:00:00Z",
	}
	for _, s := range inputs {
		want, err := time.Parse(time.RFC3339Nano, s)
		if err != nil {
			t.Fatalf("time.Parse(%q): %v", s, err)
		}
		got, ok := parseDate(s)
		if !ok || got.sec != want.Unix() || got.nsec != int32(want.Nanosecond()) {
			t.Errorf("parseDate(%q) = %+v %v, want %d.%09d", s, got, ok, want.Unix(), want.Nanosecond())
		}
		f, ok := formatInstant(got)
		if !ok {
			t.Errorf("formatInstant(%v) failed", got)
			continue
		}
		back, ok := parseDate(f)
		if !ok || back != got {
			t.Errorf("format/parse round trip of %q: %q -> %+v", s, f, back)
		}
	}
	for _, bad := range []string{"", "-", "2020", "2020-1-01", "2020-00-01", "2020-02-30", "2019-02-29", "2020-01-01T", "2020-01-01T10", "2020-01-01T10:60Z",
		"2020-01-01T10:00:60Z", "2020-01-01T24:00:00Z", "2020-01-01T10:00:00.Z", "2020-01-01T10:00:00+1", "2020-01-01T10:00:00+24:00", "2020-01-01 10:00:00Z",
		"2020-01T10:00Z", "10000-01-01", "99999999999999", "1.5", "2020-01-01T10:00:00ZZ"} {
		if bad == "2020" {
			// A bare integer is epoch seconds, not a year (iam-simulate agrees).
			if got, ok := parseDate(bad); !ok || got.sec != 2020 {
				t.Errorf("parseDate(2020) = %+v %v, want epoch 2020", got, ok)
			}
			continue
		}
		if _, ok := parseDate(bad); ok {
			t.Errorf("parseDate(%q) accepted", bad)
		}
	}
	if got, ok := parseDate("2020-01-01T00:00:00"); !ok || got.sec != 1577836800 {
		t.Errorf("date-time without zone should be UTC: %+v %v", got, ok)
	}
	if a, ok := parseDate("2020-01-01t10:00:00z"); !ok || a.sec != 1577872800 {
		t.Errorf("lower-case t and z (RFC 3339 §5.6): %+v %v", a, ok)
	}
	if got, ok := parseDate("-86400"); !ok || got.sec != -86400 {
		t.Errorf("negative epoch: %+v %v", got, ok)
	}
}

func TestValidBase64(t *testing.T) {
	for _, s := range []string{"", "QQ==", "QUI=", "QUJD", "QmluYXJ5VmFsdWVJbkJhc2U2NA=="} {
		if !validBase64(s) {
			t.Errorf("validBase64(%q) = false", s)
		}
	}
	for _, s := range []string{"Q", "QQ=", "QR==", "QUJ=", "QU\nJD", "Q===", "QUJD====", "a=bc", "QUJ-"} {
		if validBase64(s) {
			t.Errorf("validBase64(%q) = true", s)
		}
	}
	for i := 0; i < 256; i++ {
		for _, b := range [][]byte{{byte(i)}, {byte(i), 7}, {1, byte(i), 9}} {
			if s := b64encode(b); !validBase64(s) {
				t.Errorf("b64encode(%v) = %q invalid", b, s)
			}
		}
	}
}

func TestFoldEqual(t *testing.T) {
	tests := []struct {
		a, b string
		want bool
	}{
		{"abc", "ABC", true},
		{"k", "\u212a", true}, // Kelvin sign folds to k
		{"ſ", "S", true},      // long s folds to s
		{"\xff", "\xfe", false},
		{"\xff", "\xff", true},
		{"\xff", "\uFFFD", false},
		{"ab", "abc", false},
	}
	for _, tc := range tests {
		if got := foldEqual(tc.a, tc.b); got != tc.want {
			t.Errorf("foldEqual(%q, %q) = %v", tc.a, tc.b, got)
		}
	}
}
