package rewrite

import (
	"fmt"
	"strings"

	"github.com/fixpolicy/fixpolicy/rewrite/cond"
)

// Request is one request to decide against a bucket policy.
type Request struct {
	Principal string              `json:"principal"`
	Action    string              `json:"action"`
	Resource  string              `json:"resource"`
	Context   map[string][]string `json:"context,omitempty"`
}

// Decision is the outcome of evaluating a bucket policy for one request.
type Decision string

// Decisions, with the meaning DESIGN.md gives them.
const (
	// Deny: a Deny statement matches.
	Deny Decision = "deny"
	// Allow: no Deny matches and the policy itself grants the request.
	Allow Decision = "allow"
	// None: neither; the caller's own IAM policies decide.
	None Decision = "none"
)

// EvalRequest is a Request prepared for evaluation: the principal parsed and
// context keys lower-cased. Prepare once, evaluate against many statements.
type EvalRequest struct {
	Caller   Caller
	Action   string
	Resource string
	ctx      map[string][]string // lower-case keys
}

// Prepare parses the principal and normalises the context. Context keys the
// request does not give but that follow from the principal
// (aws:PrincipalAccount, aws:PrincipalArn, aws:username, aws:PrincipalType)
// are filled in.
func Prepare(r Request) (*EvalRequest, error) {
	if r.Principal == "" {
		return nil, fmt.Errorf("missing principal")
	}
	if r.Action == "" {
		return nil, fmt.Errorf("missing action")
	}
	if r.Resource == "" {
		return nil, fmt.Errorf("missing resource")
	}
	c, err := ParseCaller(r.Principal)
	if err != nil {
		return nil, err
	}
	if err := checkAction(r.Action); err != nil || r.Action == "*" {
		return nil, fmt.Errorf("%q is not an action (use service:Action, e.g. s3:GetObject)", r.Action)
	}
	if !strings.HasPrefix(r.Resource, "arn:") || strings.Count(r.Resource, ":") < 5 {
		return nil, fmt.Errorf("%q is not a resource ARN (e.g. arn:aws:s3:::bucket/key)", r.Resource)
	}
	ctx := make(map[string][]string, len(r.Context)+4)
	for k, v := range r.Context {
		ctx[strings.ToLower(k)] = v
	}
	deriveContext(c, ctx)
	return &EvalRequest{Caller: c, Action: r.Action, Resource: r.Resource, ctx: ctx}, nil
}

// deriveContext adds the keys that follow from the principal, unless given.
func deriveContext(c Caller, ctx map[string][]string) {
	set := func(k, v string) {
		if _, ok := ctx[k]; !ok {
			ctx[k] = []string{v}
		}
	}
	switch c.Kind {
	case AccountRoot:
		set("aws:principalaccount", c.Account)
		set("aws:principalarn", c.ARN)
		set("aws:principaltype", "Account")
	case IAMUser:
		set("aws:principalaccount", c.Account)
		set("aws:principalarn", c.ARN)
		set("aws:username", c.Name)
		set("aws:principaltype", "User")
	case AssumedRole, IAMRole:
		set("aws:principalaccount", c.Account)
		set("aws:principalarn", c.RoleARN())
		set("aws:principaltype", "AssumedRole")
	case FederatedUser:
		set("aws:principalaccount", c.Account)
		set("aws:principalarn", c.ARN)
		set("aws:principaltype", "FederatedUser")
	case Anonymous:
		set("aws:principaltype", "Anonymous")
	}
}

// Lookup implements cond.Resolver over the request context.
func (r *EvalRequest) Lookup(key string) (string, bool) {
	v, ok := r.ctx[strings.ToLower(key)]
	if !ok || len(v) != 1 {
		return "", false
	}
	return v[0], true
}

// Value returns the request's values for a context key.
func (r *EvalRequest) Value(key string) ([]string, bool) {
	v, ok := r.ctx[strings.ToLower(key)]
	return v, ok
}

func (r *EvalRequest) userID() string {
	if v, ok := r.ctx["aws:userid"]; ok && len(v) == 1 {
		return v[0]
	}
	return ""
}

// matches reports whether the statement applies to the request, and how its
// principal element matched (pmAccount when it names only the caller's account).
func (s *Statement) matches(r *EvalRequest, vars cond.Resolver) (bool, principalMatch) {
	pm := s.principalMatch(r)
	if pm == pmNone {
		return false, pm
	}
	if !s.actionMatches(r.Action) || !s.resourceMatches(r.Resource, vars) {
		return false, pm
	}
	for i := range s.Conditions {
		if !s.Conditions[i].eval(r, vars) {
			return false, pm
		}
	}
	return true, pm
}

func (s *Statement) principalMatch(r *EvalRequest) principalMatch {
	if s.NotPrincipal {
		if notPrincipalExcludes(s.Principal, r.Caller, r.userID()) {
			return pmNone
		}
		return pmExact
	}
	return principalMatches(s.Principal, r.Caller, r.userID())
}

func (s *Statement) actionMatches(action string) bool {
	hit := false
	for _, a := range s.Actions {
		if cond.MatchAction(a, action) {
			hit = true
			break
		}
	}
	return hit != s.NotAction
}

func (s *Statement) resourceMatches(res string, vars cond.Resolver) bool {
	hit := false
	for _, p := range s.Resources {
		if cond.MatchResource(p, res, vars) {
			hit = true
			break
		}
	}
	return hit != s.NotResource
}

func (c *Condition) eval(r *EvalRequest, vars cond.Resolver) bool {
	v, ok := r.ctx[c.KeyLower]
	return c.Op.Eval(c.Values, v, ok, vars)
}

func (p *Policy) resolver(r *EvalRequest) cond.Resolver {
	if p.VarsEnabled() {
		return r
	}
	return nil
}

// Outcome is the decision for one request and the statements that decided it.
type Outcome struct {
	Decision   Decision `json:"decision"`
	Statements []int    `json:"statements"` // 0-based indexes of deciding statements
}

// Decide evaluates the policy for one request. owner is the bucket owner's
// account ID ("" when unknown): an Allow that names only the caller's own
// account, when that account owns the bucket, delegates to the caller's IAM
// policies and so does not by itself allow.
func (p *Policy) Decide(r *EvalRequest, owner string) Outcome {
	vars := p.resolver(r)
	var denies, allows []int
	for _, s := range p.Statements {
		ok, pm := s.matches(r, vars)
		if !ok {
			continue
		}
		if s.IsDeny() {
			denies = append(denies, s.Index)
			continue
		}
		if pm == pmAccount && owner != "" && r.Caller.Account == owner {
			continue // delegation to the account's IAM policies
		}
		allows = append(allows, s.Index)
	}
	switch {
	case len(denies) > 0:
		return Outcome{Decision: Deny, Statements: denies}
	case len(allows) > 0:
		return Outcome{Decision: Allow, Statements: allows}
	}
	return Outcome{Decision: None, Statements: []int{}}
}

// denied reports whether any Deny statement matches; the fast path used by
// enumeration.
func (p *Policy) denied(r *EvalRequest) bool {
	vars := p.resolver(r)
	for _, s := range p.Statements {
		if s.IsDeny() {
			if ok, _ := s.matches(r, vars); ok {
				return true
			}
		}
	}
	return false
}

// Explanation says, for one statement and one request, which elements matched.
type Explanation struct {
	Statement  int               `json:"statement"`
	Sid        string            `json:"sid,omitempty"`
	Effect     string            `json:"effect"`
	Matched    bool              `json:"matched"`
	Principal  bool              `json:"principal"`
	Action     bool              `json:"action"`
	Resource   bool              `json:"resource"`
	Conditions []ConditionResult `json:"conditions,omitempty"`
	Reason     string            `json:"reason"`
}

// ConditionResult is the outcome of one condition for one request.
type ConditionResult struct {
	Operator string   `json:"operator"`
	Key      string   `json:"key"`
	Values   []string `json:"values"`
	Request  []string `json:"request"`
	Present  bool     `json:"present"`
	Result   bool     `json:"result"`
}

// Explain evaluates every element of every statement for the request.
func (p *Policy) Explain(r *EvalRequest) []Explanation {
	vars := p.resolver(r)
	out := make([]Explanation, 0, len(p.Statements))
	for _, s := range p.Statements {
		e := Explanation{Statement: s.Index, Sid: s.Sid, Effect: s.Effect}
		e.Principal = s.principalMatch(r) != pmNone
		e.Action = s.actionMatches(r.Action)
		e.Resource = s.resourceMatches(r.Resource, vars)
		condsOK := true
		for i := range s.Conditions {
			c := &s.Conditions[i]
			v, ok := r.ctx[c.KeyLower]
			res := c.eval(r, vars)
			condsOK = condsOK && res
			e.Conditions = append(e.Conditions, ConditionResult{Operator: c.OpName, Key: c.Key, Values: c.Values, Request: v, Present: ok, Result: res})
		}
		e.Matched = e.Principal && e.Action && e.Resource && condsOK
		e.Reason = explainReason(s, e, r)
		out = append(out, e)
	}
	return out
}

func explainReason(s *Statement, e Explanation, r *EvalRequest) string {
	elem := func(base string, not bool) string {
		if not {
			return "Not" + base
		}
		return base
	}
	switch {
	case !e.Principal:
		return fmt.Sprintf("%s does not apply to %s", elem("Principal", s.NotPrincipal), r.Caller.ARN)
	case !e.Action:
		return fmt.Sprintf("%s does not cover %s", elem("Action", s.NotAction), r.Action)
	case !e.Resource:
		return fmt.Sprintf("%s does not cover %s", elem("Resource", s.NotResource), r.Resource)
	}
	for _, c := range e.Conditions {
		if !c.Result {
			if !c.Present {
				return fmt.Sprintf("condition %s %s is false: the request has no %s", c.Operator, c.Key, c.Key)
			}
			return fmt.Sprintf("condition %s %s %s is false for %s", c.Operator, c.Key, fmtValues(c.Values), fmtValues(c.Request))
		}
	}
	if len(e.Conditions) == 0 {
		return "principal, action and resource match; no conditions"
	}
	return "principal, action, resource and every condition match"
}

func fmtValues(v []string) string {
	if len(v) == 1 {
		return fmt.Sprintf("%q", v[0])
	}
	q := make([]string, len(v))
	for i, s := range v {
		q[i] = fmt.Sprintf("%q", s)
	}
	return "[" + strings.Join(q, ", ") + "]"
}

// Reset is a temporary baseline helper.
func (r *EvalRequest) Reset(q Request) error {
	p, err := Prepare(q)
	if err != nil {
		return err
	}
	*r = *p
	return nil
}
