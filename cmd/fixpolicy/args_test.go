package main


import (
	"fmt"
	"reflect"
	"strings"
	"sync"
	"testing"

	"github.com/fixpolicy/fixpolicy/awsapi/fleet"
)

// The exit codes only tests name (README, "Usage").
const (
	exitChanges = fleet.ExitChanges // --check found changes needed
	exitRefused = fleet.ExitRefused // a blocking statement cannot be patched safely
)

// TestFlagsAfterArguments: urfave/cli v2 stops parsing flags at the first
// positional argument; fixpolicy accepts them anywhere, as users type them.
func TestFlagsAfterArguments(t *testing.T) {
	t.Parallel()
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

// TestHelpAndVersionConcurrently: apps run at once print the same help and
// version as one alone (under -race: urfave/cli's shared help and version
// flags and help subcommand are not written; see newApp).
func TestHelpAndVersionConcurrently(t *testing.T) {
	t.Parallel()
	argss := [][]string{{"--help"}, {"-h"}, {"--version"}, {"doctor", "--help"}, {"simulate", "-h"}, {"rollback", "help"}, {"rollback", "help", "help"}, {"doctor", "help"}, {"simulate", "h", "h"}, {"diff", "--bogus"}}
	want := make([]string, len(argss))
	for i, args := range argss {
		out, stderr, code := runCLI(t, "", args...)
		want[i] = fmt.Sprintf("%s|%s|%d", out, stderr, code)
		if out == "" {
			t.Errorf("%q printed nothing", args)
		}
	}
	var wg sync.WaitGroup
	for range 4 {
		for i, args := range argss {
			wg.Add(1)
			go func() {
				defer wg.Done()
				out, stderr, code := runCLI(t, "", args...)
				if got := fmt.Sprintf("%s|%s|%d", out, stderr, code); got != want[i] {
					t.Errorf("%q run alongside others printed\n%s\nwant\n%s", args, got, want[i])
				}
			}()
		}
	}
	wg.Wait()
}
