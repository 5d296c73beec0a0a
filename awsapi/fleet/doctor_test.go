package fleet

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/fixpolicy/fixpolicy/awsapi/doctor"
	"github.com/fixpolicy/fixpolicy/awsapi/internal/awstest"
)

// TestDoctor checks buckets on the fault server: a healthy one passes, one
// with versioning suspended fails a check (ExitChanges), a missing one is an
// error report (ExitError) and the run goes on; a timeout is an error
// naming it; an interrupted run checks nothing more.
func TestDoctor(t *testing.T) {
	awstest.TestEnv(t)
	fs := awstest.NewFaultServer(t)
	for _, b := range []string{"good", "suspended"} {
		fs.CreateBucket(b, "")
		fs.UpdateBucket(b, func(bk *awstest.Bucket) { bk.Versioning, bk.ObjectOwnership = "Enabled", "BucketOwnerEnforced" })
	}
	fs.UpdateBucket("suspended", func(bk *awstest.Bucket) { bk.Versioning = "Suspended" })
	role := fs.AddBackupRole()
	fs.AttachRolePolicy(role.Name, "arn:aws:iam::aws:policy/AWSBackupServiceRolePolicyForS3Backup")
	fs.AttachRolePolicy(role.Name, "arn:aws:iam::aws:policy/AWSBackupServiceRolePolicyForS3Restore")
	ctx := context.Background()
	d, err := doctor.New(ctx, doctor.FromClients(fs.Clients()), doctor.Options{Fix: Fix})
	if err != nil {
		t.Fatal(err)
	}
	check := func(ctx context.Context, timeout time.Duration, buckets ...string) (int, []*doctor.Report) {
		var reps []*doctor.Report
		code, err := Doctor(ctx, d, buckets, timeout, func(r *doctor.Report) error { reps = append(reps, r); return nil })
		if err != nil {
			t.Fatal(err)
		}
		return code, reps
	}

	if code, reps := check(ctx, time.Minute, "good"); code != ExitOK || len(reps) != 1 || reps[0].Failed() || reps[0].Error != "" {
		t.Errorf("healthy: exit %d, %+v", code, reps)
	}
	code, reps := check(ctx, time.Minute, "suspended", "missing-bucket", "good")
	if code != ExitError || len(reps) != 3 {
		t.Fatalf("exit %d, %d reports", code, len(reps))
	}
	if !reps[0].Failed() || reps[0].Error != "" || reps[1].Error == "" || !strings.Contains(reps[1].Error, "missing-bucket") || reps[2].Failed() {
		t.Errorf("reports %+v %+v %+v", reps[0], reps[1], reps[2])
	}
	if code, _ := check(ctx, time.Minute, "suspended", "good"); code != ExitChanges {
		t.Errorf("a failed check: exit %d, want 2", code)
	}
	code, reps = check(ctx, time.Nanosecond, "good")
	if want := "gave up after 1ns (--timeout): the analysis of s3://good did not finish; nothing was written"; code != ExitError || reps[0].Error != want || len(reps[0].Checks) != 0 {
		t.Errorf("timeout: exit %d, %+v", code, reps[0])
	}
	cancelled, cancel := context.WithCancel(ctx)
	cancel()
	if code, reps := check(cancelled, time.Minute, "good"); code != ExitOK || len(reps) != 0 {
		t.Errorf("interrupted: exit %d, %d reports", code, len(reps))
	}
	if n := fs.Count("s3:PutBucketPolicy"); n != 0 {
		t.Errorf("doctor wrote %d policies", n)
	}
}
