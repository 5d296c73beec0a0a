package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"

	"github.com/fixpolicy/fixpolicy/awsapi"
	"github.com/fixpolicy/fixpolicy/awsapi/awstest"
)

// doctorRun runs "fixpolicy doctor ARGS -o json" and returns the reports
// (one per bucket), stderr and the exit code.
func doctorRun(t *testing.T, aws clientFactory, args ...string) ([]doctorReport, string, int) {
	t.Helper()
	out, errOut, code := harness{aws: aws}.run(t, "", append(append([]string{"doctor"}, args...), "-o", "json")...)
	var reps []doctorReport
	dec := json.NewDecoder(strings.NewReader(out))
	for dec.More() {
		var r doctorReport
		if err := dec.Decode(&r); err != nil {
			t.Fatalf("doctor -o json printed something that is not JSON lines: %v\n%s", err, out)
		}
		reps = append(reps, r)
	}
	return reps, errOut, code
}

// statuses maps check IDs to statuses.
func statuses(r doctorReport) map[string]string {
	m := map[string]string{}
	for _, c := range r.Checks {
		m[c.ID] = c.Status
	}
	return m
}

func findCheck(t *testing.T, r doctorReport, id string) doctorCheck {
	t.Helper()
	for _, c := range r.Checks {
		if c.ID == id {
			return c
		}
	}
	t.Fatalf("no check %q in %+v", id, r)
	return doctorCheck{}
}

// wantStatuses checks the listed statuses; checks not listed must pass,
// except those in lenient (any status but fail).
func wantStatuses(t *testing.T, r doctorReport, want map[string]string, lenient ...string) {
	t.Helper()
	got := statuses(r)
	if len(got) != 7 {
		t.Errorf("want 7 checks, got %d: %v", len(got), got)
	}
	for id, st := range got {
		w, ok := want[id]
		switch {
		case ok && st != w:
			t.Errorf("check %s: status %s, want %s (%s)", id, st, w, findCheck(t, r, id).Detail)
		case !ok && contains(lenient, id) && st == checkFail:
			t.Errorf("check %s: failed: %s", id, findCheck(t, r, id).Detail)
		case !ok && !contains(lenient, id) && st != checkPass:
			t.Errorf("check %s: status %s, want pass (%s)", id, st, findCheck(t, r, id).Detail)
		}
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

// ---- moto ----

const (
	s3BackupPolicy  = "arn:aws:iam::aws:policy/AWSBackupServiceRolePolicyForS3Backup"
	s3RestorePolicy = "arn:aws:iam::aws:policy/AWSBackupServiceRolePolicyForS3Restore"
)

type doctorMoto struct {
	m  awstest.Moto
	ep string
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

// TestDoctorMoto runs doctor against moto buckets set up to show each of the
// seeds' failure modes. moto runs with MOTO_IAM_LOAD_MANAGED_POLICIES=true so
// that AWS's managed policies exist and can be attached by their real ARNs.
// It uses a moto of its own: the shared one may have been started without
// that variable.
func TestDoctorMoto(t *testing.T) {
	t.Setenv("MOTO_IAM_LOAD_MANAGED_POLICIES", "true") // inherited by moto_server
	ep := awstest.StartMoto(t)
	awstest.MotoEnv(t, ep)
	aws := doctorLoopback(t)
	d := doctorMoto{m: awstest.Moto{Endpoint: ep}, ep: ep}

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
		reps, errOut, code := doctorRun(t, aws, "--bucket", b, "--role-name", "doctor-good")
		if code != exitOK || len(reps) != 1 {
			t.Fatalf("exit %d, want 0; stderr %s; %+v", code, errOut, reps)
		}
		wantStatuses(t, reps[0], nil, lenient...)
		if c := findCheck(t, reps[0], "backup-role"); !strings.Contains(c.Detail, "AWSBackupServiceRolePolicyForS3Restore") {
			t.Errorf("backup-role detail: %s", c.Detail)
		}
	})

	t.Run("healthy with a TLS-only policy", func(t *testing.T) {
		b := d.healthyBucket(t, "doctor-healthy-policy")
		d.m.PutBucketPolicy(t, b, fmt.Sprintf(`{"Version":"2012-10-17","Statement":[{"Sid":"TLSOnly","Effect":"Deny","Principal":"*","Action":"s3:*",
"Resource":["arn:aws:s3:::%[1]s","arn:aws:s3:::%[1]s/*"],"Condition":{"Bool":{"aws:SecureTransport":"false"}}}]}`, b))
		reps, errOut, code := doctorRun(t, aws, "--bucket", b, "--role-name", "doctor-good")
		if code != exitOK {
			t.Fatalf("exit %d, want 0; stderr %s; %+v", code, errOut, reps)
		}
		wantStatuses(t, reps[0], nil, lenient...)
	})

	t.Run("policy exempting the role but not the console's reads", func(t *testing.T) {
		b := d.healthyBucket(t, "doctor-exempting-policy")
		d.m.PutBucketPolicy(t, b, vpceOnly(b, fmt.Sprintf(`"StringNotLike": {"aws:userid": "%s:*"}`, goodID)))
		reps, _, code := doctorRun(t, aws, "--bucket", b, "--role-name", "doctor-good")
		if code != exitChanges {
			t.Fatalf("exit %d, want 2", code)
		}
		wantStatuses(t, reps[0], map[string]string{"bucket-policy": checkFail}, lenient...)
		if c := findCheck(t, reps[0], "bucket-policy"); !strings.Contains(c.Detail, "s3:GetBucketVersioning") {
			t.Errorf("bucket-policy: %s", c.Detail)
		}
	})

	t.Run("versioning off (seed 000)", func(t *testing.T) {
		b := "doctor-unversioned"
		d.m.CreateBucket(t, b, "")
		d.setOwnership(t, b, s3types.ObjectOwnershipBucketOwnerEnforced)
		reps, _, code := doctorRun(t, aws, "--bucket", b, "--role-name", "doctor-good")
		if code != exitChanges {
			t.Fatalf("exit %d, want 2", code)
		}
		wantStatuses(t, reps[0], map[string]string{"versioning": checkFail}, lenient...)
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
		reps, _, code := doctorRun(t, aws, "--bucket", b, "--role-name", "doctor-good")
		if code != exitChanges {
			t.Fatalf("exit %d, want 2", code)
		}
		wantStatuses(t, reps[0], map[string]string{"versioning": checkFail}, lenient...)
	})

	t.Run("role lacks the S3 policies (seed 002)", func(t *testing.T) {
		b := d.healthyBucket(t, "doctor-role-policies")
		for role, missing := range map[string][]string{
			"doctor-backup-only": {"AWSBackupServiceRolePolicyForS3Restore"},
			"doctor-no-policies": {"AWSBackupServiceRolePolicyForS3Backup", "AWSBackupServiceRolePolicyForS3Restore"},
		} {
			reps, _, code := doctorRun(t, aws, "--bucket", b, "--role-name", role)
			if code != exitChanges {
				t.Fatalf("%s: exit %d, want 2", role, code)
			}
			wantStatuses(t, reps[0], map[string]string{"backup-role": checkFail}, lenient...)
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
		reps, _, code := doctorRun(t, aws, "--bucket", b, "--role-name", "doctor-no-such-role")
		if code != exitChanges {
			t.Fatalf("exit %d, want 2", code)
		}
		wantStatuses(t, reps[0], map[string]string{"backup-role": checkFail}, lenient...)
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
		reps, _, code := doctorRun(t, aws, "--bucket", b, "--role-name", "doctor-good")
		if code != exitChanges {
			t.Fatalf("exit %d, want 2", code)
		}
		wantStatuses(t, reps[0], map[string]string{"bucket-policy": checkFail}, lenient...)
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
		reps, _, code := doctorRun(t, aws, "--bucket", b, "--role-name", "doctor-recreated")
		if code != exitChanges {
			t.Fatalf("exit %d, want 2", code)
		}
		wantStatuses(t, reps[0], map[string]string{"bucket-policy": checkFail, "stale-role-id": checkFail}, lenient...)
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
		reps, _, code := doctorRun(t, aws, "--bucket", b, "--role-name", "doctor-good")
		if code != exitChanges {
			t.Fatalf("exit %d, want 2", code)
		}
		wantStatuses(t, reps[0], map[string]string{"object-ownership": checkFail}, lenient...)
		c := findCheck(t, reps[0], "object-ownership")
		if !strings.Contains(c.Detail, "ObjectWriter") || !strings.Contains(c.Fix, "ObjectOwnership=BucketOwnerEnforced") {
			t.Errorf("object-ownership: %+v", c)
		}
	})

	t.Run("missing bucket", func(t *testing.T) {
		good := d.healthyBucket(t, "doctor-present")
		reps, errOut, code := doctorRun(t, aws, "--bucket", good, "--bucket", "doctor-no-such-bucket", "--role-name", "doctor-good")
		if code != exitError {
			t.Fatalf("exit %d, want 1", code)
		}
		if len(reps) != 2 || reps[1].Error == "" || !strings.Contains(reps[1].Error, "does not exist") || len(reps[0].Checks) != 7 {
			t.Errorf("reports: %+v", reps)
		}
		if !strings.Contains(errOut, "doctor-no-such-bucket") {
			t.Errorf("stderr: %s", errOut)
		}
	})

	t.Run("text output", func(t *testing.T) {
		b := "doctor-text"
		d.m.CreateBucket(t, b, "")
		d.m.PutBucketPolicy(t, b, vpceOnly(b, ""))
		out, _, code := harness{aws: aws}.run(t, "", "doctor", "--bucket", b, "--role-name", "doctor-backup-only")
		t.Logf("fixpolicy doctor --bucket %s --role-name doctor-backup-only\n%s", b, out)
		if code != exitChanges {
			t.Fatalf("exit %d, want 2\n%s", code, out)
		}
		for _, want := range []string{"s3://" + b, "FAIL  versioning", "FAIL  backup-role", "fix: aws s3api put-bucket-versioning", "failed"} {
			if !strings.Contains(out, want) {
				t.Errorf("text output lacks %q:\n%s", want, out)
			}
		}
	})
}

// doctorLoopback makes the CLI build its clients from its flags and the
// environment, but with an HTTP client that reaches only 127.0.0.1.
func doctorLoopback(t *testing.T) clientFactory {
	t.Helper()
	return liveClients(t, nil)
}

// ---- FaultServer ----

// doctorFault returns a FaultServer with a healthy bucket and backup role,
// and points the CLI at it.
func doctorFault(t *testing.T) (*awstest.FaultServer, awstest.Role, clientFactory) {
	t.Helper()
	fs := awstest.NewFaultServer(t)
	aws := faultClients(t, fs)
	fs.CreateBucket("b", "")
	fs.UpdateBucket("b", func(b *awstest.Bucket) { b.Versioning, b.ObjectOwnership = "Enabled", "BucketOwnerEnforced" })
	role := fs.AddBackupRole()
	fs.AttachRolePolicy(role.Name, s3BackupPolicy)
	fs.AttachRolePolicy(role.Name, s3RestorePolicy)
	return fs, role, aws
}

// faultClients points the CLI at fs, with new clients for each run (the
// clients remember the caller's identity).
func faultClients(t *testing.T, fs *awstest.FaultServer) clientFactory {
	t.Helper()
	awstest.TestEnv(t)
	opts := fs.Options()
	return func(ctx context.Context, _ awsapi.Options) (*awsapi.Clients, error) { return awsapi.New(ctx, opts) }
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

func TestDoctorFaultHealthy(t *testing.T) {
	fs, _, aws := doctorFault(t)
	reps, errOut, code := doctorRun(t, aws, "--bucket", "b")
	if code != exitOK {
		t.Fatalf("exit %d, want 0: %s %+v", code, errOut, reps)
	}
	wantStatuses(t, reps[0], nil)
	assertNoWrites(t, fs)
}

func TestDoctorFaultAccessDenied(t *testing.T) {
	fs, _, aws := doctorFault(t)
	fs.SetPolicy("b", vpceOnly("b", ""))
	for _, op := range []string{"s3:GetBucketVersioning", "s3:GetBucketPolicy", "s3:GetBucketOwnershipControls", "s3:GetBucketEncryption", "iam:ListAttachedRolePolicies"} {
		code := "AccessDenied"
		if strings.HasPrefix(op, "iam:") {
			code = "AccessDenied"
		}
		fs.Fail(op, awstest.Fault{Status: http.StatusForbidden, Code: code})
	}
	reps, errOut, code := doctorRun(t, aws, "--bucket", "b")
	if code != exitOK {
		t.Fatalf("could-not-check alone must exit 0, got %d: %s", code, errOut)
	}
	wantStatuses(t, reps[0], map[string]string{
		"versioning": checkUnsure, "backup-role": checkUnsure, "bucket-policy": checkUnsure, "stale-role-id": checkUnsure,
		"object-ownership": checkUnsure, "kms-key": checkUnsure, "caller-access": checkUnsure,
	})
	for id, perm := range map[string]string{
		"versioning": "s3:GetBucketVersioning", "bucket-policy": "s3:GetBucketPolicy", "object-ownership": "s3:GetBucketOwnershipControls",
		"kms-key": "s3:GetEncryptionConfiguration", "backup-role": "iam:ListAttachedRolePolicies",
	} {
		if c := findCheck(t, reps[0], id); !strings.Contains(c.Detail, "needs permission "+perm) {
			t.Errorf("%s: detail does not name %s: %s", id, perm, c.Detail)
		}
	}
	assertNoWrites(t, fs)
}

func TestDoctorFaultMissingBucket(t *testing.T) {
	fs, _, aws := doctorFault(t)
	reps, errOut, code := doctorRun(t, aws, "--bucket", "nope")
	if code != exitError || len(reps) != 1 || !strings.Contains(reps[0].Error, `bucket "nope" does not exist`) {
		t.Fatalf("exit %d, stderr %s, %+v", code, errOut, reps)
	}
	assertNoWrites(t, fs)
}

func TestDoctorFaultNoCredentials(t *testing.T) {
	fs := awstest.NewFaultServer(t)
	aws := faultClients(t, fs)
	fs.Fail("sts:GetCallerIdentity", awstest.Fault{Status: http.StatusForbidden, Code: "ExpiredToken"})
	_, errOut, code := doctorRun(t, aws, "--bucket", "b")
	if code != exitError || !strings.Contains(errOut, "expired") {
		t.Fatalf("exit %d, stderr %s", code, errOut)
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

func TestDoctorFaultKMS(t *testing.T) {
	cases := []struct {
		name, policy, want string
	}{
		{"root delegation", keyPolicy(rootDelegation), checkPass},
		{"names the role", keyPolicy(adminOnly, `{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::123456789012:role/service-role/AWSBackupDefaultServiceRole"},"Action":["kms:Decrypt","kms:GenerateDataKey*","kms:DescribeKey"],"Resource":"*"}`), checkPass},
		{"only admins", keyPolicy(adminOnly), checkFail},
		{"explicit deny", keyPolicy(rootDelegation, `{"Effect":"Deny","Principal":"*","Action":"kms:Decrypt","Resource":"*","Condition":{"StringNotEquals":{"kms:ViaService":"ec2.us-east-1.amazonaws.com"}}}`), checkFail},
		{"deny on unknown key", keyPolicy(rootDelegation, `{"Effect":"Deny","Principal":"*","Action":"kms:Decrypt","Resource":"*","Condition":{"StringNotEquals":{"aws:PrincipalTag/team":"backup"}}}`), checkUnsure},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			fs, _, aws := doctorFault(t)
			fs.UpdateBucket("b", func(b *awstest.Bucket) { b.SSEAlgorithm, b.KMSKeyID = "aws:kms", kmsKeyARN })
			fs.SetKeyPolicy(kmsKeyARN, tc.policy)
			reps, errOut, code := doctorRun(t, aws, "--bucket", "b")
			want := exitOK
			if tc.want == checkFail {
				want = exitChanges
			}
			if code != want {
				t.Fatalf("exit %d, want %d: %s", code, want, errOut)
			}
			wantStatuses(t, reps[0], map[string]string{"kms-key": tc.want})
			c := findCheck(t, reps[0], "kms-key")
			t.Logf("kms-key: %s: %s", c.Status, c.Detail)
			if tc.want == checkFail && !strings.Contains(c.Fix, "kms put-key-policy") {
				t.Errorf("kms-key fix: %s", c.Fix)
			}
			assertNoWrites(t, fs)
		})
	}
	t.Run("GetKeyPolicy denied", func(t *testing.T) {
		fs, _, aws := doctorFault(t)
		fs.UpdateBucket("b", func(b *awstest.Bucket) { b.SSEAlgorithm, b.KMSKeyID = "aws:kms", kmsKeyARN })
		fs.Fail("kms:GetKeyPolicy", awstest.Fault{Status: http.StatusBadRequest, Code: "AccessDeniedException"})
		reps, _, code := doctorRun(t, aws, "--bucket", "b")
		if code != exitOK {
			t.Fatalf("exit %d, want 0", code)
		}
		c := findCheck(t, reps[0], "kms-key")
		if c.Status != checkUnsure || !strings.Contains(c.Detail, "kms:GetKeyPolicy") {
			t.Errorf("kms-key: %+v", c)
		}
	})
	t.Run("SSE-S3 and the AWS managed key", func(t *testing.T) {
		fs, _, aws := doctorFault(t)
		for _, algo := range []string{"AES256", "aws:kms"} {
			fs.UpdateBucket("b", func(b *awstest.Bucket) { b.SSEAlgorithm, b.KMSKeyID = algo, "" })
			reps, _, _ := doctorRun(t, aws, "--bucket", "b")
			if c := findCheck(t, reps[0], "kms-key"); c.Status != checkPass {
				t.Errorf("%s: %+v", algo, c)
			}
		}
		if fs.Count("kms:GetKeyPolicy") != 0 {
			t.Errorf("read a key policy for a bucket without a customer managed key")
		}
	})
}

func TestDoctorFaultCallerLockout(t *testing.T) {
	fs, role, aws := doctorFault(t)
	// Seed 000: only through the VPC endpoint. The caller (a user, outside
	// the endpoint) would be denied s3:PutBucketPolicy after the patch too.
	fs.SetPolicy("b", vpceOnly("b", ""))
	reps, _, code := doctorRun(t, aws, "--bucket", "b")
	if code != exitChanges { // bucket-policy fails
		t.Fatalf("exit %d, want 2", code)
	}
	wantStatuses(t, reps[0], map[string]string{"bucket-policy": checkFail, "caller-access": checkWarn})
	if b, err := json.Marshal(reps[0]); err == nil {
		t.Logf("doctor -o json:\n%s", b)
	}
	if c := findCheck(t, reps[0], "caller-access"); !strings.Contains(c.Detail, "arn:aws:iam::123456789012:user/tester") || !strings.Contains(c.Detail, "root") {
		t.Errorf("caller-access: %s", c.Detail)
	}

	// An assumed-role session exempted by its role ARN (with path, looked up).
	fs.AddRole("Admin", "/ops/", "")
	fs.SetCaller(awstest.Caller{Account: awstest.DefaultAccount, Arn: "arn:aws:sts::123456789012:assumed-role/Admin/alice", UserID: "AROAFAKEADMIN0000001:alice"})
	fs.SetPolicy("b", vpceOnly("b", fmt.Sprintf(`"StringNotLike": {"aws:userid": "%s:*"}, "ArnNotLike": {"aws:PrincipalArn": "arn:aws:iam::123456789012:role/ops/Admin"}`, role.RoleID)))
	reps, _, _ = doctorRun(t, aws, "--bucket", "b")
	if c := findCheck(t, reps[0], "caller-access"); c.Status != checkPass {
		t.Errorf("caller-access for an exempted session: %+v", c)
	}

	// The account root is never locked out.
	fs.SetCaller(awstest.Caller{Account: awstest.DefaultAccount, Arn: "arn:aws:iam::123456789012:root", UserID: "123456789012"})
	fs.SetPolicy("b", vpceOnly("b", ""))
	reps, _, _ = doctorRun(t, aws, "--bucket", "b")
	if c := findCheck(t, reps[0], "caller-access"); c.Status != checkPass {
		t.Errorf("caller-access for root: %+v", c)
	}
	assertNoWrites(t, fs)
}

func TestDoctorFaultStaleRoleIDInPrincipal(t *testing.T) {
	fs, role, aws := doctorFault(t)
	fs.SetPolicy("b", `{"Version":"2012-10-17","Statement":[{"Sid":"Old","Effect":"Allow","Principal":{"AWS":"AROAOLDDELETEDROLE0001"},"Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*"},
{"Sid":"Cur","Effect":"Deny","Principal":"*","Action":"s3:DeleteBucket","Resource":"arn:aws:s3:::b","Condition":{"StringNotLike":{"aws:userid":["`+role.RoleID+`:*"]}}}]}`)
	reps, _, code := doctorRun(t, aws, "--bucket", "b")
	if code != exitChanges {
		t.Fatalf("exit %d, want 2", code)
	}
	wantStatuses(t, reps[0], map[string]string{"stale-role-id": checkFail})
	c := findCheck(t, reps[0], "stale-role-id")
	if !strings.Contains(c.Detail, "AROAOLDDELETEDROLE0001") || strings.Contains(c.Detail, role.RoleID+":*") {
		t.Errorf("stale-role-id: %s", c.Detail)
	}
}

func TestDoctorUsage(t *testing.T) {
	h := harness{aws: func(context.Context, awsapi.Options) (*awsapi.Clients, error) {
		t.Errorf("a usage error built AWS clients")
		return nil, fmt.Errorf("no")
	}}
	for _, args := range [][]string{
		{"doctor"},
		{"doctor", "--bucket", "s3://x"},
		{"doctor", "--bucket", "x", "-o", "sarif"},
		{"doctor", "--bucket", "x", "--account-id", "12"},
		{"doctor", "--bucket", "x", "--role-id", "AIDAXXXXXXXXXXXXXXXX"},
	} {
		if _, errOut, code := h.run(t, "", args...); code != exitError || errOut == "" {
			t.Errorf("%v: exit %d, stderr %q", args, code, errOut)
		}
	}
	out, _, code := h.run(t, "", "doctor", "--help")
	if code != exitOK || !strings.Contains(out, "could-not-check") || !strings.Contains(out, "Exit codes") {
		t.Errorf("help (exit %d):\n%s", code, out)
	}
}
