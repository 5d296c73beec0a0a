package rewrite

import "github.com/fixpolicy/fixpolicy/rewrite/policy"

// The policy model, its parser and the evaluator live in rewrite/policy;
// these names keep rewrite's API whole for its callers.
type (
	Policy          = policy.Policy
	Statement       = policy.Statement
	Principal       = policy.Principal
	Condition       = policy.Condition
	Error           = policy.Error
	Request         = policy.Request
	EvalRequest     = policy.EvalRequest
	Decision        = policy.Decision
	Outcome         = policy.Outcome
	Explanation     = policy.Explanation
	ConditionResult = policy.ConditionResult
	Caller          = policy.Caller
	PrincipalKind   = policy.PrincipalKind
)

const (
	Version2012    = policy.Version2012
	Version2008    = policy.Version2008
	CodeJSONSyntax = policy.CodeJSONSyntax

	Deny  = policy.Deny
	Allow = policy.Allow
	None  = policy.None

	Anonymous        = policy.Anonymous
	AccountRoot      = policy.AccountRoot
	IAMUser          = policy.IAMUser
	IAMRole          = policy.IAMRole
	AssumedRole      = policy.AssumedRole
	FederatedUser    = policy.FederatedUser
	ServicePrincipal = policy.ServicePrincipal
	CanonicalUser    = policy.CanonicalUser
)

var (
	Parse       = policy.Parse
	FromTree    = policy.FromTree
	Prepare     = policy.Prepare
	ParseCaller = policy.ParseCaller
	Equivalent  = policy.Equivalent
)
