package doctor

import (
	"bytes"
	"context"
	"fmt"
	"path/filepath"
	"strings"

	"github.com/fixpolicy/fixpolicy/awsapi/apply"
	"github.com/fixpolicy/fixpolicy/rewrite"
	"github.com/fixpolicy/fixpolicy/rewrite/report"
	"github.com/fixpolicy/fixpolicy/rewrite/udiff"
)

// KeyBackupStem names the backup file of a key policy after the key's
// region, account and ID ("kms-key.us-east-1.123456789012.1234abcd-..."), so
// that `fixpolicy rollback` can tell which key to restore it to.
func KeyBackupStem(region, account, keyID string) string {
	return "kms-key." + region + "." + account + "." + keyID
}

// KeyFromBackup returns the region, account and key ID a key-policy backup
// file is named after, and whether it is one.
func KeyFromBackup(path string) (region, account, keyID string, ok bool) {
	base := filepath.Base(path)
	if !strings.HasPrefix(base, "kms-key.") {
		return "", "", "", false
	}
	parts := strings.SplitN(strings.TrimPrefix(base, "kms-key."), ".", 3)
	if len(parts) != 3 || len(parts[2]) < 36 {
		return "", "", "", false
	}
	// The key ID is a UUID (36 characters); the time stamp follows it.
	return parts[0], parts[1], parts[2][:36], true
}

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

// putKeyPolicy saves the key policy, re-reads it and stops if it changed
// since the plan, puts the patch and reads it back.
func (f *fixer) putKeyPolicy(ctx context.Context, s *Step, kp *rewrite.KeyPatch) {
	k := f.st.key
	keyID := k.arn[strings.LastIndex(k.arn, "/")+1:]
	var path string
	err := f.opt.Journal.Local(func() (err error) {
		path, err = apply.SaveNamed(f.opt.BackupDir, KeyBackupStem(k.region, k.account, keyID), kp.Before)
		return err
	})
	if err != nil {
		s.fail("cannot save the key policy before writing, so nothing was written: %v", err)
		return
	}
	s.Backup = path
	s.did("saved the key policy to %s (restore it with: fixpolicy rollback --bucket %s --from %s)", path, f.bucket, path)
	now, err := f.w.GetKeyPolicy(ctx, k.id)
	if err != nil {
		s.fail("re-reading the key policy before writing failed, so nothing was written: %v", err)
		return
	}
	if !bytes.Equal(now, kp.Before) {
		s.fail("the key policy of %s changed since the plan (someone else edited it), so nothing was written: run doctor --fix again", k.arn)
		return
	}
	s.did("re-read the key policy: unchanged since the plan")
	if err := f.w.PutKeyPolicy(ctx, k.id, kp.After); err != nil {
		back, rerr := f.w.GetKeyPolicy(ctx, k.id)
		switch {
		case rerr == nil && bytes.Equal(back, kp.Before):
			s.fail("writing the key policy failed, so the key keeps its policy: %v", err)
		case rerr == nil && apply.SameMeaning(back, kp.After) == nil:
			s.did("the write reported an error (%s), but the key policy read back is the patched one", report.OneLine(err.Error()))
		default:
			s.fail("writing the key policy failed (%v) and it could not be confirmed; the old policy is saved in %s", err, path)
		}
		return
	}
	s.did("wrote the patched key policy with kms:PutKeyPolicy")
	back, err := f.w.GetKeyPolicy(ctx, k.id)
	switch {
	case err != nil:
		s.fail("the key policy was written but could not be read back to verify it (%v); the old policy is in %s", err, path)
	case apply.SameMeaning(back, kp.After) != nil:
		s.fail("the key policy read back differs from what was written; the old policy is in %s", path)
	default:
		s.did("read it back: it means what was written")
	}
}
