package rewrite

import (
	"context"
	"fmt"
	"regexp"
	"slices"
	"strings"

	"github.com/fixpolicy/fixpolicy/rewrite/internal/sym"
	"github.com/fixpolicy/fixpolicy/rewrite/policy"
)

// Block is the analysis of one Deny statement that stands in AWS Backup's way.
type Block struct {
	Stmt *Statement
	// BackupActions are the backup actions the statement denies to the backup
	// role for some request (empty when it only blocks the console reads).
	BackupActions []string
	// Example is one backup request the statement denies.
	Example *EvalRequest
	// ConsoleActions are the console reads to split out of the statement
	// (Patch B's scope): with every Deny judged together, the account's
	// principals have no source from which to make them, and this statement
	// is in the smallest set whose splitting lets them through.
	ConsoleActions []string
	ConsoleCaller  string // the account's principals denied them, in words
	consoleCallers []int  // their indices among the console space's callers
	// ConsoleWith are the other Deny statements that deny the console's
	// reads together with this one when it does not deny them alone (two
	// network statements with disjoint allow-lists, say); they are not
	// split.
	ConsoleWith []*Statement
	// StaleRoleIDs are RoleIds the statement already exempts that are not
	// the backup role's current one.
	StaleRoleIDs []string
}

// Analysis is the result of Analyze.
type Analysis struct {
	Facts  Facts
	Blocks []*Block
	// OrgAssumed is the organization the analysis took as the account's
	// own because the policy names it and Facts.OrgID is empty.
	OrgAssumed string
}

// Analyze finds the Deny statements that block AWS Backup and those that
// must be split so the account's principals can make the console's two
// reads; see AnalyzeContext.
func Analyze(p *Policy, f Facts) (*Analysis, error) {
	return AnalyzeContext(context.Background(), p, f)
}

// AnalyzeContext finds the Deny statements that deny AWS Backup's role
// some request (for some value of every key the model of AWS Backup's
// requests leaves unknown), and the statements whose console reads must be
// split out: for each console read and principal of the account, if every
// request is denied by some Deny, the smallest set of Deny statements whose
// removal lets one through (ties: the earliest statements). Both questions
// are decided symbolically (see universe); every example replays.
func AnalyzeContext(ctx context.Context, p *Policy, f Facts) (*Analysis, error) {
	if ctx == nil {
		ctx = context.Background()
	}
	if f.Bucket == "" {
		b, err := bucketFromPolicy(p)
		if err != nil {
			return nil, err
		}
		f.Bucket = b
	}
	if err := f.Validate(); err != nil {
		return nil, err
	}
	a := &Analysis{Facts: f}
	if f.OrgID == "" {
		a.OrgAssumed = f.orgID(p)
	}
	vars := p.VarsEnabled()
	var denies []*Statement
	for _, s := range p.Statements {
		if s.IsDeny() {
			denies = append(denies, s)
		}
	}
	if len(denies) == 0 {
		return a, nil
	}
	blocks := make([]*Block, len(denies))
	for i, s := range denies {
		blocks[i] = &Block{Stmt: s, StaleRoleIDs: staleRoleIDs(s, f.RoleID)}
	}

	// Which backup actions does each Deny deny the backup role, for some
	// request?
	bs := f.backupSpace(p)
	ub, err := newUniverse(ctx, bs, stmtSource{denies, vars})
	if err != nil {
		return nil, err
	}
	ub.owner = f.AccountID
	sb := ub.s
	for i, s := range denies {
		m := sb.And(ub.valid, ub.stmt(s, f.AccountID))
		for ai, act := range bs.actions {
			x := sb.And(m, sb.Eq(ub.action, ai))
			if sb.Empty(x) {
				continue
			}
			blocks[i].BackupActions = append(blocks[i].BackupActions, act)
			if blocks[i].Example == nil {
				pt, _ := sb.Pick(x)
				ex := ub.request(pt)
				if ok, _ := s.Matches(ex, p.Resolver(ex)); !ok {
					return nil, fmt.Errorf("internal error: the analysis's example %s does not match %s; this is a bug in fixpolicy", ex.Request(), s.Label())
				}
				blocks[i].Example = ex
			}
		}
	}
	if err := sb.Err(); err != nil {
		return nil, err
	}

	// The console's reads, every Deny together.
	if err := consoleBlocks(ctx, p, f, denies, vars, blocks); err != nil {
		return nil, err
	}
	for _, b := range blocks {
		// Keep the console's order of the reads.
		slices.SortFunc(b.ConsoleActions, func(x, y string) int {
			return slices.Index(ConsoleActions, x) - slices.Index(ConsoleActions, y)
		})
		if len(b.BackupActions) > 0 || len(b.ConsoleActions) > 0 {
			a.Blocks = append(a.Blocks, b)
		}
	}
	return a, nil
}

// maxSplitChecks bounds the search for the smallest split; beyond it every
// statement that denies the reads is split, which always lets them through.
const maxSplitChecks = 20000

// smallestSplit returns the smallest subset of hit (ties: the earliest
// statements, compared in order) such that base minus the other sets of ms
// is not empty: the statements whose console reads must be split out.
func smallestSplit(s *sym.Space, base sym.Set, ms []sym.Set, hit []int) []int {
	checks := 0
	for k := 1; k <= len(hit); k++ {
		idx := make([]int, k)
		for i := range idx {
			idx[i] = i
		}
		for {
			checks++
			if checks > maxSplitChecks {
				return hit
			}
			in := map[int]bool{}
			for _, x := range idx {
				in[hit[x]] = true
			}
			var rest []sym.Set
			for _, j := range hit {
				if !in[j] {
					rest = append(rest, ms[j])
				}
			}
			if !s.Empty(s.Minus(base, s.Or(rest...))) {
				out := make([]int, k)
				for i, x := range idx {
					out[i] = hit[x]
				}
				return out
			}
			// Next combination in lexicographic order.
			i := k - 1
			for i >= 0 && idx[i] == len(hit)-k+i {
				i--
			}
			if i < 0 {
				break
			}
			idx[i]++
			for j := i + 1; j < k; j++ {
				idx[j] = idx[j-1] + 1
			}
		}
	}
	return hit
}

var roleIDPattern = regexp.MustCompile(`^(AROA[A-Z0-9]{12,})(:\*)?$`)

// staleRoleIDs lists RoleIds that the statement's aws:userid exemptions name
// and that are not the current one.
func staleRoleIDs(s *Statement, current string) []string {
	var out []string
	for _, c := range s.Conditions {
		if c.KeyLower != "aws:userid" || !c.Op.Negated {
			continue
		}
		for _, v := range c.Values {
			m := roleIDPattern.FindStringSubmatch(v)
			if m != nil && m[1] != current {
				out = appendUnique(out, m[1])
			}
		}
	}
	return out
}

// whyBackup says why the statement's conditions hold for AWS Backup's
// example request.
func (b *Block) whyBackup(sp *space) string {
	if b.Example == nil {
		return ""
	}
	var reasons []string
	seen := map[string]bool{}
	for _, c := range b.Stmt.Conditions {
		if seen[c.KeyLower] {
			continue
		}
		seen[c.KeyLower] = true
		v, present := b.Example.Ctx[c.KeyLower]
		switch {
		case c.KeyLower == "aws:sourceip" && present && sp.known[c.KeyLower] != nil:
			reasons = append(reasons, "AWS Backup calls S3 from AWS-owned addresses outside these ranges")
		case sp.choices[c.KeyLower] != nil:
			reasons = append(reasons, fmt.Sprintf("AWS Backup's requests may carry %s %s", c.Key, describeChoices(sp.choices[c.KeyLower])))
		case !present && sp.absent[c.KeyLower]:
			reasons = append(reasons, "AWS Backup's requests carry no "+c.Key)
		case !present && isDerived(c.KeyLower):
			reasons = append(reasons, "the backup role's session has no "+c.Key)
		case !present:
			reasons = append(reasons, c.Key+" may be absent from AWS Backup's requests")
		case sp.known[c.KeyLower] != nil:
			reasons = append(reasons, fmt.Sprintf("AWS Backup's requests carry %s %s", c.Key, strings.Join(v, ",")))
		case isDerived(c.KeyLower):
			reasons = append(reasons, fmt.Sprintf("the backup role's session has %s %s", c.Key, strings.Join(v, ",")))
		default:
			reasons = append(reasons, fmt.Sprintf("%s is not known in advance (it could be %s)", c.Key, strings.Join(v, ",")))
		}
	}
	if len(reasons) == 0 {
		return "it has no conditions, so it applies to AWS Backup's role session as to everyone it names"
	}
	return strings.Join(reasons, "; ")
}

// describeChoices lists a key's possible values: "1.2 or 1.3", "absent, private or ...".
func describeChoices(ch []string) string {
	var out []string
	for _, v := range ch {
		if v == absentChoice {
			out = append(out, "none")
		} else {
			out = append(out, v)
		}
	}
	return policy.JoinValues(out, false)
}

// consoleBlocks records, in blocks (one per Deny of denies), the console
// reads each Deny must split out: for each read and principal of the
// account that every request is denied, the smallest set of Denies whose
// removal lets one through, and the Denies that deny it together with them.
func consoleBlocks(ctx context.Context, p *Policy, f Facts, denies []*Statement, vars bool, blocks []*Block) error {
	cs := f.consoleSpace(p)
	uc, err := newUniverse(ctx, cs, stmtSource{denies, vars})
	if err != nil {
		return err
	}
	uc.owner = f.AccountID
	sc := uc.s
	ms := make([]sym.Set, len(denies))
	for i, s := range denies {
		ms[i] = sc.And(uc.valid, uc.stmt(s, f.AccountID))
	}
	all := sc.Or(ms...)
	for ai, act := range cs.actions {
		for ci := range cs.callers {
			base := sc.And(uc.valid, sc.Eq(uc.caller, ci), sc.Eq(uc.action, ai))
			if sc.Empty(base) || !sc.Empty(sc.Minus(base, all)) {
				continue // some request gets through
			}
			var hit []int
			for i := range denies {
				if !sc.Empty(sc.And(base, ms[i])) {
					hit = append(hit, i)
				}
			}
			split := smallestSplit(sc, base, ms, hit)
			for _, i := range split {
				b := blocks[i]
				if !contains(b.ConsoleActions, act) {
					b.ConsoleActions = append(b.ConsoleActions, act)
				}
				if !slices.Contains(b.consoleCallers, ci) {
					b.consoleCallers = append(b.consoleCallers, ci)
				}
				if sc.Empty(sc.Minus(base, ms[i])) {
					continue // denies them alone
				}
				for _, j := range hit {
					if j != i && !slices.Contains(split, j) && !slices.Contains(b.ConsoleWith, denies[j]) {
						b.ConsoleWith = append(b.ConsoleWith, denies[j])
					}
				}
			}
		}
	}
	for _, b := range blocks {
		b.ConsoleCaller = describeConsoleCallers(b.consoleCallers, cs.callers)
	}
	return sc.Err()
}

// describeConsoleCallers names the account's principals a statement leaves
// without the console's reads: all of them, or those it names.
func describeConsoleCallers(denied []int, callers []callerCand) string {
	if len(denied) == 0 {
		return ""
	}
	if len(denied) == len(callers) {
		return "every principal of the account (its root user, IAM users and role sessions)"
	}
	slices.Sort(denied)
	var labels []string
	for _, ci := range denied {
		labels = append(labels, callers[ci].label)
	}
	return policy.JoinList(labels, 3)
}
