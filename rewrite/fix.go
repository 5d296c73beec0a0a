package rewrite

import (
	"bytes"
	"context"
	"fmt"
	"strings"

	"github.com/fixpolicy/fixpolicy/rewrite/internal/s3actions"
	"github.com/fixpolicy/fixpolicy/rewrite/jsonast"
	"github.com/fixpolicy/fixpolicy/rewrite/policy"
)

// MaxPolicySize is S3's bucket-policy size limit, measured without
// insignificant whitespace.
const MaxPolicySize = 20 * 1024

// Options control Fix.
type Options struct {
	Facts    Facts
	NoSplit  bool     // skip Patch B
	ExemptBy ExemptBy // default ExemptByUserID
	// Context, when set, bounds the analysis and the proof: Fix returns its
	// error (context.Canceled, context.DeadlineExceeded) once it is done.
	Context context.Context

	// sizeOnly stops Fix after the patch is rendered, before its proof:
	// for the refusal that asks whether --no-split would fit.
	sizeOnly bool
}

// Change kinds reported in Result.Changes.
const (
	KindExempt  = "exempt-backup-role"
	KindSplit   = "split-console-reads"
	KindStale   = "stale-role-id"
	KindRefused = "refused"
)

// Change is one statement the fix touched (or would touch), in words: the
// entries of -o json's "changes". Result.Findings gives the same entries as
// data.
type Change struct {
	Statement   int    `json:"statement"` // 0-based index in the input policy
	Sid         string `json:"sid,omitempty"`
	Kind        string `json:"kind"`
	Explanation string `json:"explanation"`
	Line        int    `json:"line,omitempty"` // 1-based line of the statement in the input
}

// Status of a target after Fix.
const (
	StatusCompliant   = "compliant"
	StatusNeedsChange = "needs-change"
	StatusRefused     = "refused"
)

// Result is the outcome of Fix.
type Result struct {
	Bucket string
	Before []byte // the input, byte for byte
	After  []byte // the patched policy; equal to Before when nothing changes
	// BeforeCompact and AfterCompact are the two without insignificant
	// whitespace (what S3 stores), from the trees Fix parsed and built.
	BeforeCompact, AfterCompact []byte
	Changes                     []Change
	// Findings are Changes as data, one for one and in the same order:
	// Findings[i].Change == Changes[i].
	Findings []Finding
	// Paragraphs explain each blocking statement and what the patch does;
	// a Finding's Paragraph indexes them.
	Paragraphs []string
	Status     string
	Refusal    string // why the patch was refused (Status == refused)
	Proof      *Proof
	// OrgAssumed is the organization ID the analysis took as the account's
	// own because the policy names it and Facts.OrgID was not given ("" when
	// no assumption was made). Reports must say so.
	OrgAssumed string
	// Warnings are things a reader should know that change nothing: an
	// action S3 does not have, a policy over S3's size limit.
	Warnings []string
}

// Changed reports whether the patch changes the policy.
func (r *Result) Changed() bool { return !bytes.Equal(r.Before, r.After) }

// Fix analyses a bucket policy and patches it minimally so that AWS Backup's
// role is no longer denied, and (unless NoSplit) the account's principals can
// make the console's two reads. It proves the patch before returning it: an
// error means bad input; a refusal (Status refused) means the policy cannot
// be patched safely, with the reason in Refusal.
func Fix(src []byte, opt Options) (*Result, error) {
	p, err := Parse(src)
	if err != nil {
		return nil, err
	}
	return FixPolicy(p, src, opt)
}

// FixPolicy is Fix over an already parsed policy; src is its source text.
func FixPolicy(p *Policy, src []byte, opt Options) (*Result, error) {
	return fixPolicy(p, src, opt, nil)
}

// fixPolicy is FixPolicy with p's analysis when the caller has it already.
func fixPolicy(p *Policy, src []byte, opt Options, an *Analysis) (*Result, error) {
	if opt.ExemptBy == "" {
		opt.ExemptBy = ExemptByUserID
	}
	if opt.ExemptBy != ExemptByUserID && opt.ExemptBy != ExemptByPrincipalARN {
		return nil, fmt.Errorf("unknown exemption style %q (use userid or principal-arn)", opt.ExemptBy)
	}
	if an == nil {
		var err error
		if an, err = AnalyzeContext(opt.Context, p, opt.Facts); err != nil {
			return nil, err
		}
	}
	f := an.Facts
	res := &Result{Bucket: f.Bucket, Before: src, After: src, Status: StatusCompliant, OrgAssumed: an.OrgAssumed}
	res.BeforeCompact = p.Compact()
	res.AfterCompact = res.BeforeCompact
	res.Warnings = warnings(p, len(res.BeforeCompact))
	for i, b := range an.Blocks {
		for _, id := range b.StaleRoleIDs {
			res.add(b.Stmt, Finding{Change: Change{Kind: KindStale,
				Explanation: fmt.Sprintf("%s exempts RoleId %s, which is not the backup role's current RoleId %s (the role was probably deleted and re-created); the old entry is kept, the current one is added", b.Stmt.Label(), id, f.RoleID)},
				Paragraph: i, RoleID: id})
		}
	}
	if len(an.Blocks) == 0 {
		res.Proof = &Proof{}
		return res, nil
	}

	q := p.Clone()
	pt := &patcher{res: res, q: q, f: f, opt: opt, bs: f.backupSpace(p), usedSids: map[string]bool{}}
	pt.opName, pt.key, pt.value = f.exemption(opt.ExemptBy)
	for _, s := range q.Statements {
		pt.usedSids[s.Sid] = true
	}
	for i, b := range an.Blocks {
		res.Paragraphs = append(res.Paragraphs, pt.patch(i, b))
	}
	inserts := pt.inserts
	if len(inserts) > 0 {
		arr := statementArray(q)
		for _, in := range inserts {
			for i, e := range arr.Elems {
				if e == in.after {
					arr.Elems = append(arr.Elems[:i+1], append([]*jsonast.Value{in.node}, arr.Elems[i+1:]...)...)
					break
				}
			}
		}
	}
	out := jsonast.Render(q.Root)
	res.After = out
	if bytes.Equal(out, src) {
		return res, nil
	}
	res.Status = StatusNeedsChange
	res.AfterCompact = jsonast.Compact(q.Root)
	if n := len(res.AfterCompact); n > MaxPolicySize {
		res.refuse(p, fmt.Sprintf("the patched policy would be %d bytes without whitespace, over S3's limit of %d bytes; %s", n, MaxPolicySize, shorten(p, src, opt, an)))
		return res, nil
	}
	if opt.sizeOnly {
		return res, nil
	}
	proof, err := verify(p, out, opt, an)
	res.Proof = proof
	if err != nil {
		res.refuse(p, "the patch failed its own proof, so it was not applied (this is a bug in fixpolicy; please report it): "+err.Error())
	}
	return res, nil
}

// patcher patches the blocking statements of a policy one by one (Patch A
// and Patch B), recording their findings.
type patcher struct {
	res                *Result
	q                  *Policy // the copy being patched
	f                  Facts
	opt                Options
	opName, key, value string // the exemption condition
	bs                 *space // AWS Backup's requests, for the reasons
	usedSids           map[string]bool
	inserts            []pending
}

// pending is a new statement to insert after a statement's node.
type pending struct {
	after *jsonast.Value
	node  *jsonast.Value
}

// patch patches the statement of block i and returns its paragraph.
func (pt *patcher) patch(i int, b *Block) string {
	s := b.Stmt
	qs := pt.q.Statements[s.Index]
	orig := qs.Node.Clone()
	var para strings.Builder
	fmt.Fprintf(&para, "%s %s.", s.Label(), s.Describe())
	if len(b.BackupActions) > 0 {
		addCondition(qs.Node, pt.opName, pt.key, pt.value)
		fmt.Fprintf(&para, " It blocks AWS Backup: it denies the backup role %s, because %s.", backupActionsPhrase(b.BackupActions), b.whyBackup(pt.bs))
		fmt.Fprintf(&para, " Fix: add %s {%q: %q} so that the backup role's sessions are exempt; nobody else is affected.", pt.opName, pt.key, pt.value)
		pt.res.add(s, Finding{Change: Change{Kind: KindExempt,
			Explanation: fmt.Sprintf("denies AWS Backup %s; added %s %s %s", policy.JoinList(b.BackupActions, 3), pt.opName, pt.key, pt.value)},
			Paragraph: i, Actions: b.BackupActions, Reasons: reasons(b),
			Patch: &Patch{Operator: pt.opName, Key: pt.key, Value: pt.value}})
	}
	if len(b.ConsoleActions) == 0 {
		return para.String()
	}
	if len(b.ConsoleWith) == 0 {
		fmt.Fprintf(&para, " It also denies %s to %s wherever they come from, so the AWS Backup console cannot assign the bucket to a backup plan.",
			policy.JoinList(b.ConsoleActions, 2), b.ConsoleCaller)
	} else {
		var with []string
		for _, w := range b.ConsoleWith {
			with = append(with, w.Label())
		}
		fmt.Fprintf(&para, " Together with %s, it leaves %s no source from which to make %s (no request passes all of them), so the AWS Backup console cannot assign the bucket to a backup plan. Splitting this statement is the smallest change that lets the reads through (where several would do, the earliest is chosen); %s stays as it is.",
			policy.JoinList(with, 3), b.ConsoleCaller, policy.JoinList(b.ConsoleActions, 2), policy.JoinList(with, 3))
	}
	if pt.opt.NoSplit {
		para.WriteString(" Not split (--no-split): the console reads stay denied.")
		return para.String()
	}
	acct := pt.f.AccountID
	patch := &Patch{}
	expanded, empty := carveActions(qs.Node, qs, b.ConsoleActions)
	if empty {
		// The statement covers only the console reads: narrow it in place
		// rather than leave an empty action list.
		addCondition(qs.Node, "StringNotEquals", "aws:PrincipalAccount", acct)
		patch.Operator, patch.Key, patch.Value = "StringNotEquals", "aws:PrincipalAccount", acct
		fmt.Fprintf(&para, " Fix: add StringNotEquals {\"aws:PrincipalAccount\": %q} so the account's principals may make these reads; other accounts stay denied as before.", acct)
	} else {
		base := s.Sid
		if base == "" {
			base = fmt.Sprintf("Statement%d", s.Index+1)
		}
		sid := uniqueSid(pt.usedSids, base+"ConsoleRead")
		pt.inserts = append(pt.inserts, pending{after: qs.Node, node: splitConsole(orig, sid, b.ConsoleActions, pt.f)})
		patch.SplitSid, patch.Carved, patch.Expanded = sid, b.ConsoleActions, expanded
		fmt.Fprintf(&para, " Fix: %s stops covering %s, and a new statement %q denies exactly those reads on the bucket under the same conditions, except to principals of account %s; nothing changes for anyone else.",
			s.Label(), policy.JoinList(b.ConsoleActions, 2), sid, acct)
		if len(expanded) > 0 {
			fmt.Fprintf(&para, " (%s expanded against the S3 action catalogue to remove them.)", policy.JoinList(expanded, 3))
		}
		if s.NotPrincipal && !s.NotAction && qs.Node.Get("NotAction") != nil {
			// NotPrincipal with NotAction reads as a double negation.
			fmt.Fprintf(&para, " With NotPrincipal, turning Action into NotAction makes a double negation; in words: %s now denies %s every action except %s, and %q denies the same principals exactly those reads, except to principals of account %s.",
				s.Label(), s.DescribePrincipal(), policy.JoinList(b.ConsoleActions, 2), sid, acct)
		}
	}
	var with []int
	for _, w := range b.ConsoleWith {
		with = append(with, w.Index)
	}
	pt.res.add(s, Finding{Change: Change{Kind: KindSplit,
		Explanation: fmt.Sprintf("denies %s to principals of account %s; carved out into a statement that exempts the account", policy.JoinList(b.ConsoleActions, 2), acct)},
		Paragraph: i, Actions: b.ConsoleActions, With: with, Patch: patch})
	return para.String()
}

func backupActionsPhrase(acts []string) string {
	if len(acts) == len(BackupActions) {
		return fmt.Sprintf("all %d S3 actions AWS Backup uses on a bucket", len(acts))
	}
	return fmt.Sprintf("%s (%d of the %d S3 actions AWS Backup uses on a bucket)", policy.JoinList(acts, 3), len(acts), len(BackupActions))
}

// shorten says how to make a patch that is too large fit: with --no-split
// when the backup role's exemptions alone fit, else by shortening the
// policy.
func shorten(p *Policy, src []byte, opt Options, an *Analysis) string {
	if !opt.NoSplit {
		o := opt
		o.NoSplit, o.sizeOnly = true, true
		if r, err := fixPolicy(p, src, o, an); err == nil && r.Status == StatusNeedsChange {
			return fmt.Sprintf("with --no-split (the backup role's exemptions only, without the console's split) it would be %d bytes and fit", len(r.AfterCompact))
		}
	}
	return "shorten the policy first"
}

// warnings are Result.Warnings for p, whose compact form is size bytes.
func warnings(p *Policy, size int) []string {
	var out []string
	if size > MaxPolicySize {
		out = append(out, fmt.Sprintf("the policy is %d bytes without whitespace, over S3's limit of %d bytes: S3 refuses to store it as it is", size, MaxPolicySize))
	}
	for _, s := range p.Statements {
		for _, a := range s.Actions {
			if !strings.HasPrefix(strings.ToLower(a), "s3:") || strings.ContainsAny(a, "*?") {
				continue
			}
			if _, ok := s3actions.Lookup(a); !ok {
				elem := "Action"
				if s.NotAction {
					elem = "NotAction"
				}
				out = append(out, fmt.Sprintf("%s names %s in its %s, which is not an S3 action (S3's list of actions has no such name), so it matches no request; check the spelling", s.Label(), a, elem))
			}
		}
	}
	return out
}
