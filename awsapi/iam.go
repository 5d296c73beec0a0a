package awsapi

import (
	"context"
	"errors"
	"net/url"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/arn"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/organizations"
	"github.com/aws/aws-sdk-go-v2/service/sts"
)

// Role is what [Clients.GetRole] returns.
type Role struct {
	Name      string
	Path      string // "/service-role/" for AWSBackupDefaultServiceRole
	RoleID    string // "AROA...": the value aws:userid starts with
	Arn       string // includes the path
	AccountID string // from the ARN
	// TrustPolicy is the assume-role policy as plain JSON (IAM sends it URL-encoded).
	TrustPolicy []byte
	// Boundary is the ARN of the role's permissions boundary, "" for none.
	Boundary string
}

// Identity is what [Clients.CallerIdentity] returns.
type Identity struct {
	Account string
	Arn     string
	UserID  string
}

// GetRole looks up an IAM role by name. A missing role is a NotFound *Error whose
// message points at --role-name and --role-id.
func (c *Clients) GetRole(ctx context.Context, name string) (Role, error) {
	var out *iam.GetRoleOutput
	err := c.call(ctx, "iam:GetRole", name, func(ctx context.Context) (err error) {
		out, err = c.IAM.GetRole(ctx, &iam.GetRoleInput{RoleName: aws.String(name)})
		return err
	})
	if err != nil {
		return Role{}, err
	}
	if out.Role == nil {
		return Role{}, &Error{Op: "iam:GetRole", Resource: name, Code: Other.String(), Kind: Other, Msg: "IAM returned no role"}
	}
	r := out.Role
	role := Role{
		Name:        aws.ToString(r.RoleName),
		Path:        aws.ToString(r.Path),
		RoleID:      aws.ToString(r.RoleId),
		Arn:         aws.ToString(r.Arn),
		TrustPolicy: decodePolicyDocument(aws.ToString(r.AssumeRolePolicyDocument)),
	}
	if r.PermissionsBoundary != nil {
		role.Boundary = aws.ToString(r.PermissionsBoundary.PermissionsBoundaryArn)
	}
	if a, err := arn.Parse(role.Arn); err == nil {
		role.AccountID = a.AccountID
	}
	return role, nil
}

// decodePolicyDocument undoes IAM's RFC 3986 encoding of policy documents. A
// document that already looks like JSON is returned as is, so that a literal
// "%41" inside it is not decoded twice; so is one that does not decode.
func decodePolicyDocument(doc string) []byte {
	if strings.HasPrefix(strings.TrimSpace(doc), "{") {
		return []byte(doc)
	}
	s, err := url.PathUnescape(doc) // PathUnescape: a literal '+' stays '+'
	if err != nil {
		return []byte(doc)
	}
	return []byte(s)
}

// ListAttachedRolePolicies returns the ARNs of the managed policies attached to the role.
func (c *Clients) ListAttachedRolePolicies(ctx context.Context, name string) ([]string, error) {
	var arns []string
	p := iam.NewListAttachedRolePoliciesPaginator(c.IAM, &iam.ListAttachedRolePoliciesInput{RoleName: aws.String(name)})
	for p.HasMorePages() {
		var page *iam.ListAttachedRolePoliciesOutput
		err := c.call(ctx, "iam:ListAttachedRolePolicies", name, func(ctx context.Context) (err error) {
			page, err = p.NextPage(ctx)
			return err
		})
		if err != nil {
			return nil, err
		}
		for _, ap := range page.AttachedPolicies {
			arns = append(arns, aws.ToString(ap.PolicyArn))
		}
	}
	return arns, nil
}

// AttachRolePolicy attaches the managed policy policyARN to the role.
func (c *Clients) AttachRolePolicy(ctx context.Context, role, policyARN string) error {
	return c.call(ctx, "iam:AttachRolePolicy", role, func(ctx context.Context) error {
		_, err := c.IAM.AttachRolePolicy(ctx, &iam.AttachRolePolicyInput{RoleName: aws.String(role), PolicyArn: aws.String(policyARN)})
		return err
	})
}

// DetachRolePolicy detaches the managed policy policyARN from the role.
func (c *Clients) DetachRolePolicy(ctx context.Context, role, policyARN string) error {
	return c.call(ctx, "iam:DetachRolePolicy", role, func(ctx context.Context) error {
		_, err := c.IAM.DetachRolePolicy(ctx, &iam.DetachRolePolicyInput{RoleName: aws.String(role), PolicyArn: aws.String(policyARN)})
		return err
	})
}

// PolicyDocument returns the default version's document of a managed policy
// (iam:GetPolicy, then iam:GetPolicyVersion), as plain JSON.
func (c *Clients) PolicyDocument(ctx context.Context, policyARN string) ([]byte, error) {
	var pol *iam.GetPolicyOutput
	err := c.call(ctx, "iam:GetPolicy", policyARN, func(ctx context.Context) (err error) {
		pol, err = c.IAM.GetPolicy(ctx, &iam.GetPolicyInput{PolicyArn: aws.String(policyARN)})
		return err
	})
	if err != nil {
		return nil, err
	}
	if pol.Policy == nil || pol.Policy.DefaultVersionId == nil {
		return nil, &Error{Op: "iam:GetPolicy", Resource: policyARN, Code: Other.String(), Kind: Other, Msg: "IAM returned no default version"}
	}
	var ver *iam.GetPolicyVersionOutput
	err = c.call(ctx, "iam:GetPolicyVersion", policyARN, func(ctx context.Context) (err error) {
		ver, err = c.IAM.GetPolicyVersion(ctx, &iam.GetPolicyVersionInput{PolicyArn: aws.String(policyARN), VersionId: pol.Policy.DefaultVersionId})
		return err
	})
	if err != nil {
		return nil, err
	}
	if ver.PolicyVersion == nil {
		return nil, &Error{Op: "iam:GetPolicyVersion", Resource: policyARN, Code: Other.String(), Kind: Other, Msg: "IAM returned no policy version"}
	}
	return decodePolicyDocument(aws.ToString(ver.PolicyVersion.Document)), nil
}

// Simulation is IAM's policy simulator's verdict on one action.
type Simulation struct {
	Action   string
	Decision string // "allowed", "explicitDeny" or "implicitDeny"
	// DeniedBySCP: an Organizations service control policy denies it.
	DeniedBySCP bool
	// DeniedByBoundary: the principal's permissions boundary does not allow it.
	DeniedByBoundary bool
	// Statements are the IDs of the policies whose statements decided it.
	Statements []string
}

// SimulatePrincipalPolicy asks IAM's policy simulator whether the principal
// (a user or role ARN) may make each action on resources ("*" when none).
func (c *Clients) SimulatePrincipalPolicy(ctx context.Context, principal string, actions, resources []string) ([]Simulation, error) {
	in := &iam.SimulatePrincipalPolicyInput{PolicySourceArn: aws.String(principal), ActionNames: actions, ResourceArns: resources}
	var out []Simulation
	p := iam.NewSimulatePrincipalPolicyPaginator(c.IAM, in)
	for p.HasMorePages() {
		var page *iam.SimulatePrincipalPolicyOutput
		err := c.call(ctx, "iam:SimulatePrincipalPolicy", principal, func(ctx context.Context) (err error) {
			page, err = p.NextPage(ctx)
			return err
		})
		if err != nil {
			return nil, err
		}
		for _, r := range page.EvaluationResults {
			s := Simulation{Action: aws.ToString(r.EvalActionName), Decision: string(r.EvalDecision)}
			s.DeniedBySCP = r.OrganizationsDecisionDetail != nil && !r.OrganizationsDecisionDetail.AllowedByOrganizations
			s.DeniedByBoundary = r.PermissionsBoundaryDecisionDetail != nil && !r.PermissionsBoundaryDecisionDetail.AllowedByPermissionsBoundary
			for _, st := range r.MatchedStatements {
				s.Statements = append(s.Statements, aws.ToString(st.SourcePolicyId))
			}
			out = append(out, s)
		}
	}
	return out, nil
}

// CallerIdentity calls sts:GetCallerIdentity once and remembers a successful answer
// (shared by all the regional clients of one New). It needs no permission, which
// makes it the way to check credentials early.
func (c *Clients) CallerIdentity(ctx context.Context) (Identity, error) {
	if c.sh != nil {
		c.sh.idMu.Lock()
		defer c.sh.idMu.Unlock()
		if c.sh.identity != nil {
			return *c.sh.identity, nil
		}
	}
	var out *sts.GetCallerIdentityOutput
	err := c.call(ctx, "sts:GetCallerIdentity", "", func(ctx context.Context) (err error) {
		out, err = c.STS.GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
		return err
	})
	if err != nil {
		return Identity{}, err
	}
	id := Identity{Account: aws.ToString(out.Account), Arn: aws.ToString(out.Arn), UserID: aws.ToString(out.UserId)}
	if c.sh != nil {
		c.sh.identity = &id
	}
	return id, nil
}

// OrganizationID returns the ID ("o-...") of the caller's AWS organization, or ""
// with no error when the account is not in one (AWSOrganizationsNotInUseException).
func (c *Clients) OrganizationID(ctx context.Context) (string, error) {
	var out *organizations.DescribeOrganizationOutput
	err := c.call(ctx, "organizations:DescribeOrganization", "", func(ctx context.Context) (err error) {
		out, err = c.Organizations.DescribeOrganization(ctx, &organizations.DescribeOrganizationInput{})
		return err
	})
	if err != nil {
		var e *Error
		if errors.As(err, &e) && e.Code == "AWSOrganizationsNotInUseException" {
			return "", nil
		}
		return "", err
	}
	if out.Organization == nil {
		return "", nil
	}
	return aws.ToString(out.Organization.Id), nil
}
