package doctor

import (
	"context"
	"fmt"
	"strings"

	"github.com/fixpolicy/fixpolicy/awsapi/apply"
	"github.com/fixpolicy/fixpolicy/rewrite"
	"github.com/fixpolicy/fixpolicy/rewrite/report"
	"github.com/fixpolicy/fixpolicy/rewrite/udiff"
)

func (f *fixer) keyFacts() rewrite.Facts {
	d := f.d
	return rewrite.Facts{AccountID: d.role.AccountID, RoleID: d.roleID, RoleName: d.role.Name, RoleARN: d.role.Arn, Partition: d.partition}
}

// keyStep patches the bucket's KMS key policy (seed 003) with
// rewrite.PatchKeyPolicy: the backup role gets exactly rewrite.KeyActions
// through S3, and Denies that block it get Patch A's exemption.
func (f *fixer) keyStep(ctx context.Context, c Check) *Step {
	k := f.st.key
	if k == nil || f.d.role == nil || f.d.roleID == "" {
		return manual("kms-key", "not changed: "+c.Detail, c.Fix)
	}
	kp, err := rewrite.PatchKeyPolicy(ctx, f.st.keyPolicy, f.keyFacts(), rewrite.Key{ARN: k.arn, Account: k.account, Region: k.region})
	if err != nil {
		return manual("kms-key", "not changed: the key-policy patch could not be made: "+report.OneLine(err.Error()), c.Fix)
	}
	if !kp.Changed() {
		return manual("kms-key", "not changed: the key policy needs no patch for the backup role; "+c.Detail)
	}
	name := "key-policy.json"
	s := &Step{ID: "kms-key", Status: Planned,
		Action: fmt.Sprintf("patch the key policy of %s so that %s can use it through S3", k.arn, f.d.role.Arn),
		Calls:  []string{fmt.Sprintf("kms:PutKeyPolicy KeyId=%s PolicyName=default (BypassPolicyLockoutSafetyCheck=false)", k.arn)},
		Diff:   udiff.Unified(name, name+" (patched)", kp.Before, kp.After, 3)}
	for _, ch := range kp.Changes {
		s.Notes = append(s.Notes, fmt.Sprintf("statement %d: %s", ch.Statement+1, ch.Explanation))
	}
	for _, ch := range kp.Delta.Changes {
		s.Notes = append(s.Notes, "access that changes: "+ch.String())
	}
	s.run = func(ctx context.Context, s *Step) { f.putKeyPolicy(ctx, s, kp) }
	return s
}

// putKeyPolicy writes the patch with apply.KeyPolicy: save, re-read and
// stop if it changed since the plan, put, read back.
func (f *fixer) putKeyPolicy(ctx context.Context, s *Step, kp *rewrite.KeyPatch) {
	k := f.st.key
	keyID := k.arn[strings.LastIndex(k.arn, "/")+1:]
	o := apply.KeyPolicy(ctx, f.opt.Journal, f.w, apply.KeyChange{KeyARN: k.arn, Bucket: f.bucket, Stem: apply.KeyBackupStem(k.region, k.account, keyID),
		Current: kp.Before, New: kp.After, BackupDir: f.opt.BackupDir}, "patched")
	s.record(o)
}
