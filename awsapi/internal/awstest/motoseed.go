package awstest

import (
	"context"
	"errors"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	iamtypes "github.com/aws/aws-sdk-go-v2/service/iam/types"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"
)

// BackupRoleName is the name of AWS Backup's default service role.
const BackupRoleName = "AWSBackupDefaultServiceRole"

// Moto seeds a moto_server's state through the SDK (with static test credentials,
// never the environment's), independently of package awsapi.
//
//	m := awstest.Moto{Endpoint: awstest.SharedMoto(t)}
//	m.CreateBucket(t, "logs", "eu-west-1")
type Moto struct{ Endpoint string }

// Config returns an aws.Config for moto: static credentials test/test, the given
// region, a loopback-only HTTP client.
func (m Moto) Config(t testing.TB, region string) aws.Config {
	t.Helper()
	if region == "" {
		region = "us-east-1"
	}
	return aws.Config{
		Region:      region,
		Credentials: credentials.NewStaticCredentialsProvider("test", "test", ""),
		HTTPClient:  LoopbackHTTPClient(t),
	}
}

// S3 returns an S3 client for moto, signing for region, with path-style addressing.
func (m Moto) S3(t testing.TB, region string) *s3.Client {
	t.Helper()
	return s3.NewFromConfig(m.Config(t, region), func(o *s3.Options) {
		o.BaseEndpoint = aws.String(m.Endpoint)
		o.UsePathStyle = true
	})
}

// IAM returns an IAM client for moto.
func (m Moto) IAM(t testing.TB) *iam.Client {
	t.Helper()
	return iam.NewFromConfig(m.Config(t, "us-east-1"), func(o *iam.Options) {
		o.BaseEndpoint = aws.String(m.Endpoint)
	})
}

// CreateBucket creates a bucket in region ("" is us-east-1).
func (m Moto) CreateBucket(t testing.TB, bucket, region string) {
	t.Helper()
	if region == "" {
		region = "us-east-1"
	}
	in := &s3.CreateBucketInput{Bucket: aws.String(bucket)}
	if region != "us-east-1" {
		in.CreateBucketConfiguration = &s3types.CreateBucketConfiguration{
			LocationConstraint: s3types.BucketLocationConstraint(region),
		}
	}
	if _, err := m.S3(t, region).CreateBucket(context.Background(), in); err != nil {
		t.Fatalf("moto: CreateBucket %s in %s: %v", bucket, region, err)
	}
}

// PutBucketPolicy stores a bucket policy (moto stores it verbatim, unvalidated).
func (m Moto) PutBucketPolicy(t testing.TB, bucket, policy string) {
	t.Helper()
	_, err := m.S3(t, "us-east-1").PutBucketPolicy(context.Background(), &s3.PutBucketPolicyInput{
		Bucket: aws.String(bucket), Policy: aws.String(policy),
	})
	if err != nil {
		t.Fatalf("moto: PutBucketPolicy %s: %v", bucket, err)
	}
}

// SetVersioning sets the bucket's versioning status ("Enabled" or "Suspended").
func (m Moto) SetVersioning(t testing.TB, bucket, status string) {
	t.Helper()
	_, err := m.S3(t, "us-east-1").PutBucketVersioning(context.Background(), &s3.PutBucketVersioningInput{
		Bucket:                  aws.String(bucket),
		VersioningConfiguration: &s3types.VersioningConfiguration{Status: s3types.BucketVersioningStatus(status)},
	})
	if err != nil {
		t.Fatalf("moto: PutBucketVersioning %s %s: %v", bucket, status, err)
	}
}

// EnableVersioning enables versioning on the bucket.
func (m Moto) EnableVersioning(t testing.TB, bucket string) { m.SetVersioning(t, bucket, "Enabled") }

// CreateBackupRole creates AWSBackupDefaultServiceRole at path /service-role/,
// trusting backup.amazonaws.com (or returns it if it exists), and returns its
// RoleId and ARN.
func (m Moto) CreateBackupRole(t testing.TB) (roleID, arn string) {
	t.Helper()
	ctx := context.Background()
	c := m.IAM(t)
	out, err := c.CreateRole(ctx, &iam.CreateRoleInput{
		RoleName:                 aws.String(BackupRoleName),
		Path:                     aws.String("/service-role/"),
		AssumeRolePolicyDocument: aws.String(BackupTrustPolicy),
		Description:              aws.String("Provides AWS Backup permission to create backups and perform restores on your behalf"),
	})
	var exists *iamtypes.EntityAlreadyExistsException
	switch {
	case err == nil:
		return aws.ToString(out.Role.RoleId), aws.ToString(out.Role.Arn)
	case errors.As(err, &exists):
		got, gerr := c.GetRole(ctx, &iam.GetRoleInput{RoleName: aws.String(BackupRoleName)})
		if gerr != nil {
			t.Fatalf("moto: GetRole %s: %v", BackupRoleName, gerr)
		}
		return aws.ToString(got.Role.RoleId), aws.ToString(got.Role.Arn)
	}
	t.Fatalf("moto: CreateRole %s: %v", BackupRoleName, err)
	return "", ""
}

// CreatePolicy creates a customer managed policy and returns its ARN.
func (m Moto) CreatePolicy(t testing.TB, name, document string) string {
	t.Helper()
	out, err := m.IAM(t).CreatePolicy(context.Background(), &iam.CreatePolicyInput{
		PolicyName: aws.String(name), PolicyDocument: aws.String(document),
	})
	if err != nil {
		t.Fatalf("moto: CreatePolicy %s: %v", name, err)
	}
	return aws.ToString(out.Policy.Arn)
}

// AttachRolePolicy attaches a managed policy to a role.
func (m Moto) AttachRolePolicy(t testing.TB, role, policyArn string) {
	t.Helper()
	_, err := m.IAM(t).AttachRolePolicy(context.Background(), &iam.AttachRolePolicyInput{
		RoleName: aws.String(role), PolicyArn: aws.String(policyArn),
	})
	if err != nil {
		t.Fatalf("moto: AttachRolePolicy %s %s: %v", role, policyArn, err)
	}
}

// Reset wipes all of moto's state.
func (m Moto) Reset(t testing.TB) {
	t.Helper()
	ResetMoto(t, m.Endpoint)
}
