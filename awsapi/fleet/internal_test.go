package fleet

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/fixpolicy/fixpolicy/awsapi"
	"github.com/fixpolicy/fixpolicy/awsapi/apply"
	"github.com/fixpolicy/fixpolicy/rewrite"
	"github.com/fixpolicy/fixpolicy/rewrite/report"
)

// panicAPI is an account whose bucket-policy reads panic (a bug somewhere
// below the run).
type panicAPI struct{}

func (panicAPI) GetRole(context.Context, string) (awsapi.Role, error) { return awsapi.Role{}, nil }
func (panicAPI) CallerIdentity(context.Context) (awsapi.Identity, error) {
	return awsapi.Identity{}, nil
}
func (panicAPI) OrganizationID(context.Context) (string, error)                { return "", nil }
func (panicAPI) ListBuckets(context.Context) ([]awsapi.Bucket, error)          { return nil, nil }
func (panicAPI) BucketRegion(context.Context, string) (string, error)          { return "us-east-1", nil }
func (panicAPI) Regional(string) apply.PolicyAPI                               { return panicAPI{} }
func (panicAPI) PutBucketPolicy(context.Context, string, []byte, string) error { return nil }
func (panicAPI) GetBucketPolicy(context.Context, string) ([]byte, bool, error) {
	panic("boom")
}

// TestPanicIsInternalError: a panic while a bucket is analysed is that
// bucket's internal error (exit 4, one line naming the bug), never exit 2,
// which --check gives "changes needed" (issue 13, item 9).
func TestPanicIsInternalError(t *testing.T) {
	var got []string
	run := &Run{
		Session: NewSession(context.Background(), func(context.Context) (API, error) { return panicAPI{}, nil }),
		Journal: &apply.Journal{}, Mode: Check, Concurrency: 2,
		Fix: rewrite.Options{Facts: rewrite.Facts{AccountID: "012345678901", RoleID: "AROAEXAMPLEROLEID0001", RoleName: "AWSBackupDefaultServiceRole"}},
	}
	run.UI.Print = func(r *report.Report) { got = append(got, r.Error) }
	code, err := run.Buckets(context.Background(), []Target{{Name: "bkt-a"}, {Name: "bkt-b"}})
	if err != nil || code != ExitInternal {
		t.Fatalf("exit %d, %v", code, err)
	}
	if len(got) != 2 || !strings.Contains(got[0], "internal error: boom; this is a bug in fixpolicy") {
		t.Errorf("reports %q", got)
	}
	if Worst(ExitInternal, ExitError) != ExitInternal || Worst(ExitChanges, ExitInternal) != ExitInternal {
		t.Errorf("an internal error is not the worst outcome")
	}
}

// listAPI is an endpoint whose ListBuckets returns a name that is not one.
type listAPI struct{ panicAPI }

func (listAPI) ListBuckets(context.Context) ([]awsapi.Bucket, error) {
	return []awsapi.Bucket{{Name: "bkt-a"}, {Name: "../../escaped"}}, nil
}

// TestTargetsChecksListedNames: bucket names from s3:ListBuckets are checked
// like typed ones before anything is read or written (issue 13, item 4).
func TestTargetsChecksListedNames(t *testing.T) {
	s := NewSession(context.Background(), func(context.Context) (API, error) { return listAPI{}, nil })
	_, err := s.Targets(true, nil)
	if err == nil || !strings.Contains(err.Error(), `s3:ListBuckets returned "../../escaped", which is not a bucket name`) {
		t.Errorf("%v", err)
	}
}

// minifiedAPI is an account whose bucket policy comes back minified, on
// one line, as S3's GetBucketPolicy returns every policy.
type minifiedAPI struct{ panicAPI }

func (minifiedAPI) Regional(string) apply.PolicyAPI { return minifiedAPI{} }
func (minifiedAPI) GetBucketPolicy(context.Context, string) ([]byte, bool, error) {
	return []byte(`{"Version":"2012-10-17","Statement":[{"Sid":"Vpce","Effect":"Deny","Principal":"*","Action":"s3:*","Resource":["arn:aws:s3:::bkt-a","arn:aws:s3:::bkt-a/*"],"Condition":{"StringNotEquals":{"aws:SourceVpce":"vpce-1"}}}]}`), true, nil
}

// TestLiveDiffIsReadable: the dry run of a live bucket shows its change
// between pretty-printed renderings, not as one 300-character line removed
// and one added (issue 13, item 23).
func TestLiveDiffIsReadable(t *testing.T) {
	var diff string
	run := &Run{
		Session: NewSession(context.Background(), func(context.Context) (API, error) { return minifiedAPI{}, nil }),
		Journal: &apply.Journal{}, Mode: DryRun, Concurrency: 1,
		Fix: rewrite.Options{Facts: rewrite.Facts{AccountID: "012345678901", RoleID: "AROAEXAMPLEROLEID0001", RoleName: "AWSBackupDefaultServiceRole"}},
	}
	run.UI.Print = func(r *report.Report) { diff = r.Diff }
	if _, err := run.Buckets(context.Background(), []Target{{Name: "bkt-a"}}); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(diff, "bkt-a.policy.json (pretty-printed)") || !strings.Contains(diff, `+          "aws:userid": "AROAEXAMPLEROLEID0001:*"`) {
		t.Errorf("diff:\n%s", diff)
	}
}

// slowFirstAPI is an account where the first bucket's policy read is slow
// and the second's is not.
type slowFirstAPI struct{ minifiedAPI }

func (slowFirstAPI) Regional(string) apply.PolicyAPI { return slowFirstAPI{} }
func (f slowFirstAPI) GetBucketPolicy(ctx context.Context, bucket string) ([]byte, bool, error) {
	if bucket == "bkt-a" {
		time.Sleep(300 * time.Millisecond)
	}
	return f.minifiedAPI.GetBucketPolicy(ctx, bucket)
}

// TestAppliedReportsAsTheyComplete: with --yes a bucket's outcome is printed
// when the bucket is done, not after the buckets before it in the list, so
// what is printed never lags what was written (issue 13, item 6).
func TestAppliedReportsAsTheyComplete(t *testing.T) {
	var order []string
	run := &Run{
		Session: NewSession(context.Background(), func(context.Context) (API, error) { return slowFirstAPI{}, nil }),
		Journal: &apply.Journal{}, Mode: Apply, Yes: true, Concurrency: 2, BackupDir: t.TempDir(),
		Fix: rewrite.Options{Facts: rewrite.Facts{AccountID: "012345678901", RoleID: "AROAEXAMPLEROLEID0001", RoleName: "AWSBackupDefaultServiceRole"}},
	}
	run.UI.Print = func(r *report.Report) { order = append(order, r.Target) }
	run.Buckets(context.Background(), []Target{{Name: "bkt-a"}, {Name: "bkt-b"}})
	if strings.Join(order, " ") != "s3://bkt-b s3://bkt-a" {
		t.Errorf("printed in the order %q", order)
	}
}
