package doctor

import (
	"context"
	"fmt"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws/arn"
	"github.com/fixpolicy/fixpolicy/awsapi"
	"github.com/fixpolicy/fixpolicy/rewrite"
	"github.com/fixpolicy/fixpolicy/rewrite/report"
)

// The KMS actions AWS Backup needs on an SSE-KMS bucket's key (through S3).
var backupKMSActions = rewrite.KeyActions

const kmsID, kmsTitle = "kms-key", "the bucket's KMS key policy lets the backup role use the key"

// kmsKey is the bucket's default-encryption key as the key policy sees it.
type kmsKey struct {
	id      string // as the bucket's encryption configuration names it
	arn     string
	account string // the key's account
	region  string // the key's region, which kms:ViaService names
}

// kmsCheck checks that an SSE-KMS bucket's key policy lets the backup role use the key.
// It records the key and its policy in st for the kms-key fix.
func (d *Doctor) kmsCheck(ctx context.Context, cl Encryption, bucket string, st *state) Check {
	algo, keyID, err := cl.GetBucketEncryption(ctx, bucket)
	if err != nil {
		return unsure(kmsID, kmsTitle, err)
	}
	switch {
	case algo == "" || algo == "AES256":
		return Check{ID: kmsID, Title: kmsTitle, Status: Pass, Detail: "the bucket is not encrypted with a KMS key by default (no KMS key policy applies)"}
	case keyID == "":
		return Check{ID: kmsID, Title: kmsTitle, Status: Pass,
			Detail: "the bucket uses the AWS managed key aws/s3, whose key policy lets the account's principals use it through S3"}
	case strings.HasPrefix(keyID, "alias/") || strings.Contains(keyID, ":alias/"):
		return Check{ID: kmsID, Title: kmsTitle, Status: Unsure,
			Detail: fmt.Sprintf("could not check: the default encryption names the key by alias %s, and kms:GetKeyPolicy needs the key ID or ARN (aws kms describe-key --key-id %s)", keyID, keyID)}
	}
	if d.roleID == "" || d.role == nil {
		return Check{ID: kmsID, Title: kmsTitle, Status: Unsure, Detail: "could not check: " + d.unknownRole("the backup role could not be looked up")}
	}
	key := kmsKey{id: keyID, arn: keyID, account: d.account, region: cl.Region()}
	if a, perr := arn.Parse(keyID); perr == nil {
		key.account, key.region = a.AccountID, a.Region
	} else {
		key.arn = fmt.Sprintf("arn:%s:kms:%s:%s:key/%s", d.partition, key.region, d.account, keyID)
	}
	doc, err := cl.GetKeyPolicy(ctx, keyID)
	if err != nil {
		if awsapi.IsNotFound(err) {
			return Check{ID: kmsID, Title: kmsTitle, Status: Fail,
				Detail: fmt.Sprintf("the bucket's default encryption uses KMS key %s, which does not exist: every write and read through it fails", keyID),
				Fix:    fmt.Sprintf("set the bucket's default encryption to an existing key: aws s3api put-bucket-encryption --bucket %s --server-side-encryption-configuration ...", bucket)}
		}
		return unsure(kmsID, kmsTitle, err)
	}
	st.key, st.keyPolicy = &key, doc
	kp, err := rewrite.Parse(doc)
	if err != nil {
		return Check{ID: kmsID, Title: kmsTitle, Status: Unsure, Detail: "could not check: fixpolicy cannot evaluate the key policy: " + report.OneLine(err.Error())}
	}
	acc, err := d.keyAccess(kp, key)
	if err != nil {
		return Check{ID: kmsID, Title: kmsTitle, Status: Unsure, Detail: "could not check: " + report.OneLine(err.Error())}
	}
	return d.kmsVerdict(key, acc)
}

// keyAccess sorts the backup KMS actions by what the key policy says of the
// backup role's requests through S3. An action in none of the lists is
// allowed by the key policy itself.
type keyAccess struct {
	denied     []string // denied, with the denying statements
	notAllowed []string // neither allowed nor delegated
	unknown    []string // decided by condition keys whose values are unknown
	delegated  []string // left to the account's IAM policies (the root is allowed)
}

// keyAccess evaluates kp for the backup role's requests through S3 to key.
func (d *Doctor) keyAccess(kp *rewrite.Policy, key kmsKey) (keyAccess, error) {
	var acc keyAccess
	f := rewrite.Facts{AccountID: d.role.AccountID, RoleID: d.roleID, RoleName: d.role.Name, RoleARN: d.role.Arn, Partition: d.partition}
	k := rewrite.Key{ARN: key.arn, Account: key.account, Region: key.region}
	for _, act := range backupKMSActions {
		er, err := rewrite.Prepare(rewrite.KeyRequest(f, k, act))
		if err != nil {
			return keyAccess{}, err
		}
		out := kp.Decide(er, key.account)
		switch out.Decision {
		case rewrite.Allow:
			continue
		case rewrite.Deny:
			if why := unknownKeys(kp.Explain(er), out.Statements); why != "" {
				acc.unknown = append(acc.unknown, fmt.Sprintf("%s (a Deny depends on %s)", act, why))
			} else {
				acc.denied = append(acc.denied, fmt.Sprintf("%s (%s)", act, stmtLabels(kp, out.Statements)))
			}
			continue
		}
		if kp.Decide(er, "").Decision == rewrite.Allow {
			acc.delegated = append(acc.delegated, act)
			continue
		}
		if why := allowUnknown(kp.Explain(er)); why != "" {
			acc.unknown = append(acc.unknown, fmt.Sprintf("%s (an Allow depends on %s)", act, why))
			continue
		}
		acc.notAllowed = append(acc.notAllowed, act)
	}
	return acc, nil
}

// kmsVerdict is the kms-key check's result for what the key policy allows.
func (d *Doctor) kmsVerdict(key kmsKey, acc keyAccess) Check {
	role := d.role
	fix := fmt.Sprintf(`add to the key policy of %s a statement such as {"Sid":"AllowAWSBackupRole","Effect":"Allow","Principal":{"AWS":%q},"Action":["kms:Decrypt","kms:GenerateDataKey","kms:DescribeKey"],"Resource":"*"} (aws kms get-key-policy --key-id %s --policy-name default, edit, then aws kms put-key-policy --key-id %s --policy-name default --policy file://key-policy.json)`,
		key.arn, role.Arn, key.id, key.id)
	switch {
	case len(acc.denied) > 0 || len(acc.notAllowed) > 0:
		var parts []string
		if len(acc.denied) > 0 {
			parts = append(parts, "it denies the backup role "+strings.Join(acc.denied, ", "))
		}
		if len(acc.notAllowed) > 0 {
			parts = append(parts, fmt.Sprintf("it neither names the backup role for %s nor delegates them to the account's IAM policies (a statement allowing arn:%s:iam::%s:root)",
				strings.Join(acc.notAllowed, ", "), d.partition, key.account))
		}
		det := fmt.Sprintf("the bucket is encrypted with KMS key %s, and its key policy does not let %s use it: %s; AWS Backup cannot read or restore the bucket's objects",
			key.arn, role.Arn, strings.Join(parts, "; "))
		return Check{ID: kmsID, Title: kmsTitle, Status: Fail, Detail: det, Fix: fix}
	case len(acc.unknown) > 0:
		return Check{ID: kmsID, Title: kmsTitle, Status: Unsure,
			Detail: fmt.Sprintf("could not check: the key policy of %s has conditions on keys whose values for AWS Backup's requests are not known: %s", key.arn, strings.Join(acc.unknown, "; "))}
	case len(acc.delegated) > 0:
		return Check{ID: kmsID, Title: kmsTitle, Status: Pass,
			Detail: fmt.Sprintf("the key policy of %s delegates %s to the account's IAM policies (it allows arn:%s:iam::%s:root), and the AWS Backup S3 managed policies grant them through S3 (see backup-role)",
				key.arn, strings.Join(acc.delegated, ", "), d.partition, key.account)}
	}
	return Check{ID: kmsID, Title: kmsTitle, Status: Pass,
		Detail: fmt.Sprintf("the key policy of %s allows %s kms:Decrypt, kms:GenerateDataKey and kms:DescribeKey", key.arn, role.Arn)}
}

// unknownKeys returns the condition keys, absent from the request, that the
// given (matching Deny) statements' conditions rely on; "" when every
// matching Deny matched on known values only.
func unknownKeys(ex []rewrite.Explanation, stmts []int) string {
	var keys []string
	for _, i := range stmts {
		sure := true
		var ks []string
		for _, c := range ex[i].Conditions {
			if !c.Present {
				sure = false
				ks = append(ks, c.Key)
			}
		}
		if sure {
			return ""
		}
		keys = append(keys, ks...)
	}
	return strings.Join(uniq(keys), ", ")
}

// allowUnknown returns the condition keys absent from the request that made
// an otherwise matching Allow statement fail.
func allowUnknown(ex []rewrite.Explanation) string {
	var keys []string
	for _, e := range ex {
		if e.Effect != "Allow" || !e.Principal || !e.Action || !e.Resource {
			continue
		}
		for _, c := range e.Conditions {
			if !c.Result && !c.Present {
				keys = append(keys, c.Key)
			}
		}
	}
	return strings.Join(uniq(keys), ", ")
}

func stmtLabels(p *rewrite.Policy, idx []int) string {
	var out []string
	for _, i := range idx {
		out = append(out, p.Statements[i].Label())
	}
	return strings.Join(out, ", ")
}
