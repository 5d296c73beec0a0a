package doctor

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/fixpolicy/fixpolicy/awsapi/apply"
	"github.com/fixpolicy/fixpolicy/rewrite"
	"github.com/fixpolicy/fixpolicy/rewrite/report"
	"github.com/fixpolicy/fixpolicy/rewrite/udiff"
)

// saveState saves a setting's current value (as JSON) under stem before it
// is changed, and records the file in s. It reports whether it was saved;
// if not, s has failed and nothing was written.
func (f *fixer) saveState(s *Step, stem string, v any) bool {
	doc, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		s.fail("cannot encode the current setting, so nothing was written: %v", err)
		return false
	}
	var path string
	err = f.opt.Journal.Local(func() (err error) {
		path, err = apply.SaveNamed(f.opt.BackupDir, stem, append(doc, '\n'))
		return err
	})
	if err != nil {
		s.fail("cannot save the current setting before writing, so nothing was written: %v", err)
		return false
	}
	s.Backup = path
	s.did("saved the current setting to %s", path)
	return true
}

// settingStep is the shared flow of the versioning and ownership fixes:
// save the current value, re-read it and stop if it changed since the plan,
// put the new one, and read it back (also after a failed put, to tell
// whether it happened).
type settingStep struct {
	name, was, want string
	check           string // the AWS CLI command that shows the setting
	get             func(ctx context.Context) (string, error)
	put             func(ctx context.Context) error
}

func (f *fixer) runSetting(ctx context.Context, s *Step, ss settingStep) {
	if !f.saveState(s, f.bucket+"."+s.ID, map[string]string{"bucket": f.bucket, ss.name: ss.was}) {
		return
	}
	now, err := ss.get(ctx)
	if err != nil {
		s.fail("re-reading %s before writing failed, so nothing was written: %v", ss.name, err)
		return
	}
	if now != ss.was {
		s.fail("%s of s3://%s changed since the plan (%q, now %q), so nothing was written: run doctor --fix again", ss.name, f.bucket, ss.was, now)
		return
	}
	s.did("re-read %s: unchanged since the plan (%s)", ss.name, valueOr(ss.was, "not set"))
	err = f.opt.Journal.Setting(fmt.Sprintf("the %s of s3://%s", ss.name, f.bucket), ss.check, s.Backup, func() error { return ss.put(ctx) })
	if errors.Is(err, apply.ErrInterrupted) {
		s.fail("interrupted before writing, so nothing was written")
		return
	}
	if err != nil {
		if back, rerr := ss.get(ctx); rerr == nil && back == ss.want {
			s.did("the write reported an error (%s), but %s read back is %s", report.OneLine(err.Error()), ss.name, ss.want)
			return
		} else if rerr == nil && back == ss.was {
			s.fail("the write failed, so %s is unchanged: %v", ss.name, err)
			return
		}
		s.fail("the write failed (%v) and %s could not be confirmed; it was %s (saved in %s)", err, ss.name, valueOr(ss.was, "not set"), s.Backup)
		return
	}
	s.did("wrote %s %s", ss.name, ss.want)
	back, err := ss.get(ctx)
	switch {
	case err != nil:
		s.fail("%s was written but could not be read back to verify it: %v", ss.name, err)
	case back != ss.want:
		s.fail("%s read back is %q, not %q as written", ss.name, back, ss.want)
	default:
		s.did("read it back: %s is %s", ss.name, back)
	}
}

func valueOr(v, none string) string {
	if v == "" {
		return none
	}
	return v
}

func (f *fixer) versioningStep() *Step {
	b, owner := f.bucket, f.d.account
	s := &Step{ID: "versioning", Status: Planned,
		Action: fmt.Sprintf("enable S3 Versioning on s3://%s (it is %s)", b, valueOr(f.st.versioning, "not enabled")),
		Calls: []string{fmt.Sprintf("s3:PutBucketVersioning Bucket=%s Status=Enabled ExpectedBucketOwner=%s", b, owner),
			fmt.Sprintf("(aws s3api put-bucket-versioning --bucket %s --versioning-configuration Status=Enabled --expected-bucket-owner %s)", b, owner)},
		Notes: []string{
			"versioning keeps every old version of every object overwritten or deleted, and those versions cost storage (a lifecycle rule expiring noncurrent versions bounds it)",
			"once enabled, versioning can never be turned off again, only suspended; doctor --fix never suspends it",
		}}
	s.run = func(ctx context.Context, s *Step) {
		f.runSetting(ctx, s, settingStep{name: "versioning", was: f.st.versioning, want: "Enabled", check: "aws s3api get-bucket-versioning --bucket " + b,
			get: func(ctx context.Context) (string, error) { return f.w.GetBucketVersioning(ctx, b) },
			put: func(ctx context.Context) error { return f.w.PutBucketVersioning(ctx, b, "Enabled", owner) }})
	}
	return s
}

func (f *fixer) ownershipStep() *Step {
	b, owner := f.bucket, f.d.account
	cli := fmt.Sprintf("aws s3api put-bucket-ownership-controls --bucket %s --ownership-controls 'Rules=[{ObjectOwnership=BucketOwnerEnforced}]' --expected-bucket-owner %s", b, owner)
	notes := []string{
		"BucketOwnerEnforced disables ACLs: the bucket owner then owns every object, including those other accounts or services (CloudWatch Logs exports) wrote, and ACLs no longer grant anything",
		"access that relies on object or bucket ACLs stops working; S3 refuses the change while the bucket ACL grants access to another account",
	}
	if !f.opt.FixOwnership {
		return manual("object-ownership", "not changed without --fix-ownership; to set Object Ownership to BucketOwnerEnforced, run: "+cli, notes...)
	}
	s := &Step{ID: "object-ownership", Status: Planned, Notes: notes,
		Action: fmt.Sprintf("set Object Ownership of s3://%s to BucketOwnerEnforced (it is %s)", b, valueOr(f.st.ownership, "not set")),
		Calls:  []string{fmt.Sprintf("s3:PutBucketOwnershipControls Bucket=%s ObjectOwnership=BucketOwnerEnforced ExpectedBucketOwner=%s", b, owner), "(" + cli + ")"}}
	s.run = func(ctx context.Context, s *Step) {
		f.runSetting(ctx, s, settingStep{name: "object ownership", was: f.st.ownership, want: "BucketOwnerEnforced", check: "aws s3api get-bucket-ownership-controls --bucket " + b,
			get: func(ctx context.Context) (string, error) { return f.w.GetBucketOwnershipControls(ctx, b) },
			put: func(ctx context.Context) error {
				return f.w.PutBucketOwnershipControls(ctx, b, "BucketOwnerEnforced", owner)
			}})
	}
	return s
}

// policyStep is the bucket-policy patch, applied with apply.Patch as
// `fixpolicy --bucket` applies it.
func (f *fixer) policyStep(c Check) *Step {
	res := f.st.res
	if res == nil || res.Status == rewrite.StatusRefused || !res.Changed() {
		return manual("bucket-policy", "not changed: "+c.Detail, c.Fix)
	}
	name := f.bucket + ".policy.json"
	s := &Step{ID: "bucket-policy", Status: Planned,
		Action: fmt.Sprintf("patch the bucket policy of s3://%s (%d %s changed), as fixpolicy --bucket %s does", f.bucket, len(res.Changes), plural(len(res.Changes), "statement", "statements"), f.bucket),
		Calls:  []string{fmt.Sprintf("s3:PutBucketPolicy Bucket=%s ExpectedBucketOwner=%s", f.bucket, f.d.account)},
		Diff:   udiff.Unified(name, name+" (patched)", res.Before, res.After, 3)}
	for _, ch := range res.Changes {
		s.Notes = append(s.Notes, fmt.Sprintf("statement %d: %s", ch.Statement+1, ch.Explanation))
	}
	s.run = func(ctx context.Context, s *Step) {
		o := apply.Patch(ctx, f.opt.Journal, f.w, apply.Change{Bucket: f.bucket, Current: f.st.policy, New: res.After, Owner: f.d.account, BackupDir: f.opt.BackupDir})
		s.record(o)
	}
	return s
}
