package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

// Tests of `fixpolicy simulate` through the in-process CLI (runCLI). The
// evaluator's own semantics are pinned by rewrite/conformance_test.go, the
// request decoder and the stream by rewrite/simulate's tests; these check
// the command: flags, JSON Lines, text, error lines, exit codes and
// standard input.

const (
	simSeed000 = "../../fixtures/seed000-vpce-only/policy.json"
	simOwner   = "012345678901"
	simBucket  = "arn:aws:s3:::mtzml-20231208"
	simAlice   = "arn:aws:iam::012345678901:user/alice"
	simBackup  = "arn:aws:sts::012345678901:assumed-role/AWSBackupDefaultServiceRole/AWSBackup-AWSBackupDefaultServiceRole"
	simVpce    = "vpce-12345678901234567"
)

// simPolicyFile writes a policy into a temporary file and returns its path.
func simPolicyFile(t testing.TB, policy string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "policy.json")
	if err := os.WriteFile(p, []byte(policy), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// simResult is one JSON output line.
type simResult struct {
	Decision   string `json:"decision"`
	Statements []struct {
		Index int    `json:"index"`
		Sid   string `json:"sid"`
	} `json:"statements"`
	Error string `json:"error"`
}

func simParseLines(t *testing.T, out string) []simResult {
	t.Helper()
	var res []simResult
	for _, l := range strings.Split(strings.TrimSuffix(out, "\n"), "\n") {
		if l == "" {
			continue
		}
		dec := json.NewDecoder(strings.NewReader(l))
		dec.DisallowUnknownFields()
		var r simResult
		if err := dec.Decode(&r); err != nil {
			t.Fatalf("output line %q is not a result: %v", l, err)
		}
		res = append(res, r)
	}
	return res
}

func (r simResult) indexes() []int {
	out := []int{}
	for _, s := range r.Statements {
		out = append(out, s.Index)
	}
	return out
}

func TestSimulateSingleRequestFlags(t *testing.T) {
	t.Parallel()
	base := []string{"simulate", "--policy-file", simSeed000, "--account-id", simOwner, "--action", "s3:GetObject", "--resource", simBucket + "/a.csv", "-o", "json"}
	out, stderr, code := runCLI(t, "", append(base, "--principal", simBackup)...)
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	// The exact line: the contract's shape, statements always present.
	if want := `{"decision":"deny","statements":[{"index":0,"sid":"Statement1"}]}` + "\n"; out != want {
		t.Errorf("got %q, want %q", out, want)
	}
	out, _, code = runCLI(t, "", append(base, "--principal", simAlice, "--context", "aws:SourceVpce="+simVpce)...)
	if want := `{"decision":"none","statements":[]}` + "\n"; code != exitOK || out != want {
		t.Errorf("through the endpoint: exit %d, got %q, want %q", code, out, want)
	}
	// Context key names are case-insensitive.
	out, _, _ = runCLI(t, "", append(base, "--principal", simAlice, "--context", "AWS:SOURCEVPCE="+simVpce)...)
	if !strings.Contains(out, `"none"`) {
		t.Errorf("upper-case key: %q", out)
	}
	// A value may contain '='.
	p := simPolicyFile(t, `{"Version":"2012-10-17","Statement":{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*","Condition":{"StringEquals":{"s3:x-amz-grant-read":"id=abc=="}}}}`)
	out, _, _ = runCLI(t, "", "simulate", "--policy-file", p, "--principal", "anonymous", "--action", "s3:GetObject", "--resource", "arn:aws:s3:::b/k", "--context", "s3:x-amz-grant-read=id=abc==", "-o", "json")
	if !strings.Contains(out, `"allow"`) {
		t.Errorf("value with '=': %q", out)
	}
}

// TestSimulateRepeatedContextIsMultivalued: a key given several times with
// --context becomes one multivalued key, as ForAnyValue/ForAllValues see it;
// commas inside a value are not separators.
func TestSimulateRepeatedContextIsMultivalued(t *testing.T) {
	t.Parallel()
	p := simPolicyFile(t, `{"Version":"2012-10-17","Statement":[
	 {"Sid":"AnySecret","Effect":"Deny","Principal":"*","Action":"s3:PutObject","Resource":"arn:aws:s3:::b/*","Condition":{"ForAnyValue:StringLike":{"aws:TagKeys":"secret*"}}},
	 {"Sid":"OnlyKnownTags","Effect":"Allow","Principal":"*","Action":"s3:PutObject","Resource":"arn:aws:s3:::b/*","Condition":{"ForAllValues:StringEquals":{"aws:TagKeys":["team","project"]}}}]}`)
	sim := func(ctx ...string) simResult {
		args := []string{"simulate", "--policy-file", p, "--principal", "arn:aws:iam::444455556666:user/bob", "--action", "s3:PutObject", "--resource", "arn:aws:s3:::b/k", "-o", "json"}
		for _, c := range ctx {
			args = append(args, "--context", c)
		}
		out, stderr, code := runCLI(t, "", args...)
		if code != exitOK {
			t.Fatalf("%v: exit %d: %s", ctx, code, stderr)
		}
		r := simParseLines(t, out)
		if len(r) != 1 {
			t.Fatalf("%d result lines", len(r))
		}
		return r[0]
	}
	cases := []struct {
		ctx      []string
		decision string
		stmts    []int
	}{
		{[]string{"aws:TagKeys=team", "aws:TagKeys=project"}, "allow", []int{1}}, // both listed: ForAllValues true
		{[]string{"aws:TagKeys=team", "aws:TagKeys=cost"}, "none", []int{}},      // one unlisted: ForAllValues false
		{[]string{"aws:TagKeys=team", "aws:TagKeys=secret-x"}, "deny", []int{0}}, // one matches secret*: ForAnyValue true
		{[]string{"aws:TagKeys=team", "AWS:TAGKEYS=secret-x"}, "deny", []int{0}}, // spellings of one key merge
		{[]string{"aws:TagKeys=team,secret-x"}, "none", []int{}},                 // one value "team,secret-x": no comma splitting
		{nil, "allow", []int{1}}, // absent: ForAllValues true, ForAnyValue false
		{[]string{"aws:TagKeys=project", "aws:TagKeys=team", "aws:TagKeys=team"}, "allow", []int{1}},
	}
	for _, c := range cases {
		r := sim(c.ctx...)
		if r.Decision != c.decision || !reflect.DeepEqual(r.indexes(), c.stmts) {
			t.Errorf("--context %v: %s %v, want %s %v", c.ctx, r.Decision, r.indexes(), c.decision, c.stmts)
		}
	}
}

// TestSimulateJSONLinesInOrder: --requests streams a file of request lines
// through the simulator (rewrite/simulate tests every answer) and prints one
// result per line, in order.
func TestSimulateJSONLinesInOrder(t *testing.T) {
	t.Parallel()
	lines := `{"principal":"` + simAlice + `","action":"s3:GetObject","resource":"` + simBucket + `/x"}` + "\n" +
		`{"principal":"` + simAlice + `","action":"s3:GetObject","resource":"` + simBucket + `/x","context":{"aws:SourceVpce":"vpce-12345678901234567"}}` + "\n"
	reqs := filepath.Join(t.TempDir(), "requests.jsonl")
	os.WriteFile(reqs, []byte(lines), 0o600)
	out, stderr, code := runCLI(t, "", "simulate", "--policy-file", simSeed000, "--account-id", simOwner, "--requests", reqs, "-o", "json")
	if code != exitOK || stderr != "" {
		t.Fatalf("exit %d, stderr %q", code, stderr)
	}
	res := simParseLines(t, out)
	if len(res) != 2 || res[0].Decision != "deny" || res[1].Decision == "deny" {
		t.Errorf("results %+v, want deny then not deny", res)
	}
}

func TestSimulateTextOutput(t *testing.T) {
	t.Parallel()
	p := simPolicyFile(t, `{"Version":"2012-10-17","Statement":[
	 {"Sid":"AllowAccount","Effect":"Allow","Principal":{"AWS":"012345678901"},"Action":"s3:*","Resource":"arn:aws:s3:::b/*"},
	 {"Sid":"AllowAlice","Effect":"Allow","Principal":{"AWS":"arn:aws:iam::012345678901:user/alice"},"Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*"},
	 {"Sid":"DenyOutsideVpce","Effect":"Deny","Principal":"*","Action":"s3:*","Resource":"arn:aws:s3:::b/*","Condition":{"StringNotEquals":{"aws:SourceVpce":"vpce-1"}}},
	 {"Effect":"Deny","NotPrincipal":{"AWS":"arn:aws:iam::012345678901:role/Backup"},"Action":"s3:DeleteObject","Resource":"arn:aws:s3:::b/*"}]}`)
	run := func(principal, action string, ctx ...string) string {
		args := []string{"simulate", "--policy-file", p, "--account-id", simOwner, "--principal", principal, "--action", action, "--resource", "arn:aws:s3:::b/x"}
		for _, c := range ctx {
			args = append(args, "--context", c)
		}
		out, stderr, code := runCLI(t, "", args...)
		if code != exitOK {
			t.Fatalf("exit %d: %s", code, stderr)
		}
		return out
	}
	out := run(simAlice, "s3:GetObject", "aws:SourceVpce=vpce-1")
	for _, want := range []string{
		"ALLOW: " + simAlice + " s3:GetObject on arn:aws:s3:::b/x",
		`allowed by statement 2 (Sid "AllowAlice")`,
		`statement 1 (Sid "AllowAccount"), Allow, matches:`,
		"names only account 012345678901, the bucket owner: that delegates to the principal's IAM policies",
		`statement 2 (Sid "AllowAlice"), Allow, DECIDES: principal, action and resource match`,
		`statement 3 (Sid "DenyOutsideVpce"), Deny, no match: condition StringNotEquals aws:SourceVpce "vpce-1" is false for "vpce-1"`,
		"statement 4, Deny, no match: Action does not cover s3:GetObject",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("text output lacks %q:\n%s", want, out)
		}
	}
	out = run("arn:aws:sts::012345678901:assumed-role/Backup/s1", "s3:DeleteObject")
	for _, want := range []string{
		"DENY: arn:aws:sts::012345678901:assumed-role/Backup/s1 s3:DeleteObject on arn:aws:s3:::b/x",
		`denied by statement 3 (Sid "DenyOutsideVpce"), statement 4`,
		`statement 3 (Sid "DenyOutsideVpce"), Deny, DECIDES: principal, action, resource and every condition match`,
		"statement 4, Deny, DECIDES: principal, action and resource match; no conditions (NotPrincipal excludes a role session only when it lists the account 012345678901, the role and the session ARN",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("text output lacks %q:\n%s", want, out)
		}
	}
	out = run(simAlice, "s3:GetObject")
	for _, want := range []string{
		`denied by statement 3 (Sid "DenyOutsideVpce")`,
		`statement 2 (Sid "AllowAlice"), Allow, matches: principal, action and resource match; no conditions, but a Deny statement matches too, and Deny wins`,
	} {
		if !strings.Contains(out, want) {
			t.Errorf("text output lacks %q:\n%s", want, out)
		}
	}
	out = run("arn:aws:iam::012345678901:user/bob", "s3:PutObject", "aws:SourceVpce=vpce-1")
	for _, want := range []string{"NONE: ", "no statement decides: the caller's own IAM policies do", `Principal does not name arn:aws:iam::012345678901:user/bob`} {
		if !strings.Contains(out, want) {
			t.Errorf("text output lacks %q:\n%s", want, out)
		}
	}
	// A stream in text mode: one verdict per line, numbered, errors inline.
	stream := `{"principal":"` + simAlice + `","action":"s3:GetObject","resource":"arn:aws:s3:::b/x"}` + "\nnot json\n"
	out, _, code := runCLI(t, stream, "simulate", "--policy-file", p, "--account-id", simOwner, "--requests", "-")
	if code != exitError || !strings.Contains(out, "line 1: DENY: "+simAlice) || !strings.Contains(out, "error: line 2: not JSON") {
		t.Errorf("text stream (exit %d):\n%s", code, out)
	}
}

// TestSimulateErrorLines: a request that cannot be decided gets an error
// line in its place; the run goes on and exits 1 at the end with a one-line
// summary on stderr.
func TestSimulateErrorLines(t *testing.T) {
	t.Parallel()
	good := `{"principal":"` + simAlice + `","action":"s3:GetObject","resource":"` + simBucket + `/k"}`
	lines := []struct{ line, errPart string }{
		{good, ""},
		{`not json`, "line 2: not JSON"},
		{`{"action":"s3:GetObject","resource":"` + simBucket + `"}`, `line 3: missing "principal"`},
		{`{"principal":"` + simAlice + `","resource":"` + simBucket + `"}`, `line 4: missing "action"`},
		{`{"principal":"arn:aws:iam::0123:user/alice","action":"s3:GetObject","resource":"` + simBucket + `"}`, `line 5: "arn:aws:iam::0123:user/alice": "0123" is not a 12-digit account ID`},
		{`{"principal":"alice","action":"s3:GetObject","resource":"` + simBucket + `"}`, `line 6: "alice" is not a principal ARN`},
		{`{"principal":"` + simAlice + `","action":"GetObject","resource":"` + simBucket + `"}`, `line 7: "GetObject" is not an action`},
		{`{"principal":"` + simAlice + `","action":"s3:Get*","resource":"` + simBucket + `"}`, `line 8: "s3:Get*" is not an action`},
		{`{"principal":"` + simAlice + `","action":"s3:GetObject","resource":"mtzml-20231208/k"}`, `line 9: "mtzml-20231208/k" is not a resource ARN`},
		{`{"principal":"` + simAlice + `","action":"s3:GetObject","resource":"` + simBucket + `","contxt":{}}`, `line 10: unknown field "contxt"`},
		{`{"principal":"` + simAlice + `","action":"s3:GetObject","resource":"` + simBucket + `","context":{"aws:SourceIp":{"a":1}}}`, `line 11: context "aws:SourceIp" must be a string or an array of strings`},
		{`{"principal":"` + simAlice + `","action":"s3:GetObject","resource":"` + simBucket + `","context":{"aws:SourceIp":null}}`, `line 12: context "aws:SourceIp" must be`},
		{`["not","an","object"]`, "line 13: not a request"},
		{`{"principal":7,"action":"s3:GetObject","resource":"` + simBucket + `"}`, `line 14: "principal" must be a string, not a number`},
		{good + good, "line 15: not JSON Lines"},
		{good, ""},
	}
	var in strings.Builder
	for _, l := range lines {
		in.WriteString(l.line + "\n")
	}
	out, stderr, code := runCLI(t, in.String(), "simulate", "--policy-file", simSeed000, "--requests", "-", "-o", "json")
	if code != exitError {
		t.Errorf("exit %d, want 1 (some requests could not be decided)", code)
	}
	if want := "fixpolicy: simulate: 14 of 16 requests could not be decided (their output lines say why)\n"; stderr != want {
		t.Errorf("stderr %q, want %q", stderr, want)
	}
	res := simParseLines(t, out)
	if len(res) != len(lines) {
		t.Fatalf("%d output lines for %d requests:\n%s", len(res), len(lines), out)
	}
	for i, l := range lines {
		switch {
		case l.errPart == "" && (res[i].Error != "" || res[i].Decision != "deny"):
			t.Errorf("line %d: %+v, want a deny", i+1, res[i])
		case l.errPart != "" && (!strings.HasPrefix(res[i].Error, l.errPart) || res[i].Decision != "" || res[i].Statements != nil):
			t.Errorf("line %d: %+v, want only an error starting %q", i+1, res[i], l.errPart)
		}
	}
	for _, l := range strings.Split(strings.TrimSpace(out), "\n") {
		if strings.HasPrefix(l, `{"error"`) && strings.Contains(l, `"decision"`) {
			t.Errorf("error line with a decision: %s", l)
		}
	}
}

// TestSimulateBadPolicy: a policy that cannot be used is exit 1 with one
// precise line on stderr and nothing on stdout.
func TestSimulateBadPolicy(t *testing.T) {
	t.Parallel()
	cases := []struct{ policy, want string }{
		{`{"Version":"2012-10-17","Statement":[{"Sid":"A","Effect":"Deny","Principal":"*","Action":"s3:*","Resource":"*","Condition":{"StringEqual":{"aws:SourceVpce":"v"}}}]}`,
			`statement 1 (Sid "A"), Condition: unknown condition operator "StringEqual"`},
		{`{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Principal":"*","Action":"s3:*","Resource":"*","Condition":{"NumericLessThan":{"s3:max-keys":"ten"}}}]}`,
			`NumericLessThan: "ten" is not a number`},
		{`{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Principal":"*","Action":"s3:*"}]}`, `statement 1: has no Resource or NotResource`},
		{`{"Version":"2012-10-17","Statement":[`, `invalid JSON`},
		{`{"Version":"2012-10-18","Statement":[]}`, `"2012-10-18" is not a policy version`},
	}
	req := []string{"--principal", simAlice, "--action", "s3:GetObject", "--resource", simBucket}
	for _, c := range cases {
		p := simPolicyFile(t, c.policy)
		for _, mode := range [][]string{req, {"--requests", "-"}} {
			out, stderr, code := runCLI(t, `{"principal":"anonymous","action":"s3:GetObject","resource":"arn:aws:s3:::b"}`+"\n", append([]string{"simulate", "--policy-file", p, "-o", "json"}, mode...)...)
			if code != exitError || out != "" {
				t.Errorf("%s: exit %d, stdout %q", c.want, code, out)
			}
			if strings.Count(stderr, "\n") != 1 || !strings.HasPrefix(stderr, "fixpolicy: "+p+": ") || !strings.Contains(stderr, c.want) {
				t.Errorf("stderr %q, want one line naming %s and %q", stderr, p, c.want)
			}
		}
	}
	_, stderr, code := runCLI(t, "", append([]string{"simulate", "--policy-file", filepath.Join(t.TempDir(), "missing.json")}, req...)...)
	if code != exitError || !strings.Contains(stderr, "missing.json: cannot read the policy: no such file or directory") {
		t.Errorf("missing file: exit %d, %q", code, stderr)
	}
}

// TestSimulateUsageErrors: wrong flag combinations are exit 1 with a line
// that says what to do.
func TestSimulateUsageErrors(t *testing.T) {
	t.Parallel()
	req := []string{"--principal", simAlice, "--action", "s3:GetObject", "--resource", simBucket}
	cases := []struct {
		args []string
		want string
	}{
		{append([]string{"--requests", "r.jsonl"}, req...), "give either --requests or --principal/--action/--resource, not both"},
		{nil, "give --requests FILE.jsonl, or --principal, --action and --resource"},
		{[]string{"--principal", simAlice, "--context", "aws:SourceIp=192.0.2.1"}, "missing --action, --resource"},
		{append([]string{"--context", "aws:SourceIp"}, req...), `--context "aws:SourceIp" is not key=value`},
		{append([]string{"--account-id", "12345"}, req...), `--account-id "12345" is not a 12-digit AWS account ID`},
		{append([]string{"-o", "yaml"}, req...), `-o "yaml" is not an output format`},
		{[]string{"--principal", "arn:aws:iam::012345678901:group/g", "--action", "s3:GetObject", "--resource", simBucket}, "an IAM principal is root, user/NAME or role/NAME"},
		{[]string{"--principal", simAlice, "--action", "s3:GetObject", "--resource", "bucket"}, `"bucket" is not a resource ARN`},
		{append([]string{"extra"}, req...), `unexpected argument "extra"`},
		{[]string{"--requests", "/nonexistent/r.jsonl"}, "--requests /nonexistent/r.jsonl: no such file or directory"},
	}
	for _, c := range cases {
		out, stderr, code := runCLI(t, "", append([]string{"simulate", "--policy-file", simSeed000}, c.args...)...)
		if code != exitError || out != "" || strings.Count(stderr, "\n") != 1 || !strings.Contains(stderr, c.want) {
			t.Errorf("%v: exit %d, stdout %q, stderr %q; want exit 1 and %q", c.args, code, out, stderr, c.want)
		}
	}
	_, stderr, code := runCLI(t, "", "simulate", "--policy-file", "-", "--requests", "-")
	if code != exitError || !strings.Contains(stderr, "cannot both read standard input") {
		t.Errorf("both on stdin: exit %d, %q", code, stderr)
	}
}

// TestSimulateStdin: --requests - reads the requests, --policy-file - the
// policy, from standard input.
func TestSimulateStdin(t *testing.T) {
	t.Parallel()
	var in strings.Builder
	for _, ctx := range []string{"", `,"context":{"aws:SourceVpce":"vpce-12345678901234567"}`} {
		in.WriteString(`{"principal":"` + simAlice + `","action":"s3:GetObject","resource":"` + simBucket + `/x"` + ctx + "}\n")
	}
	reqs := filepath.Join(t.TempDir(), "r.jsonl")
	os.WriteFile(reqs, []byte(in.String()), 0o600)
	fromFile, _, code1 := runCLI(t, "", "simulate", "--policy-file", simSeed000, "--requests", reqs, "-o", "json")
	fromStdin, _, code2 := runCLI(t, in.String(), "simulate", "--policy-file", simSeed000, "--requests", "-", "-o", "json")
	src, _ := os.ReadFile(simSeed000)
	policyStdin, _, code3 := runCLI(t, string(src), "simulate", "--policy-file", "-", "--requests", reqs, "-o", "json")
	if code1 != exitOK || code2 != exitOK || code3 != exitOK {
		t.Fatalf("exit codes %d %d %d", code1, code2, code3)
	}
	if fromFile != fromStdin || fromFile != policyStdin || strings.Count(fromFile, "\n") != 2 {
		t.Errorf("outputs differ:\n%s\n%s\n%s", fromFile, fromStdin, policyStdin)
	}
}

// TestSimulateFlagOrder: flags may follow values that look like positional
// arguments ("-" for standard input, key=value contexts, ARNs), and come in
// any order, with = or a space.
func TestSimulateFlagOrder(t *testing.T) {
	t.Parallel()
	in := `{"principal":"` + simAlice + `","action":"s3:GetObject","resource":"` + simBucket + `/x"}` + "\n"
	want, _, _ := runCLI(t, in, "simulate", "--policy-file", simSeed000, "--requests", "-", "-o", "json")
	for _, args := range [][]string{
		{"simulate", "--requests", "-", "-o", "json", "--policy-file", simSeed000},
		{"simulate", "--requests", "-", "--policy-file=" + simSeed000, "--output=json"},
		{"simulate", "-o", "json", "--requests=-", "--policy-file", simSeed000, "--account-id", simOwner},
	} {
		got, stderr, code := runCLI(t, in, args...)
		if code != exitOK || got != want {
			t.Errorf("%v: exit %d, %q (%s), want %q", args, code, got, stderr, want)
		}
	}
	// -o and --account-id given before the command name apply too.
	p := simPolicyFile(t, `{"Version":"2012-10-17","Statement":{"Effect":"Allow","Principal":{"AWS":"012345678901"},"Action":"s3:*","Resource":"arn:aws:s3:::b/*"}}`)
	req := []string{"--policy-file", p, "--principal", simAlice, "--action", "s3:GetObject", "--resource", "arn:aws:s3:::b/k"}
	for _, c := range []struct {
		args []string
		want string
	}{
		{append([]string{"-o", "json", "--account-id", simOwner, "simulate"}, req...), `{"decision":"none","statements":[]}` + "\n"},
		{append(append([]string{"--account-id=" + simOwner, "simulate"}, req...), "-o", "json"), `{"decision":"none","statements":[]}` + "\n"},
		{append(append([]string{"-o", "json", "simulate"}, req...), "--account-id", simOwner), `{"decision":"none","statements":[]}` + "\n"},
		{append([]string{"-o", "json", "simulate"}, req...), `{"decision":"allow","statements":[{"index":0}]}` + "\n"}, // owner unknown: the account Allow counts
		{append(append([]string{"-o", "json", "simulate"}, req...), "-o", "text"), ""},
	} {
		got, stderr, code := runCLI(t, "", c.args...)
		if code != exitOK || c.want != "" && got != c.want || c.want == "" && !strings.HasPrefix(got, "ALLOW: ") {
			t.Errorf("%v: exit %d, %q (%s), want %q", c.args, code, got, stderr, c.want)
		}
	}
	single := `{"decision":"none","statements":[]}` + "\n"
	for _, args := range [][]string{
		{"simulate", "--context", "aws:SourceVpce=" + simVpce, "--principal", simAlice, "--action", "s3:GetObject", "--resource", simBucket, "--policy-file", simSeed000, "-o", "json"},
		{"simulate", "--principal", simAlice, "--resource", simBucket, "--context", "aws:SourceVpce=" + simVpce, "-o", "json", "--action", "s3:GetObject", "--policy-file", simSeed000},
		{"simulate", "--policy-file", simSeed000, "--principal=" + simAlice, "--action=s3:GetObject", "--resource=" + simBucket, "--context=aws:SourceVpce=" + simVpce, "--output", "json"},
	} {
		got, stderr, code := runCLI(t, "", args...)
		if code != exitOK || got != single {
			t.Errorf("%v: exit %d, %q (%s)", args, code, got, stderr)
		}
	}
}

// TestSimulateStopsOnWriteError: when the output cannot be written the
// command stops with one line and exit 1 (rewrite/simulate's
// TestStopsOnWriteError checks that it stops early).
func TestSimulateStopsOnWriteError(t *testing.T) {
	t.Parallel()
	reqs := filepath.Join(t.TempDir(), "requests.jsonl")
	os.WriteFile(reqs, []byte(strings.Repeat(`{"principal":"`+simAlice+`","action":"s3:GetObject","resource":"`+simBucket+`/x"}`+"\n", 5000)), 0o600)
	w := &simFailingWriter{}
	var errb bytes.Buffer
	code := run(context.Background(), []string{"fixpolicy", "simulate", "--policy-file", simSeed000, "--requests", reqs, "-o", "json"},
		stdio{in: strings.NewReader(""), out: w, err: &errb, getenv: func(string) string { return "" }})
	if code != exitError || errb.String() != "fixpolicy: simulate: --requests "+reqs+": writing the results: broken pipe\n" || w.n != 1 {
		t.Errorf("exit %d, %d writes, stderr %q", code, w.n, errb.String())
	}
}

type simFailingWriter struct{ n int }

func (w *simFailingWriter) Write(p []byte) (int, error) {
	w.n++
	return 0, fmt.Errorf("broken pipe")
}
