package awsapi

import (
	"context"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/arn"
	"github.com/aws/aws-sdk-go-v2/service/kms"
)

// GetKeyPolicy returns the "default" key policy of a KMS key, given as a key ID,
// key ARN, alias name or alias ARN. A key ARN of another region is read with
// clients of that region.
func (c *Clients) GetKeyPolicy(ctx context.Context, keyID string) ([]byte, error) {
	kc := c
	if a, err := arn.Parse(keyID); err == nil && a.Region != "" {
		kc = c.ForRegion(a.Region)
	}
	var out *kms.GetKeyPolicyOutput
	err := kc.call(ctx, "kms:GetKeyPolicy", keyID, func(ctx context.Context) (err error) {
		out, err = kc.KMS.GetKeyPolicy(ctx, &kms.GetKeyPolicyInput{KeyId: aws.String(keyID), PolicyName: aws.String("default")})
		return err
	})
	if err != nil {
		return nil, err
	}
	return []byte(aws.ToString(out.Policy)), nil
}

// PutKeyPolicy replaces the "default" key policy of a KMS key (a key ID or
// key ARN; a key ARN of another region is written with clients of that
// region). It never sets BypassPolicyLockoutSafetyCheck, so KMS refuses a
// policy that would lock the caller out of the key.
func (c *Clients) PutKeyPolicy(ctx context.Context, keyID string, policy []byte) error {
	kc := c
	if a, err := arn.Parse(keyID); err == nil && a.Region != "" {
		kc = c.ForRegion(a.Region)
	}
	return kc.call(ctx, "kms:PutKeyPolicy", keyID, func(ctx context.Context) error {
		_, err := kc.KMS.PutKeyPolicy(ctx, &kms.PutKeyPolicyInput{KeyId: aws.String(keyID), PolicyName: aws.String("default"),
			Policy: aws.String(string(policy)), BypassPolicyLockoutSafetyCheck: false})
		return err
	})
}
