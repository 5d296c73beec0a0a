package fleet

import (
	"context"
	"fmt"
	"regexp"

	"github.com/fixpolicy/fixpolicy/awsapi"
	"github.com/fixpolicy/fixpolicy/awsapi/apply"
	"github.com/fixpolicy/fixpolicy/rewrite"
	"github.com/fixpolicy/fixpolicy/rewrite/report"
	"github.com/fixpolicy/fixpolicy/rewrite/udiff"
)

// A key-policy backup names one key exactly: a key ID (a UUID, or mrk-
// and 32 hex digits for a multi-Region key), an account and a region.
var keyIDRe = regexp.MustCompile(`^([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}|mrk-[0-9a-f]{32})$`)

// keyARN is the ARN of the key a backup file is named after.
func keyARN(region, account, id string) string {
	return fmt.Sprintf("arn:%s:kms:%s:%s:key/%s", awsapi.Partition(region), region, account, id)
}

// checkSavedKey checks, before any AWS call, that a key-policy backup names
// one key exactly and holds a key policy for that key alone: a Resource
// other than "*" (which in a key policy means the key itself) or the key's
// ARN, such as a wildcard over keys, is refused.
func checkSavedKey(from string, saved []byte) error {
	region, account, id, _ := apply.KeyFromBackup(from)
	if !keyIDRe.MatchString(id) || awsapi.CheckRegion(region) != nil || rewrite.CheckAccountID(account) != nil {
		return fmt.Errorf("--from %s does not name one KMS key (kms-key.REGION.ACCOUNT.KEYID-TIME.json); refusing to restore it", from)
	}
	p, err := rewrite.Parse(saved)
	if err != nil {
		return fmt.Errorf("--from %s is not a key policy: %v", from, report.OneLine(err.Error()))
	}
	arn := keyARN(region, account, id)
	for _, s := range p.Statements {
		for _, r := range s.Resources {
			if r != "*" && r != arn {
				return fmt.Errorf("--from %s names the resource %s: a saved key policy names only its own key (\"*\" or %s); refusing to restore it", from, r, arn)
			}
		}
	}
	return nil
}

// keyAPI is what restoring a key policy needs.
type keyAPI interface {
	GetBucketEncryption(ctx context.Context, bucket string) (algo, kmsKeyID string, err error)
	apply.KeyPolicyAPI
}

// runKey restores a saved key policy to the key it is named after, once it
// has checked that the bucket's default encryption uses that key.
func (rb *Rollback) runKey(ctx context.Context, api API, region, account, id string) (int, error) {
	kapi, ok := api.(keyAPI)
	if !ok {
		return ExitError, fmt.Errorf("restoring a key policy needs KMS clients")
	}
	arn := keyARN(region, account, id)
	_, used, err := kapi.GetBucketEncryption(ctx, rb.Bucket)
	if err != nil {
		return ExitError, err
	}
	if used != arn && used != id {
		return ExitError, fmt.Errorf("--from %s is the key policy of %s, but the default encryption of s3://%s uses %s; refusing to restore it", rb.From, arn, rb.Bucket, report.OneLine(orNone(used)))
	}
	cur, err := kapi.GetKeyPolicy(ctx, arn)
	if err != nil {
		return ExitError, err
	}
	r := &report.Report{Target: "KMS key " + arn, Bucket: rb.Bucket, Changes: []rewrite.Change{}, AccessChanges: []string{},
		PolicyBefore: report.CompactJSON(cur), PolicyAfter: report.CompactJSON(rb.Saved)}
	if apply.SameMeaning(cur, rb.Saved) == nil {
		r.Status = report.StatusCompliant
		r.Explanations = []string{fmt.Sprintf("The key policy of %s already is the one saved in %s; nothing to restore.", arn, rb.From)}
		rb.Print(r)
		return ExitOK, nil
	}
	r.Diff = udiff.Unified("key-policy.json", "key-policy.json (restored from "+rb.From+")", cur, rb.Saved, 3)
	r.Status = report.StatusNeedsChange
	show, code, proceed, err := rb.confirm(r)
	if !proceed {
		return code, err
	}
	defer show(r)
	Record(r, apply.KeyPolicy(ctx, rb.Journal, kapi, apply.KeyChange{KeyARN: arn, Bucket: rb.Bucket, Stem: apply.KeyBackupStem(region, account, id),
		Current: cur, New: rb.Saved, BackupDir: rb.BackupDir}, "restored"))
	return r.ExitCode, nil
}

func orNone(key string) string {
	if key == "" {
		return "no customer-managed KMS key"
	}
	return key
}

var _ keyAPI = (*awsapi.Clients)(nil)
