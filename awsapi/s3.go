package awsapi

import (
	"context"
	"errors"
	"sync"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"
	smithyhttp "github.com/aws/smithy-go/transport/http"
)

// Bucket is one entry of [Clients.ListBuckets].
type Bucket struct {
	Name   string
	Region string // "" if it could not be determined (access to the bucket's location denied)
}

// onBucket runs a bucket-scoped S3 call. When S3 answers that the bucket lives in
// another region and names that region, the call is made once more with clients
// of that region (S3 rejected the first request, so repeating it is safe).
func (c *Clients) onBucket(ctx context.Context, op, bucket string, fn func(context.Context, S3API) error) error {
	err := c.call(ctx, op, bucket, func(ctx context.Context) error { return fn(ctx, c.S3) })
	var e *Error
	if errors.As(err, &e) && e.Kind == WrongRegion && e.Region != "" && e.Region != c.region && c.sh != nil {
		rc := c.ForRegion(e.Region)
		return rc.call(ctx, op, bucket, func(ctx context.Context) error { return fn(ctx, rc.S3) })
	}
	return err
}

// GetBucketPolicy returns the bucket's policy document exactly as S3 returns it.
// A bucket without a policy (NoSuchBucketPolicy) gives exists=false and no error.
func (c *Clients) GetBucketPolicy(ctx context.Context, bucket string) (policy []byte, exists bool, err error) {
	var out *s3.GetBucketPolicyOutput
	err = c.onBucket(ctx, "s3:GetBucketPolicy", bucket, func(ctx context.Context, api S3API) (err error) {
		out, err = api.GetBucketPolicy(ctx, &s3.GetBucketPolicyInput{Bucket: aws.String(bucket)})
		return err
	})
	if err != nil {
		var e *Error
		if errors.As(err, &e) && e.Code == "NoSuchBucketPolicy" {
			return nil, false, nil
		}
		return nil, false, err
	}
	return []byte(aws.ToString(out.Policy)), true, nil
}

// PutBucketPolicy replaces the bucket's policy. A non-empty expectedOwner (an
// account ID) makes S3 refuse the write when another account owns the bucket.
// It never sets ConfirmRemoveSelfBucketAccess.
func (c *Clients) PutBucketPolicy(ctx context.Context, bucket string, policy []byte, expectedOwner string) error {
	in := &s3.PutBucketPolicyInput{Bucket: aws.String(bucket), Policy: aws.String(string(policy))}
	if expectedOwner != "" {
		in.ExpectedBucketOwner = aws.String(expectedOwner)
	}
	return c.onBucket(ctx, "s3:PutBucketPolicy", bucket, func(ctx context.Context, api S3API) error {
		_, err := api.PutBucketPolicy(ctx, in)
		return err
	})
}

// GetBucketVersioning returns "Enabled", "Suspended", or "" when versioning was never enabled.
func (c *Clients) GetBucketVersioning(ctx context.Context, bucket string) (string, error) {
	var out *s3.GetBucketVersioningOutput
	err := c.onBucket(ctx, "s3:GetBucketVersioning", bucket, func(ctx context.Context, api S3API) (err error) {
		out, err = api.GetBucketVersioning(ctx, &s3.GetBucketVersioningInput{Bucket: aws.String(bucket)})
		return err
	})
	if err != nil {
		return "", err
	}
	return string(out.Status), nil
}

// PutBucketVersioning sets the bucket's versioning status to "Enabled" or
// "Suspended", with ExpectedBucketOwner when expectedOwner is not "".
func (c *Clients) PutBucketVersioning(ctx context.Context, bucket, status, expectedOwner string) error {
	in := &s3.PutBucketVersioningInput{Bucket: aws.String(bucket),
		VersioningConfiguration: &s3types.VersioningConfiguration{Status: s3types.BucketVersioningStatus(status)}}
	if expectedOwner != "" {
		in.ExpectedBucketOwner = aws.String(expectedOwner)
	}
	return c.onBucket(ctx, "s3:PutBucketVersioning", bucket, func(ctx context.Context, api S3API) error {
		_, err := api.PutBucketVersioning(ctx, in)
		return err
	})
}

// PutBucketOwnershipControls sets the bucket's ObjectOwnership (one rule),
// with ExpectedBucketOwner when expectedOwner is not "".
func (c *Clients) PutBucketOwnershipControls(ctx context.Context, bucket, ownership, expectedOwner string) error {
	in := &s3.PutBucketOwnershipControlsInput{Bucket: aws.String(bucket), OwnershipControls: &s3types.OwnershipControls{
		Rules: []s3types.OwnershipControlsRule{{ObjectOwnership: s3types.ObjectOwnership(ownership)}}}}
	if expectedOwner != "" {
		in.ExpectedBucketOwner = aws.String(expectedOwner)
	}
	return c.onBucket(ctx, "s3:PutBucketOwnershipControls", bucket, func(ctx context.Context, api S3API) error {
		_, err := api.PutBucketOwnershipControls(ctx, in)
		return err
	})
}

// GetBucketOwnershipControls returns the bucket's ObjectOwnership setting
// ("BucketOwnerEnforced", "BucketOwnerPreferred", "ObjectWriter"), or "" when
// the bucket has no ownership controls (OwnershipControlsNotFoundError).
func (c *Clients) GetBucketOwnershipControls(ctx context.Context, bucket string) (string, error) {
	var out *s3.GetBucketOwnershipControlsOutput
	err := c.onBucket(ctx, "s3:GetBucketOwnershipControls", bucket, func(ctx context.Context, api S3API) (err error) {
		out, err = api.GetBucketOwnershipControls(ctx, &s3.GetBucketOwnershipControlsInput{Bucket: aws.String(bucket)})
		return err
	})
	if err != nil {
		var e *Error
		if errors.As(err, &e) && e.Code == "OwnershipControlsNotFoundError" {
			return "", nil
		}
		return "", err
	}
	if out.OwnershipControls != nil {
		for _, r := range out.OwnershipControls.Rules {
			return string(r.ObjectOwnership), nil
		}
	}
	return "", nil
}

// GetBucketEncryption returns the default encryption of the bucket: the algorithm
// ("AES256", "aws:kms", "aws:kms:dsse") and, for KMS, the key ID or ARN ("" means
// the AWS managed key). Both are "" when the bucket has no encryption configuration.
func (c *Clients) GetBucketEncryption(ctx context.Context, bucket string) (algo, kmsKeyID string, err error) {
	var out *s3.GetBucketEncryptionOutput
	err = c.onBucket(ctx, "s3:GetBucketEncryption", bucket, func(ctx context.Context, api S3API) (err error) {
		out, err = api.GetBucketEncryption(ctx, &s3.GetBucketEncryptionInput{Bucket: aws.String(bucket)})
		return err
	})
	if err != nil {
		var e *Error
		if errors.As(err, &e) && e.Code == "ServerSideEncryptionConfigurationNotFoundError" {
			return "", "", nil
		}
		return "", "", err
	}
	if out.ServerSideEncryptionConfiguration != nil {
		for _, r := range out.ServerSideEncryptionConfiguration.Rules {
			if d := r.ApplyServerSideEncryptionByDefault; d != nil {
				return string(d.SSEAlgorithm), aws.ToString(d.KMSMasterKeyID), nil
			}
		}
	}
	return "", "", nil
}

// listBucketsPageSize is the page size requested from ListBuckets; AWS supports
// unpaginated listing only for accounts with the default bucket quota.
const listBucketsPageSize = 1000

// regionLookups bounds the concurrent GetBucketLocation calls of ListBuckets.
const regionLookups = 8

// ListBuckets lists the caller's buckets with their regions. The region comes
// from the listing when S3 includes it, else from [Clients.BucketRegion].
// Buckets deleted while listing are left out.
func (c *Clients) ListBuckets(ctx context.Context) ([]Bucket, error) {
	var buckets []Bucket
	p := s3.NewListBucketsPaginator(c.S3, &s3.ListBucketsInput{}, func(o *s3.ListBucketsPaginatorOptions) {
		o.Limit = listBucketsPageSize
	})
	for p.HasMorePages() {
		var page *s3.ListBucketsOutput
		err := c.call(ctx, "s3:ListBuckets", "", func(ctx context.Context) (err error) {
			page, err = p.NextPage(ctx)
			return err
		})
		if err != nil {
			return nil, err
		}
		for _, b := range page.Buckets {
			buckets = append(buckets, Bucket{Name: aws.ToString(b.Name), Region: aws.ToString(b.BucketRegion)})
		}
	}

	// Fill in missing regions concurrently, keeping the order.
	var (
		wg       sync.WaitGroup
		sem      = make(chan struct{}, regionLookups)
		errs     = make([]error, len(buckets))
		gone     = make([]bool, len(buckets))
		lctx, cf = context.WithCancel(ctx)
	)
	defer cf()
	for i := range buckets {
		if buckets[i].Region != "" {
			continue
		}
		wg.Add(1)
		sem <- struct{}{}
		go func(i int) {
			defer func() { <-sem; wg.Done() }()
			r, err := c.BucketRegion(lctx, buckets[i].Name)
			switch {
			case err == nil:
				buckets[i].Region = r
			case IsNotFound(err):
				gone[i] = true
			case IsAccessDenied(err):
				// Region stays "": bucket-scoped calls follow S3's redirect anyway.
			default:
				errs[i] = err
				cf()
			}
		}(i)
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil && !IsCanceled(err) {
			return nil, err
		}
	}
	for _, err := range errs {
		if err != nil {
			return nil, err
		}
	}
	out := buckets[:0]
	for i, b := range buckets {
		if !gone[i] {
			out = append(out, b)
		}
	}
	return out, nil
}

// BucketRegion returns the region of the bucket, from GetBucketLocation ("" is
// us-east-1, "EU" is eu-west-1). When that is denied (a bucket policy may deny it,
// as in the VPC-endpoint case), it falls back to HeadBucket, whose x-amz-bucket-region
// header S3 sends even with a 403.
func (c *Clients) BucketRegion(ctx context.Context, bucket string) (string, error) {
	var out *s3.GetBucketLocationOutput
	err := c.call(ctx, "s3:GetBucketLocation", bucket, func(ctx context.Context) (err error) {
		out, err = c.S3.GetBucketLocation(ctx, &s3.GetBucketLocationInput{Bucket: aws.String(bucket)})
		return err
	})
	if err == nil {
		return normalizeLocation(string(out.LocationConstraint)), nil
	}
	var e *Error
	if !errors.As(err, &e) {
		return "", err
	}
	if e.Kind == WrongRegion && e.Region != "" {
		return e.Region, nil
	}
	if e.Kind != AccessDenied {
		return "", err
	}
	var hout *s3.HeadBucketOutput
	herr := c.call(ctx, "s3:HeadBucket", bucket, func(ctx context.Context) (err error) {
		hout, err = c.S3.HeadBucket(ctx, &s3.HeadBucketInput{Bucket: aws.String(bucket)})
		return err
	})
	if herr == nil && aws.ToString(hout.BucketRegion) != "" {
		return aws.ToString(hout.BucketRegion), nil
	}
	var he *Error
	if errors.As(herr, &he) {
		if he.Region != "" {
			return he.Region, nil
		}
		var re *smithyhttp.ResponseError
		if errors.As(he.Err, &re) && re.Response != nil {
			if r := re.Response.Header.Get("x-amz-bucket-region"); r != "" {
				return r, nil
			}
		}
	}
	return "", err
}

func normalizeLocation(loc string) string {
	switch loc {
	case "":
		return "us-east-1"
	case "EU":
		return "eu-west-1"
	}
	return loc
}
