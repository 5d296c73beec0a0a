package fleet

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/fixpolicy/fixpolicy/awsapi"
	"github.com/fixpolicy/fixpolicy/awsapi/internal/awstest"
	"github.com/fixpolicy/fixpolicy/rewrite"
	"github.com/fixpolicy/fixpolicy/rewrite/report"
)

// Runs against the in-process fault server (awstest.FaultServer): AWS
// read-side faults (throttling, resets, slow replies, denials), regions,
// --all-buckets, --timeout and interrupts.

// liveFaultCase is a run environment pointed at a FaultServer.
type liveFaultCase struct {
	env
	fs   *awstest.FaultServer
	role awstest.Role

	mu       sync.Mutex
	unbacked []string // PutBucketPolicy requests made without a backup of the live policy
}

func liveFaultSetup(t *testing.T, edit func(*awsapi.Options)) *liveFaultCase {
	t.Helper()
	fs := awstest.NewFaultServer(t)
	awstest.TestEnv(t)
	fc := &liveFaultCase{fs: fs, role: fs.AddBackupRole(), env: env{dir: filepath.Join(t.TempDir(), "backups")}}
	fc.opts = func() awsapi.Options {
		o := fs.Options()
		o.CallTimeout = 2 * time.Second
		if edit != nil {
			edit(&o)
		}
		return o
	}
	// Before every write, a backup of the policy then in place must exist.
	for n := 1; n <= 50; n++ {
		fs.OnRequest("s3:PutBucketPolicy", n, func() {
			req := fs.Requests("s3:PutBucketPolicy")[n-1]
			cur, ok := fs.Policy(req.Bucket)
			if !ok || cur == string(req.Body) { // nothing to lose (a retry of a stored write)
				return
			}
			for _, f := range liveBackups(t, fc.dir, req.Bucket) {
				if b, _ := os.ReadFile(f); string(b) == cur {
					return
				}
			}
			fc.mu.Lock()
			fc.unbacked = append(fc.unbacked, fmt.Sprintf("PutBucketPolicy #%d on %s", n, req.Bucket))
			fc.mu.Unlock()
		})
	}
	t.Cleanup(func() {
		fc.mu.Lock()
		defer fc.mu.Unlock()
		for _, u := range fc.unbacked {
			t.Errorf("%s was sent without a backup of the live policy", u)
		}
	})
	return fc
}

// bucket creates a bucket with a seed policy and returns the policy.
func (fc *liveFaultCase) bucket(t *testing.T, name, region, fixture string) string {
	t.Helper()
	fc.fs.CreateBucket(name, region)
	p := liveSeedPolicy(t, fixture, name)
	fc.fs.SetPolicy(name, p)
	return p
}

// patched returns what fixpolicy should write for orig.
func (fc *liveFaultCase) patched(t *testing.T, bucket, orig string) []byte {
	t.Helper()
	res, err := rewrite.Fix([]byte(orig), rewrite.Options{ExemptBy: rewrite.ExemptByUserID, Facts: rewrite.Facts{
		Bucket: bucket, AccountID: awstest.DefaultAccount, RoleID: fc.role.RoleID, RoleARN: fc.role.Arn, RoleName: fc.role.Name}})
	if err != nil || !res.Changed() {
		t.Fatalf("rewrite.Fix: %v (changed %v)", err, res != nil && res.Changed())
	}
	return res.After
}

func (fc *liveFaultCase) runs(t *testing.T, a runArgs) result {
	t.Helper()
	return fc.run(t, context.Background(), a)
}

// settled checks the safety property of every fault test: the bucket is either
// patched and verified, or untouched and reported as an error; no policy is lost.
func (fc *liveFaultCase) settled(t *testing.T, r *report.Report, bucket, orig string) (patched bool) {
	t.Helper()
	if r == nil {
		t.Fatalf("no report for %s", bucket)
	}
	live, ok := fc.fs.Policy(bucket)
	if !ok {
		t.Fatalf("%s lost its policy", bucket)
	}
	want := fc.patched(t, bucket, orig)
	switch {
	case live == orig:
		if r.Status != report.StatusError || r.Error == "" {
			t.Errorf("%s is untouched but reported %q (error %q)", bucket, r.Status, r.Error)
		}
		return false
	case liveEquivalent(t, live, string(want)):
		if r.Status != report.StatusPatched {
			t.Errorf("%s is patched but reported %q (error %q)", bucket, r.Status, r.Error)
		}
		if b, err := os.ReadFile(r.Backup); err != nil || string(b) != orig {
			t.Errorf("%s: the backup %q does not hold the original (%v)", bucket, r.Backup, err)
		}
		return true
	}
	t.Errorf("%s has a policy that is neither the original nor the patch:\n%s", bucket, live)
	return false
}

func TestFaultThrottlingThenSuccess(t *testing.T) {
	fc := liveFaultSetup(t, nil)
	orig := fc.bucket(t, "throttled", "", "seed000-vpce-only")
	fc.fs.Fail("iam:GetRole", awstest.Fault{Status: 400, Code: "Throttling", Message: "Rate exceeded", Times: 1})
	fc.fs.Fail("s3:GetBucketPolicy", awstest.Fault{Status: 503, Code: "SlowDown", Times: 2})
	res := fc.runs(t, runArgs{buckets: []string{"throttled"}, yes: true})
	if res.code != ExitOK {
		t.Fatalf("exit %d: %s", res.code, res.msg())
	}
	if !fc.settled(t, res.byBucket["throttled"], "throttled", orig) {
		t.Errorf("not patched: %+v", res.byBucket["throttled"])
	}
	// Throttled writes: awsapi/apply's TestPatchThrottled.
}

func TestFaultThrottledPersistently(t *testing.T) {
	fc := liveFaultSetup(t, nil)
	orig := fc.bucket(t, "slowdown", "", "seed000-vpce-only")
	fc.fs.Fail("s3:GetBucketPolicy", awstest.Fault{Status: 503, Code: "SlowDown"})
	res := fc.runs(t, runArgs{buckets: []string{"slowdown"}, yes: true})
	if res.code != ExitError {
		t.Errorf("exit %d, want 1", res.code)
	}
	fc.settled(t, res.byBucket["slowdown"], "slowdown", orig)
	if !strings.Contains(res.msg(), "throttled") {
		t.Errorf("error: %q", res.msg())
	}
	if fc.fs.Count("s3:PutBucketPolicy") != 0 {
		t.Errorf("a write was attempted")
	}
}

func TestFaultConnectionResets(t *testing.T) {
	t.Run("read reset once", func(t *testing.T) {
		fc := liveFaultSetup(t, nil)
		orig := fc.bucket(t, "reset-read", "", "seed000-vpce-only")
		fc.fs.Fail("s3:GetBucketPolicy", awstest.Fault{Reset: true, Times: 1})
		res := fc.runs(t, runArgs{buckets: []string{"reset-read"}, yes: true})
		if res.code != ExitOK || !fc.settled(t, res.byBucket["reset-read"], "reset-read", orig) {
			t.Errorf("exit %d: %s %+v", res.code, res.msg(), res.byBucket["reset-read"])
		}
	})
}

func TestFaultSlowReplies(t *testing.T) {
	short := func(o *awsapi.Options) { o.CallTimeout = 300 * time.Millisecond }
	t.Run("read", func(t *testing.T) {
		fc := liveFaultSetup(t, short)
		orig := fc.bucket(t, "slow-read", "", "seed000-vpce-only")
		fc.fs.Fail("s3:GetBucketPolicy", awstest.Fault{Delay: 10 * time.Second})
		start := time.Now()
		res := fc.runs(t, runArgs{buckets: []string{"slow-read"}, yes: true})
		if el := time.Since(start); el > 5*time.Second {
			t.Errorf("took %s", el)
		}
		r := res.byBucket["slow-read"]
		if res.code != ExitError || fc.settled(t, r, "slow-read", orig) || !strings.Contains(r.Error, "timed out after 300ms") {
			t.Errorf("exit %d: %+v", res.code, r)
		}
	})
}

func TestFaultUserErrors(t *testing.T) {
	for _, tc := range []struct {
		name  string
		setup func(fc *liveFaultCase)
		env   func(t *testing.T)
		want  []string
	}{
		{"access denied GetBucketPolicy", func(fc *liveFaultCase) {
			fc.fs.Fail("s3:GetBucketPolicy", awstest.Fault{Status: 403, Code: "AccessDenied", Message: "Access Denied"})
		}, nil, []string{"s3:GetBucketPolicy", "arn:aws:s3:::bk1"}},
		{"access denied GetRole", func(fc *liveFaultCase) {
			fc.fs.Fail("iam:GetRole", awstest.Fault{Status: 403, Code: "AccessDenied", Message: "not authorized"})
		}, nil, []string{"iam:GetRole", "--role-id"}},
		{"access denied GetBucketLocation is not fatal", func(fc *liveFaultCase) {
			fc.fs.Fail("s3:GetBucketLocation", awstest.Fault{Status: 403, Code: "AccessDenied"})
		}, nil, nil},
		{"expired token", func(fc *liveFaultCase) {
			fc.fs.Fail("iam:GetRole", awstest.Fault{Status: 403, Code: "ExpiredToken", Message: "The security token included in the request is expired"})
		}, nil, []string{"expired"}},
		{"no credentials", nil, func(t *testing.T) { awstest.IsolatedEnv(t) }, []string{"no AWS credentials found"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			fc := liveFaultSetup(t, nil)
			if tc.env != nil {
				tc.env(t)
			}
			orig := fc.bucket(t, "bk1", "", "seed000-vpce-only")
			if tc.setup != nil {
				tc.setup(fc)
			}
			res := fc.runs(t, runArgs{buckets: []string{"bk1"}, yes: true})
			r, ok := res.byBucket["bk1"]
			if tc.want == nil {
				if res.code != ExitOK || !fc.settled(t, r, "bk1", orig) {
					t.Errorf("exit %d: %s %+v", res.code, res.msg(), r)
				}
				return
			}
			if res.code != ExitError {
				t.Errorf("exit %d, want 1", res.code)
			}
			msg := res.msg()
			for _, w := range tc.want {
				if !strings.Contains(msg, w) {
					t.Errorf("the error lacks %q: %q", w, msg)
				}
			}
			if got, _ := fc.fs.Policy("bk1"); got != orig {
				t.Errorf("the policy was changed")
			}
			if ok && r.Status != report.StatusError {
				t.Errorf("status %q", r.Status)
			}
			if strings.Contains(strings.TrimSpace(msg), "\n") {
				t.Errorf("more than one error: %q", msg)
			}
		})
	}
}

func TestFaultBucketInAnotherRegion(t *testing.T) {
	fc := liveFaultSetup(t, nil)
	orig := fc.bucket(t, "eu-bucket", "eu-west-1", "seed000-vpce-only")
	res := fc.runs(t, runArgs{buckets: []string{"eu-bucket"}, yes: true, region: "us-east-1"})
	if res.code != ExitOK || !fc.settled(t, res.byBucket["eu-bucket"], "eu-bucket", orig) {
		t.Fatalf("exit %d: %s %+v", res.code, res.msg(), res.byBucket["eu-bucket"])
	}
	for _, req := range fc.fs.Requests("s3:PutBucketPolicy") {
		if req.Region != "eu-west-1" {
			t.Errorf("PutBucketPolicy signed for %s", req.Region)
		}
	}
}

// TestFleetAllBuckets checks all-buckets runs on the fault server: every
// bucket in its own region, one result each, IAM and STS looked up once,
// failures isolated, and the summary.
func TestFleetAllBuckets(t *testing.T) {
	fc := liveFaultSetup(t, nil)
	regions := []string{"", "eu-west-1", "ap-northeast-1", "EU"}
	origs := map[string]string{}
	for i := range 24 {
		name := fmt.Sprintf("fleet-%02d", i)
		switch i % 4 {
		case 0:
			origs[name] = fc.bucket(t, name, regions[i%len(regions)], "seed000-vpce-only")
		case 1:
			origs[name] = fc.bucket(t, name, regions[i%len(regions)], "seed001-office-ip")
		case 2:
			fc.fs.CreateBucket(name, regions[i%len(regions)])
		case 3:
			fc.fs.CreateBucket(name, regions[i%len(regions)])
			fc.fs.SetPolicy(name, `{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Principal":"*","Action":"s3:*","Resource":"arn:aws:s3:::`+name+`/*","Condition":{"Bool":{"aws:SecureTransport":"false"}}}]}`)
		}
	}
	fc.fs.SetPolicy("fleet-03", "not json at all")
	fc.fs.OmitBucketRegion(true)

	// Check: one report per bucket, in order, exit 1 (one error beats changes).
	res := fc.runs(t, runArgs{all: true, mode: Check, concurrency: 4})
	reps := res.byBucket
	if res.code != ExitError || len(res.list) != 24 || len(reps) != 24 {
		t.Fatalf("exit %d, %d reports: %s", res.code, len(res.list), res.msg())
	}
	for i, r := range res.list {
		if want := fmt.Sprintf("fleet-%02d", i); r.Bucket != want {
			t.Errorf("report %d is %s's, want %s's", i, r.Bucket, want)
		}
	}
	if reps["fleet-03"].Status != report.StatusError || reps["fleet-00"].Status != report.StatusNeedsChange || reps["fleet-02"].Status != report.StatusCompliant || reps["fleet-07"].Status != report.StatusCompliant {
		t.Errorf("statuses: %+v", reps)
	}
	// Yes: everything that can be patched is, in its own region.
	res = fc.runs(t, runArgs{all: true, yes: true})
	if res.code != ExitError {
		t.Errorf("exit %d", res.code)
	}
	for name, orig := range origs {
		if !fc.settled(t, res.byBucket[name], name, orig) {
			t.Errorf("%s not patched: %+v", name, res.byBucket[name])
		}
	}
	for _, req := range fc.fs.Requests("s3:PutBucketPolicy") {
		var region string
		fc.fs.UpdateBucket(req.Bucket, func(b *awstest.Bucket) { region = b.Region })
		if req.Region != region {
			t.Errorf("PutBucketPolicy on %s signed for %s, want %s", req.Bucket, req.Region, region)
		}
	}
	if n := fc.fs.Count("iam:GetRole"); n != 2 { // one per run
		t.Errorf("%d GetRole calls for 2 runs", n)
	}
	if n := fc.fs.Count("sts:GetCallerIdentity"); n > 2 {
		t.Errorf("%d GetCallerIdentity calls for 2 runs", n)
	}
	// The text output ends with the summary table.
	out := fc.runs(t, runArgs{all: true, mode: DryRun}).text(t)
	i := strings.Index(out, "Summary (24 buckets):")
	if i < 0 {
		t.Fatalf("no summary:\n%s", out)
	}
	sum := out[i:]
	for _, want := range []string{"compliant         23", "needs change       0", "errors             1", "error s3://fleet-03"} {
		if !strings.Contains(sum, want) {
			t.Errorf("summary lacks %q:\n%s", want, sum)
		}
	}
}

func TestFleetErrorsListing(t *testing.T) {
	fc := liveFaultSetup(t, nil)
	fc.fs.Fail("s3:ListBuckets", awstest.Fault{Status: 403, Code: "AccessDenied"})
	res := fc.runs(t, runArgs{all: true, mode: DryRun})
	if res.code != ExitError || res.err == nil || !strings.Contains(res.err.Error(), "s3:ListAllMyBuckets") && !strings.Contains(res.err.Error(), "s3:ListBuckets") {
		t.Errorf("exit %d: %v", res.code, res.err)
	}
	if !strings.HasPrefix(res.err.Error(), "listing the account's buckets: ") {
		t.Errorf("error %q", res.err)
	}
}

// TestTimeoutLive: on a live bucket, the run's Timeout bounds the AWS
// reads too (here a GetBucketPolicy that S3 answers only after 10 s, within
// the 2 s limit of one call): the bucket gives up in time, nothing is saved
// and nothing is written.
func TestTimeoutLive(t *testing.T) {
	fc := liveFaultSetup(t, nil)
	orig := fc.bucket(t, "slow", "", "seed000-vpce-only")
	fc.fs.Fail("s3:GetBucketPolicy", awstest.Fault{Delay: 10 * time.Second})
	start := time.Now()
	res := fc.runs(t, runArgs{buckets: []string{"slow"}, yes: true, timeout: 300 * time.Millisecond})
	el := time.Since(start)
	r := res.byBucket["slow"]
	want := "gave up after 300ms (--timeout): the analysis of s3://slow did not finish; nothing was written"
	if res.code != ExitError || r == nil || r.Status != report.StatusError || r.Error != want || !r.SelfNamed {
		t.Errorf("exit %d, %+v; want error %q", res.code, r, want)
	}
	if el > 1500*time.Millisecond {
		t.Errorf("took %s with a 300ms timeout", el)
	}
	if n := fc.fs.Count("s3:PutBucketPolicy"); n != 0 {
		t.Errorf("%d writes", n)
	}
	if _, err := os.Stat(fc.dir); !os.IsNotExist(err) {
		t.Errorf("the backup directory was created (%v)", err)
	}
	if live, _ := fc.fs.Policy("slow"); live != orig {
		t.Errorf("the bucket's policy changed")
	}
}

// TestInterruptLive: a run whose context is cancelled (Ctrl-C) while a
// request hangs returns at once. Cancelled while reading, its journal says
// nothing was written and no backup was made; while a PutBucketPolicy is in
// flight, it says so, how to check the bucket and how to put the saved
// original back. (The signals and the message on standard error:
// cmd/fixpolicy's TestInterruptBinary and TestRunReturnsOnCancel.)
func TestInterruptLive(t *testing.T) {
	for _, tc := range []struct {
		name, op string
	}{
		{"reading", "s3:GetBucketPolicy"},
		{"writing", "s3:PutBucketPolicy"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			fc := liveFaultSetup(t, func(o *awsapi.Options) { o.CallTimeout = 20 * time.Second })
			orig := fc.bucket(t, "slow", "", "seed000-vpce-only")
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			arrived := make(chan time.Time, 1)
			fc.fs.OnRequest(tc.op, 1, func() { arrived <- time.Now(); cancel() })
			fc.fs.Fail(tc.op, awstest.Fault{Delay: 10 * time.Second})
			res := fc.run(t, ctx, runArgs{buckets: []string{"slow"}, yes: true})
			select {
			case at := <-arrived:
				if el := time.Since(at); el > 2*time.Second {
					t.Errorf("took %s to return after the cancel", el)
				}
			default:
				t.Fatalf("no %s request: %s", tc.op, res.msg())
			}
			if !errors.Is(ctx.Err(), context.Canceled) || len(res.list) != 0 {
				t.Errorf("reports after the interrupt: %+v", res.list)
			}
			msg := res.journal.Interrupted()
			switch tc.name {
			case "reading":
				if msg != "interrupted; nothing was written" {
					t.Errorf("journal %q", msg)
				}
				if _, err := os.Stat(fc.dir); !os.IsNotExist(err) {
					t.Errorf("the backup directory was created (%v)", err)
				}
				if n := fc.fs.Count("s3:PutBucketPolicy"); n != 0 {
					t.Errorf("%d writes", n)
				}
			case "writing":
				backups := liveBackups(t, fc.dir, "slow")
				if len(backups) != 1 {
					t.Fatalf("backups %q", backups)
				}
				if b, _ := os.ReadFile(backups[0]); string(b) != orig {
					t.Errorf("the backup does not hold the original")
				}
				for _, want := range []string{
					"interrupted; the write to s3://slow was in flight",
					"check with fixpolicy --bucket slow --dry-run",
					"fixpolicy rollback --bucket slow --from " + backups[0],
				} {
					if !strings.Contains(msg, want) {
						t.Errorf("journal %q lacks %q", msg, want)
					}
				}
			}
		})
	}
}

func TestProgressLine(t *testing.T) {
	var b strings.Builder
	p := newProgress(&b, 4)
	p.add(1)
	p.add(1)
	p.clear()
	p.done()
	if !strings.Contains(b.String(), "2/4 buckets") || !strings.Contains(b.String(), "\r\033[K") {
		t.Errorf("%q", b.String())
	}
	var nilp *progress
	nilp.add(1) // no-op
	nilp.done()
}
