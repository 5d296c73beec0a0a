package doctor

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/fixpolicy/fixpolicy/awsapi"
	"github.com/fixpolicy/fixpolicy/rewrite"
)

// newDoctor runs New on f; the test fails on its error.
func newDoctor(t *testing.T, f *fakeAWS, opt Options) *Doctor {
	t.Helper()
	d, err := New(context.Background(), f, opt)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return d
}

// want is what a test expects of a check: its status, and substrings of its
// detail and fix (fix "-" means no fix at all).
type want struct {
	status, detail, fix string
}

func (w want) check(t *testing.T, c Check) {
	t.Helper()
	if c.Status != w.status {
		t.Errorf("status %s, want %s: %s", c.Status, w.status, c.Detail)
	}
	if !strings.Contains(c.Detail, w.detail) {
		t.Errorf("detail lacks %q: %s", w.detail, c.Detail)
	}
	switch {
	case w.fix == "-" && c.Fix != "":
		t.Errorf("fix %q, want none", c.Fix)
	case w.fix != "-" && !strings.Contains(c.Fix, w.fix):
		t.Errorf("fix lacks %q: %s", w.fix, c.Fix)
	}
	if c.Status == Pass && c.Fix != "" {
		t.Errorf("a passing check has a fix: %s", c.Fix)
	}
}

var errDenied = apiErr("s3:GetBucketVersioning", "b", awsapi.AccessDenied, "AccessDenied")

func TestVersioningCheck(t *testing.T) {
	t.Parallel()
	fix := "aws s3api put-bucket-versioning --bucket b --versioning-configuration Status=Enabled"
	for _, tc := range []struct {
		status string
		err    error
		want   want
	}{
		{"Enabled", nil, want{Pass, "versioning is enabled", "-"}},
		{"Suspended", nil, want{Fail, "versioning is suspended", fix}},
		{"", nil, want{Fail, "never been enabled", fix}},
		{"", errDenied, want{Unsure, "could not check: access denied calling s3:GetBucketVersioning", "-"}},
	} {
		t.Run(tc.status, func(t *testing.T) {
			c := versioningCheck("b", tc.status, tc.err)
			if c.ID != "versioning" {
				t.Errorf("id %s", c.ID)
			}
			tc.want.check(t, c)
		})
	}
}

func TestOwnershipCheck(t *testing.T) {
	t.Parallel()
	fix := "aws s3api put-bucket-ownership-controls --bucket b --ownership-controls 'Rules=[{ObjectOwnership=BucketOwnerEnforced}]'"
	for _, tc := range []struct {
		own  string
		err  error
		want want
	}{
		{"BucketOwnerEnforced", nil, want{Pass, "ACLs are disabled", "-"}},
		{"ObjectWriter", nil, want{Fail, "Object Ownership is ObjectWriter: objects written by other accounts", fix}},
		{"BucketOwnerPreferred", nil, want{Fail, "Object Ownership is BucketOwnerPreferred", fix}},
		{"", nil, want{Fail, "no ownership controls", fix}},
		{"", apiErr("s3:GetBucketOwnershipControls", "b", awsapi.AccessDenied, "AccessDenied"), want{Unsure, "needs permission s3:GetBucketOwnershipControls", "-"}},
	} {
		t.Run(tc.own, func(t *testing.T) {
			tc.want.check(t, ownershipCheck("b", tc.own, tc.err))
		})
	}
}

func TestRoleCheck(t *testing.T) {
	t.Parallel()
	attach := "aws iam attach-role-policy --role-name AWSBackupDefaultServiceRole --policy-arn "
	for _, tc := range []struct {
		name  string
		setup func(*fakeAWS)
		want  want
		not   string // the fix must not contain it
	}{
		{"both attached", func(*fakeAWS) {}, want{Pass, "has AWSBackupServiceRolePolicyForS3Backup and AWSBackupServiceRolePolicyForS3Restore attached", "-"}, ""},
		{"restore missing", func(f *fakeAWS) { f.attached[testRole.Name] = []string{s3BackupARN} },
			want{Fail, "lacks the AWS managed policy AWSBackupServiceRolePolicyForS3Restore; without it", attach + s3RestoreARN}, "ForS3Backup"},
		{"none attached", func(f *fakeAWS) { f.attached[testRole.Name] = nil },
			want{Fail, "policies AWSBackupServiceRolePolicyForS3Backup and AWSBackupServiceRolePolicyForS3Restore; without them", attach + s3BackupARN + "\n" + attach + s3RestoreARN}, ""},
		{"customer policy of the same name", func(f *fakeAWS) {
			f.attached[testRole.Name] = []string{s3BackupARN, "arn:aws:iam::123456789012:policy/AWSBackupServiceRolePolicyForS3Restore"}
		}, want{Fail, "(attached arn:aws:iam::123456789012:policy/AWSBackupServiceRolePolicyForS3Restore has the same name but is not AWS's managed policy)", attach + s3RestoreARN}, ""},
		{"role missing", func(f *fakeAWS) { delete(f.roles, testRole.Name) },
			want{Fail, `IAM role "AWSBackupDefaultServiceRole" does not exist`, "aws iam create-role --role-name AWSBackupDefaultServiceRole --path /service-role/ --assume-role-policy-document '" + backupTrustPolicy + "'\n" + attach + s3BackupARN}, ""},
		{"listing denied", func(f *fakeAWS) {
			f.errs["iam:ListAttachedRolePolicies"] = apiErr("iam:ListAttachedRolePolicies", testRole.Name, awsapi.AccessDenied, "AccessDenied")
		}, want{Unsure, "needs permission iam:ListAttachedRolePolicies", "-"}, ""},
		{"other partition", func(f *fakeAWS) {
			f.caller.Arn = "arn:aws-cn:iam::123456789012:user/tester"
			f.attached[testRole.Name] = []string{s3BackupARN, s3RestoreARN}
		}, want{Fail, "lacks the AWS managed policies", attach + "arn:aws-cn:iam::aws:policy/AWSBackupServiceRolePolicyForS3Backup"}, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			f := newFake()
			tc.setup(f)
			c := newDoctor(t, f, Options{}).roleCheck()
			tc.want.check(t, c)
			if tc.not != "" && strings.Contains(c.Fix, tc.not) {
				t.Errorf("fix contains %q: %s", tc.not, c.Fix)
			}
		})
	}
}

// policyChecks runs the three checks that read the bucket policy on src.
func policyChecks(t *testing.T, d *Doctor, src string, err error) (policy, stale, caller Check) {
	t.Helper()
	exists := src != ""
	var b []byte
	if exists {
		b = []byte(src)
	}
	pc, res, pol := d.policyCheck(context.Background(), "b", b, exists, err)
	return pc, d.staleCheck("b", pol, exists, err), d.callerCheck("b", b, exists, err, res)
}

func TestPolicyCheck(t *testing.T) {
	t.Parallel()
	denied := apiErr("s3:GetBucketPolicy", "b", awsapi.AccessDenied, "AccessDenied")
	refuse := func(context.Context, []byte, rewrite.Options) (*rewrite.Result, error) {
		return &rewrite.Result{Status: rewrite.StatusRefused, Refusal: "it is\ntoo hard"}, nil
	}
	broken := func(context.Context, []byte, rewrite.Options) (*rewrite.Result, error) {
		return nil, context.DeadlineExceeded
	}
	for _, tc := range []struct {
		name   string
		policy string
		err    error
		opt    Options
		setup  func(*fakeAWS)
		want   want
	}{
		{"no policy", "", nil, Options{}, nil, want{Pass, "no policy (NoSuchBucketPolicy)", "-"}},
		{"denied", "", denied, Options{}, nil, want{Unsure, "needs permission s3:GetBucketPolicy", "-"}},
		{"not JSON", "{", nil, Options{}, nil, want{Unsure, "could not check: fixpolicy cannot read the bucket's policy: ", "-"}},
		{"TLS only", tlsOnly("b"), nil, Options{}, nil, want{Pass, "no statement of the bucket policy blocks AWS Backup", "-"}},
		{"VPC endpoint only", vpceOnly("b", ""), nil, Options{}, nil,
			want{Fail, `blocks AWS Backup or the console's reads: statement 1 (Sid "Statement1") `, "fixpolicy --bucket b --dry-run   (review the diff"}},
		{"VPC endpoint only, other role", vpceOnly("b", ""), nil, Options{RoleName: "MyRole", RoleID: testRoleID}, nil,
			want{Fail, "statement 1", "fixpolicy --bucket b --role-name MyRole --dry-run"}},
		{"exempts the role, not the console", vpceOnly("b", `"StringNotLike": {"aws:userid": "`+testRoleID+`:*"}`), nil, Options{}, nil,
			want{Fail, "s3:GetBucketVersioning", "fixpolicy --bucket b"}},
		{"refused", vpceOnly("b", ""), nil, Options{Fix: refuse}, nil,
			want{Fail, "fixpolicy cannot patch it safely: it is too hard", "edit the bucket policy by hand"}},
		{"analysis fails", vpceOnly("b", ""), nil, Options{Fix: broken}, nil, want{Unsure, "could not check: context deadline exceeded", "-"}},
		{"RoleId unknown", vpceOnly("b", ""), nil, Options{}, func(f *fakeAWS) {
			f.errs["iam:GetRole"] = apiErr("iam:GetRole", testRole.Name, awsapi.AccessDenied, "AccessDenied")
		}, want{Unsure, "the backup role's RoleId is unknown (access denied calling iam:GetRole", "-"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			f := newFake()
			if tc.setup != nil {
				tc.setup(f)
			}
			pc, _, _ := policyChecks(t, newDoctor(t, f, tc.opt), tc.policy, tc.err)
			if pc.ID != "bucket-policy" {
				t.Errorf("id %s", pc.ID)
			}
			tc.want.check(t, pc)
		})
	}
}

func TestStaleCheck(t *testing.T) {
	t.Parallel()
	const old = "AROAOLDDELETEDROLE0001"
	userid := func(ids ...string) string {
		return vpceOnly("b", `"StringNotLike": {"aws:userid": ["`+strings.Join(ids, `:*", "`)+`:*"]}`)
	}
	inPrincipal := `{"Version":"2012-10-17","Statement":[{"Sid":"Old","Effect":"Allow","Principal":{"AWS":"` + old + `"},"Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*"},
{"Sid":"Cur","Effect":"Deny","Principal":"*","Action":"s3:DeleteBucket","Resource":"arn:aws:s3:::b","Condition":{"StringNotLike":{"aws:userid":["` + testRoleID + `:*"]}}}]}`
	roleDenied := func(f *fakeAWS) {
		f.errs["iam:GetRole"] = apiErr("iam:GetRole", testRole.Name, awsapi.AccessDenied, "AccessDenied")
	}
	for _, tc := range []struct {
		name   string
		policy string
		err    error
		setup  func(*fakeAWS)
		want   want
		not    string // the detail must not contain it
	}{
		{"no policy", "", nil, nil, want{Pass, "the bucket has no policy", "-"}, ""},
		{"denied", "", apiErr("s3:GetBucketPolicy", "b", awsapi.AccessDenied, "AccessDenied"), nil, want{Unsure, "s3:GetBucketPolicy", "-"}, ""},
		{"not JSON", "[", nil, nil, want{Unsure, "could not check: fixpolicy cannot read the bucket's policy", "-"}, ""},
		{"no RoleIds", vpceOnly("b", ""), nil, nil, want{Pass, "names no role by RoleId", "-"}, ""},
		{"current RoleId", userid(testRoleID), nil, nil, want{Pass, "every RoleId the policy names is the current RoleId of AWSBackupDefaultServiceRole (" + testRoleID + ")", "-"}, ""},
		{"old RoleId in aws:userid", userid(old), nil, nil,
			want{Fail, `Statement1"), StringNotLike aws:userid names "` + old + `:*": ` + old + " is not the current RoleId of AWSBackupDefaultServiceRole (" + testRoleID + ")",
				"fixpolicy --bucket b --dry-run   (review the diff, then run it without --dry-run to apply); it adds the current RoleId " + testRoleID + " and keeps the old entry"}, ""},
		{"old RoleId beside the current one", userid(testRoleID, old, old), nil, nil, want{Fail, old + " is not", "keeps the old entry, which you may then remove by hand once you have checked that no other role uses it"}, testRoleID + ":*\" names"},
		{"old RoleId as a principal", inPrincipal, nil, nil, want{Fail, `names "` + old + `"`, "fixpolicy --bucket b"}, testRoleID + ":*"},
		{"RoleId unknown", userid(old), nil, roleDenied, want{Unsure, "could not check: the policy names RoleIds " + old + ", but the backup role's RoleId is unknown (access denied", "-"}, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			f := newFake()
			if tc.setup != nil {
				tc.setup(f)
			}
			_, c, _ := policyChecks(t, newDoctor(t, f, Options{}), tc.policy, tc.err)
			tc.want.check(t, c)
			if tc.not != "" && strings.Contains(c.Detail, tc.not) {
				t.Errorf("detail contains %q: %s", tc.not, c.Detail)
			}
		})
	}
}

func TestCallerCheck(t *testing.T) {
	t.Parallel()
	const adminSession = "arn:aws:sts::123456789012:assumed-role/Admin/alice"
	admin := awsapi.Role{Name: "Admin", Path: "/ops/", RoleID: "AROAFAKEADMIN0000001", Arn: "arn:aws:iam::123456789012:role/ops/Admin", AccountID: testAccount}
	asAdmin := func(f *fakeAWS) {
		f.caller = awsapi.Identity{Account: testAccount, Arn: adminSession, UserID: admin.RoleID + ":alice"}
		f.roles[admin.Name] = admin
	}
	exemptsAdmin := vpceOnly("b", `"StringNotLike": {"aws:userid": "`+testRoleID+`:*"}, "ArnNotLike": {"aws:PrincipalArn": "arn:aws:iam::123456789012:role/ops/Admin"}`)
	for _, tc := range []struct {
		name   string
		policy string
		err    error
		setup  func(*fakeAWS)
		want   want
	}{
		{"no policy", "", nil, nil, want{Pass, "the bucket has no policy, so nothing in it can deny the caller", "-"}},
		{"policy denied", "", apiErr("s3:GetBucketPolicy", "b", awsapi.AccessDenied, "AccessDenied"), nil, want{Unsure, "s3:GetBucketPolicy", "-"}},
		{"caller unknown", vpceOnly("b", ""), nil, func(f *fakeAWS) {
			f.errs["sts:GetCallerIdentity"] = apiErr("sts:GetCallerIdentity", "", awsapi.AccessDenied, "AccessDenied")
		}, want{Unsure, "could not check: access denied calling sts:GetCallerIdentity", "-"}},
		{"TLS only", tlsOnly("b"), nil, nil, want{Pass, "the policy (which needs no patch) does not deny " + testCallerARN + " s3:PutBucketPolicy on arn:aws:s3:::b", "-"}},
		{"VPC endpoint only", vpceOnly("b", ""), nil, nil,
			want{Warn, "the patched policy denies " + testCallerARN + " s3:PutBucketPolicy on arn:aws:s3:::b for a request without the context it requires", "keep account-root access at hand"}},
		{"exempted session", exemptsAdmin, nil, asAdmin, want{Pass, "the patched policy does not deny " + adminSession + " s3:PutBucketPolicy", "-"}},
		{"session whose role path is unknown", exemptsAdmin, nil, func(f *fakeAWS) {
			asAdmin(f)
			delete(f.roles, admin.Name)
		}, want{Warn, "(aws:PrincipalArn taken as arn:aws:iam::123456789012:role/Admin: the role's path could not be looked up)", "VPC endpoint"}},
		{"account root", vpceOnly("b", ""), nil, func(f *fakeAWS) {
			f.caller = awsapi.Identity{Account: testAccount, Arn: "arn:aws:iam::123456789012:root", UserID: testAccount}
		}, want{Pass, "the caller is the account root", "-"}},
		{"caller ARN not understood", vpceOnly("b", ""), nil, func(f *fakeAWS) { f.caller.Arn = "arn:aws:iam::123456789012:something" },
			want{Unsure, "could not check: the caller's ARN is not understood", "-"}},
		{"patch not computed", vpceOnly("b", ""), nil, func(f *fakeAWS) {
			f.errs["iam:GetRole"] = apiErr("iam:GetRole", testRole.Name, awsapi.AccessDenied, "AccessDenied")
		}, want{Warn, "the current policy (the patch could not be computed) denies", "VPC endpoint"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			f := newFake()
			if tc.setup != nil {
				tc.setup(f)
			}
			_, _, c := policyChecks(t, newDoctor(t, f, Options{AccountID: testAccount}), tc.policy, tc.err)
			if c.ID != "caller-access" {
				t.Errorf("id %s", c.ID)
			}
			tc.want.check(t, c)
		})
	}
}

// keyPolicy is a key policy of the given statements.
func keyPolicy(stmts ...string) string {
	return `{"Version":"2012-10-17","Statement":[` + strings.Join(stmts, ",") + `]}`
}

const (
	rootDelegation = `{"Sid":"EnableIAM","Effect":"Allow","Principal":{"AWS":"arn:aws:iam::123456789012:root"},"Action":"kms:*","Resource":"*"}`
	adminOnly      = `{"Sid":"Admins","Effect":"Allow","Principal":{"AWS":"arn:aws:iam::123456789012:role/KeyAdmin"},"Action":"kms:*","Resource":"*"}`
	namesRole      = `{"Effect":"Allow","Principal":{"AWS":"` + testRoleARN + `"},"Action":["kms:Decrypt","kms:GenerateDataKey*","kms:DescribeKey"],"Resource":"*"}`
)

func TestKMSCheck(t *testing.T) {
	t.Parallel()
	putKeyPolicy := "aws kms put-key-policy --key-id " + testKeyARN + " --policy-name default"
	for _, tc := range []struct {
		name        string
		algo, keyID string
		policy      string // the key policy of keyID; "" = no such key
		setup       func(*fakeAWS)
		want        want
	}{
		{"no encryption", "", "", "", nil, want{Pass, "not encrypted with a KMS key", "-"}},
		{"SSE-S3", "AES256", "", "", nil, want{Pass, "not encrypted with a KMS key", "-"}},
		{"AWS managed key", "aws:kms", "", "", nil, want{Pass, "AWS managed key aws/s3", "-"}},
		{"alias", "aws:kms", "alias/backup", "", nil, want{Unsure, "names the key by alias alias/backup", "-"}},
		{"alias ARN", "aws:kms", "arn:aws:kms:us-east-1:123456789012:alias/backup", "", nil, want{Unsure, "by alias", "-"}},
		{"root delegation", "aws:kms", testKeyARN, keyPolicy(rootDelegation), nil,
			want{Pass, "delegates kms:Decrypt, kms:GenerateDataKey, kms:DescribeKey to the account's IAM policies (it allows arn:aws:iam::123456789012:root)", "-"}},
		{"names the role", "aws:kms", testKeyARN, keyPolicy(adminOnly, namesRole), nil,
			want{Pass, "allows " + testRoleARN + " kms:Decrypt, kms:GenerateDataKey and kms:DescribeKey", "-"}},
		{"only admins", "aws:kms", testKeyARN, keyPolicy(adminOnly), nil,
			want{Fail, "it neither names the backup role for kms:Decrypt, kms:GenerateDataKey, kms:DescribeKey nor delegates them", putKeyPolicy}},
		{"explicit deny", "aws:kms", testKeyARN, keyPolicy(rootDelegation, `{"Sid":"OnlyEC2","Effect":"Deny","Principal":"*","Action":"kms:Decrypt","Resource":"*","Condition":{"StringNotEquals":{"kms:ViaService":"ec2.us-east-1.amazonaws.com"}}}`), nil,
			want{Fail, `it denies the backup role kms:Decrypt (statement 2 (Sid "OnlyEC2"))`, putKeyPolicy}},
		{"through S3 only", "aws:kms", testKeyARN, keyPolicy(rootDelegation, `{"Effect":"Deny","Principal":"*","Action":"kms:Decrypt","Resource":"*","Condition":{"StringNotEquals":{"kms:ViaService":"s3.us-east-1.amazonaws.com"}}}`), nil,
			want{Pass, "delegates", "-"}},
		{"deny on an unknown key", "aws:kms", testKeyARN, keyPolicy(rootDelegation, `{"Effect":"Deny","Principal":"*","Action":"kms:Decrypt","Resource":"*","Condition":{"StringNotEquals":{"aws:PrincipalTag/team":"backup"}}}`), nil,
			want{Unsure, "kms:Decrypt (a Deny depends on aws:PrincipalTag/team)", "-"}},
		{"allow on an unknown key", "aws:kms", testKeyARN, keyPolicy(adminOnly, `{"Effect":"Allow","Principal":"*","Action":"kms:*","Resource":"*","Condition":{"StringEquals":{"aws:PrincipalTag/team":"backup"}}}`), nil,
			want{Unsure, "kms:Decrypt (an Allow depends on aws:PrincipalTag/team)", "-"}},
		{"key ID in the bucket's region", "aws:kms", testKeyUUID, keyPolicy(adminOnly), func(f *fakeAWS) { f.buckets["b"].region = "eu-west-1" },
			want{Fail, "KMS key arn:aws:kms:eu-west-1:123456789012:key/" + testKeyUUID, "--key-id " + testKeyUUID}},
		{"no such key", "aws:kms", testKeyARN, "", nil, want{Fail, "which does not exist", "aws s3api put-bucket-encryption --bucket b"}},
		{"key policy denied", "aws:kms", testKeyARN, keyPolicy(rootDelegation), func(f *fakeAWS) {
			f.errs["kms:GetKeyPolicy"] = apiErr("kms:GetKeyPolicy", testKeyARN, awsapi.AccessDenied, "AccessDeniedException")
		}, want{Unsure, "kms:GetKeyPolicy", "-"}},
		{"key policy not understood", "aws:kms", testKeyARN, "{}", nil, want{Unsure, "fixpolicy cannot evaluate the key policy", "-"}},
		{"encryption denied", "aws:kms", testKeyARN, "", func(f *fakeAWS) {
			f.errs["s3:GetBucketEncryption"] = apiErr("s3:GetBucketEncryption", "b", awsapi.AccessDenied, "AccessDenied")
		}, want{Unsure, "needs permission s3:GetEncryptionConfiguration", "-"}},
		{"role unknown", "aws:kms", testKeyARN, keyPolicy(rootDelegation), func(f *fakeAWS) {
			f.errs["iam:GetRole"] = apiErr("iam:GetRole", testRole.Name, awsapi.AccessDenied, "AccessDenied")
		}, want{Unsure, "could not check: the backup role could not be looked up (access denied", "-"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			f := newFake()
			f.buckets["b"].sseAlgo, f.buckets["b"].kmsKeyID = tc.algo, tc.keyID
			if tc.policy != "" {
				f.keys[tc.keyID] = tc.policy
			}
			if tc.setup != nil {
				tc.setup(f)
			}
			d := newDoctor(t, f, Options{RoleID: testRoleID})
			c := d.kmsCheck(context.Background(), f.Regional(f.buckets["b"].region), "b", &state{})
			if c.ID != "kms-key" {
				t.Errorf("id %s", c.ID)
			}
			tc.want.check(t, c)
			if tc.keyID == "" || tc.algo != "aws:kms" || strings.Contains(tc.keyID, "alias") {
				for _, call := range f.calls {
					if strings.HasPrefix(call, "kms:") {
						t.Errorf("read a key policy it needs not: %s", call)
					}
				}
			}
		})
	}
}

func TestOpOf(t *testing.T) {
	t.Parallel()
	if got := opOf(errDenied); got != "s3:GetBucketVersioning" {
		t.Errorf("opOf: %q", got)
	}
	if got := opOf(errors.New("x")); got != "" {
		t.Errorf("opOf(plain error): %q", got)
	}
}
