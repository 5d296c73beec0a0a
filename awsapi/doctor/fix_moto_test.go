package doctor_test

// doctor --fix end to end on moto_server: a bucket with every seed's
// failure is planned, fixed, and then passes every check.

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/kms"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"

	"github.com/fixpolicy/fixpolicy/awsapi"
	"github.com/fixpolicy/fixpolicy/awsapi/apply"
	"github.com/fixpolicy/fixpolicy/awsapi/doctor"
	"github.com/fixpolicy/fixpolicy/awsapi/internal/awstest"
)

// motoKey creates a KMS key whose policy lets only the caller administer it
// (no account-root delegation, no backup role), and makes it the bucket's
// default encryption key. It returns the key's ARN.
func (d doctorMoto) motoKey(t *testing.T, bucket string) string {
	t.Helper()
	ctx := context.Background()
	pol := `{"Version":"2012-10-17","Id":"doctor-test","Statement":[{"Sid":"Admins","Effect":"Allow","Principal":{"AWS":"arn:aws:iam::123456789012:user/moto"},"Action":"kms:*","Resource":"*"}]}`
	out, err := d.kms(t).CreateKey(ctx, &kms.CreateKeyInput{Policy: aws.String(pol)})
	if err != nil {
		t.Fatalf("moto: CreateKey: %v", err)
	}
	arn := aws.ToString(out.KeyMetadata.Arn)
	_, err = d.m.S3(t, "us-east-1").PutBucketEncryption(ctx, &s3.PutBucketEncryptionInput{Bucket: aws.String(bucket),
		ServerSideEncryptionConfiguration: &s3types.ServerSideEncryptionConfiguration{Rules: []s3types.ServerSideEncryptionRule{{
			ApplyServerSideEncryptionByDefault: &s3types.ServerSideEncryptionByDefault{SSEAlgorithm: s3types.ServerSideEncryptionAwsKms, KMSMasterKeyID: aws.String(arn)}}}}})
	if err != nil {
		t.Fatalf("moto: PutBucketEncryption: %v", err)
	}
	return arn
}

func (d doctorMoto) kms(t *testing.T) *kms.Client {
	return kms.NewFromConfig(d.m.Config(t, "us-east-1"), func(o *kms.Options) { o.BaseEndpoint = aws.String(d.m.Endpoint) })
}

func (d doctorMoto) keyPolicy(t *testing.T, arn string) string {
	t.Helper()
	out, err := d.kms(t).GetKeyPolicy(context.Background(), &kms.GetKeyPolicyInput{KeyId: aws.String(arn), PolicyName: aws.String("default")})
	if err != nil {
		t.Fatal(err)
	}
	return aws.ToString(out.Policy)
}

// plan checks the bucket with fresh clients and plans its fix.
func (d doctorMoto) plan(t *testing.T, role, bucket string, opt doctor.FixOptions) *doctor.Plan {
	t.Helper()
	ctx := context.Background()
	cl, err := awsapi.New(ctx, d.opts)
	if err != nil {
		t.Fatal(err)
	}
	doc, err := doctor.New(ctx, doctor.FromClients(cl), doctor.Options{RoleName: role})
	if err != nil {
		t.Fatal(err)
	}
	p, err := doc.Plan(ctx, doctor.FixerFromClients(cl), bucket, opt)
	if err != nil {
		t.Fatalf("Plan: %v", err)
	}
	return p
}

func stepIDs(p *doctor.Plan) map[string]string {
	m := map[string]string{}
	for _, s := range p.Steps {
		m[s.ID] = s.Status
	}
	return m
}

func TestMotoFix(t *testing.T) {
	ep := awstest.StartMoto(t) // the launcher sets MOTO_IAM_LOAD_MANAGED_POLICIES=true
	d := doctorMoto{m: awstest.Moto{Endpoint: ep}, opts: awsapi.Options{EndpointURL: ep, HTTPClient: awstest.LoopbackHTTPClient(t)}}
	awstest.MotoEnv(t, ep)

	t.Run("runbook: every seed's failure, fixed with --yes", func(t *testing.T) {
		role, b := "fix-all-role", "fix-all"
		d.createRole(t, role)
		d.m.CreateBucket(t, b, "")
		d.setOwnership(t, b, s3types.ObjectOwnershipObjectWriter)
		d.m.PutBucketPolicy(t, b, vpceOnly(b, ""))
		key := d.motoKey(t, b)
		keyBefore := d.keyPolicy(t, key)
		dir := t.TempDir()
		opt := doctor.FixOptions{FixOwnership: true, BackupDir: dir}

		p := d.plan(t, role, b, opt)
		var out bytes.Buffer
		if err := p.Print(&out, "text"); err != nil {
			t.Fatal(err)
		}
		t.Logf("plan:\n%s", out.String())
		want := map[string]string{"versioning": doctor.Planned, "backup-role": doctor.Planned, "bucket-policy": doctor.Planned,
			"object-ownership": doctor.Planned, "kms-key": doctor.Planned}
		if got := stepIDs(p); fmt.Sprint(got) != fmt.Sprint(want) {
			t.Fatalf("steps %v, want %v", got, want)
		}
		for _, s := range []string{"Status=Enabled", "can never be turned off again", "AWSBackupServiceRolePolicyForS3Restore", "kms:ViaService", `"StringNotLike": {"aws:userid"`, "disables ACLs"} {
			if !strings.Contains(out.String(), s) {
				t.Errorf("plan lacks %q", s)
			}
		}

		p.Apply(context.Background())
		out.Reset()
		p.Print(&out, "text")
		t.Logf("outcome:\n%s", out.String())
		for _, s := range p.Steps {
			if s.Status != doctor.Done {
				t.Errorf("step %s: %s: %s", s.ID, s.Status, s.Error)
			}
			if s.Backup == "" {
				t.Errorf("step %s: no backup", s.ID)
			} else if fi, err := os.Stat(s.Backup); err != nil || fi.Mode().Perm() != 0o600 {
				t.Errorf("step %s: backup %s: %v %v", s.ID, s.Backup, fi, err)
			}
		}
		reps := d.run(t, role, b)
		wantStatuses(t, reps[0], nil, "caller-access")
		if again := d.plan(t, role, b, opt); len(again.Steps) != 0 {
			t.Errorf("a re-run after success plans %v", stepIDs(again))
		}
		// The key policy's backup is the policy as it was.
		for _, s := range p.Steps {
			if s.ID != "kms-key" {
				continue
			}
			saved, _ := os.ReadFile(s.Backup)
			if string(saved) != keyBefore {
				t.Errorf("key policy backup:\n%s\nwant\n%s", saved, keyBefore)
			}
			if r, acct, id, ok := apply.KeyFromBackup(s.Backup); !ok || !strings.HasSuffix(key, fmt.Sprintf(":kms:%s:%s:key/%s", r, acct, id)) {
				t.Errorf("KeyFromBackup(%s) = %s %s %s %v, key %s", s.Backup, r, acct, id, ok, key)
			}
		}
	})

	t.Run("ownership is only reported without --fix-ownership", func(t *testing.T) {
		b := "fix-ownership-off"
		d.createRole(t, "fix-own-role", s3BackupPolicy, s3RestorePolicy)
		d.healthyBucket(t, b)
		d.setOwnership(t, b, s3types.ObjectOwnershipObjectWriter)
		p := d.plan(t, "fix-own-role", b, doctor.FixOptions{BackupDir: t.TempDir()})
		if got := stepIDs(p); len(got) != 1 || got["object-ownership"] != doctor.Manual {
			t.Fatalf("steps %v", got)
		}
		if a := p.Steps[0].Action; !strings.Contains(a, "aws s3api put-bucket-ownership-controls --bucket "+b) {
			t.Errorf("action: %s", a)
		}
		if p.Pending() || !p.NeedsFixing() {
			t.Errorf("Pending %v NeedsFixing %v", p.Pending(), p.NeedsFixing())
		}
	})

	t.Run("a role AWS Backup cannot assume is not changed", func(t *testing.T) {
		b := d.healthyBucket(t, "fix-untrusted")
		ctx := context.Background()
		_, err := d.m.IAM(t).CreateRole(ctx, iamRole("fix-untrusted-role", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"ec2.amazonaws.com"},"Action":"sts:AssumeRole"}]}`))
		if err != nil {
			t.Fatal(err)
		}
		p := d.plan(t, "fix-untrusted-role", b, doctor.FixOptions{BackupDir: t.TempDir()})
		if got := stepIDs(p); got["backup-role"] != doctor.Manual || !strings.Contains(p.Steps[0].Action, "does not let backup.amazonaws.com assume it") {
			t.Fatalf("steps %v: %s", got, p.Steps[0].Action)
		}
	})
}

func iamRole(name, trust string) *iam.CreateRoleInput {
	return &iam.CreateRoleInput{RoleName: aws.String(name), AssumeRolePolicyDocument: aws.String(trust)}
}
