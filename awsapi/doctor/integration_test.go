package doctor_test

// Doctor against the in-process fault server and moto_server: real S3, IAM,
// STS and KMS wire formats through awsapi.

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"

	"github.com/fixpolicy/fixpolicy/awsapi"
	"github.com/fixpolicy/fixpolicy/awsapi/doctor"
	"github.com/fixpolicy/fixpolicy/awsapi/internal/awstest"
)

func TestMain(m *testing.M) {
	code := m.Run()
	awstest.StopSharedMoto()
	os.Exit(code)
}

// run checks the buckets with fresh clients from opts (the clients remember
// the caller's identity). It returns the reports; a bucket that could not be
// checked has its error in Report.Error, as the CLI prints it.
func run(t *testing.T, opts awsapi.Options, dopt doctor.Options, buckets ...string) ([]*doctor.Report, error) {
	t.Helper()
	ctx := context.Background()
	cl, err := awsapi.New(ctx, opts)
	if err != nil {
		t.Fatalf("awsapi.New: %v", err)
	}
	d, err := doctor.New(ctx, doctor.FromClients(cl), dopt)
	if err != nil {
		return nil, err
	}
	var reps []*doctor.Report
	for _, b := range buckets {
		r, err := d.Check(ctx, b)
		if err != nil {
			r.Error = err.Error()
		}
		reps = append(reps, r)
	}
	return reps, nil
}

// statuses maps check IDs to statuses.
func statuses(r *doctor.Report) map[string]string {
	m := map[string]string{}
	for _, c := range r.Checks {
		m[c.ID] = c.Status
	}
	return m
}

func findCheck(t *testing.T, r *doctor.Report, id string) doctor.Check {
	t.Helper()
	for _, c := range r.Checks {
		if c.ID == id {
			return c
		}
	}
	t.Fatalf("no check %q in %+v", id, r)
	return doctor.Check{}
}

// wantStatuses checks the listed statuses; checks not listed must pass,
// except those in lenient (any status but fail). Failed must say whether a
// check failed.
func wantStatuses(t *testing.T, r *doctor.Report, want map[string]string, lenient ...string) {
	t.Helper()
	got := statuses(r)
	if len(got) != 7 {
		t.Errorf("want 7 checks, got %d: %v", len(got), got)
	}
	failed := false
	for id, st := range got {
		failed = failed || st == doctor.Fail
		w, ok := want[id]
		switch {
		case ok && st != w:
			t.Errorf("check %s: status %s, want %s (%s)", id, st, w, findCheck(t, r, id).Detail)
		case !ok && contains(lenient, id) && st == doctor.Fail:
			t.Errorf("check %s: failed: %s", id, findCheck(t, r, id).Detail)
		case !ok && !contains(lenient, id) && st != doctor.Pass:
			t.Errorf("check %s: status %s, want pass (%s)", id, st, findCheck(t, r, id).Detail)
		}
	}
	if r.Failed() != failed {
		t.Errorf("Failed() = %v with statuses %v", r.Failed(), got)
	}
}

func contains(xs []string, x string) bool {
	for _, y := range xs {
		if x == y {
			return true
		}
	}
	return false
}

// vpceOnly is seed 000's policy for bucket, with optional extra conditions
// (JSON members of the Condition object).
func vpceOnly(bucket, extra string) string {
	cond := `"StringNotEquals": {"aws:SourceVpce": "vpce-12345678901234567"}`
	if extra != "" {
		cond += ", " + extra
	}
	return fmt.Sprintf(`{"Version": "2012-10-17", "Statement": [{"Sid": "Statement1", "Effect": "Deny", "Principal": "*", "Action": "s3:*",
 "Resource": ["arn:aws:s3:::%[1]s", "arn:aws:s3:::%[1]s/*"], "Condition": {%[2]s}}]}`, bucket, cond)
}

// ---- moto ----

const (
	s3BackupPolicy  = "arn:aws:iam::aws:policy/AWSBackupServiceRolePolicyForS3Backup"
	s3RestorePolicy = "arn:aws:iam::aws:policy/AWSBackupServiceRolePolicyForS3Restore"
)

type doctorMoto struct {
	m    awstest.Moto
	opts awsapi.Options
}

func (d doctorMoto) run(t *testing.T, role string, buckets ...string) []*doctor.Report {
	t.Helper()
	reps, err := run(t, d.opts, doctor.Options{RoleName: role}, buckets...)
	if err != nil {
		t.Fatalf("doctor.New: %v", err)
	}
	return reps
}

func (d doctorMoto) createRole(t *testing.T, name string, policies ...string) (roleID, arn string) {
	t.Helper()
	ctx := context.Background()
	out, err := d.m.IAM(t).CreateRole(ctx, &iam.CreateRoleInput{
		RoleName: aws.String(name), Path: aws.String("/service-role/"),
		AssumeRolePolicyDocument: aws.String(awstest.BackupTrustPolicy),
	})
	if err != nil {
		t.Fatalf("moto: CreateRole %s: %v", name, err)
	}
	for _, p := range policies {
		d.m.AttachRolePolicy(t, name, p)
	}
	return aws.ToString(out.Role.RoleId), aws.ToString(out.Role.Arn)
}

func (d doctorMoto) deleteRole(t *testing.T, name string, policies ...string) {
	t.Helper()
	ctx := context.Background()
	c := d.m.IAM(t)
	for _, p := range policies {
		if _, err := c.DetachRolePolicy(ctx, &iam.DetachRolePolicyInput{RoleName: aws.String(name), PolicyArn: aws.String(p)}); err != nil {
			t.Fatalf("moto: DetachRolePolicy: %v", err)
		}
	}
	if _, err := c.DeleteRole(ctx, &iam.DeleteRoleInput{RoleName: aws.String(name)}); err != nil {
		t.Fatalf("moto: DeleteRole: %v", err)
	}
}

func (d doctorMoto) setOwnership(t *testing.T, bucket string, o s3types.ObjectOwnership) {
	t.Helper()
	_, err := d.m.S3(t, "us-east-1").PutBucketOwnershipControls(context.Background(), &s3.PutBucketOwnershipControlsInput{
		Bucket:            aws.String(bucket),
		OwnershipControls: &s3types.OwnershipControls{Rules: []s3types.OwnershipControlsRule{{ObjectOwnership: o}}},
	})
	if err != nil {
		t.Fatalf("moto: PutBucketOwnershipControls: %v", err)
	}
}

// healthyBucket creates a bucket with versioning on and BucketOwnerEnforced.
func (d doctorMoto) healthyBucket(t *testing.T, name string) string {
	t.Helper()
	d.m.CreateBucket(t, name, "")
	d.m.EnableVersioning(t, name)
	d.setOwnership(t, name, s3types.ObjectOwnershipBucketOwnerEnforced)
	return name
}

func (d doctorMoto) versioning(t *testing.T, bucket string) string {
	t.Helper()
	out, err := d.m.S3(t, "us-east-1").GetBucketVersioning(context.Background(), &s3.GetBucketVersioningInput{Bucket: aws.String(bucket)})
	if err != nil {
		t.Fatal(err)
	}
	return string(out.Status)
}

func (d doctorMoto) policy(t *testing.T, bucket string) string {
	t.Helper()
	out, err := d.m.S3(t, "us-east-1").GetBucketPolicy(context.Background(), &s3.GetBucketPolicyInput{Bucket: aws.String(bucket)})
	if err != nil {
		return ""
	}
	return aws.ToString(out.Policy)
}

// TestMoto runs doctor against moto buckets set up to show each of the
// seeds' failure modes. moto runs with MOTO_IAM_LOAD_MANAGED_POLICIES=true so
// that AWS's managed policies exist and can be attached by their real ARNs.
// It uses a moto of its own: the shared one may have been started without
// that variable. It is one long function because its subtests share that
// moto and the roles it sets up once (starting moto takes seconds).
func TestMoto(t *testing.T) {
	t.Setenv("MOTO_IAM_LOAD_MANAGED_POLICIES", "true") // inherited by moto_server
	ep := awstest.StartMoto(t)
	awstest.MotoEnv(t, ep)
	d := doctorMoto{m: awstest.Moto{Endpoint: ep}, opts: awsapi.Options{EndpointURL: ep, HTTPClient: awstest.LoopbackHTTPClient(t)}}

	both := []string{s3BackupPolicy, s3RestorePolicy}
	goodID, _ := d.createRole(t, "doctor-good", both...)
	d.createRole(t, "doctor-backup-only", s3BackupPolicy)
	d.createRole(t, "doctor-no-policies")
	oldID, _ := d.createRole(t, "doctor-recreated", both...)
	d.deleteRole(t, "doctor-recreated", both...)
	newID, _ := d.createRole(t, "doctor-recreated", both...)
	if oldID == newID {
		t.Fatalf("moto gave the re-created role its old RoleId %s", oldID)
	}
	// The caller is moto's default identity, whose ARN the evaluator may not
	// parse; caller-access is then could-not-check (never fail).
	lenient := []string{"caller-access"}

	t.Run("healthy", func(t *testing.T) {
		b := d.healthyBucket(t, "doctor-healthy")
		reps := d.run(t, "doctor-good", b)
		wantStatuses(t, reps[0], nil, lenient...)
		if c := findCheck(t, reps[0], "backup-role"); !strings.Contains(c.Detail, "AWSBackupServiceRolePolicyForS3Restore") {
			t.Errorf("backup-role detail: %s", c.Detail)
		}
	})

	t.Run("healthy with a TLS-only policy", func(t *testing.T) {
		b := d.healthyBucket(t, "doctor-healthy-policy")
		d.m.PutBucketPolicy(t, b, fmt.Sprintf(`{"Version":"2012-10-17","Statement":[{"Sid":"TLSOnly","Effect":"Deny","Principal":"*","Action":"s3:*",
"Resource":["arn:aws:s3:::%[1]s","arn:aws:s3:::%[1]s/*"],"Condition":{"Bool":{"aws:SecureTransport":"false"}}}]}`, b))
		wantStatuses(t, d.run(t, "doctor-good", b)[0], nil, lenient...)
	})

	t.Run("policy exempting the role but not the console's reads", func(t *testing.T) {
		b := d.healthyBucket(t, "doctor-exempting-policy")
		d.m.PutBucketPolicy(t, b, vpceOnly(b, fmt.Sprintf(`"StringNotLike": {"aws:userid": "%s:*"}`, goodID)))
		reps := d.run(t, "doctor-good", b)
		wantStatuses(t, reps[0], map[string]string{"bucket-policy": doctor.Fail}, lenient...)
		if c := findCheck(t, reps[0], "bucket-policy"); !strings.Contains(c.Detail, "s3:GetBucketVersioning") {
			t.Errorf("bucket-policy: %s", c.Detail)
		}
	})

	t.Run("versioning off (seed 000)", func(t *testing.T) {
		b := "doctor-unversioned"
		d.m.CreateBucket(t, b, "")
		d.setOwnership(t, b, s3types.ObjectOwnershipBucketOwnerEnforced)
		reps := d.run(t, "doctor-good", b)
		wantStatuses(t, reps[0], map[string]string{"versioning": doctor.Fail}, lenient...)
		c := findCheck(t, reps[0], "versioning")
		if !strings.Contains(c.Fix, "put-bucket-versioning --bucket "+b+" --versioning-configuration Status=Enabled") {
			t.Errorf("fix: %s", c.Fix)
		}
		if d.versioning(t, b) != "" {
			t.Errorf("doctor changed versioning")
		}
	})

	t.Run("versioning suspended", func(t *testing.T) {
		b := d.healthyBucket(t, "doctor-suspended")
		d.m.SetVersioning(t, b, "Suspended")
		wantStatuses(t, d.run(t, "doctor-good", b)[0], map[string]string{"versioning": doctor.Fail}, lenient...)
	})

	t.Run("role lacks the S3 policies (seed 002)", func(t *testing.T) {
		b := d.healthyBucket(t, "doctor-role-policies")
		for role, missing := range map[string][]string{
			"doctor-backup-only": {"AWSBackupServiceRolePolicyForS3Restore"},
			"doctor-no-policies": {"AWSBackupServiceRolePolicyForS3Backup", "AWSBackupServiceRolePolicyForS3Restore"},
		} {
			reps := d.run(t, role, b)
			wantStatuses(t, reps[0], map[string]string{"backup-role": doctor.Fail}, lenient...)
			c := findCheck(t, reps[0], "backup-role")
			for _, m := range missing {
				want := "aws iam attach-role-policy --role-name " + role + " --policy-arn arn:aws:iam::aws:policy/" + m
				if !strings.Contains(c.Fix, want) {
					t.Errorf("%s: fix lacks %q: %s", role, want, c.Fix)
				}
			}
			if len(missing) == 1 && strings.Contains(c.Fix, "ForS3Backup") {
				t.Errorf("%s: fix attaches a policy already attached: %s", role, c.Fix)
			}
		}
	})

	t.Run("role missing", func(t *testing.T) {
		b := d.healthyBucket(t, "doctor-role-missing")
		reps := d.run(t, "doctor-no-such-role", b)
		wantStatuses(t, reps[0], map[string]string{"backup-role": doctor.Fail}, lenient...)
		c := findCheck(t, reps[0], "backup-role")
		if !strings.Contains(c.Detail, "does not exist") || !strings.Contains(c.Fix, "aws iam create-role --role-name doctor-no-such-role") ||
			!strings.Contains(c.Fix, "attach-role-policy") {
			t.Errorf("backup-role: %+v", c)
		}
	})

	t.Run("blocking policy (seed 000)", func(t *testing.T) {
		b := d.healthyBucket(t, "doctor-blocking")
		pol := vpceOnly(b, "")
		d.m.PutBucketPolicy(t, b, pol)
		reps := d.run(t, "doctor-good", b)
		wantStatuses(t, reps[0], map[string]string{"bucket-policy": doctor.Fail}, lenient...)
		c := findCheck(t, reps[0], "bucket-policy")
		if !strings.Contains(c.Fix, "fixpolicy --bucket "+b+" --role-name doctor-good") || !strings.Contains(c.Detail, `Sid "Statement1"`) {
			t.Errorf("bucket-policy: %+v", c)
		}
		if got := d.policy(t, b); got != pol {
			t.Errorf("doctor changed the policy:\n%s", got)
		}
	})

	t.Run("stale RoleId (re-created role)", func(t *testing.T) {
		b := d.healthyBucket(t, "doctor-stale")
		d.m.PutBucketPolicy(t, b, vpceOnly(b, fmt.Sprintf(`"StringNotLike": {"aws:userid": "%s:*"}`, oldID)))
		reps := d.run(t, "doctor-recreated", b)
		wantStatuses(t, reps[0], map[string]string{"bucket-policy": doctor.Fail, "stale-role-id": doctor.Fail}, lenient...)
		c := findCheck(t, reps[0], "stale-role-id")
		if !strings.Contains(c.Detail, oldID) || !strings.Contains(c.Detail, "not the current RoleId of doctor-recreated ("+newID+")") {
			t.Errorf("stale-role-id detail: %s", c.Detail)
		}
		if strings.Contains(c.Detail, "belongs to no role") {
			t.Errorf("claims the RoleId belongs to no role: %s", c.Detail)
		}
	})

	t.Run("ownership ObjectWriter (seed 004)", func(t *testing.T) {
		b := d.healthyBucket(t, "doctor-objectwriter")
		d.setOwnership(t, b, s3types.ObjectOwnershipObjectWriter)
		reps := d.run(t, "doctor-good", b)
		wantStatuses(t, reps[0], map[string]string{"object-ownership": doctor.Fail}, lenient...)
		c := findCheck(t, reps[0], "object-ownership")
		if !strings.Contains(c.Detail, "ObjectWriter") || !strings.Contains(c.Fix, "ObjectOwnership=BucketOwnerEnforced") {
			t.Errorf("object-ownership: %+v", c)
		}
	})

	t.Run("missing bucket", func(t *testing.T) {
		good := d.healthyBucket(t, "doctor-present")
		reps := d.run(t, "doctor-good", good, "doctor-no-such-bucket")
		if len(reps) != 2 || reps[1].Error == "" || !strings.Contains(reps[1].Error, "does not exist") ||
			!strings.Contains(reps[1].Error, "doctor-no-such-bucket") || len(reps[0].Checks) != 7 || reps[0].Error != "" {
			t.Errorf("reports: %+v", reps)
		}
	})

	t.Run("text output", func(t *testing.T) {
		b := "doctor-text"
		d.m.CreateBucket(t, b, "")
		d.m.PutBucketPolicy(t, b, vpceOnly(b, ""))
		r := d.run(t, "doctor-backup-only", b)[0]
		var out bytes.Buffer
		if err := r.Print(&out, "text"); err != nil {
			t.Fatal(err)
		}
		t.Logf("doctor of %s with the role doctor-backup-only:\n%s", b, out.String())
		if !r.Failed() {
			t.Errorf("nothing failed")
		}
		for _, want := range []string{"s3://" + b, "FAIL  versioning", "FAIL  backup-role", "fix: aws s3api put-bucket-versioning", "failed"} {
			if !strings.Contains(out.String(), want) {
				t.Errorf("text output lacks %q:\n%s", want, out.String())
			}
		}
	})
}

// ---- FaultServer ----

// doctorFault returns a FaultServer with a healthy bucket "b" and backup role.
func doctorFault(t *testing.T) (*awstest.FaultServer, awstest.Role) {
	t.Helper()
	awstest.TestEnv(t)
	fs := awstest.NewFaultServer(t)
	fs.CreateBucket("b", "")
	fs.UpdateBucket("b", func(b *awstest.Bucket) { b.Versioning, b.ObjectOwnership = "Enabled", "BucketOwnerEnforced" })
	role := fs.AddBackupRole()
	fs.AttachRolePolicy(role.Name, s3BackupPolicy)
	fs.AttachRolePolicy(role.Name, s3RestorePolicy)
	return fs, role
}

// faultRun checks bucket "b" on fs with the default backup role.
func faultRun(t *testing.T, fs *awstest.FaultServer) *doctor.Report {
	t.Helper()
	reps, err := run(t, fs.Options(), doctor.Options{}, "b")
	if err != nil {
		t.Fatalf("doctor.New: %v", err)
	}
	return reps[0]
}

// assertNoWrites checks that doctor made only reads.
func assertNoWrites(t *testing.T, fs *awstest.FaultServer) {
	t.Helper()
	for _, r := range fs.Requests("") {
		op := r.Op[strings.IndexByte(r.Op, ':')+1:]
		if !strings.HasPrefix(op, "Get") && !strings.HasPrefix(op, "List") && !strings.HasPrefix(op, "Head") && !strings.HasPrefix(op, "Describe") {
			t.Errorf("doctor sent %s %s (%s): it must only read", r.Method, r.Path, r.Op)
		}
	}
	for _, op := range []string{"s3:PutBucketPolicy", "s3:PutBucketVersioning", "s3:DeleteBucketPolicy"} {
		if n := fs.Count(op); n != 0 {
			t.Errorf("doctor sent %d %s requests", n, op)
		}
	}
}

func TestFaultHealthy(t *testing.T) {
	fs, _ := doctorFault(t)
	wantStatuses(t, faultRun(t, fs), nil)
	assertNoWrites(t, fs)
}

func TestFaultAccessDenied(t *testing.T) {
	fs, _ := doctorFault(t)
	fs.SetPolicy("b", vpceOnly("b", ""))
	for _, op := range []string{"s3:GetBucketVersioning", "s3:GetBucketPolicy", "s3:GetBucketOwnershipControls", "s3:GetBucketEncryption", "iam:ListAttachedRolePolicies"} {
		fs.Fail(op, awstest.Fault{Status: http.StatusForbidden, Code: "AccessDenied"})
	}
	r := faultRun(t, fs)
	wantStatuses(t, r, map[string]string{
		"versioning": doctor.Unsure, "backup-role": doctor.Unsure, "bucket-policy": doctor.Unsure, "stale-role-id": doctor.Unsure,
		"object-ownership": doctor.Unsure, "kms-key": doctor.Unsure, "caller-access": doctor.Unsure,
	})
	for id, perm := range map[string]string{
		"versioning": "s3:GetBucketVersioning", "bucket-policy": "s3:GetBucketPolicy", "object-ownership": "s3:GetBucketOwnershipControls",
		"kms-key": "s3:GetEncryptionConfiguration", "backup-role": "iam:ListAttachedRolePolicies",
	} {
		if c := findCheck(t, r, id); !strings.Contains(c.Detail, "needs permission "+perm) {
			t.Errorf("%s: detail does not name %s: %s", id, perm, c.Detail)
		}
	}
	assertNoWrites(t, fs)
}

func TestFaultMissingBucket(t *testing.T) {
	fs, _ := doctorFault(t)
	reps, err := run(t, fs.Options(), doctor.Options{}, "nope")
	if err != nil || len(reps) != 1 || !strings.Contains(reps[0].Error, `bucket "nope" does not exist`) || len(reps[0].Checks) != 0 {
		t.Fatalf("%v, %+v", err, reps)
	}
	assertNoWrites(t, fs)
}

func TestFaultNoCredentials(t *testing.T) {
	awstest.TestEnv(t)
	fs := awstest.NewFaultServer(t)
	fs.Fail("sts:GetCallerIdentity", awstest.Fault{Status: http.StatusForbidden, Code: "ExpiredToken"})
	_, err := run(t, fs.Options(), doctor.Options{}, "b")
	if err == nil || !strings.Contains(err.Error(), "expired") {
		t.Fatalf("err %v, want expired credentials", err)
	}
}

const kmsKeyARN = "arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"

func keyPolicy(stmts ...string) string {
	return `{"Version":"2012-10-17","Statement":[` + strings.Join(stmts, ",") + `]}`
}

const (
	rootDelegation = `{"Sid":"EnableIAM","Effect":"Allow","Principal":{"AWS":"arn:aws:iam::123456789012:root"},"Action":"kms:*","Resource":"*"}`
	adminOnly      = `{"Sid":"Admins","Effect":"Allow","Principal":{"AWS":"arn:aws:iam::123456789012:role/KeyAdmin"},"Action":"kms:*","Resource":"*"}`
)

func TestFaultKMS(t *testing.T) {
	cases := []struct {
		name, policy, want string
	}{
		{"root delegation", keyPolicy(rootDelegation), doctor.Pass},
		{"names the role", keyPolicy(adminOnly, `{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::123456789012:role/service-role/AWSBackupDefaultServiceRole"},"Action":["kms:Decrypt","kms:GenerateDataKey*","kms:DescribeKey"],"Resource":"*"}`), doctor.Pass},
		{"only admins", keyPolicy(adminOnly), doctor.Fail},
		{"explicit deny", keyPolicy(rootDelegation, `{"Effect":"Deny","Principal":"*","Action":"kms:Decrypt","Resource":"*","Condition":{"StringNotEquals":{"kms:ViaService":"ec2.us-east-1.amazonaws.com"}}}`), doctor.Fail},
		{"deny on unknown key", keyPolicy(rootDelegation, `{"Effect":"Deny","Principal":"*","Action":"kms:Decrypt","Resource":"*","Condition":{"StringNotEquals":{"aws:PrincipalTag/team":"backup"}}}`), doctor.Unsure},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			fs, _ := doctorFault(t)
			fs.UpdateBucket("b", func(b *awstest.Bucket) { b.SSEAlgorithm, b.KMSKeyID = "aws:kms", kmsKeyARN })
			fs.SetKeyPolicy(kmsKeyARN, tc.policy)
			r := faultRun(t, fs)
			wantStatuses(t, r, map[string]string{"kms-key": tc.want})
			c := findCheck(t, r, "kms-key")
			t.Logf("kms-key: %s: %s", c.Status, c.Detail)
			if tc.want == doctor.Fail && !strings.Contains(c.Fix, "kms put-key-policy") {
				t.Errorf("kms-key fix: %s", c.Fix)
			}
			assertNoWrites(t, fs)
		})
	}
	t.Run("GetKeyPolicy denied", func(t *testing.T) {
		fs, _ := doctorFault(t)
		fs.UpdateBucket("b", func(b *awstest.Bucket) { b.SSEAlgorithm, b.KMSKeyID = "aws:kms", kmsKeyARN })
		fs.Fail("kms:GetKeyPolicy", awstest.Fault{Status: http.StatusBadRequest, Code: "AccessDeniedException"})
		r := faultRun(t, fs)
		if c := findCheck(t, r, "kms-key"); c.Status != doctor.Unsure || !strings.Contains(c.Detail, "kms:GetKeyPolicy") || r.Failed() {
			t.Errorf("kms-key: %+v", c)
		}
	})
	t.Run("SSE-S3 and the AWS managed key", func(t *testing.T) {
		fs, _ := doctorFault(t)
		for _, algo := range []string{"AES256", "aws:kms"} {
			fs.UpdateBucket("b", func(b *awstest.Bucket) { b.SSEAlgorithm, b.KMSKeyID = algo, "" })
			if c := findCheck(t, faultRun(t, fs), "kms-key"); c.Status != doctor.Pass {
				t.Errorf("%s: %+v", algo, c)
			}
		}
		if fs.Count("kms:GetKeyPolicy") != 0 {
			t.Errorf("read a key policy for a bucket without a customer managed key")
		}
	})
}

func TestFaultCallerLockout(t *testing.T) {
	fs, role := doctorFault(t)
	// Seed 000: only through the VPC endpoint. The caller (a user, outside
	// the endpoint) would be denied s3:PutBucketPolicy after the patch too.
	fs.SetPolicy("b", vpceOnly("b", ""))
	r := faultRun(t, fs)
	wantStatuses(t, r, map[string]string{"bucket-policy": doctor.Fail, "caller-access": doctor.Warn})
	if b, err := json.Marshal(r); err == nil {
		t.Logf("doctor -o json:\n%s", b)
	}
	if c := findCheck(t, r, "caller-access"); !strings.Contains(c.Detail, "arn:aws:iam::123456789012:user/tester") || !strings.Contains(c.Detail, "root") {
		t.Errorf("caller-access: %s", c.Detail)
	}

	// An assumed-role session exempted by its role ARN (with path, looked up).
	fs.AddRole("Admin", "/ops/", "")
	fs.SetCaller(awstest.Caller{Account: awstest.DefaultAccount, Arn: "arn:aws:sts::123456789012:assumed-role/Admin/alice", UserID: "AROAFAKEADMIN0000001:alice"})
	fs.SetPolicy("b", vpceOnly("b", fmt.Sprintf(`"StringNotLike": {"aws:userid": "%s:*"}, "ArnNotLike": {"aws:PrincipalArn": "arn:aws:iam::123456789012:role/ops/Admin"}`, role.RoleID)))
	if c := findCheck(t, faultRun(t, fs), "caller-access"); c.Status != doctor.Pass {
		t.Errorf("caller-access for an exempted session: %+v", c)
	}

	// The account root is never locked out.
	fs.SetCaller(awstest.Caller{Account: awstest.DefaultAccount, Arn: "arn:aws:iam::123456789012:root", UserID: "123456789012"})
	fs.SetPolicy("b", vpceOnly("b", ""))
	if c := findCheck(t, faultRun(t, fs), "caller-access"); c.Status != doctor.Pass {
		t.Errorf("caller-access for root: %+v", c)
	}
	assertNoWrites(t, fs)
}

func TestFaultStaleRoleIDInPrincipal(t *testing.T) {
	fs, role := doctorFault(t)
	fs.SetPolicy("b", `{"Version":"2012-10-17","Statement":[{"Sid":"Old","Effect":"Allow","Principal":{"AWS":"AROAOLDDELETEDROLE0001"},"Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*"},
{"Sid":"Cur","Effect":"Deny","Principal":"*","Action":"s3:DeleteBucket","Resource":"arn:aws:s3:::b","Condition":{"StringNotLike":{"aws:userid":["`+role.RoleID+`:*"]}}}]}`)
	r := faultRun(t, fs)
	wantStatuses(t, r, map[string]string{"stale-role-id": doctor.Fail})
	c := findCheck(t, r, "stale-role-id")
	if !strings.Contains(c.Detail, "AROAOLDDELETEDROLE0001") || strings.Contains(c.Detail, role.RoleID+":*") {
		t.Errorf("stale-role-id: %s", c.Detail)
	}
}
