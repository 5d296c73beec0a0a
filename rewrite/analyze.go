package rewrite

import (
	"fmt"
	"regexp"
	"strings"
)

// Block is the analysis of one Deny statement that stands in AWS Backup's way.
type Block struct {
	Stmt *Statement
	// BackupActions are the backup actions the statement denies to the backup
	// role for some request (empty when it only blocks the console reads).
	BackupActions []string
	// Example is one backup request the statement denies.
	Example *EvalRequest
	// ConsoleActions are the console reads that the statement denies to some
	// principal of the account wherever it comes from (Patch B's scope).
	ConsoleActions []string
	ConsoleCaller  string
	// StaleRoleIDs are RoleIds the statement already exempts that are not
	// the backup role's current one.
	StaleRoleIDs []string
}

// Analysis is the result of Analyze.
type Analysis struct {
	Facts  Facts
	Blocks []*Block
}

// Analyze finds the Deny statements that block AWS Backup (for some value of
// every key the model leaves unknown) and those that deny the account's
// principals the console's two reads.
func Analyze(p *Policy, f Facts) (*Analysis, error) {
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
	vars := p.VarsEnabled()
	bs := f.backupSpace(p)
	accountCallers := f.accountCallers(p)
	for _, s := range p.Statements {
		if !s.IsDeny() {
			continue
		}
		b := &Block{Stmt: s, StaleRoleIDs: staleRoleIDs(s, f.RoleID)}
		// Which backup actions does it deny, for some request?
		b.BackupActions, b.Example = bs.matchedActions(s, vars)
		// Does it deny some principal of the account a console read, for
		// every value of the keys the console's request leaves free?
		for _, act := range ConsoleActions {
			for _, cc := range accountCallers {
				sp := f.consoleSpace(p, cc, act)
				if sp.allMatch(s, vars) {
					b.ConsoleActions = append(b.ConsoleActions, act)
					if b.ConsoleCaller == "" {
						b.ConsoleCaller = cc.label
					}
					break
				}
			}
		}
		if len(b.BackupActions) > 0 || len(b.ConsoleActions) > 0 {
			a.Blocks = append(a.Blocks, b)
		}
	}
	return a, nil
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

// Describe says what the statement denies, in words.
func (s *Statement) Describe() string {
	var b strings.Builder
	verb := "allows"
	if s.IsDeny() {
		verb = "denies"
	}
	fmt.Fprintf(&b, "%s %s %s on %s", verb, describePrincipal(s), describeActions(s), describeResources(s))
	if len(s.Conditions) > 0 {
		parts := make([]string, len(s.Conditions))
		for i, c := range s.Conditions {
			parts[i] = describeCondition(c)
		}
		b.WriteString(" ")
		b.WriteString(strings.Join(parts, ", and "))
	}
	return b.String()
}

func describePrincipal(s *Statement) string {
	var who string
	switch {
	case s.Principal.Wildcard:
		who = "everyone"
	default:
		var names []string
		for _, t := range principalTypes {
			for _, v := range s.Principal.Values[t] {
				if t == "AWS" && v == "*" {
					names = append(names, "every AWS principal")
				} else {
					names = append(names, v)
				}
			}
		}
		who = joinList(names, 3)
	}
	if s.NotPrincipal {
		return "everyone except " + who
	}
	return who
}

func describeActions(s *Statement) string {
	list := joinList(s.Actions, 3)
	if s.NotAction {
		return "every action except " + list
	}
	return list
}

func describeResources(s *Statement) string {
	var names []string
	for _, r := range s.Resources {
		switch {
		case r == "*":
			names = append(names, "every resource")
		case strings.HasPrefix(r, "arn:") && strings.HasSuffix(r, "/*") && !strings.ContainsAny(strings.TrimSuffix(r, "/*"), "*?"):
			names = append(names, "its objects")
		case strings.HasPrefix(r, "arn:") && !strings.ContainsAny(r, "/*?"):
			names = append(names, "the bucket "+r[strings.LastIndexByte(r, ':')+1:])
		default:
			names = append(names, r)
		}
	}
	list := joinList(names, 3)
	if s.NotResource {
		return "everything except " + list
	}
	return list
}

func joinList(items []string, max int) string {
	if len(items) > max {
		return strings.Join(items[:max], ", ") + fmt.Sprintf(" and %d more", len(items)-max)
	}
	switch len(items) {
	case 0:
		return ""
	case 1:
		return items[0]
	}
	return strings.Join(items[:len(items)-1], ", ") + " and " + items[len(items)-1]
}

func describeCondition(c Condition) string {
	op := c.Op
	vals := joinValues(c.Values, op.Negated)
	var verb string
	switch op.Base {
	case "StringEquals", "StringNotEquals", "NumericEquals", "NumericNotEquals", "DateEquals", "DateNotEquals", "BinaryEquals":
		verb = "is " + vals
	case "StringEqualsIgnoreCase", "StringNotEqualsIgnoreCase":
		verb = "is " + vals + " (ignoring case)"
	case "StringLike", "StringNotLike":
		verb = "matches " + vals
	case "ArnEquals", "ArnNotEquals", "ArnLike", "ArnNotLike":
		verb = "matches the ARN " + vals
	case "IpAddress", "NotIpAddress":
		verb = "is in " + vals
	case "Bool":
		verb = "is " + vals
	case "NumericLessThan", "DateLessThan":
		verb = "is before/below " + vals
	case "NumericLessThanEquals", "DateLessThanEquals":
		verb = "is at most " + vals
	case "NumericGreaterThan", "DateGreaterThan":
		verb = "is after/above " + vals
	case "NumericGreaterThanEquals", "DateGreaterThanEquals":
		verb = "is at least " + vals
	case "Null":
		if strings.EqualFold(c.Values[0], "true") {
			return "when the request has no " + c.Key
		}
		return "when the request has " + c.Key
	default:
		verb = op.Base + " " + vals
	}
	subject := c.Key
	switch op.Set {
	case 1:
		subject = "every value of " + c.Key
	case 2:
		subject = "some value of " + c.Key
	}
	if c.KeyLower == "aws:sourceip" && (op.Base == "IpAddress" || op.Base == "NotIpAddress") {
		if op.Negated {
			s := "unless the request comes from " + joinValues(c.Values, true)
			if op.IfExists {
				s += " (or carries no source address)"
			}
			return s
		}
		return "when the request comes from " + joinValues(c.Values, false)
	}
	if op.Negated {
		s := "unless " + subject + " " + verb
		if op.IfExists {
			s += " (a request without " + c.Key + " is covered too)"
		}
		return s
	}
	s := "when " + subject + " " + verb
	if op.IfExists {
		s += " or the request has no " + c.Key
	}
	return s
}

func joinValues(vals []string, _ bool) string {
	if len(vals) == 1 {
		return vals[0]
	}
	if len(vals) > 4 {
		return strings.Join(vals[:3], ", ") + fmt.Sprintf(" or %d more", len(vals)-3)
	}
	return strings.Join(vals[:len(vals)-1], ", ") + " or " + vals[len(vals)-1]
}

// WhyBackup says why the statement's conditions hold for AWS Backup's
// example request.
func (b *Block) WhyBackup(sp *space) string {
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
		v, present := b.Example.ctx[c.KeyLower]
		switch {
		case c.KeyLower == "aws:sourceip" && present && sp.known[c.KeyLower] != nil:
			reasons = append(reasons, "AWS Backup calls S3 from AWS-owned addresses outside these ranges")
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
