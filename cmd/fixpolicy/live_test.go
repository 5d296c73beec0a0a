package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/fixpolicy/fixpolicy/awsapi"
	"github.com/fixpolicy/fixpolicy/awsapi/awstest"
	"github.com/fixpolicy/fixpolicy/rewrite"
)

func TestMain(m *testing.M) {
	code := m.Run() // parses the flags (-update) first
	awstest.StopSharedMoto()
	removeBinary()
	os.Exit(code)
}

// liveClients builds the CLI's clients from the flags as usual, but with a
// loopback-only HTTP client and edits applied to the options.
func liveClients(t testing.TB, edit func(*awsapi.Options)) clientFactory {
	t.Helper()
	hc := awstest.LoopbackHTTPClient(t)
	return func(ctx context.Context, o awsapi.Options) (*awsapi.Clients, error) {
		o.HTTPClient = hc
		if edit != nil {
			edit(&o)
		}
		return awsapi.New(ctx, o)
	}
}

var liveBucketSeq atomic.Int64

// liveBucketName returns a bucket name no other test uses.
func liveBucketName(prefix string) string {
	return fmt.Sprintf("%s-%d-%d", prefix, time.Now().UnixNano()%1e9, liveBucketSeq.Add(1))
}

// liveSeedPolicy returns a seed fixture's policy rewritten for bucket.
func liveSeedPolicy(t testing.TB, fixture, bucket string) string {
	t.Helper()
	src, err := os.ReadFile(filepath.Join("../../fixtures", fixture, "policy.json"))
	if err != nil {
		t.Fatal(err)
	}
	s := string(src)
	for _, old := range []string{"mtzml-20231208", "awsbackup-test-001"} {
		s = strings.ReplaceAll(s, old, bucket)
	}
	return strings.ReplaceAll(s, "012345678901", awstest.DefaultAccount)
}

// liveMotoSetup points the CLI at the shared moto, creates the backup role and
// returns the seeding helper and the extra CLI arguments.
type liveMotoCase struct {
	m         awstest.Moto
	roleID    string
	backupDir string
	args      []string // --endpoint-url ... --backup-dir ...
	h         harness
}

func liveMotoSetup(t *testing.T) *liveMotoCase {
	t.Helper()
	ep := awstest.SharedMoto(t)
	awstest.MotoEnv(t, ep)
	m := awstest.Moto{Endpoint: ep}
	roleID, _ := m.CreateBackupRole(t)
	dir := filepath.Join(t.TempDir(), "backups")
	return &liveMotoCase{m: m, roleID: roleID, backupDir: dir, args: []string{"--endpoint-url", ep, "--backup-dir", dir},
		h: harness{aws: liveClients(t, nil)}}
}

func (mc *liveMotoCase) run(t *testing.T, stdin string, args ...string) (string, string, int) {
	t.Helper()
	return mc.h.run(t, stdin, append(args, mc.args...)...)
}

// livePolicy reads the bucket's policy straight from moto.
func (mc *liveMotoCase) livePolicy(t *testing.T, bucket string) string {
	t.Helper()
	out, err := mc.m.S3(t, "us-east-1").GetBucketPolicy(context.Background(), &s3.GetBucketPolicyInput{Bucket: &bucket})
	if err != nil {
		t.Fatalf("moto GetBucketPolicy %s: %v", bucket, err)
	}
	return *out.Policy
}

// liveBackups returns the backup files for bucket in dir.
func liveBackups(t testing.TB, dir, bucket string) []string {
	t.Helper()
	files, _ := filepath.Glob(filepath.Join(dir, bucket+"-*.json"))
	return files
}

func liveCheckBackup(t *testing.T, path, want string) {
	t.Helper()
	st, err := os.Stat(path)
	if err != nil {
		t.Fatalf("backup: %v", err)
	}
	if st.Mode().Perm() != 0o600 {
		t.Errorf("backup %s has mode %v, want 0600", path, st.Mode().Perm())
	}
	got, _ := os.ReadFile(path)
	if string(got) != want {
		t.Errorf("backup %s holds\n%s\nwant the original\n%s", path, got, want)
	}
}

func liveEquivalent(t testing.TB, a, b string) bool {
	t.Helper()
	pa, err := rewrite.Parse([]byte(a))
	if err != nil {
		return false
	}
	pb, err := rewrite.Parse([]byte(b))
	if err != nil {
		return false
	}
	return rewrite.Equivalent(pa, pb)
}

// TestLiveSeed000 is the "done when": dry-run shows the diff, --yes
// applies it and saves the original, --check then exits 0, and rollback
// restores the original.
func TestLiveSeed000(t *testing.T) {
	mc := liveMotoSetup(t)
	b := liveBucketName("seed000")
	mc.m.CreateBucket(t, b, "")
	orig := liveSeedPolicy(t, "seed000-vpce-only", b)
	mc.m.PutBucketPolicy(t, b, orig)

	out, stderr, code := mc.run(t, "", "--bucket", b, "--dry-run")
	if code != exitOK {
		t.Fatalf("--dry-run: exit %d: %s", code, stderr)
	}
	for _, want := range []string{"s3://" + b + ": needs-change", "+", mc.roleID + ":*", "aws:PrincipalAccount"} {
		if !strings.Contains(out, want) {
			t.Errorf("--dry-run output lacks %q:\n%s", want, out)
		}
	}
	if got := mc.livePolicy(t, b); got != orig {
		t.Fatalf("--dry-run changed the policy")
	}
	if len(liveBackups(t, mc.backupDir, b)) != 0 {
		t.Errorf("--dry-run saved a backup")
	}

	_, _, code = mc.run(t, "", "--bucket", b, "--check")
	if code != exitChanges {
		t.Errorf("--check before the fix: exit %d, want 2", code)
	}

	out, stderr, code = mc.run(t, "", "--bucket", b, "--yes")
	if code != exitOK {
		t.Fatalf("--yes: exit %d\n%s\n%s", code, out, stderr)
	}
	for _, want := range []string{"saved the original policy to", "re-read the live policy: unchanged", "wrote the patched policy", "read it back: it means what was written"} {
		if !strings.Contains(out, want) {
			t.Errorf("--yes output lacks step %q:\n%s", want, out)
		}
	}
	files := liveBackups(t, mc.backupDir, b)
	if len(files) != 1 {
		t.Fatalf("liveBackups: %v", files)
	}
	liveCheckBackup(t, files[0], orig)
	patched := mc.livePolicy(t, b)
	if patched == orig || !strings.Contains(patched, mc.roleID+":*") {
		t.Fatalf("the policy was not patched:\n%s", patched)
	}

	out, stderr, code = mc.run(t, "", "--bucket", b, "--check")
	if code != exitOK {
		t.Errorf("--check after the fix: exit %d\n%s%s", code, out, stderr)
	}

	// JSON report of the applied state.
	out, _, _ = mc.run(t, "", "--bucket", b, "--dry-run", "-o", "json")
	if !strings.Contains(out, `"status":"compliant"`) {
		t.Errorf("json after the fix: %s", out)
	}

	out, stderr, code = mc.run(t, "", "rollback", "--bucket", b, "--from", files[0], "--yes")
	if code != exitOK {
		t.Fatalf("rollback: exit %d\n%s\n%s", code, out, stderr)
	}
	if got := mc.livePolicy(t, b); got != orig {
		t.Errorf("rollback did not restore the original:\n%s", got)
	}
	if !strings.Contains(strings.Join(strings.Fields(out), " "), "read it back") {
		t.Errorf("rollback output: %s", out)
	}
	// The rollback saved the patched policy, so it can be undone.
	files = liveBackups(t, mc.backupDir, b)
	if len(files) != 2 {
		t.Fatalf("liveBackups after rollback: %v", files)
	}
	var undo string
	for _, f := range files {
		if src, _ := os.ReadFile(f); string(src) == patched {
			undo = f
		}
	}
	if undo == "" {
		t.Errorf("the rollback did not save the patched policy")
	}
	_, _, code = mc.run(t, "", "--bucket", b, "--check")
	if code != exitChanges {
		t.Errorf("--check after the rollback: exit %d, want 2", code)
	}
	// A rollback to the policy the bucket already has writes nothing.
	out, _, code = mc.run(t, "", "rollback", "--bucket", b, "--from", files[0], "--yes")
	// The report wraps its lines, and where depends on the backup's path.
	if code != exitOK || !strings.Contains(strings.Join(strings.Fields(out), " "), "nothing to restore") {
		t.Errorf("rollback to the current policy: exit %d: %s", code, out)
	}
}

func TestLiveSeed001(t *testing.T) {
	mc := liveMotoSetup(t)
	b := liveBucketName("seed001")
	mc.m.CreateBucket(t, b, "")
	orig := liveSeedPolicy(t, "seed001-office-ip", b)
	mc.m.PutBucketPolicy(t, b, orig)

	out, stderr, code := mc.run(t, "", "--bucket", b, "--yes", "-o", "json")
	if code != exitOK {
		t.Fatalf("exit %d\n%s\n%s", code, out, stderr)
	}
	if !strings.Contains(out, `"status":"patched"`) || !strings.Contains(out, `"backup_file"`) {
		t.Errorf("json report: %s", out)
	}
	got := mc.livePolicy(t, b)
	if !strings.Contains(got, "aws:userId") && !strings.Contains(got, "aws:userid") {
		t.Errorf("no userid exemption:\n%s", got)
	}
	if !strings.Contains(got, mc.roleID+":*") {
		t.Errorf("no exemption for %s:\n%s", mc.roleID, got)
	}
	liveCheckBackup(t, liveBackups(t, mc.backupDir, b)[0], orig)
	if _, _, code := mc.run(t, "", "--bucket", b, "--check"); code != exitOK {
		t.Errorf("--check after the fix: exit %d", code)
	}
}

func TestLiveNoPolicyIsCompliant(t *testing.T) {
	mc := liveMotoSetup(t)
	b := liveBucketName("nopolicy")
	mc.m.CreateBucket(t, b, "")
	out, stderr, code := mc.run(t, "", "--bucket", b)
	if code != exitOK || !strings.Contains(out, "compliant") || !strings.Contains(out, "NoSuchBucketPolicy") {
		t.Errorf("exit %d\n%s\n%s", code, out, stderr)
	}
}

func TestLiveMissingBucket(t *testing.T) {
	mc := liveMotoSetup(t)
	b := liveBucketName("missing")
	out, stderr, code := mc.run(t, "", "--bucket", b, "--yes")
	if code != exitError {
		t.Errorf("exit %d, want 1", code)
	}
	if !strings.Contains(stderr, fmt.Sprintf("bucket %q does not exist", b)) {
		t.Errorf("stderr: %q (stdout %q)", stderr, out)
	}
	if strings.Count(stderr, "\n") != 1 {
		t.Errorf("want one line on stderr, got %q", stderr)
	}
}

func TestLiveMissingRole(t *testing.T) {
	mc := liveMotoSetup(t)
	b := liveBucketName("norole")
	mc.m.CreateBucket(t, b, "")
	orig := liveSeedPolicy(t, "seed000-vpce-only", b)
	mc.m.PutBucketPolicy(t, b, orig)
	out, stderr, code := mc.run(t, "", "--bucket", b, "--yes", "--role-name", "NoSuchBackupRole")
	if code != exitError {
		t.Errorf("exit %d, want 1", code)
	}
	for _, want := range []string{`"NoSuchBackupRole"`, "--role-name", "--role-id"} {
		if !strings.Contains(stderr, want) {
			t.Errorf("stderr lacks %q: %q", want, stderr)
		}
	}
	if out != "" {
		t.Errorf("stdout: %q", out)
	}
	if mc.livePolicy(t, b) != orig || len(liveBackups(t, mc.backupDir, b)) != 0 {
		t.Errorf("something was written")
	}
}

func TestLiveManyBucketsOneFailing(t *testing.T) {
	mc := liveMotoSetup(t)
	a, missing, c, bad := liveBucketName("many-a"), liveBucketName("many-missing"), liveBucketName("many-c"), liveBucketName("many-bad")
	mc.m.CreateBucket(t, a, "")
	mc.m.CreateBucket(t, c, "")
	mc.m.CreateBucket(t, bad, "")
	origA := liveSeedPolicy(t, "seed000-vpce-only", a)
	mc.m.PutBucketPolicy(t, a, origA)
	mc.m.PutBucketPolicy(t, bad, "this is not json") // moto stores anything
	out, stderr, code := mc.run(t, "", "--bucket", a, "--bucket", missing, "--bucket", c, "--bucket", bad, "--yes")
	if code != exitError {
		t.Errorf("exit %d, want 1 (the worst)", code)
	}
	if mc.livePolicy(t, a) == origA {
		t.Errorf("bucket %s was not patched", a)
	}
	if !strings.Contains(stderr, missing) || !strings.Contains(stderr, bad) {
		t.Errorf("stderr lacks the failing buckets: %s", stderr)
	}
	for _, want := range []string{"s3://" + a + ": patched", "s3://" + c + ": compliant", "Summary (4 buckets)", "patched            1", "errors             2"} {
		if !strings.Contains(out, want) {
			t.Errorf("stdout lacks %q:\n%s", want, out)
		}
	}
	// The exit code is the worst one: --check with one bucket needing a change and none failing gives 2.
	d := liveBucketName("many-d")
	mc.m.CreateBucket(t, d, "")
	mc.m.PutBucketPolicy(t, d, liveSeedPolicy(t, "seed001-office-ip", d))
	if _, _, code := mc.run(t, "", "--bucket", a, "--bucket", c, "--bucket", d, "--check"); code != exitChanges {
		t.Errorf("--check: exit %d, want 2", code)
	}
}

// runTTY runs the CLI as if standard input were a terminal.
func (mc *liveMotoCase) runTTY(t *testing.T, stdin string, args ...string) (string, string, int) {
	t.Helper()
	return harness{aws: mc.h.aws, inTTY: true}.run(t, stdin, args...)
}

func TestLivePrompt(t *testing.T) {
	mc := liveMotoSetup(t)
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
			b := liveBucketName("prompt")
			mc.m.CreateBucket(t, b, "")
			orig := liveSeedPolicy(t, "seed000-vpce-only", b)
			mc.m.PutBucketPolicy(t, b, orig)
			args := append([]string{"--bucket", b}, mc.args...)
			var out, stderr string
			var code int
			if tc.tty {
				out, stderr, code = mc.runTTY(t, tc.stdin, args...)
			} else {
				out, stderr, code = mc.h.run(t, tc.stdin, args...)
			}
			if code != tc.code {
				t.Errorf("exit %d, want %d\n%s\n%s", code, tc.code, out, stderr)
			}
			applied := mc.livePolicy(t, b) != orig
			if applied != tc.applied {
				t.Errorf("applied=%v, want %v", applied, tc.applied)
			}
			if n := len(liveBackups(t, mc.backupDir, b)); (n > 0) != tc.applied {
				t.Errorf("%d liveBackups", n)
			}
			if tc.tty && !strings.Contains(stderr, "[y/N]") {
				t.Errorf("no prompt on stderr: %q", stderr)
			}
			if tc.tty && !strings.Contains(out, "@@") {
				t.Errorf("the diff was not shown before asking:\n%s", out)
			}
			if !tc.tty && !strings.Contains(stderr, "--yes") {
				t.Errorf("the refusal does not name --yes: %q", stderr)
			}
		})
	}
}

func TestRollbackValidation(t *testing.T) {
	mc := liveMotoSetup(t)
	b := liveBucketName("rb")
	mc.m.CreateBucket(t, b, "")
	orig := liveSeedPolicy(t, "seed000-vpce-only", b)
	mc.m.PutBucketPolicy(t, b, orig)
	dir := t.TempDir()
	write := func(name, s string) string {
		p := filepath.Join(dir, name)
		os.WriteFile(p, []byte(s), 0o600)
		return p
	}
	for _, tc := range []struct {
		name string
		args []string
		want string
	}{
		{"not json", []string{"--from", write("bad.json", "{not json")}, "is not a bucket policy"},
		{"no statement", []string{"--from", write("empty.json", `{"Version":"2012-10-17"}`)}, "is not a bucket policy"},
		{"missing file", []string{"--from", filepath.Join(dir, "nope.json")}, "cannot read --from"},
		{"other bucket", []string{"--from", write("other.json", liveSeedPolicy(t, "seed000-vpce-only", "someone-else"))}, "another bucket"},
		{"no --from", nil, "--from"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			out, stderr, code := mc.run(t, "", append([]string{"rollback", "--bucket", b, "--yes"}, tc.args...)...)
			if code != exitError || !strings.Contains(stderr, tc.want) || strings.Count(stderr, "\n") != 1 {
				t.Errorf("exit %d, stderr %q, stdout %q", code, stderr, out)
			}
			if mc.livePolicy(t, b) != orig {
				t.Errorf("the policy was changed")
			}
		})
	}
	// Without a terminal and without --yes: refused.
	other := strings.Replace(orig, "vpce-12345678901234567", "vpce-00000000000000000", 1)
	from := write("prev.json", other)
	_, stderr, code := mc.run(t, "", "rollback", "--bucket", b, "--from", from)
	if code != exitError || !strings.Contains(stderr, "--yes") || mc.livePolicy(t, b) != orig {
		t.Errorf("rollback without --yes: exit %d, %q", code, stderr)
	}
	// On a terminal, "n" writes nothing, "y" restores.
	if _, _, code := mc.runTTY(t, "n\n", append([]string{"rollback", "--bucket", b, "--from", from}, mc.args...)...); code != exitError || mc.livePolicy(t, b) != orig {
		t.Errorf("rollback answered n: exit %d", code)
	}
	if out, stderr, code := mc.runTTY(t, "y\n", append([]string{"rollback", "--bucket", b, "--from", from}, mc.args...)...); code != exitOK || mc.livePolicy(t, b) != other {
		t.Errorf("rollback answered y: exit %d\n%s\n%s", code, out, stderr)
	}
}
