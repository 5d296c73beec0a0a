package main

import (
	"reflect"
	"strings"
	"testing"
)

// TestFlagsAfterArguments: urfave/cli v2 stops parsing flags at the first
// positional argument; fixpolicy accepts them anywhere, as users type them.
func TestFlagsAfterArguments(t *testing.T) {
	a := "../../fixtures/seed000-vpce-only/policy.json"
	b := "../../fixtures/seed000-vpce-only/want.policy.json"
	out1, _, code1 := runCLI(t, "", "diff", a, b, "-o", "json", "--account-id", "012345678901")
	out2, _, code2 := runCLI(t, "", "diff", "-o", "json", "--account-id", "012345678901", a, b)
	out3, _, code3 := runCLI(t, "", "diff", a, "--output=json", b, "--account-id=012345678901")
	if code1 != exitChanges || code2 != exitChanges || code3 != exitChanges {
		t.Fatalf("exit codes %d %d %d, want 2", code1, code2, code3)
	}
	if !strings.HasPrefix(out1, "{") || out1 != out2 || out1 != out3 {
		t.Errorf("outputs differ:\n%s\n%s\n%s", out1, out2, out3)
	}
}

func TestReorderArgs(t *testing.T) {
	t.Parallel()
	app := newApp(stdio{})
	cases := []struct{ in, want string }{
		{"fixpolicy diff a b -o json", "fixpolicy diff -o json -- a b"},
		{"fixpolicy diff -o json a b", "fixpolicy diff -o json -- a b"},
		{"fixpolicy --dry-run --bucket x", "fixpolicy --dry-run --bucket x"},
		{"fixpolicy diff a -- -b", "fixpolicy diff -- a -- -b"},
		{"fixpolicy simulate --policy-file - --requests -", "fixpolicy simulate --policy-file - --requests -"},
	}
	for _, c := range cases {
		got := reorderArgs(app, strings.Fields(c.in))
		if !reflect.DeepEqual(got, strings.Fields(c.want)) {
			t.Errorf("%q: got %q, want %q", c.in, got, c.want)
		}
	}
}
