package rewrite

import (
	"slices"

	"github.com/fixpolicy/fixpolicy/rewrite/jsonast"
)

// Finding is one change entry of a Result as data, for reporters: the
// statement and where its text is, what it blocks and why, and what the
// patch does to it. Reporters locate and classify findings from these
// fields; the prose (Change.Explanation, Result.Paragraphs) is for people.
type Finding struct {
	Change // Statement, Sid, Kind, Explanation and Line, as in Result.Changes

	// Label names the statement as the prose does, `statement 2 (Sid "X")`
	// (Statement.Label); "" for the whole policy.
	Label string
	// Span is the statement's source text in Result.Before; for KindRefused,
	// the whole document's.
	Span jsonast.Span
	// Paragraph is the index in Result.Paragraphs of the statement's
	// explanation, or -1 when there is none.
	Paragraph int

	// Actions are what the statement denies: the S3 actions of AWS Backup
	// (KindExempt) or the console's two reads (KindSplit).
	Actions []string
	// Reasons are the statement's conditions, with the values of a request
	// of AWS Backup it denies (KindExempt); none when the statement has no
	// conditions.
	Reasons []Reason
	// With are the statements (0-based) that deny the console's reads
	// together with this one, and are left as they are (KindSplit).
	With []int
	// RoleID is the stale RoleId the statement exempts (KindStale).
	RoleID string
	// Patch is what the fix does to the statement (KindExempt, KindSplit).
	Patch *Patch
}

// Reason is one condition of a blocking statement, as data: what the policy
// tests and what a request of AWS Backup that it denies carries.
type Reason struct {
	Operator string   // as written, e.g. StringNotEquals
	Key      string   // as written, e.g. aws:SourceVpce
	Values   []string // the policy's values
	// Request are the key's values in that request of AWS Backup; Present
	// is false when the request carries no such key.
	Request []string
	Present bool
}

// Patch is what the fix does to one statement.
type Patch struct {
	// Operator, Key and Value are the condition added to the statement:
	// Patch A's exemption, or the account condition that narrows a
	// statement covering only the console's reads; "" when none is added.
	Operator, Key, Value string
	// SplitSid is the Sid of the new statement that denies the console's
	// reads to everyone but the account (Patch B); "" when not split.
	SplitSid string
	// Carved are the actions the statement stops covering (Patch B), and
	// Expanded the wildcard actions expanded against the S3 action
	// catalogue to remove them.
	Carved, Expanded []string
}

// add records a finding about statement s (nil for the whole policy): its
// change entry, label and span.
func (r *Result) add(s *Statement, f Finding) {
	f.Statement, f.Sid = -1, ""
	if s != nil {
		f.Statement, f.Sid, f.Label = s.Index, s.Sid, s.Label()
		if sp, ok := s.Node.Span(); ok {
			f.Span, f.Line = sp, sp.Start.Line
		}
	}
	r.Changes = append(r.Changes, f.Change)
	r.Findings = append(r.Findings, f)
}

// refuse refuses the patch of policy p, for reason.
func (r *Result) refuse(p *Policy, reason string) {
	r.Status, r.Refusal, r.After, r.AfterCompact = StatusRefused, reason, r.Before, r.BeforeCompact
	f := Finding{Change: Change{Kind: KindRefused, Explanation: reason}, Paragraph: -1}
	f.Span, _ = p.Root.Span()
	r.add(nil, f)
}

// reasons are the conditions of b's statement, in the order written, with
// the values of the request of AWS Backup it denies.
func reasons(b *Block) []Reason {
	var out []Reason
	for _, c := range b.Stmt.Conditions {
		r := Reason{Operator: c.OpName, Key: c.Key, Values: slices.Clone(c.Values)}
		if b.Example != nil {
			v, ok := b.Example.Value(c.Key)
			r.Request, r.Present = slices.Clone(v), ok
		}
		out = append(out, r)
	}
	return out
}
