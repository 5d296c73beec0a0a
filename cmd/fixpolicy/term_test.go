package main

import (
	"os"
	"strings"
	"testing"
)

// TestTerminalAndColor: /dev/null and files are not terminals (x/term asks
// the kernel), and colour needs text on a terminal without NO_COLOR or
// --no-color.
func TestTerminalAndColor(t *testing.T) {
	t.Parallel()
	null, err := os.Open(os.DevNull)
	if err != nil {
		t.Fatal(err)
	}
	defer null.Close()
	if isTerminal(null) {
		t.Error("/dev/null is a terminal")
	}
	f, err := os.CreateTemp(t.TempDir(), "out")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if isTerminal(f) || isTerminal(nil) {
		t.Error("a file or nil is a terminal")
	}
	env := func(v string) func(string) string { return func(string) string { return v } }
	tty := stdio{outTTY: true, getenv: env("")}
	for _, tc := range []struct {
		format  string
		std     stdio
		noColor bool
		want    bool
	}{
		{"text", tty, false, true},
		{"json", tty, false, false},
		{"text", tty, true, false},
		{"text", stdio{outTTY: true, getenv: env("1")}, false, false},
		{"text", stdio{outTTY: false, getenv: env("")}, false, false},
	} {
		if got := colorOn(tc.format, tc.std, tc.noColor); got != tc.want {
			t.Errorf("colorOn(%s, tty=%v, NO_COLOR=%q, --no-color=%v) = %v, want %v", tc.format, tc.std.outTTY, tc.std.getenv(""), tc.noColor, got, tc.want)
		}
	}
}

// TestFlagValidatedOnce: a bad ID is a usage error before any file is read
// (the file named does not exist), in every output format, with rewrite's
// one message for it.
func TestFlagValidatedOnce(t *testing.T) {
	t.Parallel()
	missing := t.TempDir() + "/missing.json"
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--role-id", "AROA1"}, `fixpolicy: --role-id "AROA1" is not an IAM role's unique ID`},
		{[]string{"--account-id", "12345"}, `fixpolicy: --account-id "12345" is not a 12-digit AWS account ID`},
		{[]string{"--org-id", "o-x"}, `fixpolicy: --org-id "o-x" is not an organization ID`},
	} {
		for _, format := range []string{"text", "json", "github"} {
			args := append([]string{"--policy-file", missing, "--dry-run", "-o", format}, tc.args...)
			out, stderr, code := runCLI(t, "", args...)
			if code != exitError || !strings.HasPrefix(stderr, tc.want) || strings.Contains(stderr+out, "missing.json") {
				t.Errorf("%v: exit %d, stdout %q, stderr %q; want exit 1 and %q", args, code, out, stderr, tc.want)
			}
		}
	}
}
