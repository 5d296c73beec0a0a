package doctor_test

// Golden plans: doctor --fix's plan for each seed's situation, on the fault
// server (fixed RoleIds and key ARNs, so the plans are stable), compared
// with fixtures/doctor-*/plan.txt and plan.json. go test ./awsapi/doctor
// -run TestGoldenPlans -update rewrites them.

import (
	"bytes"
	"context"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/fixpolicy/fixpolicy/awsapi/doctor"
	"github.com/fixpolicy/fixpolicy/awsapi/internal/awstest"
)

// officeIP is seed 001's policy (fixtures/seed001-office-ip).
const officeIP = `{ "Version": "2012-10-17", "Statement": [ { "Sid": "SourceIPRestriction001", "Effect": "Deny", "Principal": "*", "Action": "s3:*", "Resource": [ "arn:aws:s3:::awsbackup-test-001", "arn:aws:s3:::awsbackup-test-001/*" ], "Condition": { "NotIpAddress": { "aws:SourceIp": [ "192.0.2.0/24", "203.0.113.0/24" ] } } } ] }`

var update = flag.Bool("update", false, "rewrite the golden plans under fixtures/doctor-*/")

func TestGoldenPlans(t *testing.T) {
	denyNotViaEC2 := keyPolicy(rootDelegation, `{"Sid":"OnlyViaEC2","Effect":"Deny","Principal":"*","Action":"kms:*","Resource":"*","Condition":{"StringNotEquals":{"kms:ViaService":"ec2.us-east-1.amazonaws.com"}}}`)
	for _, tc := range []struct {
		dir       string
		ownership bool
		setup     func(fs *awstest.FaultServer)
	}{
		{"doctor-seed000-vpce-unversioned", false, func(fs *awstest.FaultServer) {
			fs.SetPolicy(fb, vpceOnly(fb, ""))
			fs.SetVersioning(fb, "")
		}},
		{"doctor-seed001-office-ip", false, func(fs *awstest.FaultServer) {
			fs.SetPolicy(fb, strings.ReplaceAll(officeIP, "awsbackup-test-001", fb))
		}},
		{"doctor-seed002-role-policies", false, func(fs *awstest.FaultServer) {}},
		{"doctor-seed003-key-policy", false, func(fs *awstest.FaultServer) {
			fs.UpdateBucket(fb, func(b *awstest.Bucket) { b.SSEAlgorithm, b.KMSKeyID = "aws:kms", kmsKeyARN })
			fs.SetKeyPolicy(kmsKeyARN, denyNotViaEC2)
		}},
		{"doctor-seed003-vault-permissions", false, func(fs *awstest.FaultServer) {
			fs.SetVersioning(fb, "")
			fs.SetSimulation("backup-storage:MountCapsule", awstest.Simulation{Decision: "explicitDeny", DeniedBySCP: true})
			fs.SetSimulation("kms:CreateGrant", awstest.Simulation{Decision: "implicitDeny", DeniedByBoundary: true})
			fs.SetSimulation("backup:CreateBackupVault", awstest.Simulation{Decision: "implicitDeny"})
		}},
		{"doctor-seed004-ownership", false, func(fs *awstest.FaultServer) {
			fs.UpdateBucket(fb, func(b *awstest.Bucket) { b.ObjectOwnership = "ObjectWriter" })
		}},
		{"doctor-seed004-fix-ownership", true, func(fs *awstest.FaultServer) {
			fs.UpdateBucket(fb, func(b *awstest.Bucket) { b.ObjectOwnership = "" })
		}},
		{"doctor-all-seeds", true, func(fs *awstest.FaultServer) {
			fs.SetPolicy(fb, vpceOnly(fb, ""))
			fs.SetVersioning(fb, "Suspended")
			fs.UpdateBucket(fb, func(b *awstest.Bucket) {
				b.ObjectOwnership, b.SSEAlgorithm, b.KMSKeyID = "ObjectWriter", "aws:kms", kmsKeyARN
			})
			fs.SetKeyPolicy(kmsKeyARN, adminKeyPolicy)
		}},
	} {
		t.Run(tc.dir, func(t *testing.T) {
			fs := awstest.NewFaultServer(t)
			fs.AddBackupRole()
			if !strings.Contains(tc.dir, "seed002") && !strings.Contains(tc.dir, "all-seeds") {
				// Only seed 002's situations lack the role's S3 policies.
				for _, p := range []string{"AWSBackupServiceRolePolicyForS3Backup", "AWSBackupServiceRolePolicyForS3Restore"} {
					fs.AttachRolePolicy("AWSBackupDefaultServiceRole", "arn:aws:iam::aws:policy/"+p)
				}
			}
			fs.CreateBucket(fb, "")
			fs.SetVersioning(fb, "Enabled")
			fs.UpdateBucket(fb, func(b *awstest.Bucket) { b.ObjectOwnership = "BucketOwnerEnforced" })
			tc.setup(fs)
			ctx := context.Background()
			cl := fs.Clients()
			d, err := doctor.New(ctx, doctor.FromClients(cl), doctor.Options{})
			if err != nil {
				t.Fatal(err)
			}
			p, err := d.Plan(ctx, doctor.FixerFromClients(cl), fb, doctor.FixOptions{FixOwnership: tc.ownership, BackupDir: t.TempDir()})
			if err != nil {
				t.Fatal(err)
			}
			if len(p.Steps) == 0 {
				t.Fatalf("nothing planned")
			}
			dir := filepath.Join("../../fixtures", tc.dir)
			for _, f := range []struct{ name, format string }{{"plan.txt", "text"}, {"plan.json", "json"}} {
				var b bytes.Buffer
				if err := p.Print(&b, f.format); err != nil {
					t.Fatal(err)
				}
				golden(t, filepath.Join(dir, f.name), b.Bytes())
			}
			for _, s := range p.Steps {
				if s.Outcome != nil || s.Backup != "" {
					t.Errorf("planning wrote: %+v", s)
				}
			}
			for _, op := range []string{"s3:PutBucketVersioning", "s3:PutBucketPolicy", "s3:PutBucketOwnershipControls", "iam:AttachRolePolicy", "kms:PutKeyPolicy"} {
				if fs.Count(op) != 0 {
					t.Errorf("planning called %s", op)
				}
			}
		})
	}
}

func golden(t *testing.T, path string, got []byte) {
	t.Helper()
	if *update {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test ./awsapi/doctor -run TestGoldenPlans -update to create it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs from the plan (run with -update after checking):\n--- want\n%s\n--- got\n%s", path, want, got)
	}
}
