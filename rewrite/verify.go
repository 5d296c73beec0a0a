package rewrite

import (
	"bytes"
	"fmt"
	"strings"

	"github.com/fixpolicy/fixpolicy/rewrite/jsonast"
)

// Proof records what Verify checked.
type Proof struct {
	Requests   int            `json:"requests"`   // requests enumerated
	Statements int            `json:"statements"` // statements that differ between the two policies
	Classes    []string       `json:"classes,omitempty"`
	Changes    []AccessChange `json:"changes,omitempty"`
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
	proof, err := checkDelta(p, q, f, opt.ExemptBy)
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

// checkDelta proves invariant 2: the access delta of the patch holds only
// the backup role's sessions going from denied to not denied, and the
// console's two reads on the bucket by principals of the account.
func checkDelta(p, q *Policy, f Facts, by ExemptBy) (*Proof, error) {
	d, err := Delta(p, q, DeltaOptions{Owner: f.AccountID, Facts: &f, CatalogueOnly: true})
	if err != nil {
		return nil, err
	}
	proof := &Proof{Requests: d.Requests, Statements: d.Statements, Changes: d.Changes}
	bucket := f.bucketARN()
	var bad []string
	for _, c := range d.Changes {
		proof.Classes = append(proof.Classes, c.String())
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
