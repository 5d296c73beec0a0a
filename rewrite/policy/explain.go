package policy

import (
	"fmt"
	"strings"

	"github.com/fixpolicy/fixpolicy/rewrite/internal/cond"
)

// Explanation says, for one statement and one request, which elements matched.
type Explanation struct {
	Statement int    `json:"statement"`
	Sid       string `json:"sid,omitempty"`
	Effect    string `json:"effect"`
	// Matched: every element matches.
	Matched bool `json:"matched"`
	// Decides: the statement is one of those Decide returns.
	Decides bool `json:"decides"`
	// Delegated: an Allow that matches only by naming the caller's account,
	// the bucket owner's, which delegates to the caller's IAM policies.
	Delegated  bool              `json:"delegated,omitempty"`
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

// Explain evaluates every element of every statement for the request, with
// the bucket owner unknown (see ExplainFor).
func (p *Policy) Explain(r *EvalRequest) []Explanation { return p.ExplainFor(r, "") }

// ExplainFor evaluates every element of every statement for the request and
// says why each statement matches or not, and which statements decide, as
// Decide(r, owner) does.
func (p *Policy) ExplainFor(r *EvalRequest, owner string) []Explanation {
	vars := p.Resolver(r)
	out := make([]Explanation, 0, len(p.Statements))
	denied := false
	pms := make([]PrincipalMatch, 0, len(p.Statements))
	for _, s := range p.Statements {
		e := Explanation{Statement: s.Index, Sid: s.Sid, Effect: s.Effect}
		pm := s.PrincipalMatch(r)
		pms = append(pms, pm)
		e.Principal = pm != MatchNone
		e.Action = s.ActionMatches(r.Action)
		e.Resource = s.ResourceMatches(r.Resource, vars)
		condsOK := true
		for i := range s.Conditions {
			c := &s.Conditions[i]
			v, ok := r.Ctx[c.KeyLower]
			res := c.eval(r, vars)
			condsOK = condsOK && res
			e.Conditions = append(e.Conditions, ConditionResult{Operator: c.OpName, Key: c.Key, Values: c.Values, Request: v, Present: ok, Result: res})
		}
		e.Matched = e.Principal && e.Action && e.Resource && condsOK
		e.Delegated = e.Matched && !s.IsDeny() && Delegates(pm, r, owner)
		denied = denied || e.Matched && s.IsDeny()
		out = append(out, e)
	}
	for i, s := range p.Statements {
		e := &out[i]
		e.Decides = e.Matched && (s.IsDeny() || !denied && !e.Delegated)
		e.Reason = explainReason(s, e, pms[i], r, denied)
	}
	return out
}

func explainReason(s *Statement, e *Explanation, pm PrincipalMatch, r *EvalRequest, denied bool) string {
	switch {
	case !e.Principal && s.NotPrincipal:
		return fmt.Sprintf("NotPrincipal excludes %s", r.Caller.ARN)
	case !e.Principal:
		return fmt.Sprintf("Principal does not name %s", r.Caller.ARN)
	case !e.Action && s.NotAction:
		return fmt.Sprintf("NotAction lists %s", r.Action)
	case !e.Action:
		return fmt.Sprintf("Action does not cover %s", r.Action)
	case !e.Resource && s.NotResource:
		return fmt.Sprintf("NotResource lists %s", r.Resource)
	case !e.Resource:
		return fmt.Sprintf("Resource does not cover %s", r.Resource)
	}
	for _, c := range e.Conditions {
		if c.Result {
			continue
		}
		op, _ := cond.ParseOperator(c.Operator)
		switch {
		case !c.Present:
			return fmt.Sprintf("condition %s %s is false: the request has no %s", c.Operator, c.Key, c.Key)
		case op.Set == cond.SetNone && len(c.Request) != 1:
			return fmt.Sprintf("condition %s %s is false: the request gives %s %d values, and an operator without ForAnyValue/ForAllValues needs exactly one", c.Operator, c.Key, c.Key, len(c.Request))
		}
		return fmt.Sprintf("condition %s %s %s is false for %s", c.Operator, c.Key, fmtValues(c.Values), fmtValues(c.Request))
	}
	why := "principal, action, resource and every condition match"
	if len(e.Conditions) == 0 {
		why = "principal, action and resource match; no conditions"
	}
	switch {
	case s.NotPrincipal && r.Caller.Kind == AssumedRole:
		why += fmt.Sprintf(" (NotPrincipal excludes a role session only when it lists the account %s, the role and the session ARN %s)", r.Caller.Account, r.Caller.ARN)
	case s.NotPrincipal && r.Caller.Kind == IAMUser:
		why += fmt.Sprintf(" (NotPrincipal excludes a user only when it lists both the account %s and the user)", r.Caller.Account)
	case s.IsDeny() && pm == MatchAccount:
		why += fmt.Sprintf("; the Principal names account %s, and a Deny naming an account applies to every principal in it", r.Caller.Account)
	case e.Delegated:
		why += fmt.Sprintf(", but the Principal names only account %s, the bucket owner: that delegates to the principal's IAM policies and grants nothing by itself", r.Caller.Account)
	case !s.IsDeny() && denied:
		why += ", but a Deny statement matches too, and Deny wins"
	}
	return why
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
