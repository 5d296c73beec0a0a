package fleet

import (
	"bytes"
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/fixpolicy/fixpolicy/awsapi"
	"github.com/fixpolicy/fixpolicy/awsapi/apply"
	"github.com/fixpolicy/fixpolicy/rewrite"
)

// API is every AWS call a run makes. [FromClients] adapts [awsapi.Clients].
type API interface {
	GetRole(ctx context.Context, name string) (awsapi.Role, error)
	CallerIdentity(ctx context.Context) (awsapi.Identity, error)
	OrganizationID(ctx context.Context) (string, error)
	ListBuckets(ctx context.Context) ([]awsapi.Bucket, error)
	BucketRegion(ctx context.Context, bucket string) (string, error)
	// Regional returns the bucket policy calls signed for region; "" is
	// the run's own region.
	Regional(region string) apply.PolicyAPI
}

// FromClients adapts cl to [API].
func FromClients(cl *awsapi.Clients) API { return clientsAPI{cl} }

type clientsAPI struct{ *awsapi.Clients }

func (c clientsAPI) Regional(region string) apply.PolicyAPI { return c.ForRegion(region) }

// Session holds a run's AWS calls, built on first use, and the look-ups
// made once per run. Its methods are safe for concurrent use.
type Session struct {
	// Timeout bounds the whole look-up of ResolveFacts (--timeout); 0 is
	// no bound beyond each call's own.
	Timeout time.Duration

	ctx     context.Context
	connect func(context.Context) (API, error)
	once    sync.Once
	api     API
	err     error

	orgOnce sync.Once
	orgID   string // the account's organization, when looked up
	orgWhy  string // why there is none to use (the analysis then assumes the policy's)
	noOrg   bool   // Organizations says the account is in no organization
	orgErr  error
}

// NewSession returns a session of the run whose context is ctx; connect
// builds its AWS calls (from the AWS flags), the first time they are needed.
func NewSession(ctx context.Context, connect func(context.Context) (API, error)) *Session {
	return &Session{ctx: ctx, connect: connect}
}

// API returns the run's AWS calls, building them on the first call.
func (s *Session) API() (API, error) {
	s.once.Do(func() { s.api, s.err = s.connect(s.ctx) })
	return s.api, s.err
}

// Online reports whether the run has built its AWS calls, i.e. is not
// offline; call it after ResolveFacts.
func (s *Session) Online() bool {
	return s.api != nil
}

// org looks up the account's organization with
// organizations:DescribeOrganization, once per run. When the call is denied
// id is "" and why says so: the analysis then assumes the organization the
// policy names and the report says why. When the account is in no
// organization, none says so: its requests carry no aws:PrincipalOrgID.
// Other failures are errors.
func (s *Session) org() (id, why string, none bool, err error) {
	s.orgOnce.Do(func() {
		api, err := s.API()
		if err != nil {
			s.orgErr = err
			return
		}
		ctx, cancel := s.lookup("the account's organization")
		defer cancel()
		id, err := api.OrganizationID(ctx)
		switch {
		case err == nil && id != "":
			s.orgID = id
		case err == nil:
			s.noOrg = true
		case awsapi.IsAccessDenied(err):
			s.orgWhy = "organizations:DescribeOrganization was denied"
		default:
			s.orgErr = err
		}
	})
	return s.orgID, s.orgWhy, s.noOrg, s.orgErr
}

// lookup is the session's context bounded by Timeout, for the look-up of
// what: a call it stops says which bound ran out.
func (s *Session) lookup(what string) (context.Context, context.CancelFunc) {
	if s.Timeout <= 0 {
		return s.ctx, func() {}
	}
	return context.WithTimeoutCause(s.ctx, s.Timeout, awsapi.Deadline{D: s.Timeout, What: "--timeout, the bound on the look-up of " + what + ","})
}

// namesOrg reports whether a policy text may test the principal's
// organization (keys are case-insensitive); a false positive only costs a
// look-up.
func namesOrg(src []byte) bool {
	l := bytes.ToLower(src)
	return bytes.Contains(l, []byte("aws:principalorgid")) || bytes.Contains(l, []byte("aws:principalorgpaths"))
}

func orgLookupError(err error) error {
	return fmt.Errorf("the policy tests aws:PrincipalOrgID, and looking up the account's organization failed: %v (pass --org-id to give it)", err)
}

// ResolveFacts completes the facts of opt (from the flags), looking up what
// is missing, once per run: the RoleId of the role opt.Facts.RoleName with
// iam:GetRole, the account from the role's ARN or sts:GetCallerIdentity.
// With the RoleId and the account given it makes no AWS call at all (the
// role ARN for rewrite.ExemptByPrincipalARN then follows from the name).
func (s *Session) ResolveFacts(opt rewrite.Options) (rewrite.Facts, error) {
	ctx, cancel := s.lookup("the backup role and the account")
	defer cancel()
	f := opt.Facts
	if f.RoleID == "" || (opt.ExemptBy == rewrite.ExemptByPrincipalARN && f.RoleARN == "" && f.AccountID == "") {
		api, err := s.API()
		if err != nil {
			return f, err
		}
		role, err := api.GetRole(ctx, f.RoleName)
		if err != nil {
			if f.RoleID == "" || !awsapi.IsNotFound(err) && !awsapi.IsAccessDenied(err) {
				return f, err
			}
			// The RoleId was given: the ARN is derived from the role name.
		} else {
			if f.RoleID == "" {
				f.RoleID = role.RoleID
			}
			f.RoleARN = role.Arn
			if f.AccountID == "" {
				f.AccountID = role.AccountID
			}
		}
	}
	if f.AccountID == "" {
		api, err := s.API()
		if err != nil {
			return f, err
		}
		id, err := api.CallerIdentity(ctx)
		if err != nil {
			return f, err
		}
		f.AccountID = id.Account
	}
	return f, nil
}
