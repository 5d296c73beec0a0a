package doctor

import (
	"context"
	"fmt"
	"sync"

	"github.com/fixpolicy/fixpolicy/awsapi"
)

// Test data shared by the package's tests: account 123456789012, its backup
// role with both managed policies, and a user calling.
const (
	testAccount    = "123456789012"
	testRoleID     = "AROAFAKEBACKUPROLE0001"
	testRoleARN    = "arn:aws:iam::123456789012:role/service-role/AWSBackupDefaultServiceRole"
	testCallerARN  = "arn:aws:iam::123456789012:user/tester"
	s3BackupARN    = "arn:aws:iam::aws:policy/AWSBackupServiceRolePolicyForS3Backup"
	s3RestoreARN   = "arn:aws:iam::aws:policy/AWSBackupServiceRolePolicyForS3Restore"
	testKeyUUID    = "1234abcd-12ab-34cd-56ef-1234567890ab"
	testKeyARN     = "arn:aws:kms:us-east-1:123456789012:key/" + testKeyUUID
	testBucketName = "b"
)

var testRole = awsapi.Role{Name: "AWSBackupDefaultServiceRole", Path: "/service-role/", RoleID: testRoleID, Arn: testRoleARN, AccountID: testAccount}

// fakeBucket is the fake's state of one bucket.
type fakeBucket struct {
	region     string
	versioning string
	policy     string // "" = no policy
	ownership  string
	sseAlgo    string
	kmsKeyID   string
}

// fakeAWS is an in-process fake of [API]. errs fails calls by operation
// ("s3:GetBucketVersioning"); calls records each call as "op resource
// @region" (the region only for regional calls).
type fakeAWS struct {
	defaultRegion string
	caller        awsapi.Identity
	roles         map[string]awsapi.Role
	attached      map[string][]string
	buckets       map[string]*fakeBucket
	keys          map[string]string // key ID or ARN → key policy
	errs          map[string]error

	mu    sync.Mutex
	calls []string
}

// newFake returns a fake with the account's healthy bucket "b" (versioned,
// BucketOwnerEnforced, no policy), the backup role with both policies, and a
// user as the caller.
func newFake() *fakeAWS {
	return &fakeAWS{
		defaultRegion: "us-east-1",
		caller:        awsapi.Identity{Account: testAccount, Arn: testCallerARN, UserID: "AIDAFAKEUSERID0000001"},
		roles:         map[string]awsapi.Role{testRole.Name: testRole},
		attached:      map[string][]string{testRole.Name: {s3BackupARN, s3RestoreARN}},
		buckets:       map[string]*fakeBucket{testBucketName: {region: "us-east-1", versioning: "Enabled", ownership: "BucketOwnerEnforced"}},
		keys:          map[string]string{},
		errs:          map[string]error{},
	}
}

// apiErr is an awsapi error of kind k from op on resource.
func apiErr(op, resource string, k awsapi.Kind, code string) error {
	return &awsapi.Error{Op: op, Resource: resource, Kind: k, Code: code, Msg: code}
}

func (f *fakeAWS) call(op, resource, region string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	c := op + " " + resource
	if region != "" {
		c += " @" + region
	}
	f.calls = append(f.calls, c)
	return f.errs[op]
}

func (f *fakeAWS) bucket(op, name, region string) (*fakeBucket, error) {
	if err := f.call(op, name, region); err != nil {
		return nil, err
	}
	b, ok := f.buckets[name]
	if !ok {
		return nil, apiErr(op, name, awsapi.NotFound, "NoSuchBucket")
	}
	return b, nil
}

func (f *fakeAWS) CallerIdentity(context.Context) (awsapi.Identity, error) {
	if err := f.call("sts:GetCallerIdentity", "", ""); err != nil {
		return awsapi.Identity{}, err
	}
	return f.caller, nil
}

func (f *fakeAWS) GetRole(_ context.Context, name string) (awsapi.Role, error) {
	if err := f.call("iam:GetRole", name, ""); err != nil {
		return awsapi.Role{}, err
	}
	r, ok := f.roles[name]
	if !ok {
		return awsapi.Role{}, apiErr("iam:GetRole", name, awsapi.NotFound, "NoSuchEntity")
	}
	return r, nil
}

func (f *fakeAWS) ListAttachedRolePolicies(_ context.Context, name string) ([]string, error) {
	if err := f.call("iam:ListAttachedRolePolicies", name, ""); err != nil {
		return nil, err
	}
	if _, ok := f.roles[name]; !ok {
		return nil, apiErr("iam:ListAttachedRolePolicies", name, awsapi.NotFound, "NoSuchEntity")
	}
	return f.attached[name], nil
}

func (f *fakeAWS) BucketRegion(_ context.Context, name string) (string, error) {
	b, err := f.bucket("s3:GetBucketLocation", name, "")
	if err != nil {
		return "", err
	}
	return b.region, nil
}

func (f *fakeAWS) Regional(region string) Regional {
	if region == "" {
		region = f.defaultRegion
	}
	return fakeRegion{f, region}
}

// fakeRegion is the fake's calls signed for one region.
type fakeRegion struct {
	f      *fakeAWS
	region string
}

func (r fakeRegion) Region() string { return r.region }

func (r fakeRegion) GetBucketVersioning(_ context.Context, name string) (string, error) {
	b, err := r.f.bucket("s3:GetBucketVersioning", name, r.region)
	if err != nil {
		return "", err
	}
	return b.versioning, nil
}

func (r fakeRegion) GetBucketPolicy(_ context.Context, name string) ([]byte, bool, error) {
	b, err := r.f.bucket("s3:GetBucketPolicy", name, r.region)
	if err != nil || b.policy == "" {
		return nil, false, err
	}
	return []byte(b.policy), true, nil
}

func (r fakeRegion) GetBucketOwnershipControls(_ context.Context, name string) (string, error) {
	b, err := r.f.bucket("s3:GetBucketOwnershipControls", name, r.region)
	if err != nil {
		return "", err
	}
	return b.ownership, nil
}

func (r fakeRegion) GetBucketEncryption(_ context.Context, name string) (string, string, error) {
	b, err := r.f.bucket("s3:GetBucketEncryption", name, r.region)
	if err != nil {
		return "", "", err
	}
	return b.sseAlgo, b.kmsKeyID, nil
}

func (r fakeRegion) GetKeyPolicy(_ context.Context, keyID string) ([]byte, error) {
	if err := r.f.call("kms:GetKeyPolicy", keyID, r.region); err != nil {
		return nil, err
	}
	p, ok := r.f.keys[keyID]
	if !ok {
		return nil, apiErr("kms:GetKeyPolicy", keyID, awsapi.NotFound, "NotFoundException")
	}
	return []byte(p), nil
}

var _ API = (*fakeAWS)(nil)

// vpceOnly is a VPC-endpoint-only policy for bucket (it blocks AWS Backup),
// with optional extra conditions (JSON members of the Condition object).
func vpceOnly(bucket, extra string) string {
	cond := `"StringNotEquals": {"aws:SourceVpce": "vpce-12345678901234567"}`
	if extra != "" {
		cond += ", " + extra
	}
	return fmt.Sprintf(`{"Version": "2012-10-17", "Statement": [{"Sid": "Statement1", "Effect": "Deny", "Principal": "*", "Action": "s3:*",
 "Resource": ["arn:aws:s3:::%[1]s", "arn:aws:s3:::%[1]s/*"], "Condition": {%[2]s}}]}`, bucket, cond)
}

// tlsOnly denies requests without TLS: it blocks nothing AWS Backup does.
func tlsOnly(bucket string) string {
	return fmt.Sprintf(`{"Version":"2012-10-17","Statement":[{"Sid":"TLSOnly","Effect":"Deny","Principal":"*","Action":"s3:*",
"Resource":["arn:aws:s3:::%[1]s","arn:aws:s3:::%[1]s/*"],"Condition":{"Bool":{"aws:SecureTransport":"false"}}}]}`, bucket)
}
