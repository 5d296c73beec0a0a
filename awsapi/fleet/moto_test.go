package fleet

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/fixpolicy/fixpolicy/awsapi"
	"github.com/fixpolicy/fixpolicy/awsapi/apply"
	"github.com/fixpolicy/fixpolicy/awsapi/internal/awstest"
	"github.com/fixpolicy/fixpolicy/rewrite/report"
)

// Runs against moto (an S3 and IAM emulator speaking the real wire
// formats), as `fixpolicy --bucket ...` makes them.

// liveMotoCase is a run environment pointed at the shared moto, with the
// backup role created.
type liveMotoCase struct {
	env
	m      awstest.Moto
	roleID string
}

func liveMotoSetup(t *testing.T) *liveMotoCase {
	t.Helper()
	ep := awstest.SharedMoto(t)
	awstest.MotoEnv(t, ep)
	m := awstest.Moto{Endpoint: ep}
	roleID, _ := m.CreateBackupRole(t)
	hc := awstest.LoopbackHTTPClient(t)
	return &liveMotoCase{m: m, roleID: roleID, env: env{
		opts: func() awsapi.Options { return awsapi.Options{EndpointURL: ep, HTTPClient: hc} },
		dir:  filepath.Join(t.TempDir(), "backups"),
	}}
}

// session is a fleet.Session of the case's clients.
func (mc *liveMotoCase) session() *Session {
	return NewSession(context.Background(), func(ctx context.Context) (API, error) {
		cl, err := awsapi.New(ctx, mc.opts())
		if err != nil {
			return nil, err
		}
		return FromClients(cl), nil
	})
}

func (mc *liveMotoCase) runs(t *testing.T, a runArgs) result {
	t.Helper()
	return mc.run(t, context.Background(), a)
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

// TestLiveSeed000 is the "done when": a dry run shows the diff,
// --yes applies it and saves the original, --check then exits 0, and
// rollback restores the original.
func TestLiveSeed000(t *testing.T) {
	mc := liveMotoSetup(t)
	b := liveBucketName("seed000")
	mc.m.CreateBucket(t, b, "")
	orig := liveSeedPolicy(t, "seed000-vpce-only", b)
	mc.m.PutBucketPolicy(t, b, orig)

	res := mc.runs(t, runArgs{buckets: []string{b}, mode: DryRun})
	if res.code != ExitOK || res.err != nil {
		t.Fatalf("dry run: exit %d: %s", res.code, res.msg())
	}
	out := res.text(t)
	for _, want := range []string{"s3://" + b + ": needs-change", "+", mc.roleID + ":*", "aws:PrincipalAccount"} {
		if !strings.Contains(out, want) {
			t.Errorf("the dry run's report lacks %q:\n%s", want, out)
		}
	}
	if got := mc.livePolicy(t, b); got != orig {
		t.Fatalf("the dry run changed the policy")
	}
	if len(liveBackups(t, mc.dir, b)) != 0 {
		t.Errorf("the dry run saved a backup")
	}

	if res := mc.runs(t, runArgs{buckets: []string{b}, mode: Check}); res.code != ExitChanges {
		t.Errorf("check before the fix: exit %d, want 2", res.code)
	}

	res = mc.runs(t, runArgs{buckets: []string{b}, yes: true})
	if res.code != ExitOK {
		t.Fatalf("yes: exit %d\n%s", res.code, res.msg())
	}
	out = res.text(t)
	for _, want := range []string{"saved the original policy to", "re-read the live policy: unchanged", "wrote the patched policy", "read it back: it means what was written"} {
		if !strings.Contains(out, want) {
			t.Errorf("the report lacks step %q:\n%s", want, out)
		}
	}
	files := liveBackups(t, mc.dir, b)
	if len(files) != 1 {
		t.Fatalf("liveBackups: %v", files)
	}
	liveCheckBackup(t, files[0], orig)
	patched := mc.livePolicy(t, b)
	if patched == orig || !strings.Contains(patched, mc.roleID+":*") {
		t.Fatalf("the policy was not patched:\n%s", patched)
	}

	res = mc.runs(t, runArgs{buckets: []string{b}, mode: Check})
	if res.code != ExitOK || res.byBucket[b].Status != report.StatusCompliant {
		t.Errorf("check after the fix: exit %d, %+v", res.code, res.byBucket[b])
	}

	// Rollback from the backup restores the original, saving the patched
	// policy first so that it can be undone.
	rollback := func(dryRun bool) (result, int, error) {
		res := result{byBucket: map[string]*report.Report{}}
		saved, err := os.ReadFile(files[0])
		if err != nil {
			t.Fatal(err)
		}
		rb := &Rollback{Session: mc.session(), Journal: &apply.Journal{}, Bucket: b, From: files[0], Saved: saved, BackupDir: mc.dir,
			DryRun: dryRun, Yes: true, UI: UI{Print: func(r *report.Report) { res.list = append(res.list, r) }}}
		code, err := rb.Run(context.Background())
		return res, code, err
	}
	res, code, err := rollback(false)
	if code != ExitOK || err != nil || len(res.list) != 1 || res.list[0].Status != report.StatusPatched {
		t.Fatalf("rollback: exit %d, %v: %+v", code, err, res.list)
	}
	if got := mc.livePolicy(t, b); got != orig {
		t.Errorf("rollback did not restore the original:\n%s", got)
	}
	if out := strings.Join(strings.Fields(res.text(t)), " "); !strings.Contains(out, "read it back") {
		t.Errorf("rollback report: %s", out)
	}
	files = liveBackups(t, mc.dir, b)
	if len(files) != 2 {
		t.Fatalf("liveBackups after rollback: %v", files)
	}
	undo := false
	for _, f := range files {
		if src, _ := os.ReadFile(f); string(src) == patched {
			undo = true
		}
	}
	if !undo {
		t.Errorf("the rollback did not save the patched policy")
	}
	if res := mc.runs(t, runArgs{buckets: []string{b}, mode: Check}); res.code != ExitChanges {
		t.Errorf("check after the rollback: exit %d, want 2", res.code)
	}
	// A rollback to the policy the bucket already has writes nothing.
	res, code, err = rollback(false)
	if code != ExitOK || err != nil || len(res.list) != 1 || !strings.Contains(strings.Join(res.list[0].Explanations, " "), "nothing to restore") {
		t.Errorf("rollback to the current policy: exit %d, %v: %+v", code, err, res.list)
	}
	if n := len(liveBackups(t, mc.dir, b)); n != 2 {
		t.Errorf("%d backups after a rollback that had nothing to do", n)
	}
}

func TestLiveSeed001(t *testing.T) {
	mc := liveMotoSetup(t)
	b := liveBucketName("seed001")
	mc.m.CreateBucket(t, b, "")
	orig := liveSeedPolicy(t, "seed001-office-ip", b)
	mc.m.PutBucketPolicy(t, b, orig)

	res := mc.runs(t, runArgs{buckets: []string{b}, yes: true})
	if r := res.byBucket[b]; res.code != ExitOK || r.Status != report.StatusPatched || r.Backup == "" {
		t.Fatalf("exit %d: %+v %s", res.code, r, res.msg())
	}
	got := mc.livePolicy(t, b)
	if !strings.Contains(got, "aws:userId") && !strings.Contains(got, "aws:userid") {
		t.Errorf("no userid exemption:\n%s", got)
	}
	if !strings.Contains(got, mc.roleID+":*") {
		t.Errorf("no exemption for %s:\n%s", mc.roleID, got)
	}
	liveCheckBackup(t, liveBackups(t, mc.dir, b)[0], orig)
	if res := mc.runs(t, runArgs{buckets: []string{b}, mode: Check}); res.code != ExitOK {
		t.Errorf("check after the fix: exit %d", res.code)
	}
}

func TestLiveNoPolicyIsCompliant(t *testing.T) {
	mc := liveMotoSetup(t)
	b := liveBucketName("nopolicy")
	mc.m.CreateBucket(t, b, "")
	res := mc.runs(t, runArgs{buckets: []string{b}})
	if r := res.byBucket[b]; res.code != ExitOK || r.Status != report.StatusCompliant || !strings.Contains(strings.Join(r.Explanations, " "), "NoSuchBucketPolicy") {
		t.Errorf("exit %d: %+v", res.code, r)
	}
}

func TestLiveMissingBucket(t *testing.T) {
	mc := liveMotoSetup(t)
	b := liveBucketName("missing")
	res := mc.runs(t, runArgs{buckets: []string{b}, yes: true})
	r := res.byBucket[b]
	if res.code != ExitError || r == nil || r.Status != report.StatusError || !strings.Contains(r.Error, `bucket "`+b+`" does not exist`) {
		t.Errorf("exit %d: %+v", res.code, r)
	}
}

func TestLiveMissingRole(t *testing.T) {
	mc := liveMotoSetup(t)
	b := liveBucketName("norole")
	mc.m.CreateBucket(t, b, "")
	orig := liveSeedPolicy(t, "seed000-vpce-only", b)
	mc.m.PutBucketPolicy(t, b, orig)
	res := mc.runs(t, runArgs{buckets: []string{b}, yes: true, roleName: "NoSuchBackupRole"})
	if res.code != ExitError || res.err == nil || len(res.list) != 0 {
		t.Fatalf("exit %d, error %v, %d reports", res.code, res.err, len(res.list))
	}
	for _, want := range []string{`"NoSuchBackupRole"`, "--role-name", "--role-id"} {
		if !strings.Contains(res.err.Error(), want) {
			t.Errorf("the error lacks %q: %q", want, res.err)
		}
	}
	if mc.livePolicy(t, b) != orig || len(liveBackups(t, mc.dir, b)) != 0 {
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
	res := mc.runs(t, runArgs{buckets: []string{a, missing, c, bad}, yes: true})
	if res.code != ExitError {
		t.Errorf("exit %d, want 1 (the worst)", res.code)
	}
	if mc.livePolicy(t, a) == origA {
		t.Errorf("bucket %s was not patched", a)
	}
	// With --yes each bucket's report is printed as the bucket completes
	// (issue 13, item 6), so the order is the completion order: one report
	// per bucket.
	var order []string
	for _, r := range res.list {
		order = append(order, r.Bucket)
	}
	sort.Strings(order)
	want := []string{a, missing, c, bad}
	sort.Strings(want)
	if !slices.Equal(order, want) {
		t.Errorf("reports for %q, want one per bucket", order)
	}
	if res.byBucket[missing].Status != report.StatusError || res.byBucket[bad].Status != report.StatusError {
		t.Errorf("the failing buckets: %+v %+v", res.byBucket[missing], res.byBucket[bad])
	}
	out := res.text(t)
	for _, want := range []string{"s3://" + a + ": patched", "s3://" + c + ": compliant", "Summary (4 buckets)", "patched            1", "errors             2"} {
		if !strings.Contains(out, want) {
			t.Errorf("the text lacks %q:\n%s", want, out)
		}
	}
	// The exit code is the worst one: checking with one bucket needing a change and none failing gives 2.
	d := liveBucketName("many-d")
	mc.m.CreateBucket(t, d, "")
	mc.m.PutBucketPolicy(t, d, liveSeedPolicy(t, "seed001-office-ip", d))
	if res := mc.runs(t, runArgs{buckets: []string{a, c, d}, mode: Check}); res.code != ExitChanges {
		t.Errorf("check: exit %d, want 2", res.code)
	}
}

// TestLivePrompt: without Yes, a change is applied only when Confirm says
// so; without Confirm (no terminal) it is not applied and the report says
// to pass --yes. (The [y/N] prompt itself: cmd/fixpolicy's
// TestPromptWiring.)
func TestLivePrompt(t *testing.T) {
	mc := liveMotoSetup(t)
	for _, tc := range []struct {
		name    string
		confirm func(*report.Report) bool
		applied bool
		code    int
	}{
		{"yes", func(*report.Report) bool { return true }, true, ExitOK},
		{"no", func(*report.Report) bool { return false }, false, ExitError},
		{"no terminal", nil, false, ExitError},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b := liveBucketName("prompt")
			mc.m.CreateBucket(t, b, "")
			orig := liveSeedPolicy(t, "seed000-vpce-only", b)
			mc.m.PutBucketPolicy(t, b, orig)
			asked := 0
			confirm := tc.confirm
			if confirm != nil {
				confirm = func(r *report.Report) bool {
					asked++
					if r.Status != report.StatusNeedsChange || !strings.Contains(r.Diff, "@@") {
						t.Errorf("asked about %+v", r)
					}
					return tc.confirm(r)
				}
			}
			res := mc.runs(t, runArgs{buckets: []string{b}, confirm: confirm})
			if res.code != tc.code {
				t.Errorf("exit %d, want %d\n%s", res.code, tc.code, res.msg())
			}
			applied := mc.livePolicy(t, b) != orig
			if applied != tc.applied {
				t.Errorf("applied=%v, want %v", applied, tc.applied)
			}
			if n := len(liveBackups(t, mc.dir, b)); (n > 0) != tc.applied {
				t.Errorf("%d liveBackups", n)
			}
			if (tc.confirm != nil) != (asked == 1) {
				t.Errorf("asked %d times", asked)
			}
			if r := res.byBucket[b]; tc.confirm == nil && (!strings.Contains(r.Error, "--yes") || !errors.Is(res.err, ErrNoConfirm)) {
				t.Errorf("the refusal does not name --yes: %+v (%v)", r, res.err)
			}
			if tc.confirm != nil && res.err != nil {
				t.Errorf("error %v", res.err)
			}
		})
	}
}
