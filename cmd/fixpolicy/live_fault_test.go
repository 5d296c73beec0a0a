package main

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/fixpolicy/fixpolicy/awsapi"
	"github.com/fixpolicy/fixpolicy/awsapi/awstest"
	"github.com/fixpolicy/fixpolicy/rewrite"
)

// liveFaultCase is the CLI pointed at a FaultServer.
type liveFaultCase struct {
	fs   *awstest.FaultServer
	role awstest.Role
	dir  string
	h    harness // the CLI, with clients pointed at fs

	mu       sync.Mutex
	unbacked []string // PutBucketPolicy requests made without a backup of the live policy
}

func liveFaultSetup(t *testing.T, edit func(*awsapi.Options)) *liveFaultCase {
	t.Helper()
	fs := awstest.NewFaultServer(t)
	awstest.TestEnv(t)
	fc := &liveFaultCase{fs: fs, role: fs.AddBackupRole(), dir: filepath.Join(t.TempDir(), "backups")}
	fc.h.aws = func(ctx context.Context, flags awsapi.Options) (*awsapi.Clients, error) {
		o := fs.Options()
		if flags.Region != "" {
			o.Region = flags.Region
		}
		o.CallTimeout = 2 * time.Second
		if edit != nil {
			edit(&o)
		}
		return awsapi.New(ctx, o)
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

type liveJSONReport struct {
	Target, Bucket, Status, Error string
	Steps                         []string
	Backup                        string `json:"backup_file"`
}

func (fc *liveFaultCase) run(t *testing.T, args ...string) (map[string]liveJSONReport, string, int) {
	t.Helper()
	out, stderr, code := fc.h.run(t, "", append(args, "--backup-dir", fc.dir, "-o", "json")...)
	reps := map[string]liveJSONReport{}
	sc := bufio.NewScanner(strings.NewReader(out))
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		var r liveJSONReport
		if err := json.Unmarshal(sc.Bytes(), &r); err != nil {
			t.Fatalf("bad JSON line %q: %v", sc.Text(), err)
		}
		reps[r.Bucket] = r
	}
	return reps, stderr, code
}

// settled checks the safety property of every fault test: the bucket is either
// patched and verified, or untouched and reported as an error; no policy is lost.
func (fc *liveFaultCase) settled(t *testing.T, r liveJSONReport, bucket, orig string) (patched bool) {
	t.Helper()
	live, ok := fc.fs.Policy(bucket)
	if !ok {
		t.Fatalf("%s lost its policy", bucket)
	}
	want := fc.patched(t, bucket, orig)
	switch {
	case live == orig:
		if r.Status != statusError || r.Error == "" {
			t.Errorf("%s is untouched but reported %q (error %q)", bucket, r.Status, r.Error)
		}
		return false
	case liveEquivalent(t, live, string(want)):
		if r.Status != statusPatched {
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
	reps, stderr, code := fc.run(t, "--bucket", "throttled", "--yes")
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	if !fc.settled(t, reps["throttled"], "throttled", orig) {
		t.Errorf("not patched: %+v", reps["throttled"])
	}
	// Throttled writes: awsapi/apply's TestPatchThrottled.
}

func TestFaultThrottledPersistently(t *testing.T) {
	fc := liveFaultSetup(t, nil)
	orig := fc.bucket(t, "slowdown", "", "seed000-vpce-only")
	fc.fs.Fail("s3:GetBucketPolicy", awstest.Fault{Status: 503, Code: "SlowDown"})
	reps, stderr, code := fc.run(t, "--bucket", "slowdown", "--yes")
	if code != exitError {
		t.Errorf("exit %d, want 1", code)
	}
	fc.settled(t, reps["slowdown"], "slowdown", orig)
	if !strings.Contains(stderr+reps["slowdown"].Error, "throttled") {
		t.Errorf("error: %q %q", reps["slowdown"].Error, stderr)
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
		reps, stderr, code := fc.run(t, "--bucket", "reset-read", "--yes")
		if code != exitOK || !fc.settled(t, reps["reset-read"], "reset-read", orig) {
			t.Errorf("exit %d: %s %+v", code, stderr, reps["reset-read"])
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
		reps, _, code := fc.run(t, "--bucket", "slow-read", "--yes")
		if el := time.Since(start); el > 5*time.Second {
			t.Errorf("took %s", el)
		}
		r := reps["slow-read"]
		if code != exitError || fc.settled(t, r, "slow-read", orig) || !strings.Contains(r.Error, "timed out after 300ms") {
			t.Errorf("exit %d: %+v", code, r)
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
			reps, stderr, code := fc.run(t, "--bucket", "bk1", "--yes")
			r, ok := reps["bk1"]
			if tc.want == nil {
				if code != exitOK || !fc.settled(t, r, "bk1", orig) {
					t.Errorf("exit %d: %s %+v", code, stderr, r)
				}
				return
			}
			if code != exitError {
				t.Errorf("exit %d, want 1", code)
			}
			msg := stderr + r.Error
			for _, w := range tc.want {
				if !strings.Contains(msg, w) {
					t.Errorf("the error lacks %q: %q", w, msg)
				}
			}
			if got, _ := fc.fs.Policy("bk1"); got != orig {
				t.Errorf("the policy was changed")
			}
			if ok && r.Status != statusError {
				t.Errorf("status %q", r.Status)
			}
			if strings.Count(stderr, "\n") > 1 {
				t.Errorf("more than one line on stderr: %q", stderr)
			}
		})
	}
}

func TestFaultBucketInAnotherRegion(t *testing.T) {
	fc := liveFaultSetup(t, nil)
	orig := fc.bucket(t, "eu-bucket", "eu-west-1", "seed000-vpce-only")
	reps, stderr, code := fc.run(t, "--bucket", "eu-bucket", "--yes", "--region", "us-east-1")
	if code != exitOK || !fc.settled(t, reps["eu-bucket"], "eu-bucket", orig) {
		t.Fatalf("exit %d: %s %+v", code, stderr, reps["eu-bucket"])
	}
	for _, req := range fc.fs.Requests("s3:PutBucketPolicy") {
		if req.Region != "eu-west-1" {
			t.Errorf("PutBucketPolicy signed for %s", req.Region)
		}
	}
}

// TestFleetAllBuckets checks --all-buckets on the fault server: every bucket
// in its own region, one result each, IAM and STS looked up once, failures
// isolated, and the summary.
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

	// --check: one JSON line per bucket, exit 1 (one error beats changes).
	reps, stderr, code := fc.run(t, "--all-buckets", "--check", "--concurrency", "4")
	if code != exitError || len(reps) != 24 {
		t.Fatalf("exit %d, %d reports: %s", code, len(reps), stderr)
	}
	if reps["fleet-03"].Status != statusError || reps["fleet-00"].Status != statusNeedsChange || reps["fleet-02"].Status != statusCompliant || reps["fleet-07"].Status != statusCompliant {
		t.Errorf("statuses: %+v", reps)
	}
	// --yes: everything that can be patched is, in its own region.
	reps, _, code = fc.run(t, "--all-buckets", "--yes")
	if code != exitError {
		t.Errorf("exit %d", code)
	}
	for name, orig := range origs {
		if !fc.settled(t, reps[name], name, orig) {
			t.Errorf("%s not patched: %+v", name, reps[name])
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
	out, _, _ := fc.h.run(t, "", "--all-buckets", "--dry-run", "--backup-dir", fc.dir)
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
	_, stderr, code := fc.run(t, "--all-buckets", "--dry-run")
	if code != exitError || !strings.Contains(stderr, "s3:ListAllMyBuckets") && !strings.Contains(stderr, "s3:ListBuckets") {
		t.Errorf("exit %d: %q", code, stderr)
	}
	if _, stderr, code := fc.run(t, "--all-buckets", "--bucket", "xyz"); code != exitError || !strings.Contains(stderr, "exclusive") {
		t.Errorf("exit %d: %q", code, stderr)
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
