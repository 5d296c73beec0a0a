package main

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/smithy-go"
	"github.com/fixpolicy/fixpolicy/awsapi"
	rep "github.com/fixpolicy/fixpolicy/rewrite/report"
)

// fakeS3 is an in-process S3 of buckets and their policies, behind
// awsapi.S3API; the embedded nil interface makes any other call panic.
type fakeS3 struct {
	awsapi.S3API
	mu       sync.Mutex
	policies map[string]string
	puts     []*s3.PutBucketPolicyInput
	putErr   error
}

func (f *fakeS3) GetBucketLocation(context.Context, *s3.GetBucketLocationInput, ...func(*s3.Options)) (*s3.GetBucketLocationOutput, error) {
	return &s3.GetBucketLocationOutput{}, nil // us-east-1
}

func (f *fakeS3) GetBucketPolicy(_ context.Context, in *s3.GetBucketPolicyInput, _ ...func(*s3.Options)) (*s3.GetBucketPolicyOutput, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	p, ok := f.policies[aws.ToString(in.Bucket)]
	if !ok {
		return nil, &smithy.GenericAPIError{Code: "NoSuchBucketPolicy", Message: "The bucket policy does not exist"}
	}
	return &s3.GetBucketPolicyOutput{Policy: aws.String(p)}, nil
}

func (f *fakeS3) PutBucketPolicy(_ context.Context, in *s3.PutBucketPolicyInput, _ ...func(*s3.Options)) (*s3.PutBucketPolicyOutput, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.puts = append(f.puts, in)
	if f.putErr != nil {
		return nil, f.putErr
	}
	f.policies[aws.ToString(in.Bucket)] = aws.ToString(in.Policy)
	return &s3.PutBucketPolicyOutput{}, nil
}

func (f *fakeS3) policy(bucket string) string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.policies[bucket]
}

// fakeAWS returns a harness whose runs get clients over s3 (and no IAM or
// STS: the tests pass --role-id and --account-id).
func fakeAWS(s3 *fakeS3) harness {
	return harness{aws: func(context.Context, awsapi.Options) (*awsapi.Clients, error) {
		return &awsapi.Clients{S3: s3}, nil
	}}
}

const wiringBucket = "data-bucket"

func wiringSeed(t *testing.T) string {
	t.Helper()
	src, err := os.ReadFile("../../fixtures/seed000-vpce-only/policy.json")
	if err != nil {
		t.Fatal(err)
	}
	return strings.ReplaceAll(string(src), "mtzml-20231208", wiringBucket)
}

// TestApplyWiring: --yes on a live bucket runs the write transaction and
// prints its outcome (steps, backup, status) in the report.
func TestApplyWiring(t *testing.T) {
	t.Parallel()
	orig := wiringSeed(t)
	for _, tc := range []struct {
		name   string
		putErr error
		status string
		code   int
		steps  []string // prefixes of the steps
	}{
		{"written", nil, rep.StatusPatched, exitOK, []string{"saved the original policy to ", "re-read the live policy", "wrote the patched policy", "read it back"}},
		{"denied", &smithy.GenericAPIError{Code: "AccessDenied", Message: "Access Denied"}, rep.StatusError, exitError,
			[]string{"saved the original policy to ", "re-read the live policy", "error: writing the patched policy failed, so the bucket keeps its original policy"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			fake := &fakeS3{policies: map[string]string{wiringBucket: orig}, putErr: tc.putErr}
			dir := t.TempDir()
			out, stderr, code := fakeAWS(fake).run(t, "", "--bucket", wiringBucket, "--yes", "-o", "json", "--backup-dir", dir,
				"--role-id", "AROAEXAMPLEROLEID0001", "--account-id", "012345678901")
			if code != tc.code {
				t.Fatalf("exit %d, want %d: %s", code, tc.code, stderr)
			}
			var r struct {
				Status, Error string
				Steps         []string
				Backup        string `json:"backup_file"`
			}
			if err := json.Unmarshal([]byte(out), &r); err != nil {
				t.Fatalf("%v: %q", err, out)
			}
			if r.Status != tc.status || len(r.Steps) != len(tc.steps) {
				t.Fatalf("status %q, steps %q", r.Status, r.Steps)
			}
			for i, p := range tc.steps {
				if !strings.HasPrefix(r.Steps[i], p) {
					t.Errorf("step %d: %q, want %q...", i, r.Steps[i], p)
				}
			}
			if b, err := os.ReadFile(r.Backup); err != nil || string(b) != orig || filepath.Dir(r.Backup) != dir {
				t.Errorf("backup %q: %v", r.Backup, err)
			}
			if len(fake.puts) != 1 || aws.ToString(fake.puts[0].ExpectedBucketOwner) != "012345678901" {
				t.Errorf("puts: %+v", fake.puts)
			}
			if (fake.policy(wiringBucket) == orig) != (tc.status == rep.StatusError) {
				t.Errorf("the live policy does not match the status %q", tc.status)
			}
		})
	}
}

// TestRollbackWiring: rollback --yes restores the saved policy and says so.
func TestRollbackWiring(t *testing.T) {
	t.Parallel()
	orig := wiringSeed(t)
	dir := t.TempDir()
	from := filepath.Join(dir, "saved.json")
	saved := strings.Replace(orig, "vpce-12345678901234567", "vpce-00000000000000000", 1)
	if saved == orig {
		t.Fatal("the seed changed")
	}
	os.WriteFile(from, []byte(saved), 0o600)
	fake := &fakeS3{policies: map[string]string{wiringBucket: orig}}
	out, stderr, code := fakeAWS(fake).run(t, "", "rollback", "--bucket", wiringBucket, "--from", from, "--yes",
		"--account-id", "012345678901", "--backup-dir", filepath.Join(dir, "bk"), "-o", "json")
	if code != exitOK || fake.policy(wiringBucket) != saved {
		t.Fatalf("exit %d: %s\n%s", code, stderr, out)
	}
	if !strings.Contains(out, `"status":"patched"`) || !strings.Contains(out, "wrote the saved policy with s3:PutBucketPolicy (expected bucket owner 012345678901)") {
		t.Errorf("report: %s", out)
	}
}

// TestNamesCheckedAtParse: a bad bucket or region name is one line on
// stderr, exit 1, before any AWS client is built.
func TestNamesCheckedAtParse(t *testing.T) {
	t.Parallel()
	h := harness{aws: offline(t)}
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--bucket", "s3://my-bucket", "--dry-run"}, `--bucket "s3://my-bucket" is not a bucket name: give the name only`},
		{[]string{"--bucket", "ab", "--dry-run"}, `--bucket "ab" is not a bucket name: S3 bucket names are 3 to 63`},
		{[]string{"--bucket", "-bucket", "--dry-run"}, `--bucket "-bucket" is not a bucket name`},
		{[]string{"--bucket", "my-bucket", "--region", "Europe", "--dry-run"}, `--region "Europe" is not an AWS Region name`},
		{[]string{"rollback", "--bucket", "arn:aws:s3:::b", "--from", "x.json"}, `--bucket "arn:aws:s3:::b" is not a bucket name`},
		{[]string{"rollback", "--bucket", "my-bucket", "--from", "x.json", "--region", "us-east"}, `--region "us-east" is not an AWS Region name`},
		{[]string{"--policy-file", "x.json", "--bucket", "a b c"}, `--bucket "a b c" is not a bucket name`},
		{[]string{"--all-buckets", "--bucket", "xyz"}, `--all-buckets and --bucket are exclusive: pick one`},
	} {
		out, stderr, code := h.run(t, "", tc.args...)
		if code != exitError || out != "" || !strings.HasPrefix(stderr, "fixpolicy: "+tc.want) || strings.Count(stderr, "\n") != 1 {
			t.Errorf("%q: exit %d, stdout %q, stderr %q", tc.args, code, out, stderr)
		}
	}
	// Legacy us-east-1 names (uppercase, underscores) are names.
	fake := &fakeS3{policies: map[string]string{}}
	if _, stderr, code := fakeAWS(fake).run(t, "", "--bucket", "Legacy_Bucket", "--dry-run", "--role-id", "AROAEXAMPLEROLEID0001", "--account-id", "012345678901"); code != exitOK {
		t.Errorf("a legacy name: exit %d: %s", code, stderr)
	}
}

// TestPromptWiring: without --yes, a change to a live bucket is applied only
// when the user answers y on the terminal, after the report and its diff
// are shown; without a terminal it is refused, naming --yes.
func TestPromptWiring(t *testing.T) {
	t.Parallel()
	orig := wiringSeed(t)
	for _, tc := range []struct {
		name, stdin string
		tty         bool
		applied     bool
		code        int
	}{
		{"yes", "y\n", true, true, exitOK},
		{"YES", "YES\n", true, true, exitOK},
		{"no", "n\n", true, false, exitError},
		{"empty", "\n", true, false, exitError},
		{"eof", "", true, false, exitError},
		{"no terminal", "y\n", false, false, exitError},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			fake := &fakeS3{policies: map[string]string{wiringBucket: orig}}
			h := fakeAWS(fake)
			h.inTTY = tc.tty
			out, stderr, code := h.run(t, tc.stdin, "--bucket", wiringBucket, "--backup-dir", t.TempDir(),
				"--role-id", "AROAEXAMPLEROLEID0001", "--account-id", "012345678901")
			if code != tc.code {
				t.Errorf("exit %d, want %d\n%s\n%s", code, tc.code, out, stderr)
			}
			if applied := fake.policy(wiringBucket) != orig; applied != tc.applied {
				t.Errorf("applied=%v, want %v", applied, tc.applied)
			}
			if tc.tty && !strings.Contains(stderr, "Apply this change to s3://"+wiringBucket+"? [y/N] ") {
				t.Errorf("no prompt on stderr: %q", stderr)
			}
			if tc.tty && !strings.Contains(out, "@@") {
				t.Errorf("the diff was not shown before asking:\n%s", out)
			}
			if tc.tty && tc.applied && !strings.Contains(out, "wrote the patched policy") {
				t.Errorf("the steps were not shown after the answer:\n%s", out)
			}
			if !tc.tty && (!strings.Contains(stderr, "--yes") || len(fake.puts) != 0) {
				t.Errorf("the refusal does not name --yes: %q (%d puts)", stderr, len(fake.puts))
			}
		})
	}
}

// TestRollbackValidation: rollback checks --from before any write, refuses
// without --yes when there is no terminal, asks on a terminal, and writes
// nothing when the bucket already has the saved policy.
func TestRollbackValidation(t *testing.T) {
	t.Parallel()
	orig := wiringSeed(t)
	fake := &fakeS3{policies: map[string]string{wiringBucket: orig}}
	h := fakeAWS(fake)
	dir := t.TempDir()
	write := func(name, s string) string {
		p := filepath.Join(dir, name)
		os.WriteFile(p, []byte(s), 0o600)
		return p
	}
	base := []string{"rollback", "--bucket", wiringBucket, "--account-id", "012345678901", "--backup-dir", filepath.Join(dir, "bk")}
	for _, tc := range []struct {
		name string
		args []string
		want string
	}{
		{"not json", []string{"--from", write("bad.json", "{not json")}, "is not a bucket policy"},
		{"no statement", []string{"--from", write("empty.json", `{"Version":"2012-10-17"}`)}, "is not a bucket policy"},
		{"missing file", []string{"--from", filepath.Join(dir, "nope.json")}, "cannot read --from"},
		{"other bucket", []string{"--from", write("other.json", strings.ReplaceAll(orig, wiringBucket, "someone-else"))}, "another bucket"},
		{"no --from", nil, "--from"},
	} {
		out, stderr, code := h.run(t, "", append(append(base, "--yes"), tc.args...)...)
		if code != exitError || !strings.Contains(stderr, tc.want) || strings.Count(stderr, "\n") != 1 {
			t.Errorf("%s: exit %d, stderr %q, stdout %q", tc.name, code, stderr, out)
		}
	}
	if fake.policy(wiringBucket) != orig || len(fake.puts) != 0 {
		t.Fatalf("the policy was changed")
	}
	// Without a terminal and without --yes: refused.
	other := strings.Replace(orig, "vpce-12345678901234567", "vpce-00000000000000000", 1)
	from := write("prev.json", other)
	_, stderr, code := h.run(t, "", append(base, "--from", from)...)
	if code != exitError || !strings.Contains(stderr, "--yes") || fake.policy(wiringBucket) != orig {
		t.Errorf("rollback without --yes: exit %d, %q", code, stderr)
	}
	// On a terminal, "n" writes nothing, "y" restores.
	tty := h
	tty.inTTY = true
	if _, stderr, code := tty.run(t, "n\n", append(base, "--from", from)...); code != exitError || fake.policy(wiringBucket) != orig || !strings.Contains(stderr, "[y/N]") {
		t.Errorf("rollback answered n: exit %d: %q", code, stderr)
	}
	if out, stderr, code := tty.run(t, "y\n", append(base, "--from", from)...); code != exitOK || fake.policy(wiringBucket) != other {
		t.Errorf("rollback answered y: exit %d\n%s\n%s", code, out, stderr)
	}
	// A rollback to the policy the bucket already has writes nothing.
	puts := len(fake.puts)
	out, _, code := h.run(t, "", append(base, "--from", from, "--yes")...)
	if code != exitOK || !strings.Contains(strings.Join(strings.Fields(out), " "), "nothing to restore") || len(fake.puts) != puts {
		t.Errorf("rollback to the current policy: exit %d: %s", code, out)
	}
}

// TestPanicExitsInternal: a panic in the command is one line naming the
// bug and exit 4, not Go's crash (exit 2, which --check uses for "changes
// needed") and its goroutine dump (issue 13, item 9).
func TestPanicExitsInternal(t *testing.T) {
	t.Parallel()
	h := harness{aws: func(context.Context, awsapi.Options) (*awsapi.Clients, error) { panic("boom") }}
	out, stderr, code := h.run(t, "", "--bucket", "bkt-a", "--check", "--role-id", "AROAEXAMPLEROLEID0001", "--account-id", "012345678901")
	if code != exitInternal || out != "" || strings.Count(stderr, "\n") != 1 || !strings.Contains(stderr, "fixpolicy: internal error: boom; this is a bug in fixpolicy") {
		t.Errorf("exit %d, stdout %q, stderr %q", code, out, stderr)
	}
}
