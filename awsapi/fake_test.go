package awsapi_test

import (
	"context"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/smithy-go"
	"github.com/fixpolicy/fixpolicy/awsapi"
)

// fakeS3 is the interface-fake style other packages can use for branch logic;
// the embedded nil interface makes any unexpected call panic.
type fakeS3 struct {
	awsapi.S3API
	getPolicy func(*s3.GetBucketPolicyInput) (*s3.GetBucketPolicyOutput, error)
}

func (f fakeS3) GetBucketPolicy(_ context.Context, in *s3.GetBucketPolicyInput, _ ...func(*s3.Options)) (*s3.GetBucketPolicyOutput, error) {
	return f.getPolicy(in)
}

func TestHandBuiltClientsWithFakes(t *testing.T) {
	ctx := context.Background()
	policies := map[string]string{"has": testPolicy}
	c := &awsapi.Clients{S3: fakeS3{getPolicy: func(in *s3.GetBucketPolicyInput) (*s3.GetBucketPolicyOutput, error) {
		switch b := aws.ToString(in.Bucket); b {
		case "denied":
			return nil, &smithy.GenericAPIError{Code: "AccessDenied", Message: "Access Denied"}
		default:
			p, ok := policies[b]
			if !ok {
				return nil, &smithy.GenericAPIError{Code: "NoSuchBucketPolicy", Message: "The bucket policy does not exist"}
			}
			return &s3.GetBucketPolicyOutput{Policy: aws.String(p)}, nil
		}
	}}}
	if p, ok, err := c.GetBucketPolicy(ctx, "has"); err != nil || !ok || string(p) != testPolicy {
		t.Errorf("has: %q %v %v", p, ok, err)
	}
	if p, ok, err := c.GetBucketPolicy(ctx, "none"); err != nil || ok || p != nil {
		t.Errorf("none: %q %v %v", p, ok, err)
	}
	_, _, err := c.GetBucketPolicy(ctx, "denied")
	wantKind(t, err, awsapi.AccessDenied)
	wantMessage(t, err, `access denied calling s3:GetBucketPolicy on bucket "denied": the caller needs permission s3:GetBucketPolicy on arn:aws:s3:::denied`)
	if c.ForRegion("eu-west-1") != c || c.CallTimeout() != awsapi.DefaultCallTimeout {
		t.Error("hand-built Clients: ForRegion or CallTimeout")
	}
}
