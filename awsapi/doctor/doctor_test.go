package doctor

import (
	"context"
	"reflect"
	"strings"
	"testing"

	"github.com/fixpolicy/fixpolicy/awsapi"
)

func TestNew(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name    string
		opt     Options
		setup   func(*fakeAWS)
		wantErr string // "" = New succeeds
		check   func(*testing.T, *Doctor, *fakeAWS)
	}{
		{"healthy", Options{}, nil, "", func(t *testing.T, d *Doctor, f *fakeAWS) {
			if d.account != testAccount || d.partition != "aws" || d.roleName != testRole.Name || d.roleID != testRoleID || len(d.attached) != 2 {
				t.Errorf("doctor: %+v", d)
			}
			want := []string{"sts:GetCallerIdentity ", "iam:GetRole AWSBackupDefaultServiceRole", "iam:ListAttachedRolePolicies AWSBackupDefaultServiceRole"}
			if !reflect.DeepEqual(f.calls, want) {
				t.Errorf("calls %q, want %q", f.calls, want)
			}
		}},
		{"expired credentials", Options{AccountID: testAccount}, func(f *fakeAWS) {
			f.errs["sts:GetCallerIdentity"] = apiErr("sts:GetCallerIdentity", "", awsapi.ExpiredToken, "ExpiredToken")
		}, "expired", nil},
		{"cancelled", Options{}, func(f *fakeAWS) {
			f.errs["iam:GetRole"] = apiErr("iam:GetRole", testRole.Name, awsapi.Canceled, "Canceled")
		}, "canceled", nil},
		{"caller denied and no account given", Options{}, func(f *fakeAWS) {
			f.errs["sts:GetCallerIdentity"] = apiErr("sts:GetCallerIdentity", "", awsapi.AccessDenied, "AccessDenied")
		}, "sts:GetCallerIdentity", nil},
		{"caller denied, account given", Options{AccountID: "210987654321"}, func(f *fakeAWS) {
			f.errs["sts:GetCallerIdentity"] = apiErr("sts:GetCallerIdentity", "", awsapi.AccessDenied, "AccessDenied")
		}, "", func(t *testing.T, d *Doctor, _ *fakeAWS) {
			if d.caller != nil || d.callerErr == nil || d.account != "210987654321" {
				t.Errorf("doctor: %+v", d)
			}
		}},
		{"given account and RoleId win", Options{AccountID: "210987654321", RoleID: "AROAGIVENROLEID000001"}, nil, "", func(t *testing.T, d *Doctor, _ *fakeAWS) {
			if d.account != "210987654321" || d.roleID != "AROAGIVENROLEID000001" {
				t.Errorf("doctor: %+v", d)
			}
		}},
		{"role missing: no listing", Options{RoleName: "Nope"}, nil, "", func(t *testing.T, d *Doctor, f *fakeAWS) {
			if !awsapi.IsNotFound(d.roleErr) || d.roleID != "" {
				t.Errorf("doctor: %+v", d)
			}
			for _, c := range f.calls {
				if strings.HasPrefix(c, "iam:ListAttachedRolePolicies") {
					t.Errorf("listed the policies of a missing role")
				}
			}
		}},
		{"assumed-role caller: its role's path", Options{}, func(f *fakeAWS) {
			f.caller = awsapi.Identity{Account: testAccount, Arn: "arn:aws-us-gov:sts::123456789012:assumed-role/Admin/alice"}
			f.roles["Admin"] = awsapi.Role{Name: "Admin", Arn: "arn:aws-us-gov:iam::123456789012:role/ops/Admin"}
		}, "", func(t *testing.T, d *Doctor, _ *fakeAWS) {
			if d.callerRoleARN != "arn:aws-us-gov:iam::123456789012:role/ops/Admin" || d.partition != "aws-us-gov" {
				t.Errorf("doctor: %+v", d)
			}
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			f := newFake()
			if tc.setup != nil {
				tc.setup(f)
			}
			d, err := New(context.Background(), f, tc.opt)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("err %v, want one naming %s", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			tc.check(t, d, f)
		})
	}
}

// ids lists the report's check IDs in order.
func ids(r *Report) []string {
	var out []string
	for _, c := range r.Checks {
		out = append(out, c.ID)
	}
	return out
}

var allChecks = []string{"versioning", "backup-role", "bucket-policy", "stale-role-id", "object-ownership", "kms-key", "caller-access"}

func TestCheck(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name    string
		bucket  string
		setup   func(*fakeAWS)
		wantErr string   // "" = no error
		checks  []string // the checks made
		failed  bool
		region  string // the region of the bucket's calls
	}{
		{"healthy", "b", nil, "", allChecks, false, "us-east-1"},
		{"in its own region", "b", func(f *fakeAWS) { f.buckets["b"].region = "eu-west-1" }, "", allChecks, false, "eu-west-1"},
		{"region unknown", "b", func(f *fakeAWS) {
			f.errs["s3:GetBucketLocation"] = apiErr("s3:GetBucketLocation", "b", awsapi.AccessDenied, "AccessDenied")
		}, "", allChecks, false, "us-east-1"},
		{"failing checks", "b", func(f *fakeAWS) { f.buckets["b"].versioning = "Suspended" }, "", allChecks, true, "us-east-1"},
		{"missing bucket", "nope", nil, "NoSuchBucket", nil, false, ""},
		{"expired mid-way", "b", func(f *fakeAWS) {
			f.errs["s3:GetBucketPolicy"] = apiErr("s3:GetBucketPolicy", "b", awsapi.ExpiredToken, "ExpiredToken")
		}, "expired", []string{"versioning", "backup-role"}, false, "us-east-1"},
		{"deleted mid-way", "b", func(f *fakeAWS) {
			f.errs["s3:GetBucketOwnershipControls"] = apiErr("s3:GetBucketOwnershipControls", "b", awsapi.NotFound, "NoSuchBucket")
		}, "NoSuchBucket", allChecks[:4], false, "us-east-1"},
		{"every read denied", "b", func(f *fakeAWS) {
			for _, op := range []string{"s3:GetBucketVersioning", "s3:GetBucketPolicy", "s3:GetBucketOwnershipControls", "s3:GetBucketEncryption"} {
				f.errs[op] = apiErr(op, "b", awsapi.AccessDenied, "AccessDenied")
			}
		}, "", allChecks, false, "us-east-1"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			f := newFake()
			if tc.setup != nil {
				tc.setup(f)
			}
			d := newDoctor(t, f, Options{})
			f.calls = nil
			r, err := d.Check(context.Background(), tc.bucket)
			switch {
			case tc.wantErr == "" && err != nil:
				t.Fatalf("Check: %v", err)
			case tc.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tc.wantErr)):
				t.Fatalf("err %v, want one naming %s", err, tc.wantErr)
			}
			if r.Bucket != tc.bucket || r.Checks == nil || !reflect.DeepEqual(ids(r), tc.checks) && len(tc.checks)+len(r.Checks) > 0 {
				t.Errorf("report %+v, want the checks %v", r, tc.checks)
			}
			if r.Failed() != tc.failed {
				t.Errorf("Failed() = %v", r.Failed())
			}
			for _, c := range f.calls[1:] {
				if !strings.HasSuffix(c, " @"+tc.region) {
					t.Errorf("call %q not signed for %s", c, tc.region)
				}
			}
		})
	}
}

// TestCheckOrder checks that doctor reads each thing once, in order, and
// that the three policy checks share one read.
func TestCheckOrder(t *testing.T) {
	t.Parallel()
	f := newFake()
	f.buckets["b"].policy = vpceOnly("b", "")
	f.buckets["b"].sseAlgo, f.buckets["b"].kmsKeyID = "aws:kms", testKeyARN
	f.keys[testKeyARN] = keyPolicy(rootDelegation)
	d := newDoctor(t, f, Options{})
	f.calls = nil
	r, err := d.Check(context.Background(), "b")
	if err != nil {
		t.Fatal(err)
	}
	want := []string{
		"s3:GetBucketLocation b", "s3:GetBucketVersioning b @us-east-1", "s3:GetBucketPolicy b @us-east-1",
		"s3:GetBucketOwnershipControls b @us-east-1", "s3:GetBucketEncryption b @us-east-1", "kms:GetKeyPolicy " + testKeyARN + " @us-east-1",
	}
	if !reflect.DeepEqual(f.calls, want) {
		t.Errorf("calls\n%q\nwant\n%q", f.calls, want)
	}
	got := map[string]string{}
	for _, c := range r.Checks {
		got[c.ID] = c.Status
	}
	wantStatus := map[string]string{"versioning": Pass, "backup-role": Pass, "bucket-policy": Fail, "stale-role-id": Pass,
		"object-ownership": Pass, "kms-key": Pass, "caller-access": Warn}
	if !reflect.DeepEqual(got, wantStatus) {
		t.Errorf("statuses %v, want %v", got, wantStatus)
	}
}
