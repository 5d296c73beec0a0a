package rewrite

import (
	"fmt"
	"sort"
	"strings"
	"unicode/utf8"

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
	ctx      map[string][]string // lower-case keys

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
	if err := checkRequestAction(q.Action); err != nil {
		return err
	}
	if err := checkRequestResource(q.Resource); err != nil {
		return err
	}
	r.Action, r.Resource = q.Action, q.Resource
	if r.ctx == nil {
		r.ctx = make(map[string][]string, len(q.Context)+5)
	} else {
		clear(r.ctx)
	}
	collide := false
	for k, v := range q.Context {
		lk := r.lowerKey(k)
		if _, dup := r.ctx[lk]; dup {
			collide = true
			break
		}
		r.ctx[lk] = v
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
	clear(r.ctx)
	keys := make([]string, 0, len(in))
	for k := range in {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		lk := r.lowerKey(k)
		if prev, ok := r.ctx[lk]; ok {
			r.ctx[lk] = append(append([]string(nil), prev...), in[k]...)
		} else {
			r.ctx[lk] = in[k]
		}
	}
}

// checkRequestAction accepts one concrete action, service:Action.
func checkRequestAction(a string) error {
	if checkAction(a) != nil || strings.ContainsAny(a, "*? \t") {
		return fmt.Errorf("%q is not an action (use service:Action, e.g. s3:GetObject)", a)
	}
	return nil
}

// checkRequestResource accepts an ARN: six colon-separated parts (the last
// may hold more colons, as S3 object keys do) with a partition and a service.
func checkRequestResource(res string) error {
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
		if _, ok := r.ctx[k]; !ok {
			r.derived[n][0] = v
			r.ctx[k] = r.derived[n][:]
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
// principal element matched (pmAccount when it names only the caller's
// account). The elements are tested cheapest and most selective first:
// action, resource, principal, conditions; pm is meaningful only when the
// statement matches.
func (s *Statement) matches(r *EvalRequest, vars cond.Resolver) (bool, principalMatch) {
	if !s.actionMatches(r.Action) || !s.resourceMatches(r.Resource, vars) {
		return false, pmNone
	}
	pm := s.principalMatch(r)
	if pm == pmNone {
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
		if notPrincipalExcludes(&s.Principal, &r.Caller, r.userID()) {
			return pmNone
		}
		return pmExact
	}
	return principalMatches(&s.Principal, &r.Caller, r.userID())
}

func (s *Statement) actionMatches(action string) bool {
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

func (s *Statement) resourceMatches(res string, vars cond.Resolver) bool {
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
		if ok, _ := c.deny[i].matches(r, vars, asciiAction, userID); ok {
			hits = append(hits, c.deny[i].index)
		}
	}
	if len(hits) > 0 {
		return Outcome{Decision: Deny, Statements: hits}
	}
	for i := range c.allow {
		ok, pm := c.allow[i].matches(r, vars, asciiAction, userID)
		if !ok || delegates(pm, r, owner) {
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
func (cs *compiledStatement) matches(r *EvalRequest, vars cond.Resolver, asciiAction bool, userID string) (bool, principalMatch) {
	hit := false
	for i := range cs.actions {
		if cs.actions[i].match(r.Action, asciiAction) {
			hit = true
			break
		}
	}
	if hit == cs.notAction {
		return false, pmNone
	}
	hit = false
	for i := range cs.resources {
		if cs.resources[i].match(r.Resource, vars) {
			hit = true
			break
		}
	}
	if hit == cs.notRes {
		return false, pmNone
	}
	pm := cs.principal.match(&r.Caller, userID)
	if pm == pmNone {
		return false, pm
	}
	for i := range cs.conds {
		cd := &cs.conds[i]
		v, ok := r.ctx[cd.key]
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

// delegates reports whether a matching Allow only delegates to the caller's
// IAM policies: it names the caller's account, not the caller, and the
// account owns the bucket (IAM-principal: an account principal delegates to
// the account's administrators; same-account access is then decided by the
// identity policy, IAM-eval).
func delegates(pm principalMatch, r *EvalRequest, owner string) bool {
	return pm == pmAccount && owner != "" && r.Caller.Account == owner
}

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
	vars := p.resolver(r)
	out := make([]Explanation, 0, len(p.Statements))
	denied := false
	pms := make([]principalMatch, 0, len(p.Statements))
	for _, s := range p.Statements {
		e := Explanation{Statement: s.Index, Sid: s.Sid, Effect: s.Effect}
		pm := s.principalMatch(r)
		pms = append(pms, pm)
		e.Principal = pm != pmNone
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
		e.Delegated = e.Matched && !s.IsDeny() && delegates(pm, r, owner)
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

func explainReason(s *Statement, e *Explanation, pm principalMatch, r *EvalRequest, denied bool) string {
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
	case s.IsDeny() && pm == pmAccount:
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
