package policy

import (
	"encoding/json"
	"fmt"
	"os"
	"reflect"
	"strings"
	"testing"
)

func seedPolicy(dir string) string {
	b, err := os.ReadFile("../../fixtures/" + dir + "/policy.json")
	if err != nil {
		panic(err)
	}
	return string(b)
}

func (c *confCase) ownerID() string {
	switch c.owner {
	case "":
		return cfOwn
	case "-":
		return ""
	}
	return c.owner
}

// decideSlow is Decide by the definition: every statement through
// Statement.matches, with no compiled form.
func decideSlow(p *Policy, r *EvalRequest, owner string) Outcome {
	vars := p.Resolver(r)
	var denies, allows []int
	for _, s := range p.Statements {
		ok, pm := s.Matches(r, vars)
		switch {
		case !ok:
		case s.IsDeny():
			denies = append(denies, s.Index)
		case !Delegates(pm, r, owner):
			allows = append(allows, s.Index)
		}
	}
	switch {
	case len(denies) > 0:
		return Outcome{Decision: Deny, Statements: denies}
	case len(allows) > 0:
		return Outcome{Decision: Allow, Statements: allows}
	}
	return Outcome{Decision: None, Statements: []int{}}
}

// explainDecision derives the outcome from ExplainFor's Decides flags.
func explainDecision(p *Policy, r *EvalRequest, owner string) Outcome {
	out := Outcome{Decision: None, Statements: []int{}}
	for _, e := range p.ExplainFor(r, owner) {
		if !e.Decides {
			continue
		}
		out.Statements = append(out.Statements, e.Statement)
		if e.Effect == "Deny" {
			out.Decision = Deny
		} else if out.Decision != Deny {
			out.Decision = Allow
		}
	}
	return out
}

func TestConformance(t *testing.T) {
	if len(conformance) < 150 {
		t.Errorf("only %d conformance cases; the table must keep at least 150", len(conformance))
	}
	seen := map[string]bool{}
	for i, c := range conformance {
		name := fmt.Sprintf("%03d %s", i, c.rule)
		if seen[c.rule] {
			t.Errorf("case %d: duplicate rule text %q (make each case's comment say what it checks)", i, c.rule)
		}
		seen[c.rule] = true
		t.Run(name, func(t *testing.T) {
			p, err := Parse([]byte(c.policy))
			if err != nil {
				t.Fatalf("policy: %v\n%s", err, c.policy)
			}
			r, err := Prepare(c.req)
			if err != nil {
				t.Fatalf("request: %v", err)
			}
			want := Outcome{Decision: c.want, Statements: c.stmts}
			got := p.Decide(r, c.ownerID())
			if !reflect.DeepEqual(got, want) {
				t.Errorf("Decide = %+v, want %+v\npolicy: %s\nrequest: %+v\n%s", got, want, c.policy, c.req, explainText(p, r, c.ownerID()))
			}
			if slow := decideSlow(p, r, c.ownerID()); !reflect.DeepEqual(slow, want) {
				t.Errorf("uncompiled evaluation = %+v, want %+v", slow, want)
			}
			if ex := explainDecision(p, r, c.ownerID()); !reflect.DeepEqual(ex, want) {
				t.Errorf("ExplainFor's deciding statements = %+v, want %+v", ex, want)
			}
			// A reused EvalRequest decides the same.
			var er EvalRequest
			if err := er.Reset(rq(cfBob, "s3:PutObject", "arn:aws:s3:::x/y", "aws:SourceIp", "192.0.2.1")); err != nil {
				t.Fatal(err)
			}
			if err := er.Reset(c.req); err != nil {
				t.Fatal(err)
			}
			if got := p.Decide(&er, c.ownerID()); !reflect.DeepEqual(got, want) {
				t.Errorf("Decide after Reset = %+v, want %+v", got, want)
			}
		})
	}
}

func explainText(p *Policy, r *EvalRequest, owner string) string {
	var b strings.Builder
	for _, e := range p.ExplainFor(r, owner) {
		fmt.Fprintf(&b, "  statement %d (%s): matched=%v decides=%v: %s\n", e.Statement, e.Effect, e.Matched, e.Decides, e.Reason)
	}
	return b.String()
}

// TestConformanceRuleNames: every case names its source.
func TestConformanceRuleNames(t *testing.T) {
	prefixes := []string{"IAM-", "S3-", "DESIGN", "§", "seed "}
	for i, c := range conformance {
		ok := false
		for _, p := range prefixes {
			ok = ok || strings.HasPrefix(c.rule, p)
		}
		if !ok {
			t.Errorf("case %d %q does not name the documented rule it comes from", i, c.rule)
		}
	}
}

// TestPrepareRejects: requests simulate reports as errors.
func TestPrepareRejects(t *testing.T) {
	for _, r := range []Request{
		{Action: "s3:GetObject", Resource: cfObj},
		{Principal: cfAlice, Resource: cfObj},
		{Principal: cfAlice, Action: "s3:GetObject"},
		{Principal: "alice", Action: "s3:GetObject", Resource: cfObj},
		{Principal: "arn:aws:iam::1111:user/alice", Action: "s3:GetObject", Resource: cfObj},
		{Principal: "arn:aws:iam::111122223333:group/admins", Action: "s3:GetObject", Resource: cfObj},
		{Principal: "arn:aws:sts::111122223333:assumed-role/OnlyRole", Action: "s3:GetObject", Resource: cfObj},
		{Principal: "arn:aws:s3:::b", Action: "s3:GetObject", Resource: cfObj},
		{Principal: cfAlice, Action: "GetObject", Resource: cfObj},
		{Principal: cfAlice, Action: "*", Resource: cfObj},
		{Principal: cfAlice, Action: "s3:Get*", Resource: cfObj},
		{Principal: cfAlice, Action: "s3:Get Object", Resource: cfObj},
		{Principal: cfAlice, Action: "s3:GetObject", Resource: "b/k"},
		{Principal: cfAlice, Action: "s3:GetObject", Resource: "arn:aws:s3:b"},
		{Principal: cfAlice, Action: "s3:GetObject", Resource: "arn:::::"},
	} {
		if _, err := Prepare(r); err == nil {
			t.Errorf("Prepare(%+v) accepted a bad request", r)
		} else if strings.Contains(err.Error(), "\n") {
			t.Errorf("multi-line error %q", err)
		}
	}
}

// TestPrepareContext: keys are case-insensitive, spellings of one key merge,
// derived keys fill in but never override.
func TestPrepareContext(t *testing.T) {
	r, err := Prepare(rq(cfSess, "s3:GetObject", cfObj, "AWS:TagKeys", "a", "aws:tagkeys", "b", "aws:PrincipalArn", cfRole))
	if err != nil {
		t.Fatal(err)
	}
	got, _ := r.Value("aws:TAGKEYS")
	if len(got) != 2 {
		t.Errorf("merged aws:TagKeys = %q, want both values", got)
	}
	if v, _ := r.Value("aws:principalarn"); !reflect.DeepEqual(v, []string{cfRole}) {
		t.Errorf("aws:PrincipalArn = %q: the request's own value must win over the derived one", v)
	}
	if v, ok := r.Value("aws:username"); ok {
		t.Errorf("a role session has no aws:username, got %q", v)
	}
	r, _ = Prepare(rq(cfSess, "s3:GetObject", cfObj))
	if v, _ := r.Value("aws:PrincipalArn"); !reflect.DeepEqual(v, []string{"arn:aws:iam::111122223333:role/Backup"}) {
		t.Errorf("derived aws:PrincipalArn of a session = %q, want the role ARN", v)
	}
	r, _ = Prepare(rq(cfAlice, "s3:GetObject", cfObj))
	for k, want := range map[string]string{"aws:username": "alice", "aws:PrincipalAccount": cfOwn, "aws:PrincipalType": "User", "aws:PrincipalArn": cfAlice} {
		if v, _ := r.Value(k); !reflect.DeepEqual(v, []string{want}) {
			t.Errorf("%s = %q, want %q", k, v, want)
		}
	}
}

// TestResetDoesNotLeak: values of a previous request do not survive Reset.
func TestResetDoesNotLeak(t *testing.T) {
	var r EvalRequest
	if err := r.Reset(rq(cfAlice, "s3:GetObject", cfObj, "aws:SourceVpce", "vpce-1")); err != nil {
		t.Fatal(err)
	}
	if err := r.Reset(rq(cfSess, "s3:GetObject", cfObj)); err != nil {
		t.Fatal(err)
	}
	if v, ok := r.Value("aws:SourceVpce"); ok {
		t.Errorf("aws:SourceVpce survived Reset: %q", v)
	}
	if v, ok := r.Value("aws:username"); ok {
		t.Errorf("aws:username survived Reset: %q", v)
	}
	if r.Caller.ARN != cfSess {
		t.Errorf("caller %q", r.Caller.ARN)
	}
	// A failed Reset, then a good one with the same principal as before the failure.
	if err := r.Reset(rq("not-an-arn", "s3:GetObject", cfObj)); err == nil {
		t.Fatal("bad principal accepted")
	}
	if err := r.Reset(rq(cfSess, "s3:GetObject", cfObj)); err != nil || r.Caller.ARN != cfSess {
		t.Fatalf("Reset after a failure: %v %q", err, r.Caller.ARN)
	}
}

// TestCompiledCacheFollowsPolicy: the compiled form is rebuilt when a
// Policy's statements change, and shared Policies may be decided from many
// goroutines (go test -race).
func TestCompiledCacheFollowsPolicy(t *testing.T) {
	p, err := Parse([]byte(pol12(stm("Deny", prn(`"*"`), act("s3:*"), rsc(cfObj)))))
	if err != nil {
		t.Fatal(err)
	}
	r, _ := Prepare(aliceGet())
	if d := p.Decide(r, cfOwn); d.Decision != Deny {
		t.Fatalf("got %v", d)
	}
	q, _ := Parse([]byte(pol12(stm("Allow", prn(awsPr(cfAlice)), act("s3:*"), rsc(cfObj)))))
	p.Statements = q.Statements
	if d := p.Decide(r, cfOwn); d.Decision != Allow {
		t.Errorf("after replacing the statements: %v, want allow", d)
	}
	done := make(chan bool)
	for g := 0; g < 4; g++ {
		go func() {
			for i := 0; i < 200; i++ {
				if d := p.Decide(r, cfOwn); d.Decision != Allow {
					t.Errorf("concurrent Decide: %v", d)
				}
			}
			done <- true
		}()
	}
	for g := 0; g < 4; g++ {
		<-done
	}
}

// FuzzCompiledDecide checks the compiled evaluation Decide uses against the
// uncompiled definition (Statement.matches), and Explain against both, for
// fuzzed policies and requests. (FuzzDecide in fuzz_test.go checks that
// evaluation never panics; this one checks that the fast path is right.)
func FuzzCompiledDecide(f *testing.F) {
	for i, c := range conformance {
		if i%3 == 0 {
			ctx, _ := json.Marshal(c.req.Context)
			f.Add([]byte(c.policy), c.req.Principal, c.req.Action, c.req.Resource, ctx)
		}
	}
	f.Fuzz(func(t *testing.T, src []byte, principal, action, resource string, ctx []byte) {
		p, err := Parse(src)
		if err != nil {
			return
		}
		req := Request{Principal: principal, Action: action, Resource: resource}
		_ = json.Unmarshal(ctx, &req.Context)
		r, err := Prepare(req)
		if err != nil {
			return
		}
		for _, owner := range []string{"", cfOwn, "012345678901"} {
			fast, slow, ex := p.Decide(r, owner), decideSlow(p, r, owner), explainDecision(p, r, owner)
			if !reflect.DeepEqual(fast, slow) || !reflect.DeepEqual(fast, ex) {
				t.Fatalf("owner %q: compiled %+v, uncompiled %+v, explain %+v\npolicy %s\nrequest %+v", owner, fast, slow, ex, src, req)
			}
		}
	})
}

// TestCompiledFormFollowsThePolicy: Decide's compiled form lives on the
// policy and is rebuilt when its statements are replaced.
func TestCompiledFormFollowsThePolicy(t *testing.T) {
	r, _ := Prepare(aliceGet())
	p, err := Parse([]byte(pol12(stm("Deny", prn(`"*"`), act("s3:GetObject"), rsc(cfObj)))))
	if err != nil {
		t.Fatal(err)
	}
	if d := p.Decide(r, cfOwn).Decision; d != Deny {
		t.Fatalf("decision %s, want deny", d)
	}
	q, err := Parse([]byte(pol12(stm("Deny", prn(`"*"`), act("s3:PutObject"), rsc(cfObj)))))
	if err != nil {
		t.Fatal(err)
	}
	p.Statements = q.Statements
	if d := p.Decide(r, cfOwn).Decision; d == Deny {
		t.Fatalf("stale compiled form: still deny after the statements changed")
	}
}
