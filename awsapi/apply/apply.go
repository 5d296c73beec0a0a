package apply

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"

	"github.com/fixpolicy/fixpolicy/awsapi"
	"github.com/fixpolicy/fixpolicy/rewrite"
	"github.com/fixpolicy/fixpolicy/rewrite/report"
)

// PolicyAPI is what a transaction needs from S3. [*awsapi.Clients] has it;
// GetBucketPolicy reports a bucket without a policy as exists=false.
type PolicyAPI interface {
	GetBucketPolicy(ctx context.Context, bucket string) (policy []byte, exists bool, err error)
	PutBucketPolicy(ctx context.Context, bucket string, policy []byte, expectedOwner string) error
}

var _ PolicyAPI = (*awsapi.Clients)(nil)

// Change is one policy write to a bucket.
type Change struct {
	Bucket string
	// Current is the live policy the change was computed from; it is saved
	// to BackupDir first, and the write is made only while it is still the
	// live one. NoPolicy says the bucket had none ([Restore] only).
	Current  []byte
	NoPolicy bool
	New      []byte // the policy to put
	// Owner is the account that must own the bucket, sent as
	// ExpectedBucketOwner so that S3 refuses the write for any other.
	Owner     string
	BackupDir string
}

// Outcome is what a transaction did.
type Outcome struct {
	// Steps are the steps taken, one sentence each; after a failure the
	// last one is "error: " and Err.
	Steps []string
	// Backup is the file the live policy was saved to ("" when none was).
	Backup string
	// Err, when not "", is why the new policy is not verified in place, in
	// one line that says what state the bucket was left in. "" means the
	// new policy was written and read back.
	Err string
	// Cause is the AWS error behind Err, when there is one (to tell an
	// AccessDenied, say).
	Cause error
}

// OK reports that the new policy was written and read back.
func (o *Outcome) OK() bool { return o.Err == "" }

func (o *Outcome) step(format string, args ...any) {
	o.Steps = append(o.Steps, fmt.Sprintf(format, args...))
}

func (o *Outcome) fail(format string, args ...any) {
	for _, a := range args {
		var e *awsapi.Error
		if err, ok := a.(error); ok && o.Cause == nil && errors.As(err, &e) {
			o.Cause = err
		}
	}
	o.Err = report.OneLine(fmt.Sprintf(format, args...))
	o.step("error: %s", o.Err)
}

// Patch writes c.New, the patched policy, over c.Current: it saves the
// original to c.BackupDir, re-reads the live policy and stops if it changed
// since the analysis, puts the patch and verifies it, recording the write in
// j. On any failure the bucket is either untouched or (when the write's
// outcome is unknown) its state is read back and reported. Once j is
// interrupted, it writes nothing.
func Patch(ctx context.Context, j *Journal, s3 PolicyAPI, c Change) Outcome {
	var o Outcome
	var w *write
	err := j.Local(func() error {
		path, err := SaveBackup(c.BackupDir, c.Bucket, c.Current)
		if err == nil {
			w = j.saved(c.Bucket, path, "patched")
		}
		return err
	})
	if errors.Is(err, ErrInterrupted) {
		o.fail("interrupted before writing, so nothing was written")
		return o
	}
	if err != nil {
		o.fail("cannot save the original policy before writing, so nothing was written: %v", unwrapPathError(err))
		return o
	}
	path := w.backup
	o.Backup = path
	o.step("saved the original policy to %s", path)
	cur, exists, err := s3.GetBucketPolicy(ctx, c.Bucket)
	if err != nil {
		o.fail("re-reading the policy before writing failed, so nothing was written: %v", err)
		return o
	}
	if !exists || !bytes.Equal(cur, c.Current) {
		o.fail("the policy of s3://%s changed since it was analysed (someone else edited it), so nothing was written: run fixpolicy again", c.Bucket)
		return o
	}
	o.step("re-read the live policy: unchanged since the analysis")
	if err := j.send(w); err != nil {
		o.fail("interrupted before writing, so nothing was written (the original policy is saved in %s)", path)
		return o
	}
	if err := s3.PutBucketPolicy(ctx, c.Bucket, c.New, c.Owner); err != nil {
		// The write may or may not have happened (a timeout or a reset
		// connection after S3 stored it): read the policy back to tell.
		back, exists, rerr := s3.GetBucketPolicy(ctx, c.Bucket)
		switch {
		case rerr == nil && exists && bytes.Equal(back, c.Current):
			j.settle(w, wsUnchanged)
			o.fail("writing the patched policy failed, so the bucket keeps its original policy (also saved in %s): %v", path, err)
		case rerr == nil && exists && SameMeaning(back, c.New) == nil:
			j.settle(w, wsWritten)
			o.step("the write reported an error (%v), but the policy read back is the patched one", report.OneLine(err.Error()))
			o.step("read it back: it means what was written")
		case rerr == nil:
			o.fail("writing the patched policy failed (%v) and the bucket's policy is now neither the original nor the patch; the original is saved in %s (restore it with: fixpolicy rollback --bucket %s --from %s)", err, path, c.Bucket, path)
		default:
			o.fail("writing the patched policy failed (%v) and the policy could not be read back to check (%v); the original is saved in %s (restore it with: fixpolicy rollback --bucket %s --from %s)", err, rerr, path, c.Bucket, path)
		}
		return o
	}
	j.settle(w, wsWritten)
	o.step("wrote the patched policy with s3:PutBucketPolicy (expected bucket owner %s)", c.Owner)
	o.verify(ctx, s3, c.Bucket, c.New, path)
	return o
}

// Restore puts c.New, a policy saved before an earlier write, back over
// c.Current (none when c.NoPolicy): it saves the current policy to
// c.BackupDir, so the rollback can itself be undone, re-reads, puts and
// verifies as [Patch] does, recording the write in j.
func Restore(ctx context.Context, j *Journal, s3 PolicyAPI, c Change) Outcome {
	var o Outcome
	existed := !c.NoPolicy
	backup := "(none: the bucket had no policy)"
	var w *write
	err := j.Local(func() error {
		path := ""
		if existed {
			var err error
			if path, err = SaveBackup(c.BackupDir, c.Bucket, c.Current); err != nil {
				return err
			}
		}
		w = j.saved(c.Bucket, path, "restored")
		return nil
	})
	if errors.Is(err, ErrInterrupted) {
		o.fail("interrupted before restoring, so nothing was written")
		return o
	}
	if err != nil {
		o.fail("cannot save the current policy before restoring, so nothing was written: %v", unwrapPathError(err))
		return o
	}
	if existed {
		o.Backup, backup = w.backup, w.backup
		o.step("saved the current policy to %s", w.backup)
	}
	now, exists, err := s3.GetBucketPolicy(ctx, c.Bucket)
	if err != nil {
		o.fail("re-reading the policy before writing failed, so nothing was written: %v", err)
		return o
	}
	if exists != existed || !bytes.Equal(now, c.Current) {
		o.fail("the policy of s3://%s changed since the diff was made (someone else edited it), so nothing was written: run the rollback again", c.Bucket)
		return o
	}
	o.step("re-read the live policy: unchanged since the diff")
	if err := j.send(w); err != nil {
		o.fail("interrupted before restoring, so nothing was written")
		return o
	}
	if err := s3.PutBucketPolicy(ctx, c.Bucket, c.New, c.Owner); err != nil {
		back, exists, rerr := s3.GetBucketPolicy(ctx, c.Bucket)
		switch {
		case rerr == nil && exists && SameMeaning(back, c.New) == nil:
			j.settle(w, wsWritten)
			o.step("the write reported an error (%v), but the policy read back is the restored one", report.OneLine(err.Error()))
			o.step("read it back: it means what was written")
		case rerr == nil && exists == existed && bytes.Equal(back, c.Current):
			j.settle(w, wsUnchanged)
			o.fail("restoring the saved policy failed, so the bucket keeps its current policy: %v", err)
		default:
			o.fail("restoring the saved policy failed (%v) and the bucket's policy could not be confirmed; the policy it had is saved in %s", err, backup)
		}
		return o
	}
	j.settle(w, wsWritten)
	o.step("wrote the saved policy with s3:PutBucketPolicy (expected bucket owner %s)", c.Owner)
	o.verify(ctx, s3, c.Bucket, c.New, backup)
	return o
}

// verify reads the policy back and checks that it means want.
func (o *Outcome) verify(ctx context.Context, s3 PolicyAPI, bucket string, want []byte, backup string) {
	back, exists, err := s3.GetBucketPolicy(ctx, bucket)
	switch {
	case err != nil:
		o.fail("the policy was written but could not be read back to verify it (%v); check the bucket, the previous policy is in %s", err, backup)
	case !exists:
		o.fail("the policy was written but S3 now reports no policy on the bucket; the previous policy is in %s", backup)
	default:
		if err := SameMeaning(back, want); err != nil {
			o.fail("the policy read back from S3 differs from what was written (%v); the previous policy is in %s", err, backup)
			return
		}
		o.step("read it back: it means what was written")
	}
}

// SameMeaning checks that the policy S3 returns is the one written. S3 may
// re-format it, so it compares the documents, not the bytes.
func SameMeaning(got, want []byte) error {
	if bytes.Equal(got, want) {
		return nil
	}
	g, err := rewrite.Parse(got)
	if err != nil {
		return fmt.Errorf("it does not parse: %v", err)
	}
	w, err := rewrite.Parse(want)
	if err != nil {
		return err
	}
	if !rewrite.Equivalent(g, w) {
		return fmt.Errorf("its statements differ")
	}
	return nil
}

// unwrapPathError drops the operation and path of an *os.PathError: the
// messages name the file themselves.
func unwrapPathError(err error) error {
	if pe, ok := err.(*os.PathError); ok {
		return pe.Err
	}
	return err
}
