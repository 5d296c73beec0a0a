package apply_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/fixpolicy/fixpolicy/awsapi"
	"github.com/fixpolicy/fixpolicy/awsapi/apply"
	"github.com/fixpolicy/fixpolicy/awsapi/internal/awstest"
	"github.com/fixpolicy/fixpolicy/rewrite"
)

// These tests run the transactions against the in-process fault server,
// which speaks S3's wire format: faults are injected per operation.

const seed = "../../fixtures/seed000-vpce-only/policy.json"

// fault is one bucket on a fault server, with its original policy and the
// patch fixpolicy would write.
type fault struct {
	fs          *awstest.FaultServer
	cl          *awsapi.Clients
	bucket, dir string
	orig, patch []byte
}

func newFault(t *testing.T, edits ...func(*awsapi.Options)) *fault {
	t.Helper()
	fs := awstest.NewFaultServer(t)
	role := fs.AddBackupRole()
	edits = append([]func(*awsapi.Options){func(o *awsapi.Options) { o.CallTimeout = 2 * time.Second }}, edits...)
	f := &fault{fs: fs, cl: fs.Clients(edits...), bucket: "data-bucket", dir: filepath.Join(t.TempDir(), "backups")}
	src, err := os.ReadFile(seed)
	if err != nil {
		t.Fatal(err)
	}
	f.orig = []byte(strings.ReplaceAll(strings.ReplaceAll(string(src), "mtzml-20231208", f.bucket), "012345678901", awstest.DefaultAccount))
	fs.CreateBucket(f.bucket, "")
	fs.SetPolicy(f.bucket, string(f.orig))
	res, err := rewrite.Fix(f.orig, rewrite.Options{ExemptBy: rewrite.ExemptByUserID, Facts: rewrite.Facts{
		Bucket: f.bucket, AccountID: awstest.DefaultAccount, RoleID: role.RoleID, RoleARN: role.Arn, RoleName: role.Name}})
	if err != nil || !res.Changed() {
		t.Fatalf("rewrite.Fix: %v", err)
	}
	f.patch = res.After
	// Before every write, a backup of the policy then in place must exist.
	for n := 1; n <= 5; n++ {
		fs.OnRequest("s3:PutBucketPolicy", n, func() {
			req := fs.Requests("s3:PutBucketPolicy")[n-1]
			cur, ok := fs.Policy(req.Bucket)
			if !ok || cur == string(req.Body) {
				return
			}
			files, _ := filepath.Glob(filepath.Join(f.dir, req.Bucket+"-*.json"))
			for _, p := range files {
				if b, _ := os.ReadFile(p); string(b) == cur {
					return
				}
			}
			t.Errorf("PutBucketPolicy #%d was sent without a backup of the live policy", n)
		})
	}
	return f
}

func (f *fault) patchIt(j *apply.Journal) apply.Outcome {
	if j == nil {
		j = &apply.Journal{}
	}
	return apply.Patch(context.Background(), j, f.cl, apply.Change{
		Bucket: f.bucket, Current: f.orig, New: f.patch, Owner: awstest.DefaultAccount, BackupDir: f.dir})
}

// settled checks the safety property of every fault: the bucket is either
// patched and verified, or untouched and reported as an error; no policy is
// lost.
func (f *fault) settled(t *testing.T, o apply.Outcome) (patched bool) {
	t.Helper()
	live, ok := f.fs.Policy(f.bucket)
	if !ok {
		t.Fatalf("the bucket lost its policy")
	}
	switch {
	case live == string(f.orig):
		if o.OK() {
			t.Errorf("the bucket is untouched but the outcome is OK: %+v", o)
		}
		if n := len(o.Steps); n == 0 || o.Steps[n-1] != "error: "+o.Err {
			t.Errorf("the last step is not the error: %q", o.Steps)
		}
		return false
	case apply.SameMeaning([]byte(live), f.patch) == nil:
		if !o.OK() {
			t.Errorf("the bucket is patched but the outcome is an error: %q", o.Err)
		}
		if b, err := os.ReadFile(o.Backup); err != nil || string(b) != string(f.orig) {
			t.Errorf("the backup %q does not hold the original (%v)", o.Backup, err)
		}
		return true
	}
	t.Errorf("the bucket has a policy that is neither the original nor the patch:\n%s", live)
	return false
}

func TestPatch(t *testing.T) {
	f := newFault(t)
	o := f.patchIt(nil)
	if !f.settled(t, o) {
		t.Fatalf("not patched: %+v", o)
	}
	want := []string{
		"saved the original policy to " + o.Backup,
		"re-read the live policy: unchanged since the analysis",
		"wrote the patched policy with s3:PutBucketPolicy (expected bucket owner " + awstest.DefaultAccount + ")",
		"read it back: it means what was written",
	}
	if strings.Join(o.Steps, "\n") != strings.Join(want, "\n") {
		t.Errorf("steps:\n%q\nwant\n%q", o.Steps, want)
	}
	if st, err := os.Stat(o.Backup); err != nil || st.Mode().Perm() != 0o600 {
		t.Errorf("backup mode: %v %v", st, err)
	}
}

// TestPatchThrottled: throttled reads and writes are retried; every write
// names the expected owner and never confirms removing the caller's access.
func TestPatchThrottled(t *testing.T) {
	f := newFault(t)
	f.fs.Fail("s3:GetBucketPolicy", awstest.Fault{Status: 503, Code: "SlowDown", Times: 1})
	f.fs.Fail("s3:PutBucketPolicy", awstest.Fault{Status: 503, Code: "SlowDown", Times: 2})
	if o := f.patchIt(nil); !f.settled(t, o) {
		t.Errorf("not patched: %+v", o)
	}
	if n := f.fs.Count("s3:PutBucketPolicy"); n != 3 {
		t.Errorf("%d PutBucketPolicy requests, want 3 (2 throttled)", n)
	}
	for _, req := range f.fs.Requests("s3:PutBucketPolicy") {
		if req.Header.Get("X-Amz-Expected-Bucket-Owner") != awstest.DefaultAccount {
			t.Errorf("PutBucketPolicy without ExpectedBucketOwner")
		}
		if req.Header.Get("X-Amz-Confirm-Remove-Self-Bucket-Access") != "" {
			t.Errorf("PutBucketPolicy with ConfirmRemoveSelfBucketAccess")
		}
	}
}

func TestPatchPersistent500(t *testing.T) {
	f := newFault(t)
	f.fs.Fail("s3:PutBucketPolicy", awstest.Fault{Status: 500, Code: "InternalError", Message: "We encountered an internal error."})
	o := f.patchIt(nil)
	if f.settled(t, o) {
		t.Fatal("patched despite the 500s")
	}
	if !strings.Contains(o.Err, "keeps its original policy") || !strings.Contains(o.Err, "server error") {
		t.Errorf("error: %q", o.Err)
	}
	if o.Backup == "" {
		t.Errorf("no backup reported")
	}
	if n := f.fs.Count("s3:PutBucketPolicy"); n != 3 {
		t.Errorf("%d PutBucketPolicy requests, want 3 (retried)", n)
	}
}

func TestPatchWriteErrors(t *testing.T) {
	for _, tc := range []struct {
		name  string
		fault awstest.Fault
		want  []string
	}{
		{"access denied", awstest.Fault{Status: 403, Code: "AccessDenied", Message: "Access Denied"}, []string{"s3:PutBucketPolicy", "keeps its original policy"}},
		{"malformed policy", awstest.Fault{Status: 400, Code: "MalformedPolicy", Message: "Policy has invalid resource"}, []string{"malformed", "Policy has invalid resource"}},
		{"connection reset", awstest.Fault{Reset: true}, []string{"connection", "keeps its original policy"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newFault(t)
			f.fs.Fail("s3:PutBucketPolicy", tc.fault)
			o := f.patchIt(nil)
			if f.settled(t, o) {
				t.Fatal("patched")
			}
			for _, w := range tc.want {
				if !strings.Contains(o.Err, w) {
					t.Errorf("the error lacks %q: %q", w, o.Err)
				}
			}
		})
	}
}

// TestPatchStoredThenReset: S3 stored the policy but the connection dropped
// before the reply: the policy is read back and the bucket reported patched.
func TestPatchStoredThenReset(t *testing.T) {
	f := newFault(t)
	f.fs.OnRequest("s3:PutBucketPolicy", 1, func() { f.fs.SetPolicy(f.bucket, string(f.patch)) })
	f.fs.Fail("s3:PutBucketPolicy", awstest.Fault{Reset: true})
	o := f.patchIt(nil)
	if !f.settled(t, o) {
		t.Fatalf("%+v", o)
	}
	if !strings.Contains(strings.Join(o.Steps, "\n"), "the policy read back is the patched one") {
		t.Errorf("steps: %q", o.Steps)
	}
}

func TestPatchSlowWrite(t *testing.T) {
	f := newFault(t, func(o *awsapi.Options) { o.CallTimeout = 300 * time.Millisecond })
	f.fs.Fail("s3:PutBucketPolicy", awstest.Fault{Delay: 10 * time.Second})
	start := time.Now()
	o := f.patchIt(nil)
	if f.settled(t, o) || !strings.Contains(o.Err, "timed out") {
		t.Errorf("%+v", o)
	}
	if el := time.Since(start); el > 5*time.Second {
		t.Errorf("took %s", el)
	}
}

// TestPatchPolicyChangedBeforeWrite: someone edits the policy between the
// analysis and the write: nothing is written.
func TestPatchPolicyChangedBeforeWrite(t *testing.T) {
	f := newFault(t)
	other := strings.Replace(string(f.orig), "vpce-12345678901234567", "vpce-99999999999999999", 1)
	f.fs.SetPolicy(f.bucket, other)
	o := f.patchIt(nil)
	if o.OK() || !strings.Contains(o.Err, "changed since it was analysed") {
		t.Errorf("%+v", o)
	}
	if got, _ := f.fs.Policy(f.bucket); got != other {
		t.Errorf("the other edit was overwritten")
	}
	if n := f.fs.Count("s3:PutBucketPolicy"); n != 0 {
		t.Errorf("%d writes", n)
	}
}

// TestPatchInterrupted: after the interrupt, no backup is saved and nothing
// is written.
func TestPatchInterrupted(t *testing.T) {
	f := newFault(t)
	j := &apply.Journal{}
	j.Interrupted()
	o := f.patchIt(j)
	if o.OK() || o.Err != "interrupted before writing, so nothing was written" || o.Backup != "" {
		t.Errorf("%+v", o)
	}
	if _, err := os.Stat(f.dir); !os.IsNotExist(err) {
		t.Errorf("the backup directory was created (%v)", err)
	}
	if n := f.fs.Count("s3:PutBucketPolicy") + f.fs.Count("s3:GetBucketPolicy"); n != 0 {
		t.Errorf("%d S3 calls after the interrupt", n)
	}
}

// TestPatchJournal: the journal says what a finished write did.
func TestPatchJournal(t *testing.T) {
	f := newFault(t)
	j := &apply.Journal{}
	o := f.patchIt(j)
	want := "interrupted; s3://data-bucket was patched (its old policy is saved in " + o.Backup + "); nothing else was written"
	if got := j.Interrupted(); got != want {
		t.Errorf("got  %q\nwant %q", got, want)
	}
}

func TestPatchBackupDirUnwritable(t *testing.T) {
	f := newFault(t)
	f.dir = filepath.Join(t.TempDir(), "file")
	os.WriteFile(f.dir, nil, 0o600)
	o := f.patchIt(nil)
	if o.OK() || !strings.Contains(o.Err, "cannot save the original policy before writing, so nothing was written") {
		t.Errorf("%+v", o)
	}
	if n := f.fs.Count("s3:PutBucketPolicy"); n != 0 {
		t.Errorf("%d writes", n)
	}
}

func (f *fault) restore(cur []byte, existed bool, saved []byte) apply.Outcome {
	return apply.Restore(context.Background(), &apply.Journal{}, f.cl, apply.Change{
		Bucket: f.bucket, Current: cur, NoPolicy: !existed, New: saved, Owner: awstest.DefaultAccount, BackupDir: f.dir})
}

func TestRestore(t *testing.T) {
	t.Run("over a policy", func(t *testing.T) {
		f := newFault(t)
		f.fs.SetPolicy(f.bucket, string(f.patch))
		o := f.restore(f.patch, true, f.orig)
		if !o.OK() {
			t.Fatalf("%+v", o)
		}
		if got, _ := f.fs.Policy(f.bucket); got != string(f.orig) {
			t.Errorf("not restored: %s", got)
		}
		if b, err := os.ReadFile(o.Backup); err != nil || string(b) != string(f.patch) {
			t.Errorf("the backup %q does not hold the policy replaced (%v)", o.Backup, err)
		}
		if want := "wrote the saved policy with s3:PutBucketPolicy (expected bucket owner " + awstest.DefaultAccount + ")"; o.Steps[2] != want {
			t.Errorf("steps: %q", o.Steps)
		}
	})
	t.Run("no policy", func(t *testing.T) {
		f := newFault(t)
		f.fs.DeletePolicy(f.bucket)
		o := f.restore(nil, false, f.orig)
		if !o.OK() || o.Backup != "" {
			t.Fatalf("%+v", o)
		}
		if _, err := os.Stat(f.dir); !os.IsNotExist(err) {
			t.Errorf("a backup was saved of no policy (%v)", err)
		}
	})
	t.Run("changed since the diff", func(t *testing.T) {
		f := newFault(t)
		o := f.restore(f.patch, true, f.orig) // the live policy is f.orig, not f.patch
		if o.OK() || !strings.Contains(o.Err, "changed since the diff was made") || f.fs.Count("s3:PutBucketPolicy") != 0 {
			t.Errorf("%+v", o)
		}
	})
	t.Run("write fails", func(t *testing.T) {
		f := newFault(t)
		f.fs.SetPolicy(f.bucket, string(f.patch))
		f.fs.Fail("s3:PutBucketPolicy", awstest.Fault{Status: 403, Code: "AccessDenied"})
		o := f.restore(f.patch, true, f.orig)
		if o.OK() || !strings.Contains(o.Err, "keeps its current policy") {
			t.Errorf("%+v", o)
		}
		if got, _ := f.fs.Policy(f.bucket); got != string(f.patch) {
			t.Errorf("changed")
		}
	})
}

func TestSameMeaning(t *testing.T) {
	t.Parallel()
	a := []byte(`{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Principal":"*","Action":"s3:*","Resource":"arn:aws:s3:::b/*"}]}`)
	reformatted := []byte("{\n  \"Version\": \"2012-10-17\",\n  \"Statement\": [{\"Effect\": \"Deny\", \"Principal\": \"*\", \"Action\": [\"s3:*\"], \"Resource\": \"arn:aws:s3:::b/*\"}]\n}")
	if err := apply.SameMeaning(reformatted, a); err != nil {
		t.Errorf("reformatted: %v", err)
	}
	other := []byte(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"s3:*","Resource":"arn:aws:s3:::b/*"}]}`)
	if err := apply.SameMeaning(other, a); err == nil {
		t.Error("an Allow means what a Deny does")
	}
	if err := apply.SameMeaning([]byte("not json"), a); err == nil || !strings.Contains(err.Error(), "does not parse") {
		t.Errorf("not json: %v", err)
	}
}

func TestSaveBackup(t *testing.T) {
	t.Parallel()
	dir := filepath.Join(t.TempDir(), "b")
	seen := map[string]bool{}
	for range 3 {
		p, err := apply.SaveBackup(dir, "bkt", []byte("{}"))
		if err != nil || seen[p] {
			t.Fatalf("%q %v (a name twice?)", p, err)
		}
		seen[p] = true
		if st, _ := os.Stat(p); st.Mode().Perm() != 0o600 {
			t.Errorf("mode %v", st.Mode().Perm())
		}
	}
	if st, _ := os.Stat(dir); st.Mode().Perm() != 0o700 {
		t.Errorf("dir mode %v", st.Mode().Perm())
	}
}
