package apply

import (
	"bytes"
	"context"
	"errors"
	"path/filepath"
	"strings"

	"github.com/fixpolicy/fixpolicy/awsapi"
	"github.com/fixpolicy/fixpolicy/rewrite/report"
)

// KeyPolicyAPI is what a key-policy transaction needs from KMS.
// [*awsapi.Clients] has it; PutKeyPolicy never bypasses KMS's lockout
// safety check.
type KeyPolicyAPI interface {
	GetKeyPolicy(ctx context.Context, keyID string) ([]byte, error)
	PutKeyPolicy(ctx context.Context, keyID string, policy []byte) error
}

var _ KeyPolicyAPI = (*awsapi.Clients)(nil)

// KeyChange is one write of a KMS key's default key policy.
type KeyChange struct {
	KeyARN string
	// Bucket is the bucket whose default encryption uses the key (for the
	// rollback command the messages give).
	Bucket string
	// Stem names the backup file (see SaveNamed).
	Stem string
	// Current is the key policy the change was computed from: it is saved
	// first, and the write is made only while it is still the key's.
	Current, New []byte
	BackupDir    string
}

// KeyPolicy writes c.New over c.Current with the discipline of [Patch]:
// save, re-read and stop if the key policy changed, put (kms:PutKeyPolicy,
// no BypassPolicyLockoutSafetyCheck), read back and check it means what was
// written. what is "patched" or "restored".
func KeyPolicy(ctx context.Context, j *Journal, kms KeyPolicyAPI, c KeyChange, what string) Outcome {
	var o Outcome
	var w *write
	err := j.Local(func() error {
		path, err := SaveNamed(c.BackupDir, c.Stem, c.Current)
		if err == nil {
			w = j.savedKey(c.KeyARN, c.Bucket, path, what)
		}
		return err
	})
	if errors.Is(err, ErrInterrupted) {
		o.fail("interrupted before writing, so nothing was written")
		return o
	}
	if err != nil {
		o.fail("cannot save the key policy before writing, so nothing was written: %v", unwrapPathError(err))
		return o
	}
	path := w.backup
	o.Backup = path
	o.step("saved the key policy to %s (put it back with: fixpolicy rollback --bucket %s --from %s)", path, c.Bucket, path)
	cur, err := kms.GetKeyPolicy(ctx, c.KeyARN)
	if err != nil {
		o.fail("re-reading the key policy before writing failed, so nothing was written: %v", err)
		return o
	}
	if !bytes.Equal(cur, c.Current) {
		o.fail("the key policy of %s changed since it was read (someone else edited it), so nothing was written: run fixpolicy again", c.KeyARN)
		return o
	}
	o.step("re-read the key policy: unchanged since it was read")
	if err := j.send(w); err != nil {
		o.fail("interrupted before writing, so nothing was written (the key policy is saved in %s)", path)
		return o
	}
	if err := kms.PutKeyPolicy(ctx, c.KeyARN, c.New); err != nil {
		back, rerr := kms.GetKeyPolicy(ctx, c.KeyARN)
		switch {
		case rerr == nil && bytes.Equal(back, c.Current):
			j.settle(w, wsUnchanged)
			o.fail("writing the %s key policy failed, so the key keeps its policy (also saved in %s): %v", what, path, err)
		case rerr == nil && SameMeaning(back, c.New) == nil:
			j.settle(w, wsWritten)
			o.step("the write reported an error (%v), but the key policy read back is the %s one", report.OneLine(err.Error()), what)
		default:
			o.fail("writing the %s key policy failed (%v) and the key's policy could not be confirmed; the old one is saved in %s (put it back with: fixpolicy rollback --bucket %s --from %s)", what, err, path, c.Bucket, path)
		}
		return o
	}
	j.settle(w, wsWritten)
	o.step("wrote the %s key policy with kms:PutKeyPolicy", what)
	back, err := kms.GetKeyPolicy(ctx, c.KeyARN)
	switch {
	case err != nil:
		o.fail("the key policy was written but could not be read back to verify it (%v); the old one is in %s", err, path)
	case SameMeaning(back, c.New) != nil:
		o.fail("the key policy read back differs from what was written; the old one is in %s", path)
	default:
		o.step("read it back: it means what was written")
	}
	return o
}

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
