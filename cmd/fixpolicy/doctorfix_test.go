package main

import (
	"context"
	"strings"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	iamtypes "github.com/aws/aws-sdk-go-v2/service/iam/types"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/aws/smithy-go"

	"github.com/fixpolicy/fixpolicy/awsapi"
)

// doctorFixAWS is an account whose backup role is healthy and whose one
// bucket lacks only versioning, behind the SDK interfaces; the embedded nil
// interfaces make any other call panic.
type doctorFixAWS struct {
	awsapi.S3API
	awsapi.IAMAPI
	awsapi.STSAPI
	mu         sync.Mutex
	versioning string
	puts       int
}

func (f *doctorFixAWS) GetCallerIdentity(context.Context, *sts.GetCallerIdentityInput, ...func(*sts.Options)) (*sts.GetCallerIdentityOutput, error) {
	return &sts.GetCallerIdentityOutput{Account: aws.String("123456789012"), Arn: aws.String("arn:aws:iam::123456789012:user/ops"), UserId: aws.String("AIDAOPS")}, nil
}

func (f *doctorFixAWS) GetRole(_ context.Context, in *iam.GetRoleInput, _ ...func(*iam.Options)) (*iam.GetRoleOutput, error) {
	return &iam.GetRoleOutput{Role: &iamtypes.Role{RoleName: in.RoleName, Path: aws.String("/service-role/"), RoleId: aws.String("AROAEXAMPLEROLEID0001"),
		Arn:                      aws.String("arn:aws:iam::123456789012:role/service-role/" + aws.ToString(in.RoleName)),
		AssumeRolePolicyDocument: aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"backup.amazonaws.com"},"Action":"sts:AssumeRole"}]}`)}}, nil
}

func (f *doctorFixAWS) ListAttachedRolePolicies(context.Context, *iam.ListAttachedRolePoliciesInput, ...func(*iam.Options)) (*iam.ListAttachedRolePoliciesOutput, error) {
	return &iam.ListAttachedRolePoliciesOutput{AttachedPolicies: []iamtypes.AttachedPolicy{
		{PolicyArn: aws.String("arn:aws:iam::aws:policy/AWSBackupServiceRolePolicyForS3Backup")},
		{PolicyArn: aws.String("arn:aws:iam::aws:policy/AWSBackupServiceRolePolicyForS3Restore")}}}, nil
}

func (f *doctorFixAWS) SimulatePrincipalPolicy(_ context.Context, in *iam.SimulatePrincipalPolicyInput, _ ...func(*iam.Options)) (*iam.SimulatePrincipalPolicyOutput, error) {
	var out []iamtypes.EvaluationResult
	for _, a := range in.ActionNames {
		out = append(out, iamtypes.EvaluationResult{EvalActionName: aws.String(a), EvalDecision: iamtypes.PolicyEvaluationDecisionTypeAllowed})
	}
	return &iam.SimulatePrincipalPolicyOutput{EvaluationResults: out}, nil
}

func (f *doctorFixAWS) GetBucketLocation(context.Context, *s3.GetBucketLocationInput, ...func(*s3.Options)) (*s3.GetBucketLocationOutput, error) {
	return &s3.GetBucketLocationOutput{}, nil
}

func (f *doctorFixAWS) GetBucketVersioning(context.Context, *s3.GetBucketVersioningInput, ...func(*s3.Options)) (*s3.GetBucketVersioningOutput, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return &s3.GetBucketVersioningOutput{Status: s3types.BucketVersioningStatus(f.versioning)}, nil
}

func (f *doctorFixAWS) PutBucketVersioning(_ context.Context, in *s3.PutBucketVersioningInput, _ ...func(*s3.Options)) (*s3.PutBucketVersioningOutput, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.puts++
	f.versioning = string(in.VersioningConfiguration.Status)
	return &s3.PutBucketVersioningOutput{}, nil
}

func (f *doctorFixAWS) GetBucketPolicy(context.Context, *s3.GetBucketPolicyInput, ...func(*s3.Options)) (*s3.GetBucketPolicyOutput, error) {
	return nil, &smithy.GenericAPIError{Code: "NoSuchBucketPolicy", Message: "The bucket policy does not exist"}
}

func (f *doctorFixAWS) GetBucketOwnershipControls(context.Context, *s3.GetBucketOwnershipControlsInput, ...func(*s3.Options)) (*s3.GetBucketOwnershipControlsOutput, error) {
	return &s3.GetBucketOwnershipControlsOutput{OwnershipControls: &s3types.OwnershipControls{Rules: []s3types.OwnershipControlsRule{{ObjectOwnership: s3types.ObjectOwnershipBucketOwnerEnforced}}}}, nil
}

func (f *doctorFixAWS) GetBucketEncryption(context.Context, *s3.GetBucketEncryptionInput, ...func(*s3.Options)) (*s3.GetBucketEncryptionOutput, error) {
	return &s3.GetBucketEncryptionOutput{ServerSideEncryptionConfiguration: &s3types.ServerSideEncryptionConfiguration{Rules: []s3types.ServerSideEncryptionRule{{
		ApplyServerSideEncryptionByDefault: &s3types.ServerSideEncryptionByDefault{SSEAlgorithm: s3types.ServerSideEncryptionAes256}}}}}, nil
}

// TestDoctorFixWiring runs `fixpolicy doctor --fix` through the CLI: the
// modes, the refusal without a terminal, the prompt, --yes.
func TestDoctorFixWiring(t *testing.T) {
	t.Parallel()
	f := &doctorFixAWS{}
	h := harness{aws: func(context.Context, awsapi.Options) (*awsapi.Clients, error) {
		return &awsapi.Clients{S3: f, IAM: f, STS: f}, nil
	}}
	dir := t.TempDir()
	args := []string{"doctor", "--bucket", "data-bucket", "--fix", "--backup-dir", dir}
	run := func(tty bool, stdin string, extra ...string) (string, string, int) {
		h.inTTY = tty
		return h.run(t, stdin, append(append([]string{}, args...), extra...)...)
	}
	if out, _, code := run(false, "", "--dry-run"); code != exitOK || !strings.Contains(out, "1. versioning [planned]") || f.puts != 0 {
		t.Errorf("--dry-run: exit %d, %d writes:\n%s", code, f.puts, out)
	}
	if _, _, code := run(false, "", "--check"); code != 2 || f.puts != 0 {
		t.Errorf("--check: exit %d, %d writes", code, f.puts)
	}
	if _, errOut, code := run(false, ""); code != exitError || !strings.Contains(errOut, "pass --yes") || f.puts != 0 {
		t.Errorf("no terminal: exit %d, %d writes: %s", code, f.puts, errOut)
	}
	if out, errOut, code := run(true, "n\n"); code != exitError || !strings.Contains(errOut, "[y/N]") || !strings.Contains(out, "not confirmed") || f.puts != 0 {
		t.Errorf("declined: exit %d, %d writes:\n%s\n%s", code, f.puts, out, errOut)
	}
	out, errOut, code := run(false, "", "--yes", "-o", "json")
	if code != exitOK || f.puts != 1 || !strings.Contains(out, `"status":"done"`) || strings.Count(out, "\n") != 1 {
		t.Fatalf("--yes: exit %d, %d writes:\n%s\n%s", code, f.puts, out, errOut)
	}
	if out, _, code := run(false, "", "--check"); code != exitOK || !strings.Contains(out, "nothing to fix") {
		t.Errorf("--check after the fix: exit %d:\n%s", code, out)
	}
	if _, _, code := h.run(t, "", "doctor", "--bucket", "data-bucket"); code != exitOK {
		t.Errorf("doctor after the fix: exit %d", code)
	}
}
