package policy

import (
	"strings"
	"unicode/utf8"

	"github.com/fixpolicy/fixpolicy/rewrite/internal/cond"
)

func (p *Policy) compiled() *compiledPolicy {
	if c := p.comp.Load(); c != nil && c.current(p) {
		return c
	}
	c := compilePolicy(p)
	p.comp.Store(c)
	return c
}

// compiledPolicy is a Policy prepared for fast repeated evaluation.
type compiledPolicy struct {
	version string       // the Policy's Version when compiled
	src     []*Statement // the statements compiled, to detect a changed Policy
	deny    []compiledStatement
	allow   []compiledStatement
}

// current reports whether c was compiled from p's current statements.
func (c *compiledPolicy) current(p *Policy) bool {
	if p.Version != c.version || len(p.Statements) != len(c.src) {
		return false
	}
	for i, s := range p.Statements {
		if s != c.src[i] {
			return false
		}
	}
	return true
}

type compiledStatement struct {
	index     int
	principal compiledPrincipal
	actions   []actionPattern
	notAction bool
	resources []resourcePattern
	notRes    bool
	conds     []compiledCondition
}

// actionPattern is an Action/NotAction entry prepared for matching. For an
// ASCII request action, the ASCII text of the pattern before its first
// wildcard must equal the action's beginning up to ASCII case (IAM-action:
// case-insensitive), so most entries fail after a few bytes; a non-ASCII
// action goes to cond.MatchAction, whose Unicode case folding decides.
type actionPattern struct {
	raw    string
	kind   actionKind
	prefix string // ASCII text before the first '*' or '?'
}

type actionKind uint8

const (
	actGeneral    actionKind = iota // cond.MatchAction after the prefix test
	actAny                          // "*"
	actLiteral                      // ASCII, no wildcard: equal up to ASCII case
	actPrefixStar                   // ASCII prefix then one final '*'
	actUnicode                      // non-ASCII text before the first wildcard: cond.MatchAction only
)

func compileAction(a string) actionPattern {
	n := strings.IndexAny(a, "*?")
	if n < 0 {
		n = len(a)
	}
	switch {
	case a == "*":
		return actionPattern{raw: a, kind: actAny}
	case !isASCII(a[:n]):
		return actionPattern{raw: a, kind: actUnicode}
	case n == len(a):
		return actionPattern{raw: a, kind: actLiteral, prefix: a}
	case n == len(a)-1 && a[n] == '*':
		return actionPattern{raw: a, kind: actPrefixStar, prefix: a[:n]}
	}
	return actionPattern{raw: a, kind: actGeneral, prefix: a[:n]}
}

// match is cond.MatchAction(p.raw, action); asciiAction says whether the
// action is ASCII.
func (p *actionPattern) match(action string, asciiAction bool) bool {
	switch {
	case p.kind == actAny:
		return true
	case !asciiAction || p.kind == actUnicode:
		return cond.MatchAction(p.raw, action)
	case p.kind == actLiteral:
		return asciiEqualFold(p.prefix, action)
	}
	if len(action) < len(p.prefix) || !asciiEqualFold(p.prefix, action[:len(p.prefix)]) {
		return false
	}
	return p.kind == actPrefixStar || cond.MatchAction(p.raw, action)
}

// resourcePattern is a Resource/NotResource entry prepared for matching.
// The text before its first '*', '?' or '$' is literal, and ARNs are matched
// case-sensitively (IAM-resource, cond.MatchResource), so a resource must
// begin with that prefix to match: most entries fail there after a few
// bytes.
type resourcePattern struct {
	raw    string
	kind   resourceKind
	prefix string // literal text before the first '*', '?' or '$'
}

type resourceKind uint8

const (
	resGeneral resourceKind = iota // cond.MatchResource after the prefix test
	resAny                         // "*": every resource
	resLiteral                     // no wildcard: equality (an ARN of six parts)
	resNever                       // no wildcard, fewer than six parts: matches nothing
	resSixth                       // the prefix holds the five separating colons and there is no '$': the rest is a StringLike glob (cond.MatchResource's sixth segment)
)

func compileResource(r string) resourcePattern {
	n := strings.IndexAny(r, "*?$")
	switch {
	case r == "*":
		return resourcePattern{raw: r, kind: resAny}
	case n < 0 && strings.Count(r, ":") >= 5:
		return resourcePattern{raw: r, kind: resLiteral, prefix: r}
	case n < 0:
		return resourcePattern{raw: r, kind: resNever, prefix: r}
	case strings.Count(r[:n], ":") >= 5 && !strings.Contains(r, "$"):
		return resourcePattern{raw: r, kind: resSixth, prefix: r[:n]}
	}
	return resourcePattern{raw: r, kind: resGeneral, prefix: r[:n]}
}

// match is cond.MatchResource(p.raw, res, vars).
func (p *resourcePattern) match(res string, vars cond.Resolver) bool {
	switch p.kind {
	case resAny:
		return true
	case resLiteral:
		return res == p.raw
	case resNever:
		return false
	}
	if !strings.HasPrefix(res, p.prefix) {
		return false
	}
	if p.kind == resSixth {
		rest := p.raw[len(p.prefix):]
		return rest == "*" || cond.StringLike(rest, res[len(p.prefix):])
	}
	return cond.MatchResource(p.raw, res, vars)
}

type compiledCondition struct {
	key string // lower case
	c   *cond.Compiled
}

func compilePolicy(p *Policy) *compiledPolicy {
	c := &compiledPolicy{version: p.Version, src: append([]*Statement(nil), p.Statements...)}
	for _, s := range p.Statements {
		cs := compiledStatement{
			index:     s.Index,
			principal: compilePrincipal(&s.Principal, s.NotPrincipal),
			notAction: s.NotAction,
			notRes:    s.NotResource,
		}
		for _, a := range s.Actions {
			cs.actions = append(cs.actions, compileAction(a))
		}
		for _, r := range s.Resources {
			cs.resources = append(cs.resources, compileResource(r))
		}
		for i := range s.Conditions {
			cd := &s.Conditions[i]
			cs.conds = append(cs.conds, compiledCondition{key: cd.KeyLower, c: cd.Op.Compile(cd.Values)})
		}
		if s.IsDeny() {
			c.deny = append(c.deny, cs)
		} else {
			c.allow = append(c.allow, cs)
		}
	}
	return c
}

func (c *compiledPolicy) decide(r *EvalRequest, owner string) Outcome {
	var vars cond.Resolver
	if c.version == Version2012 {
		vars = r
	}
	asciiAction := isASCII(r.Action)
	userID := r.userID()
	var hits []int
	for i := range c.deny {
		if ok, _ := c.deny[i].Matches(r, vars, asciiAction, userID); ok {
			hits = append(hits, c.deny[i].index)
		}
	}
	if len(hits) > 0 {
		return Outcome{Decision: Deny, Statements: hits}
	}
	for i := range c.allow {
		ok, pm := c.allow[i].Matches(r, vars, asciiAction, userID)
		if !ok || Delegates(pm, r, owner) {
			continue
		}
		hits = append(hits, c.allow[i].index)
	}
	if len(hits) > 0 {
		return Outcome{Decision: Allow, Statements: hits}
	}
	return Outcome{Decision: None, Statements: []int{}}
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			return false
		}
	}
	return true
}

// matches is Statement.matches for the compiled statement.
func (cs *compiledStatement) Matches(r *EvalRequest, vars cond.Resolver, asciiAction bool, userID string) (bool, PrincipalMatch) {
	hit := false
	for i := range cs.actions {
		if cs.actions[i].match(r.Action, asciiAction) {
			hit = true
			break
		}
	}
	if hit == cs.notAction {
		return false, MatchNone
	}
	hit = false
	for i := range cs.resources {
		if cs.resources[i].match(r.Resource, vars) {
			hit = true
			break
		}
	}
	if hit == cs.notRes {
		return false, MatchNone
	}
	pm := cs.principal.match(&r.Caller, userID)
	if pm == MatchNone {
		return false, pm
	}
	for i := range cs.conds {
		cd := &cs.conds[i]
		v, ok := r.Ctx[cd.key]
		if !cd.c.Eval(v, ok, vars) {
			return false, pm
		}
	}
	return true, pm
}

func asciiEqualFold(a, b string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := 0; i < len(a); i++ {
		if a[i] != b[i] && lowerASCII(a[i]) != lowerASCII(b[i]) {
			return false
		}
	}
	return true
}
