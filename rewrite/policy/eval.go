package policy

import (
	"fmt"
	"sort"
	"strings"

	"github.com/fixpolicy/fixpolicy/rewrite/internal/cond"
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

// Decisions (package documentation, "Evaluation").
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
// An EvalRequest may be reused for a stream of requests with Reset, which
// keeps its maps and its last parsed principal, so that deciding a stream
// allocates little.
type EvalRequest struct {
	Caller   Caller
	Action   string
	Resource string
	Ctx      map[string][]string // the context, by lower-case key

	// Reset's caches; the zero value is ready to use.
	lower     map[string]string // context key as given -> lower case
	principal string            // the Request.Principal Caller was parsed from
	roleARN   string            // Caller.RoleARN(), for sessions and roles
	derived   [5][1]string      // backing arrays of the derived context values
}

// Prepare parses the principal and normalises the context. Context keys the
// request does not give but that follow from the principal
// (aws:PrincipalAccount, aws:PrincipalArn, aws:username, aws:PrincipalType,
// and aws:userid for anonymous callers) are filled in.
func Prepare(r Request) (*EvalRequest, error) {
	er := &EvalRequest{}
	if err := er.Reset(r); err != nil {
		return nil, err
	}
	return er, nil
}

// maxLowerCache bounds Reset's cache of lower-cased context keys.
const maxLowerCache = 256

// Reset prepares r for the request q as Prepare does, reusing r's memory.
// The context's value slices are kept, not copied: q's must not change
// while r is in use. Values obtained from r before (its context slices) must
// not be used after. On error r is left unusable until the next successful
// Reset.
func (r *EvalRequest) Reset(q Request) error {
	if q.Principal == "" {
		return fmt.Errorf("missing principal")
	}
	if q.Action == "" {
		return fmt.Errorf("missing action")
	}
	if q.Resource == "" {
		return fmt.Errorf("missing resource")
	}
	if q.Principal != r.principal || r.principal == "" {
		c, err := ParseCaller(q.Principal)
		if err != nil {
			r.principal = ""
			return err
		}
		r.Caller, r.principal, r.roleARN = c, q.Principal, ""
		if c.Kind == AssumedRole || c.Kind == IAMRole {
			r.roleARN = c.RoleARN()
		}
	}
	if err := CheckRequestAction(q.Action); err != nil {
		return err
	}
	if err := CheckRequestResource(q.Resource); err != nil {
		return err
	}
	r.Action, r.Resource = q.Action, q.Resource
	if r.Ctx == nil {
		r.Ctx = make(map[string][]string, len(q.Context)+5)
	} else {
		clear(r.Ctx)
	}
	collide := false
	for k, v := range q.Context {
		lk := r.lowerKey(k)
		if _, dup := r.Ctx[lk]; dup {
			collide = true
			break
		}
		r.Ctx[lk] = v
	}
	if collide {
		r.mergeContext(q.Context)
	}
	r.deriveContext()
	return nil
}

// lowerKey lower-cases a context key (keys are case-insensitive,
// IAM-condition), remembering the answer for the keys a stream repeats.
func (r *EvalRequest) lowerKey(k string) string {
	if lk, ok := r.lower[k]; ok {
		return lk
	}
	lk := strings.ToLower(k)
	if r.lower == nil {
		r.lower = make(map[string]string)
	}
	if len(r.lower) < maxLowerCache {
		r.lower[k] = lk
	}
	return lk
}

// mergeContext fills the context when keys differ only in case
// ("aws:SourceIp" and "AWS:SOURCEIP"): they name one key, whose values are
// those of every spelling, taken in the order of the spellings.
func (r *EvalRequest) mergeContext(in map[string][]string) {
	clear(r.Ctx)
	keys := make([]string, 0, len(in))
	for k := range in {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		lk := r.lowerKey(k)
		if prev, ok := r.Ctx[lk]; ok {
			r.Ctx[lk] = append(append([]string(nil), prev...), in[k]...)
		} else {
			r.Ctx[lk] = in[k]
		}
	}
}

// CheckRequestAction accepts one concrete action, service:Action.
func CheckRequestAction(a string) error {
	if checkAction(a) != nil || strings.ContainsAny(a, "*? \t") {
		return fmt.Errorf("%q is not an action (use service:Action, e.g. s3:GetObject)", a)
	}
	return nil
}

// CheckRequestResource accepts an ARN: six colon-separated parts (the last
// may hold more colons, as S3 object keys do) with a partition and a service.
func CheckRequestResource(res string) error {
	var col [5]int
	n := 0
	for i := 0; i < len(res) && n < 5; i++ {
		if res[i] == ':' {
			col[n] = i
			n++
		}
	}
	if n < 5 || res[:col[0]] != "arn" || col[1] == col[0]+1 || col[2] == col[1]+1 {
		return fmt.Errorf("%q is not a resource ARN (e.g. arn:aws:s3:::bucket/key)", res)
	}
	return nil
}

// deriveContext adds the keys that follow from the principal, unless given
// (IAM-keys: aws:PrincipalAccount, aws:PrincipalArn (the role's ARN for a
// role session), aws:username (IAM users only), aws:PrincipalType, and
// aws:userid = "anonymous" for anonymous requests).
func (r *EvalRequest) deriveContext() {
	n := 0
	set := func(k, v string) {
		if _, ok := r.Ctx[k]; !ok {
			r.derived[n][0] = v
			r.Ctx[k] = r.derived[n][:]
			n++
		}
	}
	c := &r.Caller
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
		set("aws:principalarn", r.roleARN)
		set("aws:principaltype", "AssumedRole")
	case FederatedUser:
		set("aws:principalaccount", c.Account)
		set("aws:principalarn", c.ARN)
		set("aws:principaltype", "FederatedUser")
	case Anonymous:
		set("aws:principaltype", "Anonymous")
		set("aws:userid", "anonymous")
	}
}

// Lookup implements cond.Resolver over the request context.
func (r *EvalRequest) Lookup(key string) (string, bool) {
	v, ok := r.Ctx[strings.ToLower(key)]
	if !ok || len(v) != 1 {
		return "", false
	}
	return v[0], true
}

// Value returns the request's values for a context key.
func (r *EvalRequest) Value(key string) ([]string, bool) {
	v, ok := r.Ctx[strings.ToLower(key)]
	return v, ok
}

func (r *EvalRequest) userID() string {
	if v, ok := r.Ctx["aws:userid"]; ok && len(v) == 1 {
		return v[0]
	}
	return ""
}

// matches reports whether the statement applies to the request, and how its
// principal element matched (MatchAccount when it names only the caller's
// account). The elements are tested cheapest and most selective first:
// action, resource, principal, conditions; pm is meaningful only when the
// statement matches.
func (s *Statement) Matches(r *EvalRequest, vars cond.Resolver) (bool, PrincipalMatch) {
	if !s.ActionMatches(r.Action) || !s.ResourceMatches(r.Resource, vars) {
		return false, MatchNone
	}
	pm := s.PrincipalMatch(r)
	if pm == MatchNone {
		return false, pm
	}
	for i := range s.Conditions {
		if !s.Conditions[i].eval(r, vars) {
			return false, pm
		}
	}
	return true, pm
}

func (s *Statement) PrincipalMatch(r *EvalRequest) PrincipalMatch {
	if s.NotPrincipal {
		if notPrincipalExcludes(&s.Principal, &r.Caller, r.userID()) {
			return MatchNone
		}
		return MatchExact
	}
	return principalMatches(&s.Principal, &r.Caller, r.userID())
}

func (s *Statement) ActionMatches(action string) bool {
	ascii := isASCII(action)
	hit := false
	for _, a := range s.Actions {
		p := compileAction(a)
		if p.match(action, ascii) {
			hit = true
			break
		}
	}
	return hit != s.NotAction
}

func (s *Statement) ResourceMatches(res string, vars cond.Resolver) bool {
	hit := false
	for _, r := range s.Resources {
		p := compileResource(r)
		if p.match(res, vars) {
			hit = true
			break
		}
	}
	return hit != s.NotResource
}

func lowerASCII(c byte) byte {
	if 'A' <= c && c <= 'Z' {
		return c + 'a' - 'A'
	}
	return c
}

func (c *Condition) eval(r *EvalRequest, vars cond.Resolver) bool {
	v, ok := r.Ctx[c.KeyLower]
	return c.Op.Eval(c.Values, v, ok, vars)
}

func (p *Policy) Resolver(r *EvalRequest) cond.Resolver {
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

// Decide evaluates the policy for one request (package documentation,
// "Evaluation"): Deny when a Deny statement matches, and the Deny statements
// that match; else Allow when an Allow statement grants the request, and
// those statements; else None.
//
// owner is the bucket owner's account ID ("" when unknown): an Allow that
// names only the caller's own account, when that account owns the bucket,
// delegates to the caller's IAM policies and so does not by itself allow.
// For callers of other accounts any matching Allow counts (their own IAM
// policies must allow as well, which the bucket policy cannot tell).
//
// Decide uses a form of the policy compiled on first use (principals
// parsed, condition values parsed, literal prefixes of resources found) and
// cached until the Policy is garbage-collected; it decides exactly as
// Statement.matches does. A Policy's statements must not be modified in
// place once parsed (nothing does: patches edit the JSON tree and re-parse).
func (p *Policy) Decide(r *EvalRequest, owner string) Outcome {
	return p.compiled().decide(r, owner)
}

// compiledPolicies caches the compiled form of each Policy, keyed weakly so
// that a Policy can still be collected, and dropped with it.

// Delegates reports whether a matching Allow only delegates to the caller's
// IAM policies: it names the caller's account, not the caller, and the
// account owns the bucket (IAM-principal: an account principal delegates to
// the account's administrators; same-account access is then decided by the
// identity policy, IAM-eval).
func Delegates(pm PrincipalMatch, r *EvalRequest, owner string) bool {
	return pm == MatchAccount && owner != "" && r.Caller.Account == owner
}
