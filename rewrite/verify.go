package rewrite

import (
	"bytes"
	"fmt"
	"sort"
	"strings"

	"github.com/fixpolicy/fixpolicy/rewrite/cond"
	"github.com/fixpolicy/fixpolicy/rewrite/jsonast"
	"github.com/fixpolicy/fixpolicy/rewrite/s3actions"
)

// Proof records what Verify checked.
type Proof struct {
	Requests   int      `json:"requests"`   // requests enumerated
	Changed    int      `json:"changed"`    // requests whose decision changed (all within the allowed classes)
	Statements int      `json:"statements"` // statements that differ between the two policies
	Classes    []string `json:"classes,omitempty"`
}

// Verify proves DESIGN.md's invariants for a patch of p whose text is out:
//  1. no statement of out denies AWS Backup any of its actions;
//  2. the only requests whose decision changes are the backup role's sessions
//     that a patched statement denied, and the console's two reads by
//     principals of the account; no Allow statement changes;
//  3. fixing out again changes nothing;
//  4. untouched statements are byte-identical and Sids stay unique;
//  5. out fits S3's size limit.
func Verify(p *Policy, out []byte, opt Options) (*Proof, error) {
	q, err := Parse(out)
	if err != nil {
		return nil, fmt.Errorf("the patched policy does not parse: %v", err)
	}
	f := opt.Facts
	if f.Bucket == "" {
		if f.Bucket, err = bucketFromPolicy(p); err != nil {
			return nil, err
		}
	}
	// 5.
	if n := len(q.Compact()); n > MaxPolicySize {
		return nil, fmt.Errorf("invariant 5: %d bytes exceeds S3's %d-byte limit", n, MaxPolicySize)
	}
	// 1.
	an, err := Analyze(q, f)
	if err != nil {
		return nil, err
	}
	for _, b := range an.Blocks {
		if len(b.BackupActions) > 0 {
			return nil, fmt.Errorf("invariant 1: %s still denies AWS Backup %s", b.Stmt.Label(), joinList(b.BackupActions, 3))
		}
		if len(b.ConsoleActions) > 0 && !opt.NoSplit {
			return nil, fmt.Errorf("invariant 1: %s still denies the account's principals %s", b.Stmt.Label(), joinList(b.ConsoleActions, 2))
		}
	}
	// 4. and the Allow half of 2.
	removed, added := statementDelta(p, q)
	for _, s := range append(append([]*Statement{}, removed...), added...) {
		if !s.IsDeny() {
			return nil, fmt.Errorf("invariant 2: Allow %s changed", s.Label())
		}
	}
	// 2.
	proof, err := checkDelta(p, q, removed, added, f, opt.ExemptBy)
	if err != nil {
		return proof, err
	}
	// 3.
	again, err := FixPolicy(q, out, opt)
	if err != nil {
		return proof, fmt.Errorf("invariant 3: re-running on the patch fails: %v", err)
	}
	if !bytes.Equal(again.After, out) {
		return proof, fmt.Errorf("invariant 3: re-running on the patch changes it again")
	}
	return proof, nil
}

// statementDelta returns the statements of p that q no longer has verbatim,
// and those q adds. Statements are compared by their rendered text, so an
// untouched statement must be byte-identical (invariant 4).
func statementDelta(p, q *Policy) (removed, added []*Statement) {
	count := map[string]int{}
	for _, s := range q.Statements {
		count[string(jsonast.Render(s.Node))]++
	}
	for _, s := range p.Statements {
		k := string(jsonast.Render(s.Node))
		if count[k] > 0 {
			count[k]--
			continue
		}
		removed = append(removed, s)
	}
	count = map[string]int{}
	for _, s := range p.Statements {
		count[string(jsonast.Render(s.Node))]++
	}
	for _, s := range q.Statements {
		k := string(jsonast.Render(s.Node))
		if count[k] > 0 {
			count[k]--
			continue
		}
		added = append(added, s)
	}
	return removed, added
}

// verifySpace enumerates every class of request that the differing
// statements can tell apart: principals of the account (including the backup
// role's sessions and a re-created role of the same name), of another
// account, anonymous callers and services; every S3 action of the catalogue
// that the statements' patterns reach, with the backup and console actions;
// the bucket and representative objects; and, for each condition key, each
// representative value and absence.
func verifySpace(f Facts, stmts []*Statement) *space {
	policies := []*Policy{{Statements: stmts}}
	callers := f.backupCallers()
	recreated := f.backupCallers()[0]
	recreated.derived = map[string][]string{}
	for k, v := range callers[0].derived {
		recreated.derived[k] = v
	}
	recreated.derived["aws:userid"] = []string{"AROAFIXPOLICYRECREATE:" + recreated.c.Session}
	recreated.backup = false
	recreated.label = "a re-created role of the same name (new RoleId)"
	callers = append(callers, recreated)
	callers = append(callers, f.accountCallers(policies...)...)
	other := "999999999999"
	if other == f.AccountID {
		other = "111111111111"
	}
	of := f
	of.AccountID = other
	for _, cc := range of.accountCallers() {
		cc.account = false
		cc.label = strings.Replace(cc.label, "the account", "another account", 1)
		callers = append(callers, cc)
	}
	anon, _ := ParseCaller("anonymous")
	callers = append(callers, callerCand{c: anon, derived: map[string][]string{"aws:userid": {"anonymous"}, "aws:principaltype": {"Anonymous"}}, label: "an anonymous caller"})
	services := []string{"cloudtrail.amazonaws.com"}
	seenPrincipal := map[string]bool{}
	for _, pol := range policies {
		for _, s := range pol.Statements {
			services = append(services, s.Principal.Values["Service"]...)
			for _, e := range s.Principal.Values["AWS"] {
				c, err := ParseCaller(e)
				if err != nil || !c.Authenticated() || c.Account == f.AccountID || seenPrincipal[e] {
					continue
				}
				seenPrincipal[e] = true
				d := map[string][]string{"aws:principalaccount": {c.Account}, "aws:principalarn": {e}, "aws:userid": {"AIDAFIXPOLICYOTHER0001"}}
				if c.Kind == IAMRole {
					c, _ = ParseCaller(fmt.Sprintf("arn:%s:sts::%s:assumed-role/%s/s", c.Partition, c.Account, c.Name))
					d["aws:userid"] = []string{"AROAFIXPOLICYOTHER0001:s"}
				}
				callers = append(callers, callerCand{c: c, derived: d, label: "the named principal " + e})
			}
		}
	}
	sort.Strings(services)
	for i, svc := range services {
		if i > 0 && services[i-1] == svc {
			continue
		}
		c, _ := ParseCaller(svc)
		callers = append(callers, callerCand{c: c, derived: map[string][]string{}, label: "the service " + svc})
	}

	actions := append(append([]string{}, BackupActions...), "s3:PutBucketPolicy", "s3:DeleteBucket", "s3:GetBucketPolicy")
	for _, s := range stmts {
		for _, a := range s.Actions {
			if strings.ContainsAny(a, "*?") {
				actions = append(actions, s3actions.Expand(a)...)
			} else {
				actions = append(actions, a)
			}
		}
		if s.NotAction {
			actions = append(actions, s3actions.Expand("s3:*")...)
		}
	}
	seen := map[string]bool{}
	uniq := actions[:0]
	for _, a := range actions {
		if k := strings.ToLower(a); !seen[k] {
			seen[k] = true
			uniq = append(uniq, a)
		}
	}
	return &space{
		callers:   callers,
		actions:   uniq,
		resources: f.resourcesFor(f.objectARNs(policies...)),
		known:     map[string][]string{"aws:resourceaccount": {f.AccountID}},
		absent:    map[string]bool{},
	}
}

// checkDelta proves invariant 2 over the statements that differ.
func checkDelta(p, q *Policy, removed, added []*Statement, f Facts, by ExemptBy) (*Proof, error) {
	proof := &Proof{Statements: len(removed) + len(added)}
	all := append(append([]*Statement{}, removed...), added...)
	sp := verifySpace(f, all)
	consoleOK := map[string]bool{}
	for _, a := range ConsoleActions {
		consoleOK[strings.ToLower(a)] = true
	}
	bucket := f.bucketARN()
	vars := p.VarsEnabled() || q.VarsEnabled()
	if n := sp.size(all, vars); n > maxRequests {
		return proof, fmt.Errorf("the changed statements have too many combinations of condition values to prove exhaustively (over %d requests)", maxRequests)
	}
	var violation error
	classes := map[string]bool{}
	sp.each(all, vars, func(cc *callerCand, r *EvalRequest) bool {
		proof.Requests++
		before := anyDeny(removed, r, p.VarsEnabled())
		after := anyDeny(added, r, q.VarsEnabled())
		if before == after {
			return true
		}
		proof.Changed++
		backupClass := cc.backup || (by == ExemptByPrincipalARN && cc.c.Kind == AssumedRole && cc.c.Account == f.AccountID && cc.c.Name == f.roleName())
		switch {
		case before && !after && backupClass:
			classes["the backup role's sessions: denied → not denied by the patched statements"] = true
			return true
		case before && !after && cc.account && consoleOK[strings.ToLower(r.Action)] && r.Resource == bucket:
			classes[fmt.Sprintf("principals of account %s, %s on %s: denied → not denied", f.AccountID, r.Action, bucket)] = true
			return true
		}
		dir := "denied → not denied"
		if after {
			dir = "not denied → denied"
		}
		violation = fmt.Errorf("invariant 2: the patch changes the decision for %s, %s on %s (%s)%s", cc.label, r.Action, r.Resource, dir, describeCtx(r))
		return false
	})
	for c := range classes {
		proof.Classes = append(proof.Classes, c)
	}
	sort.Strings(proof.Classes)
	return proof, violation
}

func anyDeny(stmts []*Statement, r *EvalRequest, vars bool) bool {
	var res cond.Resolver
	if vars {
		res = r
	}
	for _, s := range stmts {
		if !s.IsDeny() {
			continue
		}
		if ok, _ := s.matches(r, res); ok {
			return true
		}
	}
	return false
}

func describeCtx(r *EvalRequest) string {
	if len(r.ctx) == 0 {
		return ""
	}
	keys := make([]string, 0, len(r.ctx))
	for k := range r.ctx {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = k + "=" + strings.Join(r.ctx[k], ",")
	}
	return " with " + strings.Join(parts, " ")
}
