package doctor

import (
	"context"
	"errors"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws/arn"

	"github.com/fixpolicy/fixpolicy/awsapi"
	"github.com/fixpolicy/fixpolicy/rewrite"
)

// Check statuses.
const (
	Pass   = "pass"
	Fail   = "fail"
	Warn   = "warn"
	Unsure = "could-not-check"
)

// Check is one check's result.
type Check struct {
	ID     string `json:"id"`
	Title  string `json:"title"`
	Status string `json:"status"`
	Detail string `json:"detail"`
	Fix    string `json:"fix"` // "" when there is nothing to fix
}

// Report is the result for one bucket.
type Report struct {
	Bucket string  `json:"bucket"`
	Checks []Check `json:"checks"`
	Error  string  `json:"error,omitempty"`
}

// Failed reports whether some check failed (warn and could-not-check do not
// count).
func (r *Report) Failed() bool {
	for _, c := range r.Checks {
		if c.Status == Fail {
			return true
		}
	}
	return false
}

// Identity is the STS and IAM calls doctor makes once per run.
type Identity interface {
	CallerIdentity(ctx context.Context) (awsapi.Identity, error)
	GetRole(ctx context.Context, name string) (awsapi.Role, error)
	ListAttachedRolePolicies(ctx context.Context, name string) ([]string, error)
}

// Bucket is the S3 reads of the versioning, bucket-policy, stale-role-id,
// object-ownership and caller-access checks.
type Bucket interface {
	GetBucketVersioning(ctx context.Context, bucket string) (string, error)
	GetBucketPolicy(ctx context.Context, bucket string) (policy []byte, exists bool, err error)
	GetBucketOwnershipControls(ctx context.Context, bucket string) (string, error)
}

// Encryption is the reads of the kms-key check, made in the bucket's region.
type Encryption interface {
	GetBucketEncryption(ctx context.Context, bucket string) (algo, kmsKeyID string, err error)
	GetKeyPolicy(ctx context.Context, keyID string) ([]byte, error)
	// Region is the region the calls are signed for.
	Region() string
}

// Regional is the calls made in a bucket's region.
type Regional interface {
	Bucket
	Encryption
}

// API is every AWS call doctor makes. [FromClients] adapts [awsapi.Clients].
type API interface {
	Identity
	BucketRegion(ctx context.Context, bucket string) (string, error)
	// Regional returns the calls signed for region; "" is the default region.
	Regional(region string) Regional
}

// FromClients adapts cl to [API].
func FromClients(cl *awsapi.Clients) API { return clientsAPI{cl} }

type clientsAPI struct{ *awsapi.Clients }

func (c clientsAPI) Regional(region string) Regional { return c.ForRegion(region) }

// Options are doctor's inputs besides the buckets.
type Options struct {
	RoleName  string // the backup role's name; "" is rewrite.DefaultRoleName
	RoleID    string // the backup role's RoleId, used when iam:GetRole fails; "" looks it up
	AccountID string // the bucket owner's account; "" is the caller's
	// Fix runs the fixer's analysis bounded by ctx; nil is rewrite.Fix with
	// ctx as its Context.
	Fix func(ctx context.Context, src []byte, opt rewrite.Options) (*rewrite.Result, error)
}

// Doctor holds what is looked up once per run, for checking buckets.
type Doctor struct {
	api       API
	fix       func(context.Context, []byte, rewrite.Options) (*rewrite.Result, error)
	account   string
	partition string
	caller    *awsapi.Identity // nil when sts:GetCallerIdentity failed
	callerErr error
	// callerRoleARN is the caller's role ARN with its path, for an
	// assumed-role session, when iam:GetRole on it succeeded.
	callerRoleARN string
	// callerBoundary is that role's permissions boundary, "" for none.
	callerBoundary string
	vault          vaultCheck // the caller's vault-creation permissions, for --fix
	plans          plansOnce  // the backup plans' resource assignments, for --fix

	roleName  string
	role      *awsapi.Role // nil when iam:GetRole failed
	roleErr   error
	roleID    string // Options.RoleID, else the role's
	attached  []string
	attachErr error
}

// New looks up the caller and the backup role. Its error (missing or
// expired credentials, a cancelled ctx, or no account ID to check against)
// stops the run; any other failed look-up only makes the checks that need it
// could-not-check.
func New(ctx context.Context, api API, opt Options) (*Doctor, error) {
	d := &Doctor{api: api, fix: opt.Fix, account: opt.AccountID, partition: "aws", roleName: opt.RoleName, roleID: opt.RoleID}
	if d.roleName == "" {
		d.roleName = rewrite.DefaultRoleName
	}
	if d.fix == nil {
		d.fix = func(ctx context.Context, src []byte, o rewrite.Options) (*rewrite.Result, error) {
			o.Context = ctx
			return rewrite.Fix(src, o)
		}
	}
	id, err := api.CallerIdentity(ctx)
	switch {
	case err == nil:
		d.caller = &id
		if d.account == "" {
			d.account = id.Account
		}
		if a, perr := arn.Parse(id.Arn); perr == nil {
			d.partition = a.Partition
		}
	case stops(err) || d.account == "":
		return nil, err
	default:
		d.callerErr = err
	}
	role, err := api.GetRole(ctx, d.roleName)
	if err == nil {
		d.role = &role
		if d.roleID == "" {
			d.roleID = role.RoleID
		}
	} else {
		if stops(err) {
			return nil, err
		}
		d.roleErr = err
	}
	if !awsapi.IsNotFound(d.roleErr) {
		d.attached, d.attachErr = api.ListAttachedRolePolicies(ctx, d.roleName)
	}
	if d.caller != nil {
		if cc, perr := rewrite.ParseCaller(d.caller.Arn); perr == nil && cc.Kind == rewrite.AssumedRole {
			if r, rerr := api.GetRole(ctx, cc.Name); rerr == nil {
				d.callerRoleARN, d.callerBoundary = r.Arn, r.Boundary
			}
		}
	}
	return d, nil
}

// stops reports whether err ends the run: no usable credentials, or
// cancelled.
func stops(err error) bool { return awsapi.IsCredentials(err) || awsapi.IsCanceled(err) }

// Check runs every check on one bucket, in its region. A non-nil error means
// the bucket could not be checked at all (it does not exist, the credentials
// fail); the report then holds the checks made before it.
func (d *Doctor) Check(ctx context.Context, bucket string) (*Report, error) {
	r, _, err := d.check(ctx, bucket)
	return r, err
}

// state is what the checks of one bucket read, for the fixes.
type state struct {
	region     string
	cl         Regional
	versioning string
	policy     []byte
	hasPolicy  bool
	res        *rewrite.Result // the bucket-policy fix; nil when it could not run
	ownership  string
	key        *kmsKey // the bucket's customer-managed key, when its policy was read
	keyPolicy  []byte
}

func (d *Doctor) check(ctx context.Context, bucket string) (*Report, *state, error) {
	r := &Report{Bucket: bucket, Checks: []Check{}}
	st := &state{}
	region, err := d.api.BucketRegion(ctx, bucket)
	switch {
	case err == nil:
	case awsapi.IsNotFound(err) || stops(err):
		return r, st, err
	default:
		region = "" // try the default region
	}
	cl := d.api.Regional(region)
	st.region, st.cl = region, cl
	// A missing bucket or failing credentials stop the bucket's checks.
	fatal := func(err error) bool {
		return awsapi.IsNotFound(err) && strings.HasPrefix(opOf(err), "s3:") || stops(err)
	}

	status, err := cl.GetBucketVersioning(ctx, bucket)
	if fatal(err) {
		return r, st, err
	}
	st.versioning = status
	r.Checks = append(r.Checks, versioningCheck(bucket, status, err))

	r.Checks = append(r.Checks, d.roleCheck())

	src, exists, perr := cl.GetBucketPolicy(ctx, bucket)
	if fatal(perr) {
		return r, st, perr
	}
	pc, res, pol := d.policyCheck(ctx, bucket, src, exists, perr)
	if perr == nil {
		st.policy, st.hasPolicy, st.res = src, exists, res
	}
	r.Checks = append(r.Checks, pc)
	r.Checks = append(r.Checks, d.staleCheck(bucket, pol, exists, perr))

	own, err := cl.GetBucketOwnershipControls(ctx, bucket)
	if fatal(err) {
		return r, st, err
	}
	st.ownership = own
	r.Checks = append(r.Checks, ownershipCheck(bucket, own, err))

	r.Checks = append(r.Checks, d.kmsCheck(ctx, cl, bucket, st))
	r.Checks = append(r.Checks, d.callerCheck(bucket, src, exists, perr, res))
	return r, st, nil
}

func opOf(err error) string {
	var e *awsapi.Error
	if errors.As(err, &e) {
		return e.Op
	}
	return ""
}
