package doctor_test

// doctor --fix against the fault server: each write denied, a key policy
// edited between the plan and the write, throttling, a permissions
// boundary.

import (
	"context"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/fixpolicy/fixpolicy/awsapi/doctor"
	"github.com/fixpolicy/fixpolicy/awsapi/internal/awstest"
)

// fb is the broken bucket.
const fb = "fix-broken"

const adminKeyPolicy = `{"Version":"2012-10-17","Statement":[{"Sid":"Admins","Effect":"Allow","Principal":{"AWS":"arn:aws:iam::123456789012:user/tester"},"Action":"kms:*","Resource":"*"}]}`

// brokenBucket sets up bucket fb with every seed's failure: versioning
// off, the backup role without its S3 policies, a VPC-endpoint-only
// policy, ObjectWriter ownership and a key policy that shuts the role out.
func brokenBucket(t *testing.T) *awstest.FaultServer {
	t.Helper()
	fs := awstest.NewFaultServer(t)
	fs.AddBackupRole()
	fs.CreateBucket(fb, "")
	fs.SetPolicy(fb, vpceOnly(fb, ""))
	fs.UpdateBucket(fb, func(b *awstest.Bucket) {
		b.ObjectOwnership, b.SSEAlgorithm, b.KMSKeyID = "ObjectWriter", "aws:kms", kmsKeyARN
	})
	fs.SetKeyPolicy(kmsKeyARN, adminKeyPolicy)
	return fs
}

func faultPlan(t *testing.T, fs *awstest.FaultServer) *doctor.Plan {
	t.Helper()
	ctx := context.Background()
	cl := fs.Clients()
	d, err := doctor.New(ctx, doctor.FromClients(cl), doctor.Options{})
	if err != nil {
		t.Fatal(err)
	}
	p, err := d.Plan(ctx, doctor.FixerFromClients(cl), fb, doctor.FixOptions{FixOwnership: true, BackupDir: t.TempDir()})
	if err != nil {
		t.Fatalf("Plan: %v", err)
	}
	if len(p.Steps) != 5 || p.Steps[0].Status != doctor.Planned {
		t.Fatalf("plan: %+v", stepIDs(p))
	}
	return p
}

func step(t *testing.T, p *doctor.Plan, id string) *doctor.Step {
	t.Helper()
	for _, s := range p.Steps {
		if s.ID == id {
			return s
		}
	}
	t.Fatalf("no step %s", id)
	return nil
}

// unchanged checks that the part of fb a step writes is as brokenBucket
// left it.
func unchanged(t *testing.T, fs *awstest.FaultServer, id string) {
	t.Helper()
	b, _ := fs.BucketState(fb)
	role, _ := fs.Role("AWSBackupDefaultServiceRole")
	key, _ := fs.KeyPolicy(kmsKeyARN)
	ok := map[string]bool{
		"versioning":       b.Versioning == "",
		"object-ownership": b.ObjectOwnership == "ObjectWriter",
		"bucket-policy":    b.Policy == vpceOnly(fb, ""),
		"backup-role":      len(role.AttachedPolicies) == 0,
		"kms-key":          key == adminKeyPolicy,
	}[id]
	if !ok {
		t.Errorf("%s was changed: bucket %+v, role %+v, key %s", id, b, role, key)
	}
}

func TestFixFaultAccessDenied(t *testing.T) {
	for _, tc := range []struct{ id, op, code, perm string }{
		{"versioning", "s3:PutBucketVersioning", "AccessDenied", "s3:PutBucketVersioning on arn:aws:s3:::" + fb},
		{"backup-role", "iam:AttachRolePolicy", "AccessDenied", "iam:AttachRolePolicy on that role"},
		{"bucket-policy", "s3:PutBucketPolicy", "AccessDenied", "s3:PutBucketPolicy on arn:aws:s3:::" + fb},
		{"object-ownership", "s3:PutBucketOwnershipControls", "AccessDenied", "s3:PutBucketOwnershipControls on arn:aws:s3:::" + fb},
		{"kms-key", "kms:PutKeyPolicy", "AccessDeniedException", "kms:PutKeyPolicy on " + kmsKeyARN},
	} {
		t.Run(tc.op, func(t *testing.T) {
			fs := brokenBucket(t)
			p := faultPlan(t, fs)
			fs.Fail(tc.op, awstest.Fault{Status: http.StatusForbidden, Code: tc.code})
			p.Apply(context.Background())
			for _, s := range p.Steps {
				if s.ID != tc.id && s.Status != doctor.Done {
					t.Errorf("step %s: %s: %s", s.ID, s.Status, s.Error)
				}
			}
			s := step(t, p, tc.id)
			if s.Status != doctor.Failed || !strings.Contains(s.Error, "the caller needs permission "+tc.perm) || strings.Count(s.Error, "\n") > 0 {
				t.Errorf("step %s: %s: %q", s.ID, s.Status, s.Error)
			}
			if s.Backup == "" {
				t.Errorf("step %s wrote no backup before the write", s.ID)
			}
			if !strings.Contains(strings.Join(s.Outcome, "\n"), `the account's administrators can allow it with {"Statement":[{"Action":"`+strings.Fields(tc.perm)[0]) {
				t.Errorf("step %s: no grant note: %q", s.ID, s.Notes)
			}
			unchanged(t, fs, tc.id)
		})
	}
}

func TestFixFaultDeniedBySCP(t *testing.T) {
	fs := brokenBucket(t)
	p := faultPlan(t, fs)
	fs.Fail("s3:PutBucketVersioning", awstest.Fault{Status: http.StatusForbidden, Code: "AccessDenied",
		Message: "User: arn:aws:iam::123456789012:user/tester is not authorized to perform: s3:PutBucketVersioning on resource: \"arn:aws:s3:::fix-broken\" with an explicit deny in a service control policy: arn:aws:organizations::111122223333:policy/o-abc/service_control_policy/p-deny"})
	p.Apply(context.Background())
	notes := strings.Join(step(t, p, "versioning").Outcome, "\n")
	if !strings.Contains(notes, "service control policy (SCP) of the organization denies it (arn:aws:organizations::111122223333:policy/o-abc/service_control_policy/p-deny)") {
		t.Errorf("notes: %s", notes)
	}
}

func TestFixFaultSecondAttachDenied(t *testing.T) {
	fs := brokenBucket(t)
	p := faultPlan(t, fs)
	// Faults are picked before hooks run: this one applies to the second attach.
	fs.OnRequest("iam:AttachRolePolicy", 1, func() {
		fs.Fail("iam:AttachRolePolicy", awstest.Fault{Status: http.StatusForbidden, Code: "AccessDenied", Times: 1})
	})
	p.Apply(context.Background())
	s := step(t, p, "backup-role")
	if s.Status != doctor.Failed || !strings.Contains(s.Error, "was detached again and the role is as it was") {
		t.Errorf("backup-role: %s: %s", s.Status, s.Error)
	}
	unchanged(t, fs, "backup-role")
	if n := fs.Count("iam:DetachRolePolicy"); n != 1 {
		t.Errorf("%d detaches, want 1", n)
	}
}

func TestFixFaultKeyPolicyChanged(t *testing.T) {
	fs := brokenBucket(t)
	p := faultPlan(t, fs)
	edited := strings.Replace(adminKeyPolicy, "Admins", "Admins2", 1)
	// The plan read the key policy once; someone edits it before the re-read.
	fs.OnRequest("kms:GetKeyPolicy", 2, func() { fs.SetKeyPolicy(kmsKeyARN, edited) })
	p.Apply(context.Background())
	s := step(t, p, "kms-key")
	if s.Status != doctor.Failed || !strings.Contains(s.Error, "changed since it was read") || !strings.Contains(s.Error, "nothing was written") {
		t.Errorf("kms-key: %s: %s", s.Status, s.Error)
	}
	if n := fs.Count("kms:PutKeyPolicy"); n != 0 {
		t.Errorf("%d kms:PutKeyPolicy calls after the key policy changed", n)
	}
	if got, _ := fs.KeyPolicy(kmsKeyARN); got != edited {
		t.Errorf("key policy %s, want the edited one", got)
	}
}

func TestFixFaultThrottled(t *testing.T) {
	t.Run("once: retried", func(t *testing.T) {
		fs := brokenBucket(t)
		p := faultPlan(t, fs)
		fs.Fail("kms:PutKeyPolicy", awstest.Fault{Status: http.StatusBadRequest, Code: "ThrottlingException", Times: 1})
		p.Apply(context.Background())
		if s := step(t, p, "kms-key"); s.Status != doctor.Done {
			t.Errorf("kms-key: %s: %s", s.Status, s.Error)
		}
	})
	t.Run("always: the step fails, the others are done", func(t *testing.T) {
		fs := brokenBucket(t)
		p := faultPlan(t, fs)
		fs.Fail("s3:PutBucketVersioning", awstest.Fault{Status: http.StatusServiceUnavailable, Code: "SlowDown"})
		p.Apply(context.Background())
		s := step(t, p, "versioning")
		if s.Status != doctor.Failed || !strings.Contains(s.Error, "throttled") || !strings.Contains(s.Error, "versioning is unchanged") {
			t.Errorf("versioning: %s: %s", s.Status, s.Error)
		}
		unchanged(t, fs, "versioning")
		if n := len(slices.DeleteFunc(slices.Clone(p.Steps), func(s *doctor.Step) bool { return s.Status == doctor.Done })); n != 1 {
			t.Errorf("%d steps not done, want 1", n)
		}
	})
}

func TestFixFaultBoundary(t *testing.T) {
	fs := brokenBucket(t)
	const boundary = "arn:aws:iam::123456789012:policy/ReadOnlyBoundary"
	fs.SetManagedPolicy(boundary, `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["s3:Get*","s3:List*","kms:*"],"Resource":"*"}]}`)
	fs.SetBoundary("AWSBackupDefaultServiceRole", boundary)
	ctx := context.Background()
	cl := fs.Clients()
	d, err := doctor.New(ctx, doctor.FromClients(cl), doctor.Options{})
	if err != nil {
		t.Fatal(err)
	}
	p, err := d.Plan(ctx, doctor.FixerFromClients(cl), fb, doctor.FixOptions{BackupDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	s := step(t, p, "backup-role")
	if s.Status != doctor.Manual || !strings.Contains(s.Action, boundary) || !strings.Contains(s.Action, "does not allow") || !strings.Contains(s.Action, "s3:PutObject") {
		t.Errorf("backup-role: %s: %s", s.Status, s.Action)
	}
	if strings.Contains(s.Action, "s3:GetObject,") {
		t.Errorf("the boundary allows s3:GetObject: %s", s.Action)
	}
}

func TestFixFaultVaultPermissionsUnchecked(t *testing.T) {
	fs := awstest.NewFaultServer(t)
	fs.AddBackupRole()
	fs.AttachRolePolicy("AWSBackupDefaultServiceRole", "arn:aws:iam::aws:policy/AWSBackupServiceRolePolicyForS3Backup")
	fs.AttachRolePolicy("AWSBackupDefaultServiceRole", "arn:aws:iam::aws:policy/AWSBackupServiceRolePolicyForS3Restore")
	fs.CreateBucket(fb, "")
	fs.SetVersioning(fb, "Enabled")
	fs.UpdateBucket(fb, func(b *awstest.Bucket) { b.ObjectOwnership = "BucketOwnerEnforced" })
	fs.Fail("iam:SimulatePrincipalPolicy", awstest.Fault{Status: http.StatusForbidden, Code: "AccessDenied"})
	ctx := context.Background()
	cl := fs.Clients()
	d, err := doctor.New(ctx, doctor.FromClients(cl), doctor.Options{})
	if err != nil {
		t.Fatal(err)
	}
	p, err := d.Plan(ctx, doctor.FixerFromClients(cl), fb, doctor.FixOptions{BackupDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	if len(p.Steps) != 1 || p.Steps[0].Status != doctor.Unchecked || !strings.Contains(p.Steps[0].Action, "iam:SimulatePrincipalPolicy") {
		t.Fatalf("steps: %+v", p.Steps)
	}
	if p.NeedsFixing() || p.Pending() {
		t.Errorf("a vault check that could not run counts as something to fix")
	}
}

// TestFixFaultExpiredCredentials: a failure no later step can get past
// (credentials expired mid-run) skips the rest instead of failing each.
func TestFixFaultExpiredCredentials(t *testing.T) {
	fs := brokenBucket(t)
	p := faultPlan(t, fs)
	fs.Fail("s3:PutBucketVersioning", awstest.Fault{Status: http.StatusBadRequest, Code: "ExpiredToken"})
	p.Apply(context.Background())
	if s := step(t, p, "versioning"); s.Status != doctor.Failed || !strings.Contains(s.Error, "expired") {
		t.Errorf("versioning: %s: %s", s.Status, s.Error)
	}
	for _, s := range p.Steps[1:] {
		if s.Status != doctor.Skipped || !strings.Contains(strings.Join(s.Outcome, " "), "not run: step versioning failed") {
			t.Errorf("step %s: %s %q", s.ID, s.Status, s.Outcome)
		}
	}
	for _, id := range []string{"backup-role", "bucket-policy", "object-ownership", "kms-key"} {
		unchanged(t, fs, id)
	}
}

// TestFixFaultAttachTimedOutButDone: an attach whose reply is lost after IAM
// stored it counts as done once the role is read back.
func TestFixFaultAttachTimedOutButDone(t *testing.T) {
	fs := brokenBucket(t)
	p := faultPlan(t, fs)
	fs.OnRequest("iam:AttachRolePolicy", 1, func() {
		fs.AttachRolePolicy("AWSBackupDefaultServiceRole", "arn:aws:iam::aws:policy/AWSBackupServiceRolePolicyForS3Backup")
	})
	fs.Fail("iam:AttachRolePolicy", awstest.Fault{Status: http.StatusInternalServerError, Code: "ServiceFailure", Times: 3})
	p.Apply(context.Background())
	s := step(t, p, "backup-role")
	if s.Status != doctor.Done || !strings.Contains(strings.Join(s.Outcome, "\n"), "but the role read back has it attached") {
		t.Errorf("backup-role: %s: %s %q", s.Status, s.Error, s.Outcome)
	}
	if r, _ := fs.Role("AWSBackupDefaultServiceRole"); len(r.AttachedPolicies) != 2 {
		t.Errorf("attached: %v", r.AttachedPolicies)
	}
}

// TestFixRoleOfTheBackupPlan: the role is changed only if it is the one
// the backup plans assign the bucket to (or no plan says otherwise).
func TestFixRoleOfTheBackupPlan(t *testing.T) {
	const ours = "arn:aws:iam::123456789012:role/service-role/AWSBackupDefaultServiceRole"
	for _, tc := range []struct {
		name   string
		sel    *awstest.BackupSelection
		fail   bool
		status string
		want   string
	}{
		{"no plan", nil, false, doctor.Planned, "no backup plan assigns s3://" + fb + " yet"},
		{"plan with this role", &awstest.BackupSelection{Plan: "daily", Name: "buckets", RoleARN: ours, Resources: []string{"arn:aws:s3:::fix-*"}}, false,
			doctor.Planned, "the backup plan daily (selection buckets, role " + ours + ") assigns s3://" + fb + " to this role"},
		{"plan with another role", &awstest.BackupSelection{Plan: "daily", Name: "all", RoleARN: "arn:aws:iam::123456789012:role/PlanRole", Resources: []string{"arn:aws:s3:::*"}}, false,
			doctor.Manual, "assigns s3://" + fb + ", but with another role than " + ours + ": pass that role with --role-name"},
		{"plans not readable", nil, true, doctor.Planned, "the backup plans could not be read (access denied calling backup:ListBackupPlans"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			fs := brokenBucket(t)
			if tc.sel != nil {
				fs.AddBackupSelection(*tc.sel)
			}
			if tc.fail {
				fs.Fail("backup:ListBackupPlans", awstest.Fault{Status: http.StatusForbidden, Code: "AccessDeniedException"})
			}
			ctx := context.Background()
			cl := fs.Clients()
			d, err := doctor.New(ctx, doctor.FromClients(cl), doctor.Options{})
			if err != nil {
				t.Fatal(err)
			}
			p, err := d.Plan(ctx, doctor.FixerFromClients(cl), fb, doctor.FixOptions{BackupDir: t.TempDir()})
			if err != nil {
				t.Fatal(err)
			}
			s := step(t, p, "backup-role")
			if text := s.Action + " " + strings.Join(s.Notes, " "); s.Status != tc.status || !strings.Contains(text, tc.want) {
				t.Errorf("backup-role: %s: %s", s.Status, text)
			}
			// The steps that grant the role access follow its fate.
			for _, id := range []string{"bucket-policy", "kms-key"} {
				g := step(t, p, id)
				if tc.status == doctor.Manual && (g.Status != doctor.Manual || !strings.Contains(g.Action, "would grant access to a role AWS Backup does not use")) ||
					tc.status == doctor.Planned && g.Status != doctor.Planned {
					t.Errorf("%s: %s: %s", id, g.Status, g.Action)
				}
			}
		})
	}
}
