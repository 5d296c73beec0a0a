package rewrite

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
)

var (
	kpFacts = Facts{AccountID: "123456789012", RoleID: "AROAKEYPOLICYTEST0001", RoleName: "AWSBackupDefaultServiceRole",
		RoleARN: "arn:aws:iam::123456789012:role/service-role/AWSBackupDefaultServiceRole"}
	kpKey = Key{ARN: "arn:aws:kms:eu-west-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab", Account: "123456789012", Region: "eu-west-1"}
)

const (
	kpRoot   = `{"Sid":"Enable IAM User Permissions","Effect":"Allow","Principal":{"AWS":"arn:aws:iam::123456789012:root"},"Action":"kms:*","Resource":"*"}`
	kpAdmin  = `{"Sid":"Admins","Effect":"Allow","Principal":{"AWS":["arn:aws:iam::123456789012:role/KeyAdmin","arn:aws:iam::123456789012:user/alice"]},"Action":"kms:*","Resource":"*"}`
	kpOther  = `{"Sid":"OtherAccount","Effect":"Allow","Principal":{"AWS":"arn:aws:iam::999999999999:root"},"Action":["kms:Decrypt","kms:DescribeKey"],"Resource":"*"}`
	kpViaEC2 = `{"Sid":"OnlyViaEC2","Effect":"Deny","Principal":"*","Action":"kms:*","Resource":"*","Condition":{"StringNotEquals":{"kms:ViaService":"ec2.eu-west-1.amazonaws.com"}}}`
	kpVpce   = `{"Sid":"OnlyVpce","Effect":"Deny","Principal":"*","Action":["kms:Decrypt","kms:GenerateDataKey*"],"Resource":"*","Condition":{"StringNotEquals":{"aws:SourceVpce":"vpce-0abc"},"StringNotLike":{"aws:userid":"AROAOTHERROLE0000001:*"}}}`
	kpNamed  = `{"Sid":"Backup","Effect":"Allow","Principal":{"AWS":"arn:aws:iam::123456789012:role/service-role/AWSBackupDefaultServiceRole"},"Action":["kms:Decrypt","kms:GenerateDataKey*","kms:DescribeKey"],"Resource":"*"}`
	kpDecOnl = `{"Sid":"DecryptOnly","Effect":"Allow","Principal":{"AWS":"arn:aws:iam::123456789012:role/service-role/AWSBackupDefaultServiceRole"},"Action":"kms:Decrypt","Resource":"arn:aws:kms:eu-west-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"}`
)

func kpDoc(stmts ...string) string {
	return `{
  "Version": "2012-10-17",
  "Id": "key-consolepolicy-3",
  "Statement": [
    ` + strings.Join(stmts, ",\n    ") + `
  ]
}`
}

var kpCases = map[string]struct {
	doc     string
	changed bool
}{
	"default key policy (delegates to IAM)": {kpDoc(kpRoot), false},
	"role named":                            {kpDoc(kpAdmin, kpNamed), false},
	"admins only":                           {kpDoc(kpAdmin), true},
	"admins and another account":            {kpDoc(kpAdmin, kpOther), true},
	"deny unless via EC2":                   {kpDoc(kpRoot, kpViaEC2), true},
	"deny unless via VPC endpoint":          {kpDoc(kpAdmin, kpNamed, kpVpce), true},
	"decrypt only, on the key ARN":          {kpDoc(kpAdmin, kpDecOnl), true},
	"two denies, no allow":                  {kpDoc(kpAdmin, kpViaEC2, kpVpce), true},
	"single statement object":               {`{"Version":"2012-10-17","Statement":` + kpAdmin + `}`, true},
}

func TestPatchKeyPolicy(t *testing.T) {
	for name, tc := range kpCases {
		t.Run(name, func(t *testing.T) {
			kp, err := PatchKeyPolicy(context.Background(), []byte(tc.doc), kpFacts, kpKey)
			if err != nil {
				t.Fatal(err)
			}
			if kp.Changed() != tc.changed {
				t.Fatalf("changed %v, want %v:\n%s", kp.Changed(), tc.changed, kp.After)
			}
			if !tc.changed {
				if string(kp.After) != tc.doc {
					t.Errorf("an unchanged key policy is not returned byte for byte")
				}
				return
			}
			t.Logf("%s", kp.After)
			again, err := PatchKeyPolicy(context.Background(), kp.After, kpFacts, kpKey)
			if err != nil || again.Changed() {
				t.Errorf("not idempotent: %v\n%s", err, again.After)
			}
			if !strings.Contains(string(kp.After), `"Id": "key-consolepolicy-3"`) && strings.Contains(tc.doc, "key-consolepolicy-3") {
				t.Errorf("the policy's Id was lost")
			}
			// Statements the patch does not name are kept byte for byte.
			for _, s := range []string{kpRoot, kpAdmin, kpOther, kpNamed, kpDecOnl} {
				if strings.Contains(tc.doc, s) && !strings.Contains(string(kp.After), s) {
					t.Errorf("untouched statement changed: %s", s)
				}
			}
			for _, c := range kp.Changes {
				if c.Kind == KindExempt && !strings.Contains(c.Explanation, kpFacts.RoleID+":*") {
					t.Errorf("change %+v", c)
				}
			}
		})
	}
}

// kpRequests are concrete requests to the key: the backup role's sessions
// and others, every KMS action, through S3 and otherwise.
func kpRequests() []Request {
	principals := []struct{ arn, userid, parn string }{
		{"arn:aws:sts::123456789012:assumed-role/AWSBackupDefaultServiceRole/s1", kpFacts.RoleID + ":s1", kpFacts.RoleARN},
		{"arn:aws:sts::123456789012:assumed-role/KeyAdmin/s2", "AROAKEYADMIN00000001:s2", "arn:aws:iam::123456789012:role/KeyAdmin"},
		{"arn:aws:sts::123456789012:assumed-role/OtherRole/s3", "AROAOTHERROLE0000001:s3", "arn:aws:iam::123456789012:role/OtherRole"},
		{"arn:aws:iam::123456789012:user/alice", "AIDAALICE00000000001", "arn:aws:iam::123456789012:user/alice"},
		{"arn:aws:iam::999999999999:root", "999999999999", "arn:aws:iam::999999999999:root"},
		{"anonymous", "anonymous", ""},
	}
	vias := []string{"", "s3.eu-west-1.amazonaws.com", "ec2.eu-west-1.amazonaws.com", "s3.us-east-1.amazonaws.com"}
	vpces := []string{"", "vpce-0abc"}
	var out []Request
	for _, p := range principals {
		for _, act := range kmsActions {
			for _, via := range vias {
				for _, vpce := range vpces {
					ctx := map[string][]string{"aws:userid": {p.userid}, "aws:SecureTransport": {"true"}}
					if p.parn != "" {
						ctx["aws:PrincipalArn"] = []string{p.parn}
					}
					if via != "" {
						ctx["kms:ViaService"] = []string{via}
					}
					if vpce != "" {
						ctx["aws:SourceVpce"] = []string{vpce}
					}
					out = append(out, Request{Principal: p.arn, Action: act, Resource: kpKey.ARN, Context: ctx})
				}
			}
		}
	}
	return out
}

// TestPatchKeyPolicyChangesOnlyTheRole is the property test: over concrete
// requests of every principal, KMS action and context that the policies
// tell apart, the patch changes decisions only for the backup role's
// sessions, never takes access away, grants only KeyActions through S3 in
// the key's region (or lifts a Deny the exemption names), and the role then
// can make every KeyAction through S3. The proof's own delta agrees: every
// class it reports passes KeyChangeAllowed, and every concrete change lies
// in one of its classes.
func TestPatchKeyPolicyChangesOnlyTheRole(t *testing.T) {
	reqs := kpRequests()
	for name, tc := range kpCases {
		t.Run(name, func(t *testing.T) {
			kp, err := PatchKeyPolicy(context.Background(), []byte(tc.doc), kpFacts, kpKey)
			if err != nil {
				t.Fatal(err)
			}
			before, _ := Parse(kp.Before)
			after, err := Parse(kp.After)
			if err != nil {
				t.Fatal(err)
			}
			changed := 0
			for _, r := range reqs {
				er, err := Prepare(r)
				if err != nil {
					t.Fatal(err)
				}
				b, a := before.Decide(er, kpKey.Account).Decision, after.Decide(er, kpKey.Account).Decision
				if a == b {
					continue
				}
				changed++
				role := strings.HasPrefix(r.Context["aws:userid"][0], kpFacts.RoleID+":")
				via := r.Context["kms:ViaService"]
				switch {
				case !role:
					t.Fatalf("%s: %s → %s for someone other than the backup role", describe(r), b, a)
				case a == Deny || b == Allow:
					t.Fatalf("%s: access taken away: %s → %s", describe(r), b, a)
				case a == Allow && b == None && (!slices.Contains(KeyActions, r.Action) || len(via) == 0 || via[0] != kpKey.ViaService()):
					t.Fatalf("%s: newly allowed outside KeyActions through S3 in %s", describe(r), kpKey.Region)
				}
				if kp.Delta != nil && !kp.Delta.Covers(er) {
					t.Errorf("%s changes (%s → %s) but the proof's delta does not cover it", describe(r), b, a)
				}
			}
			if tc.changed && changed == 0 {
				t.Errorf("the patch changes no concrete request")
			}
			for _, act := range KeyActions {
				er, _ := Prepare(KeyRequest(kpFacts, kpKey, act))
				if d := after.Decide(er, kpKey.Account).Decision; d != Allow && after.Decide(er, "").Decision != Allow {
					t.Errorf("after the patch the backup role's %s through S3 is %s", act, d)
				}
			}
			if kp.Delta != nil {
				for _, c := range kp.Delta.Changes {
					if err := KeyChangeAllowed(c, kpFacts); err != nil {
						t.Error(err)
					}
				}
			}
		})
	}
}

func describe(r Request) string {
	return fmt.Sprintf("%s %s %v", r.Principal, r.Action, r.Context)
}
