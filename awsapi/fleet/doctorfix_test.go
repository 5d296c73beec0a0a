package fleet

// `fixpolicy doctor --fix` as a runbook runs it, on moto: the modes, the
// refusal without a terminal, --yes, then doctor passing, and rolling the
// KMS key policy back.

import (
	"bytes"
	"context"
	"encoding/json"
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
	"github.com/fixpolicy/fixpolicy/rewrite/report"
)

// doctorFixCase is a bucket on the shared moto with all four causes: no
// versioning, a role without the S3 managed policies, seed 000's policy,
// ObjectWriter ownership and an SSE-KMS key whose policy shuts the role out.
type doctorFixCase struct {
	*liveMotoCase
	role, bucket, key, keyPolicy string
	kms                          *kms.Client
}

func newDoctorFixCase(t *testing.T) *doctorFixCase {
	t.Helper()
	mc := liveMotoSetup(t)
	ctx := context.Background()
	c := &doctorFixCase{liveMotoCase: mc, role: liveBucketName("fix-role"), bucket: liveBucketName("dfix")}
	if _, err := mc.m.IAM(t).CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String(c.role), Path: aws.String("/service-role/"),
		AssumeRolePolicyDocument: aws.String(awstest.BackupTrustPolicy)}); err != nil {
		t.Fatal(err)
	}
	mc.m.CreateBucket(t, c.bucket, "")
	mc.m.PutBucketPolicy(t, c.bucket, liveSeedPolicy(t, "seed000-vpce-only", c.bucket))
	s3c := mc.m.S3(t, "us-east-1")
	if _, err := s3c.PutBucketOwnershipControls(ctx, &s3.PutBucketOwnershipControlsInput{Bucket: aws.String(c.bucket),
		OwnershipControls: &s3types.OwnershipControls{Rules: []s3types.OwnershipControlsRule{{ObjectOwnership: s3types.ObjectOwnershipObjectWriter}}}}); err != nil {
		t.Fatal(err)
	}
	c.kms = kms.NewFromConfig(mc.m.Config(t, "us-east-1"), func(o *kms.Options) { o.BaseEndpoint = aws.String(mc.m.Endpoint) })
	c.keyPolicy = `{"Version":"2012-10-17","Statement":[{"Sid":"Admins","Effect":"Allow","Principal":{"AWS":"arn:aws:iam::123456789012:user/moto"},"Action":"kms:*","Resource":"*"}]}`
	out, err := c.kms.CreateKey(ctx, &kms.CreateKeyInput{Policy: aws.String(c.keyPolicy)})
	if err != nil {
		t.Fatal(err)
	}
	c.key = aws.ToString(out.KeyMetadata.Arn)
	if _, err := s3c.PutBucketEncryption(ctx, &s3.PutBucketEncryptionInput{Bucket: aws.String(c.bucket),
		ServerSideEncryptionConfiguration: &s3types.ServerSideEncryptionConfiguration{Rules: []s3types.ServerSideEncryptionRule{{
			ApplyServerSideEncryptionByDefault: &s3types.ServerSideEncryptionByDefault{SSEAlgorithm: s3types.ServerSideEncryptionAwsKms, KMSMasterKeyID: aws.String(c.key)}}}}}); err != nil {
		t.Fatal(err)
	}
	return c
}

// fix runs doctor --fix in mode and returns the exit code, the error and
// the plans printed (the last print of each bucket).
func (c *doctorFixCase) fix(t *testing.T, mode string, yes bool, confirm func(*doctor.Plan) bool) (int, error, *doctor.Plan, string) {
	t.Helper()
	cl, err := awsapi.New(context.Background(), c.opts())
	if err != nil {
		t.Fatal(err)
	}
	var last *doctor.Plan
	var out bytes.Buffer
	r := &DoctorFix{API: doctor.FixerFromClients(cl), Doctor: doctor.Options{RoleName: c.role}, Buckets: []string{c.bucket}, Mode: mode, Yes: yes,
		Options: doctor.FixOptions{FixOwnership: true, BackupDir: c.dir}, Confirm: confirm,
		Print: func(p *doctor.Plan) error { last = p; return p.Print(&out, "json") }}
	code, err := r.Run(context.Background())
	return code, err, last, out.String()
}

func (c *doctorFixCase) versioning(t *testing.T) string {
	out, err := c.m.S3(t, "us-east-1").GetBucketVersioning(context.Background(), &s3.GetBucketVersioningInput{Bucket: aws.String(c.bucket)})
	if err != nil {
		t.Fatal(err)
	}
	return string(out.Status)
}

func (c *doctorFixCase) liveKeyPolicy(t *testing.T) string {
	out, err := c.kms.GetKeyPolicy(context.Background(), &kms.GetKeyPolicyInput{KeyId: aws.String(c.key), PolicyName: aws.String("default")})
	if err != nil {
		t.Fatal(err)
	}
	return aws.ToString(out.Policy)
}

// doctorCode runs the read-only doctor and returns its exit code.
func (c *doctorFixCase) doctorCode(t *testing.T) (int, *doctor.Report) {
	t.Helper()
	ctx := context.Background()
	cl, err := awsapi.New(ctx, c.opts())
	if err != nil {
		t.Fatal(err)
	}
	d, err := doctor.New(ctx, doctor.FromClients(cl), doctor.Options{RoleName: c.role})
	if err != nil {
		t.Fatal(err)
	}
	var rep *doctor.Report
	code, err := Doctor(ctx, d, []string{c.bucket}, 0, func(r *doctor.Report) error { rep = r; return nil })
	if err != nil {
		t.Fatal(err)
	}
	return code, rep
}

func TestDoctorFixRunbook(t *testing.T) {
	c := newDoctorFixCase(t)
	untouched := func(when string) {
		t.Helper()
		if v := c.versioning(t); v != "" {
			t.Errorf("%s: versioning is %q", when, v)
		}
		if k := c.liveKeyPolicy(t); k != c.keyPolicy {
			t.Errorf("%s: key policy changed: %s", when, k)
		}
		if files, _ := os.ReadDir(c.dir); len(files) != 0 {
			t.Errorf("%s: %d backup files", when, len(files))
		}
	}

	if code, err, p, _ := c.fix(t, DryRun, false, nil); code != ExitOK || err != nil || len(p.Steps) != 5 {
		t.Fatalf("--dry-run: exit %d, %v, %d steps", code, err, len(p.Steps))
	}
	untouched("--dry-run")
	if code, err, _, _ := c.fix(t, Check, false, nil); code != ExitChanges || err != nil {
		t.Errorf("--check: exit %d, %v; want 2", code, err)
	}
	if code, err, p, _ := c.fix(t, Apply, false, nil); code != ExitError || err != ErrDoctorNoTerminal || p.Steps[0].Status != doctor.Skipped {
		t.Errorf("no terminal, no --yes: exit %d, %v, %s", code, err, p.Steps[0].Status)
	}
	untouched("no terminal")
	asked := 0
	if code, err, _, _ := c.fix(t, Apply, false, func(*doctor.Plan) bool { asked++; return false }); code != ExitError || err != nil || asked != 1 {
		t.Errorf("declined: exit %d, %v, asked %d", code, err, asked)
	}
	untouched("declined")

	code, err, p, out := c.fix(t, Apply, true, nil)
	if code != ExitOK || err != nil {
		t.Fatalf("--yes: exit %d, %v:\n%s", code, err, out)
	}
	var js struct {
		Bucket string `json:"bucket"`
		Steps  []struct{ ID, Status, Backup string }
	}
	if err := json.Unmarshal([]byte(out), &js); err != nil || js.Bucket != c.bucket || len(js.Steps) != 5 {
		t.Fatalf("-o json: %v: %s", err, out)
	}
	for _, s := range js.Steps {
		if s.Status != doctor.Done || s.Backup == "" {
			t.Errorf("step %+v", s)
		}
	}
	if code, rep := c.doctorCode(t); code != ExitOK || rep.Failed() {
		t.Errorf("doctor after the fix: exit %d: %+v", code, rep.Checks)
	}
	if code, err, p, _ := c.fix(t, Check, false, nil); code != ExitOK || err != nil || len(p.Steps) != 0 {
		t.Errorf("--check after the fix: exit %d, %v, %d steps", code, err, len(p.Steps))
	}

	// Roll the key policy back from its backup, as fixpolicy rollback does.
	var backup string
	for _, s := range p.Steps {
		if s.ID == "kms-key" {
			backup = s.Backup
		}
	}
	saved, _ := os.ReadFile(backup)
	if err := CheckSaved(c.bucket, backup, saved); err != nil {
		t.Fatalf("CheckSaved: %v", err)
	}
	var reports []*report.Report
	rb := &Rollback{Session: c.session(), Journal: &apply.Journal{}, Bucket: c.bucket, From: backup, Saved: saved, BackupDir: c.dir, Yes: true,
		UI: UI{Print: func(r *report.Report) { reports = append(reports, r) }}}
	if code, err := rb.Run(context.Background()); code != ExitOK || err != nil {
		t.Fatalf("rollback: exit %d, %v: %+v", code, err, reports)
	}
	if k := c.liveKeyPolicy(t); apply.SameMeaning([]byte(k), []byte(c.keyPolicy)) != nil {
		t.Errorf("key policy after rollback: %s", k)
	}
	if _, rep := c.doctorCode(t); !strings.Contains(rep.Checks[len(rep.Checks)-2].Status, doctor.Fail) {
		t.Errorf("kms-key after rollback: %+v", rep.Checks[len(rep.Checks)-2])
	}
	// A backup of another bucket's key is refused.
	other := liveBucketName("dfix-other")
	c.m.CreateBucket(t, other, "")
	rb.Bucket = other
	if _, err := rb.Run(context.Background()); err == nil || !strings.Contains(err.Error(), "refusing to restore it") {
		t.Errorf("rollback onto a bucket without that key: %v", err)
	}
}

func TestCheckSavedKeyRefusesWildcards(t *testing.T) {
	const from = "dir/kms-key.us-east-1.123456789012.1234abcd-12ab-34cd-56ef-1234567890ab-20260101T000000.000000000Z.json"
	ok := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::123456789012:root"},"Action":"kms:*","Resource":"*"}]}`
	if err := CheckSaved("b-bucket", from, []byte(ok)); err != nil {
		t.Errorf("a key policy: %v", err)
	}
	for name, tc := range map[string]struct{ from, policy string }{
		"wildcard resource": {from, strings.Replace(ok, `"Resource":"*"`, `"Resource":"arn:aws:kms:*:123456789012:key/*"`, 1)},
		"another key":       {from, strings.Replace(ok, `"Resource":"*"`, `"Resource":"arn:aws:kms:us-east-1:123456789012:key/ffffffff-12ab-34cd-56ef-1234567890ab"`, 1)},
		"wildcard key id":   {strings.Replace(from, "1234abcd-12ab-34cd-56ef-1234567890ab", "*234abcd-12ab-34cd-56ef-1234567890ab", 1), ok},
		"not a policy":      {from, `{"Version":"2012-10-17"}`},
	} {
		if err := CheckSaved("b-bucket", tc.from, []byte(tc.policy)); err == nil || !strings.Contains(err.Error(), "--from") {
			t.Errorf("%s: %v", name, err)
		}
	}
}

// TestDoctorFixShowsThePlanFirst: with --yes and text output the plan is
// printed before anything is written, then the outcome.
func TestDoctorFixShowsThePlanFirst(t *testing.T) {
	fs := awstest.NewFaultServer(t)
	fs.AddBackupRole()
	fs.AttachRolePolicy("AWSBackupDefaultServiceRole", "arn:aws:iam::aws:policy/AWSBackupServiceRolePolicyForS3Backup")
	fs.AttachRolePolicy("AWSBackupDefaultServiceRole", "arn:aws:iam::aws:policy/AWSBackupServiceRolePolicyForS3Restore")
	fs.CreateBucket("plan-first", "")
	fs.UpdateBucket("plan-first", func(b *awstest.Bucket) { b.ObjectOwnership = "BucketOwnerEnforced" })
	var prints []string
	r := &DoctorFix{API: doctor.FixerFromClients(fs.Clients()), Buckets: []string{"plan-first"}, Yes: true, Format: "text",
		Options: doctor.FixOptions{BackupDir: t.TempDir()},
		Print: func(p *doctor.Plan) error {
			var b bytes.Buffer
			p.Print(&b, "text")
			prints = append(prints, b.String()+"writes so far: "+fmt.Sprint(fs.Count("s3:PutBucketVersioning")))
			return nil
		}}
	if code, err := r.Run(context.Background()); code != ExitOK || err != nil {
		t.Fatalf("exit %d, %v: %q", code, err, prints)
	}
	if len(prints) != 2 || !strings.Contains(prints[0], "[planned]") || !strings.HasSuffix(prints[0], "writes so far: 0") ||
		!strings.Contains(prints[1], "[done]") || !strings.Contains(prints[1], "> read it back: versioning is Enabled") {
		t.Errorf("prints:\n%s", strings.Join(prints, "\n----\n"))
	}
}
