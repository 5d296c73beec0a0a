package rewrite

import (
	"bytes"
	"context"
	"fmt"
	"strings"

	"github.com/fixpolicy/fixpolicy/rewrite/jsonast"
	"github.com/fixpolicy/fixpolicy/rewrite/policy"
)

// Proof records what Verify checked.
type Proof struct {
	Requests   int            `json:"requests"`   // requests enumerated
	Statements int            `json:"statements"` // statements that differ between the two policies
	Classes    []string       `json:"classes,omitempty"`
	Changes    []AccessChange `json:"changes,omitempty"`
}

// Verify proves the patch invariants (package documentation) for a patch of
// p whose text is out:
//  1. no statement of out denies AWS Backup any of its actions;
//  2. the only requests whose decision changes are the backup role's sessions
//     that a patched statement denied, and the console's two reads by
//     principals of the account; no Allow statement changes;
//  3. fixing out again changes nothing;
//  4. untouched statements are byte-identical and Sids stay unique;
//  5. out fits S3's size limit.
func Verify(p *Policy, out []byte, opt Options) (*Proof, error) {
	return verify(p, out, opt, nil)
}

// verify is Verify with p's analysis when the caller has it already.
func verify(p *Policy, out []byte, opt Options, orig *Analysis) (*Proof, error) {
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
	// The pairs' deltas (for 2.) are independent of the analysis of the
	// patch (for 1. and 3.): compute them alongside it.
	pairs := pairStatements(p, q)
	deltasDone := make(chan []pairDelta, 1)
	go func() { deltasDone <- pairDeltas(opt.Context, p, q, pairs, f) }()
	// 1.
	an, err := AnalyzeContext(opt.Context, q, f)
	if err != nil {
		return nil, err
	}
	for _, b := range an.Blocks {
		if len(b.BackupActions) > 0 {
			return nil, fmt.Errorf("invariant 1: %s still denies AWS Backup %s", b.Stmt.Label(), policy.JoinList(b.BackupActions, 3))
		}
		if len(b.ConsoleActions) > 0 && !opt.NoSplit {
			return nil, fmt.Errorf("invariant 1: %s still denies the account's principals %s", b.Stmt.Label(), policy.JoinList(b.ConsoleActions, 2))
		}
	}
	// 2. and 4., one patched statement at a time.
	if orig == nil {
		if orig, err = AnalyzeContext(opt.Context, p, f); err != nil {
			return nil, err
		}
	}
	touched := map[int]bool{}
	for _, b := range orig.Blocks {
		if len(b.BackupActions) > 0 || len(b.ConsoleActions) > 0 && !opt.NoSplit {
			touched[b.Stmt.Index] = true
		}
	}
	proof, err := checkPairs(p, q, pairs, <-deltasDone, touched, f, opt.ExemptBy)
	if err != nil {
		return proof, err
	}
	// 3.
	again, err := fixPolicy(q, out, opt, an)
	if err != nil {
		return proof, fmt.Errorf("invariant 3: re-running on the patch fails: %v", err)
	}
	if !bytes.Equal(again.After, out) {
		return proof, fmt.Errorf("invariant 3: re-running on the patch changes it again")
	}
	return proof, nil
}

// checkDelta proves invariant 2 for a patch, treating every statement as
// one the fix may touch.
func checkDelta(p, q *Policy, f Facts, by ExemptBy) (*Proof, error) {
	all := map[int]bool{}
	for _, s := range p.Statements {
		all[s.Index] = true
	}
	pairs := pairStatements(p, q)
	return checkPairs(p, q, pairs, pairDeltas(context.Background(), p, q, pairs, f), all, f, by)
}

// pair is a statement of the original policy and what the patched policy
// has in its place: the statement itself (patched or not) and the
// statements inserted after it. orig is nil for statements the patched
// policy adds at the end.
type pair struct {
	orig    *Statement
	patched []*Statement
}

// pairStatements lines up the two policies' statements. Statements whose
// text is unchanged are skipped; a statement with a Sid the original policy
// does not use is one the patch inserted after the one before it.
func pairStatements(p, q *Policy) []pair {
	sids := map[string]bool{}
	for _, s := range p.Statements {
		if s.Sid != "" {
			sids[s.Sid] = true
		}
	}
	text := func(s *Statement) string { return string(jsonast.Render(s.Node)) }
	inserted := func(s *Statement) bool { return s.Sid != "" && !sids[s.Sid] }
	var out []pair
	j := 0
	for i, ps := range p.Statements {
		// next reports whether q's statement is the following original,
		// in the same form or another.
		next := func(qs *Statement) bool {
			return i+1 < len(p.Statements) && (text(qs) == text(p.Statements[i+1]) || qs.Canonical() == p.Statements[i+1].Canonical())
		}
		if j < len(q.Statements) && text(q.Statements[j]) == text(ps) {
			j++
			continue
		}
		pr := pair{orig: ps}
		if j < len(q.Statements) && (!inserted(q.Statements[j]) || q.Statements[j].Canonical() == ps.Canonical()) {
			pr.patched = append(pr.patched, q.Statements[j])
			j++
		}
		for j < len(q.Statements) && inserted(q.Statements[j]) && !next(q.Statements[j]) {
			pr.patched = append(pr.patched, q.Statements[j])
			j++
		}
		out = append(out, pr)
	}
	if j < len(q.Statements) {
		out = append(out, pair{patched: q.Statements[j:]})
	}
	return out
}

// checkPairs proves invariant 2 for each pair: the access delta between the
// original statement and what replaced it holds only the backup role's
// sessions going from denied to not denied, and the console's two reads on
// the bucket by principals of the account. Since every other statement is
// unchanged, a request's decision can change only if some pair's
// contribution changes, so checking pairs one at a time is sound, and
// cheap. A statement the fix did not touch must come back byte for byte
// (invariant 4).
type pairDelta struct {
	d   *DeltaResult
	err error
}

// pairDeltas computes each pair's access delta, on every processor: the
// pairs are independent and the deltas pure.
func pairDeltas(ctx context.Context, p, q *Policy, pairs []pair, f Facts) []pairDelta {
	out := make([]pairDelta, len(pairs))
	parallel(len(pairs), func(i int) {
		pr := pairs[i]
		a := &Policy{Version: p.Version}
		if pr.orig != nil {
			a.Statements = []*Statement{pr.orig}
		}
		b := &Policy{Version: q.Version, Statements: pr.patched}
		ff := f
		out[i].d, out[i].err = DeltaContext(ctx, a, b, DeltaOptions{Owner: f.AccountID, Facts: &ff, CatalogueOnly: true})
	})
	return out
}

func checkPairs(p, q *Policy, pairs []pair, deltas []pairDelta, touched map[int]bool, f Facts, by ExemptBy) (*Proof, error) {
	proof := &Proof{}
	bucket := f.bucketARN()
	seen := map[string]bool{}
	for pi, pr := range pairs {
		a := &Policy{Version: p.Version}
		if pr.orig != nil {
			if !pr.orig.IsDeny() {
				return proof, fmt.Errorf("invariant 2: Allow %s changed", pr.orig.Label())
			}
			a.Statements = []*Statement{pr.orig}
		}
		for _, s := range pr.patched {
			if !s.IsDeny() {
				return proof, fmt.Errorf("invariant 2: Allow %s changed", s.Label())
			}
		}
		d, err := deltas[pi].d, deltas[pi].err
		if err != nil {
			return proof, err
		}
		proof.Requests += d.Requests
		proof.Statements += d.Statements
		var bad []string
		for _, c := range d.Changes {
			if !seen[c.String()] {
				seen[c.String()] = true
				proof.Classes = append(proof.Classes, c.String())
				proof.Changes = append(proof.Changes, c)
			}
			if c.Before != Deny || c.After == Deny {
				bad = append(bad, c.String())
				continue
			}
			if c.backup || (c.recreated && by == ExemptByPrincipalARN) {
				continue
			}
			console := c.account
			for _, r := range c.resources {
				console = console && r == bucket
			}
			for _, a := range c.actions {
				console = console && isConsole(a)
			}
			if !console {
				bad = append(bad, c.String())
			}
		}
		if len(bad) > 0 {
			return proof, fmt.Errorf("invariant 2: the patch changes access beyond the backup role and the console's two reads: %s", strings.Join(bad, "; "))
		}
		if pr.orig != nil && !touched[pr.orig.Index] {
			return proof, fmt.Errorf("invariant 4: %s needed no change but its text changed", pr.orig.Label())
		}
		if pr.orig == nil {
			return proof, fmt.Errorf("invariant 4: the patch adds statements that belong to no patched statement")
		}
	}
	return proof, nil
}

func isConsole(a string) bool {
	for _, c := range ConsoleActions {
		if strings.EqualFold(a, c) {
			return true
		}
	}
	return false
}
