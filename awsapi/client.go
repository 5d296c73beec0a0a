// Package awsapi holds fixpolicy's thin adapters over aws-sdk-go-v2.
//
// [New] builds S3, IAM, STS, KMS, Organizations and AWS Backup clients from the SDK's default
// configuration chain (environment, shared config and credentials files, SSO, IMDS...)
// plus the --profile, --region and --endpoint-url flags. The methods of [Clients]
// take plain Go values, return plain Go values (policies as []byte), and return
// errors only as [*Error], whose Error() is one sentence a user can act on.
//
// When no region is configured anywhere, the clients use [DefaultRegion]
// (us-east-1) and [Clients.RegionDefaulted] reports it. S3 bucket operations that
// AWS answers with a wrong-region redirect are retried once against the bucket's
// region when AWS names it; [Clients.ForRegion] gives clients for another region
// explicitly.
package awsapi

import (
	"context"
	"net/http"
	"net/url"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/backup"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/kms"
	"github.com/aws/aws-sdk-go-v2/service/organizations"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/aws/smithy-go/logging"
)

// Defaults applied by [New].
const (
	DefaultRegion      = "us-east-1"
	DefaultMaxAttempts = 3
	DefaultCallTimeout = 20 * time.Second
)

// Options configures [New]. The zero value uses the SDK's default chain for
// everything and the defaults above.
type Options struct {
	Profile     string // shared-config profile (--profile); "" = AWS_PROFILE or "default"
	Region      string // --region; "" = AWS_REGION, the profile's region, else DefaultRegion
	EndpointURL string // --endpoint-url for every service; "" = AWS_ENDPOINT_URL[_<SERVICE>] if set
	MaxAttempts int    // attempts per call, retries included; 0 = AWS_MAX_ATTEMPTS or 3
	// CallTimeout bounds each call, retries and backoff included; 0 = 20s.
	CallTimeout time.Duration
	// HTTPClient replaces the SDK's HTTP client (tests); it is also used by the
	// credential providers (IMDS, SSO, STS).
	HTTPClient *http.Client
	// MaxBackoff caps the delay between attempts; 0 = the SDK's 20s. Tests lower it.
	MaxBackoff time.Duration
}

// S3API is the subset of *s3.Client that fixpolicy uses.
type S3API interface {
	GetBucketPolicy(context.Context, *s3.GetBucketPolicyInput, ...func(*s3.Options)) (*s3.GetBucketPolicyOutput, error)
	PutBucketPolicy(context.Context, *s3.PutBucketPolicyInput, ...func(*s3.Options)) (*s3.PutBucketPolicyOutput, error)
	GetBucketVersioning(context.Context, *s3.GetBucketVersioningInput, ...func(*s3.Options)) (*s3.GetBucketVersioningOutput, error)
	ListBuckets(context.Context, *s3.ListBucketsInput, ...func(*s3.Options)) (*s3.ListBucketsOutput, error)
	GetBucketLocation(context.Context, *s3.GetBucketLocationInput, ...func(*s3.Options)) (*s3.GetBucketLocationOutput, error)
	HeadBucket(context.Context, *s3.HeadBucketInput, ...func(*s3.Options)) (*s3.HeadBucketOutput, error)
	GetBucketOwnershipControls(context.Context, *s3.GetBucketOwnershipControlsInput, ...func(*s3.Options)) (*s3.GetBucketOwnershipControlsOutput, error)
	GetBucketEncryption(context.Context, *s3.GetBucketEncryptionInput, ...func(*s3.Options)) (*s3.GetBucketEncryptionOutput, error)
	PutBucketVersioning(context.Context, *s3.PutBucketVersioningInput, ...func(*s3.Options)) (*s3.PutBucketVersioningOutput, error)
	PutBucketOwnershipControls(context.Context, *s3.PutBucketOwnershipControlsInput, ...func(*s3.Options)) (*s3.PutBucketOwnershipControlsOutput, error)
}

// IAMAPI is the subset of *iam.Client that fixpolicy uses.
type IAMAPI interface {
	GetRole(context.Context, *iam.GetRoleInput, ...func(*iam.Options)) (*iam.GetRoleOutput, error)
	ListAttachedRolePolicies(context.Context, *iam.ListAttachedRolePoliciesInput, ...func(*iam.Options)) (*iam.ListAttachedRolePoliciesOutput, error)
	AttachRolePolicy(context.Context, *iam.AttachRolePolicyInput, ...func(*iam.Options)) (*iam.AttachRolePolicyOutput, error)
	DetachRolePolicy(context.Context, *iam.DetachRolePolicyInput, ...func(*iam.Options)) (*iam.DetachRolePolicyOutput, error)
	GetPolicy(context.Context, *iam.GetPolicyInput, ...func(*iam.Options)) (*iam.GetPolicyOutput, error)
	GetPolicyVersion(context.Context, *iam.GetPolicyVersionInput, ...func(*iam.Options)) (*iam.GetPolicyVersionOutput, error)
	SimulatePrincipalPolicy(context.Context, *iam.SimulatePrincipalPolicyInput, ...func(*iam.Options)) (*iam.SimulatePrincipalPolicyOutput, error)
}

// STSAPI is the subset of *sts.Client that fixpolicy uses.
type STSAPI interface {
	GetCallerIdentity(context.Context, *sts.GetCallerIdentityInput, ...func(*sts.Options)) (*sts.GetCallerIdentityOutput, error)
}

// KMSAPI is the subset of *kms.Client that fixpolicy uses.
type KMSAPI interface {
	GetKeyPolicy(context.Context, *kms.GetKeyPolicyInput, ...func(*kms.Options)) (*kms.GetKeyPolicyOutput, error)
	PutKeyPolicy(context.Context, *kms.PutKeyPolicyInput, ...func(*kms.Options)) (*kms.PutKeyPolicyOutput, error)
}

// BackupAPI is the subset of *backup.Client that fixpolicy uses.
type BackupAPI interface {
	ListBackupPlans(context.Context, *backup.ListBackupPlansInput, ...func(*backup.Options)) (*backup.ListBackupPlansOutput, error)
	ListBackupSelections(context.Context, *backup.ListBackupSelectionsInput, ...func(*backup.Options)) (*backup.ListBackupSelectionsOutput, error)
	GetBackupSelection(context.Context, *backup.GetBackupSelectionInput, ...func(*backup.Options)) (*backup.GetBackupSelectionOutput, error)
}

// OrganizationsAPI is the subset of *organizations.Client that fixpolicy uses.
type OrganizationsAPI interface {
	DescribeOrganization(context.Context, *organizations.DescribeOrganizationInput, ...func(*organizations.Options)) (*organizations.DescribeOrganizationOutput, error)
}

var (
	_ S3API            = (*s3.Client)(nil)
	_ IAMAPI           = (*iam.Client)(nil)
	_ STSAPI           = (*sts.Client)(nil)
	_ KMSAPI           = (*kms.Client)(nil)
	_ OrganizationsAPI = (*organizations.Client)(nil)
	_ BackupAPI        = (*backup.Client)(nil)
)

// Clients groups the service clients of one region. Build it with [New]. Tests of
// other packages may also build one by hand from fakes of the interfaces; such a
// Clients uses the default timeout and its ForRegion returns itself.
type Clients struct {
	S3            S3API
	IAM           IAMAPI
	STS           STSAPI
	KMS           KMSAPI
	Organizations OrganizationsAPI
	Backup        BackupAPI // nil in Clients built by hand

	region          string
	regionDefaulted bool
	sh              *shared
}

// shared is what all the regional Clients built by one New have in common.
type shared struct {
	cfg         aws.Config
	endpoint    string // explicit Options.EndpointURL
	callTimeout time.Duration
	maxAttempts int

	mu      sync.Mutex
	regions map[string]*Clients

	idMu     sync.Mutex
	identity *Identity
}

// New loads the AWS configuration (SDK default chain, then opts) and builds the clients.
// Missing credentials are not detected here but on the first call (NoCredentials);
// call [Clients.CallerIdentity] to fail fast.
func New(ctx context.Context, opts Options) (*Clients, error) {
	if opts.EndpointURL != "" {
		u, err := url.Parse(opts.EndpointURL)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return nil, &Error{Op: "config:EndpointURL", Resource: opts.EndpointURL, Code: "InvalidEndpoint", Kind: Other,
				Msg: "not an http(s) URL", Err: err}
		}
	}
	// The SDK logs warnings to standard error (the instance-metadata
	// client's "falling back to IMDSv1", say); fixpolicy reports what went
	// wrong itself, in one line.
	lopts := []func(*config.LoadOptions) error{config.WithLogger(logging.Nop{})}
	if opts.Profile != "" {
		lopts = append(lopts, config.WithSharedConfigProfile(opts.Profile))
	}
	if opts.Region != "" {
		lopts = append(lopts, config.WithRegion(opts.Region))
	}
	if opts.HTTPClient != nil {
		lopts = append(lopts, config.WithHTTPClient(opts.HTTPClient))
	}
	cfg, err := config.LoadDefaultConfig(ctx, lopts...)
	if err != nil {
		return nil, configError(opts.Profile, err)
	}

	defaulted := false
	if cfg.Region == "" {
		cfg.Region, defaulted = DefaultRegion, true
	}

	attempts := opts.MaxAttempts
	if attempts <= 0 {
		attempts = cfg.RetryMaxAttempts // AWS_MAX_ATTEMPTS or the profile's max_attempts
	}
	if attempts <= 0 {
		attempts = DefaultMaxAttempts
	}
	maxBackoff := opts.MaxBackoff
	cfg.Retryer = func() aws.Retryer {
		return retry.NewStandard(func(o *retry.StandardOptions) {
			o.MaxAttempts = attempts
			if maxBackoff > 0 {
				o.MaxBackoff = maxBackoff
			}
		})
	}
	cfg.RetryMaxAttempts = 0 // else the clients would wrap our retryer again
	cfg.RetryMode = aws.RetryModeStandard

	if cfg.Credentials != nil {
		cfg.Credentials = markedCredentials{cfg.Credentials}
	}

	timeout := opts.CallTimeout
	if timeout <= 0 {
		timeout = DefaultCallTimeout
	}
	sh := &shared{cfg: cfg, endpoint: opts.EndpointURL, callTimeout: timeout, maxAttempts: attempts,
		regions: map[string]*Clients{}}
	c := sh.build(cfg.Region)
	c.regionDefaulted = defaulted
	sh.regions[cfg.Region] = c
	return c, nil
}

func (sh *shared) build(region string) *Clients {
	cfg := sh.cfg.Copy()
	cfg.Region = region
	ep := sh.endpoint
	return &Clients{
		S3: s3.NewFromConfig(cfg, func(o *s3.Options) {
			if ep != "" {
				o.BaseEndpoint = aws.String(ep)
			}
			if o.BaseEndpoint != nil {
				// Emulators and test servers cannot serve bucket sub-domains.
				o.UsePathStyle = true
			}
		}),
		IAM: iam.NewFromConfig(cfg, func(o *iam.Options) {
			if ep != "" {
				o.BaseEndpoint = aws.String(ep)
			}
		}),
		STS: sts.NewFromConfig(cfg, func(o *sts.Options) {
			if ep != "" {
				o.BaseEndpoint = aws.String(ep)
			}
		}),
		KMS: kms.NewFromConfig(cfg, func(o *kms.Options) {
			if ep != "" {
				o.BaseEndpoint = aws.String(ep)
			}
		}),
		Organizations: organizations.NewFromConfig(cfg, func(o *organizations.Options) {
			if ep != "" {
				o.BaseEndpoint = aws.String(ep)
			}
		}),
		Backup: backup.NewFromConfig(cfg, func(o *backup.Options) {
			if ep != "" {
				o.BaseEndpoint = aws.String(ep)
			}
		}),
		region: region,
		sh:     sh,
	}
}

// Region is the region these clients sign for.
func (c *Clients) Region() string { return c.region }

// RegionDefaulted reports that no region was configured and DefaultRegion is in use.
func (c *Clients) RegionDefaulted() bool { return c.regionDefaulted }

// MaxAttempts is the number of attempts per call, retries included.
func (c *Clients) MaxAttempts() int {
	if c.sh == nil {
		return DefaultMaxAttempts
	}
	return c.sh.maxAttempts
}

// CallTimeout is the time limit of each call.
func (c *Clients) CallTimeout() time.Duration {
	if c.sh == nil {
		return DefaultCallTimeout
	}
	return c.sh.callTimeout
}

// ForRegion returns clients that sign for region (same credentials, endpoint,
// retries and timeout), building them on first use. IAM, STS and Organizations are
// global for fixpolicy's purposes, but they are rebuilt too for simplicity.
func (c *Clients) ForRegion(region string) *Clients {
	if region == "" || region == c.region || c.sh == nil {
		return c
	}
	c.sh.mu.Lock()
	defer c.sh.mu.Unlock()
	if rc, ok := c.sh.regions[region]; ok {
		return rc
	}
	rc := c.sh.build(region)
	c.sh.regions[region] = rc
	return rc
}

// call runs fn under the per-call timeout and translates its error.
func (c *Clients) call(ctx context.Context, op, resource string, fn func(context.Context) error) error {
	limit := c.CallTimeout()
	cctx, cancel := context.WithTimeoutCause(ctx, limit, callTimeoutError{limit})
	defer cancel()
	err := fn(cctx)
	if err == nil {
		return nil
	}
	return translate(ctx, cctx, op, resource, c.region, limit, err)
}

// markedCredentials tags every credential-retrieval failure so that translate can
// tell "no credentials" apart from the API errors the SDK wraps the same way.
type markedCredentials struct{ p aws.CredentialsProvider }

func (m markedCredentials) Retrieve(ctx context.Context) (aws.Credentials, error) {
	v, err := m.p.Retrieve(ctx)
	if err != nil {
		return v, &credentialsError{err}
	}
	return v, nil
}

// IsCredentialsProvider keeps aws.IsCredentialsProvider working through the wrapper
// (the SDK uses it to detect anonymous credentials).
func (m markedCredentials) IsCredentialsProvider(target aws.CredentialsProvider) bool {
	return aws.IsCredentialsProvider(m.p, target)
}

// ProviderSources forwards the credential-source metadata the SDK reports.
func (m markedCredentials) ProviderSources() []aws.CredentialSource {
	if s, ok := m.p.(aws.CredentialProviderSource); ok {
		return s.ProviderSources()
	}
	return nil
}
