package awsapi_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/fixpolicy/fixpolicy/awsapi"
	"github.com/fixpolicy/fixpolicy/awsapi/internal/awstest"
)

func TestFaultProfileNotFound(t *testing.T) {
	awstest.TestEnv(t)
	_, err := awsapi.New(context.Background(), awsapi.Options{Profile: "nosuchprofile"})
	wantKind(t, err, awsapi.NoCredentials)
	wantMessage(t, err, `AWS profile "nosuchprofile" not found in the shared config files (~/.aws/config, ~/.aws/credentials): check --profile and AWS_PROFILE (aws configure list-profiles)`)
}

func TestFaultBadEndpointURL(t *testing.T) {
	awstest.TestEnv(t)
	_, err := awsapi.New(context.Background(), awsapi.Options{EndpointURL: "127.0.0.1:5000"})
	wantKind(t, err, awsapi.Other)
	wantMessage(t, err, `invalid endpoint URL "127.0.0.1:5000": use an http(s) URL such as http://127.0.0.1:5000 (--endpoint-url, AWS_ENDPOINT_URL)`)
}

func TestFaultRegionDefault(t *testing.T) {
	fs := awstest.NewFaultServer(t)
	c := fs.Clients(func(o *awsapi.Options) { o.Region = "" })
	if c.Region() != "us-east-1" || c.RegionDefaulted() {
		t.Errorf("AWS_REGION=us-east-1: Region %q defaulted %v", c.Region(), c.RegionDefaulted())
	}
	t.Setenv("AWS_REGION", "")
	c, err := awsapi.New(context.Background(), awsapi.Options{EndpointURL: fs.URL, HTTPClient: awstest.LoopbackHTTPClient(t)})
	if err != nil {
		t.Fatal(err)
	}
	if c.Region() != "us-east-1" || !c.RegionDefaulted() {
		t.Errorf("no region: Region %q defaulted %v", c.Region(), c.RegionDefaulted())
	}
	t.Setenv("AWS_REGION", "eu-west-1")
	c, err = awsapi.New(context.Background(), awsapi.Options{EndpointURL: fs.URL, HTTPClient: awstest.LoopbackHTTPClient(t)})
	if err != nil {
		t.Fatal(err)
	}
	if c.Region() != "eu-west-1" || c.RegionDefaulted() {
		t.Errorf("AWS_REGION=eu-west-1: Region %q defaulted %v", c.Region(), c.RegionDefaulted())
	}
	c, err = awsapi.New(context.Background(), awsapi.Options{Region: "ap-northeast-1", EndpointURL: fs.URL, HTTPClient: awstest.LoopbackHTTPClient(t)})
	if err != nil {
		t.Fatal(err)
	}
	if c.Region() != "ap-northeast-1" {
		t.Errorf("Options.Region: Region %q", c.Region())
	}
}

func TestFaultExplicitEndpointWinsOverEnv(t *testing.T) {
	fs := awstest.NewFaultServer(t)
	fs.CreateBucket("b", "")
	awstest.TestEnv(t)
	// A stray service-specific variable must not redirect an explicit --endpoint-url.
	t.Setenv("AWS_ENDPOINT_URL_S3", "http://127.0.0.1:1")
	t.Setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:1")
	c, err := awsapi.New(context.Background(), fs.Options())
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := c.GetBucketPolicy(context.Background(), "b"); err != nil {
		t.Fatal(err)
	}
	if fs.Count("s3:GetBucketPolicy") != 1 {
		t.Error("request did not reach the explicit endpoint")
	}
}

func TestFaultEndpointFromEnvUsesPathStyle(t *testing.T) {
	fs := awstest.NewFaultServer(t)
	fs.CreateBucket("b", "")
	fs.SetVersioning("b", "Suspended")
	awstest.TestEnv(t)
	t.Setenv("AWS_ENDPOINT_URL_S3", fs.URL)
	c, err := awsapi.New(context.Background(), awsapi.Options{HTTPClient: awstest.LoopbackHTTPClient(t), MaxBackoff: time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	got, err := c.GetBucketVersioning(context.Background(), "b")
	if err != nil || got != "Suspended" {
		t.Fatalf("GetBucketVersioning = %q, %v", got, err)
	}
	r := fs.Requests("s3:GetBucketVersioning")[0]
	if r.Path != "/b" || !r.Query.Has("versioning") {
		t.Errorf("request %s %v is not path-style", r.Path, r.Query)
	}
}

func TestFaultWrongRegionFollowed(t *testing.T) {
	fs, c := newFault(t)
	fs.CreateBucket("eu", "eu-west-1")
	fs.SetPolicy("eu", testPolicy)
	ctx := context.Background()

	got, exists, err := c.GetBucketPolicy(ctx, "eu")
	if err != nil || !exists || string(got) != testPolicy {
		t.Fatalf("GetBucketPolicy = %q, %v, %v", got, exists, err)
	}
	reqs := fs.Requests("s3:GetBucketPolicy")
	if len(reqs) != 2 || reqs[0].Region != "us-east-1" || reqs[0].Response != 301 || reqs[1].Region != "eu-west-1" || reqs[1].Response != 200 {
		for _, r := range reqs {
			t.Logf("%+v", r)
		}
		t.Fatalf("expected a 301 from us-east-1 then 200 from eu-west-1")
	}
	if err := c.PutBucketPolicy(ctx, "eu", []byte(testPolicy), "123456789012"); err != nil {
		t.Fatal(err)
	}
	if rc := c.ForRegion("eu-west-1"); rc == c || rc.Region() != "eu-west-1" || rc != c.ForRegion("eu-west-1") || c.ForRegion("us-east-1") != c {
		t.Error("ForRegion does not cache per region")
	}

	// AuthorizationHeaderMalformed naming the region is followed too.
	fs.Fail("s3:GetBucketVersioning", awstest.Fault{Status: 400, Code: "AuthorizationHeaderMalformed", Times: 1,
		Message: "The authorization header is malformed; the region 'us-east-1' is wrong; expecting 'eu-west-1'"})
	if _, err := c.GetBucketVersioning(ctx, "eu"); err != nil {
		t.Fatal(err)
	}

	// A redirect that names no region is reported.
	fs.Fail("s3:GetBucketEncryption", awstest.Fault{Status: 301, Code: "PermanentRedirect"})
	_, _, err = c.GetBucketEncryption(ctx, "b")
	wantKind(t, err, awsapi.WrongRegion)
	wantMessage(t, err, `s3:GetBucketEncryption on bucket "b" was sent to the wrong region us-east-1 (PermanentRedirect); pass the right region with --region`)

	// A redirect to a region that still fails is reported with that region.
	fs.Fail("s3:GetBucketOwnershipControls", awstest.Fault{Status: 301, Code: "PermanentRedirect",
		Header: http.Header{"X-Amz-Bucket-Region": {"ap-southeast-2"}}})
	_, err = c.GetBucketOwnershipControls(ctx, "b")
	e := wantKind(t, err, awsapi.WrongRegion)
	if e.Region != "ap-southeast-2" || fs.Count("s3:GetBucketOwnershipControls") != 2 {
		t.Errorf("region %q after %d requests", e.Region, fs.Count("s3:GetBucketOwnershipControls"))
	}
}

func TestFaultEditBetweenReadAndWrite(t *testing.T) {
	fs, c := newFault(t)
	edited := strings.Replace(testPolicy, "vpce-1a2b3c4d", "vpce-someone-else", 1)
	fs.OnRequest("s3:GetBucketPolicy", 2, func() { fs.SetPolicy("b", edited) })
	first, _, err := c.GetBucketPolicy(context.Background(), "b")
	if err != nil {
		t.Fatal(err)
	}
	second, _, err := c.GetBucketPolicy(context.Background(), "b")
	if err != nil {
		t.Fatal(err)
	}
	if string(first) != testPolicy || string(second) != edited {
		t.Errorf("reads: %q then %q", first, second)
	}
}

func TestFaultVersioningAndDoctorReads(t *testing.T) {
	fs, c := newFault(t)
	ctx := context.Background()
	for _, status := range []string{"", "Enabled", "Suspended"} {
		fs.SetVersioning("b", status)
		got, err := c.GetBucketVersioning(ctx, "b")
		if err != nil || got != status {
			t.Errorf("versioning %q: got %q, %v", status, got, err)
		}
	}

	own, err := c.GetBucketOwnershipControls(ctx, "b")
	if err != nil || own != "" {
		t.Errorf("no ownership controls: %q, %v", own, err)
	}
	algo, key, err := c.GetBucketEncryption(ctx, "b")
	if err != nil || algo != "" || key != "" {
		t.Errorf("no encryption: %q %q %v", algo, key, err)
	}
	keyArn := "arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"
	fs.UpdateBucket("b", func(b *awstest.Bucket) {
		b.ObjectOwnership, b.SSEAlgorithm, b.KMSKeyID = "BucketOwnerEnforced", "aws:kms", keyArn
	})
	own, err = c.GetBucketOwnershipControls(ctx, "b")
	if err != nil || own != "BucketOwnerEnforced" {
		t.Errorf("ownership: %q, %v", own, err)
	}
	algo, key, err = c.GetBucketEncryption(ctx, "b")
	if err != nil || algo != "aws:kms" || key != keyArn {
		t.Errorf("encryption: %q %q %v", algo, key, err)
	}

	keyPolicy := `{"Version":"2012-10-17","Id":"key-default-1","Statement":[{"Sid":"Enable IAM User Permissions","Effect":"Allow","Principal":{"AWS":"arn:aws:iam::123456789012:root"},"Action":"kms:*","Resource":"*"}]}`
	fs.SetKeyPolicy(keyArn, keyPolicy)
	got, err := c.GetKeyPolicy(ctx, keyArn)
	if err != nil || string(got) != keyPolicy {
		t.Errorf("GetKeyPolicy = %q, %v", got, err)
	}
	// A key ARN in another region is read with a client of that region.
	otherArn := strings.Replace(keyArn, "us-east-1", "eu-central-1", 1)
	fs.SetKeyPolicy(otherArn, keyPolicy)
	if _, err := c.GetKeyPolicy(ctx, otherArn); err != nil {
		t.Fatal(err)
	}
	if r := fs.Requests("kms:GetKeyPolicy"); r[len(r)-1].Region != "eu-central-1" || r[len(r)-1].Target != otherArn {
		t.Errorf("GetKeyPolicy of another region signed for %q (target %q)", r[len(r)-1].Region, r[len(r)-1].Target)
	}

	org, err := c.OrganizationID(ctx)
	if err != nil || org != "" {
		t.Errorf("no organization: %q, %v", org, err)
	}
	fs.SetOrganization("o-a1b2c3d4e5")
	org, err = c.OrganizationID(ctx)
	if err != nil || org != "o-a1b2c3d4e5" {
		t.Errorf("organization: %q, %v", org, err)
	}
}

func TestFaultRoleAndIdentity(t *testing.T) {
	fs, c := newFault(t)
	ctx := context.Background()
	want := fs.AddBackupRole()
	trust := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"backup.amazonaws.com"},"Action":"sts:AssumeRole","Condition":{"StringLike":{"aws:SourceArn":"arn:aws:backup:*:123456789012:* +%"}}}]}`
	weird := fs.AddRole("Weird", "/a/b/", trust)

	r, err := c.GetRole(ctx, "AWSBackupDefaultServiceRole")
	if err != nil {
		t.Fatal(err)
	}
	if r.Name != want.Name || r.Path != "/service-role/" || r.RoleID != want.RoleID || r.Arn != want.Arn || r.AccountID != "123456789012" {
		t.Errorf("GetRole = %+v, want %+v", r, want)
	}
	if string(r.TrustPolicy) != awstest.BackupTrustPolicy {
		t.Errorf("trust policy %q", r.TrustPolicy)
	}
	r, err = c.GetRole(ctx, "Weird")
	if err != nil || string(r.TrustPolicy) != trust || r.Arn != weird.Arn {
		t.Errorf("GetRole(Weird) = %+v, %v; trust %s", r, err, r.TrustPolicy)
	}
	raw := fs.Requests("iam:GetRole")[0]
	if raw.Method != http.MethodPost || raw.Form.Get("Action") != "GetRole" || raw.Form.Get("RoleName") != "AWSBackupDefaultServiceRole" {
		t.Errorf("GetRole request: %s %v", raw.Method, raw.Form)
	}

	var arns []string
	for i := range 150 {
		a := fmt.Sprintf("arn:aws:iam::123456789012:policy/p%03d", i)
		arns = append(arns, a)
		fs.AttachRolePolicy("AWSBackupDefaultServiceRole", a)
	}
	got, err := c.ListAttachedRolePolicies(ctx, "AWSBackupDefaultServiceRole")
	if err != nil || strings.Join(got, ",") != strings.Join(arns, ",") {
		t.Errorf("ListAttachedRolePolicies: %d ARNs, %v", len(got), err)
	}
	pages := map[string]bool{}
	for _, r := range fs.Requests("iam:ListAttachedRolePolicies") {
		if r.Response == http.StatusOK {
			pages[r.Form.Get("Marker")] = true
		}
	}
	if len(pages) != 2 {
		for _, r := range fs.Requests("iam:ListAttachedRolePolicies") {
			t.Logf("request %d: %v -> %d", r.N, r.Form, r.Response)
		}
		t.Errorf("%d pages, want 2", len(pages))
	}

	id, err := c.CallerIdentity(ctx)
	if err != nil || id.Account != "123456789012" || id.Arn != "arn:aws:iam::123456789012:user/tester" || id.UserID == "" {
		t.Errorf("CallerIdentity = %+v, %v", id, err)
	}
	if _, err := c.ForRegion("eu-west-1").CallerIdentity(ctx); err != nil {
		t.Fatal(err)
	}
	if n := fs.Count("sts:GetCallerIdentity"); n != 1 {
		t.Errorf("GetCallerIdentity sent %d times; it is made once per run", n)
	}
}

func TestFaultListBuckets(t *testing.T) {
	ctx := context.Background()
	t.Run("regions in listing", func(t *testing.T) {
		fs, c := newFault(t)
		fs.CreateBucket("c-eu", "eu-west-1")
		fs.CreateBucket("a-tokyo", "ap-northeast-1")
		got, err := c.ListBuckets(ctx)
		if err != nil {
			t.Fatal(err)
		}
		want := []awsapi.Bucket{{"a-tokyo", "ap-northeast-1"}, {"b", "us-east-1"}, {"c-eu", "eu-west-1"}}
		if fmt.Sprint(got) != fmt.Sprint(want) {
			t.Errorf("ListBuckets = %v, want %v", got, want)
		}
		if fs.Count("s3:GetBucketLocation") != 0 {
			t.Error("GetBucketLocation called although the listing had regions")
		}
		if q := fs.Requests("s3:ListBuckets")[0].Query; q.Get("max-buckets") != "1000" {
			t.Errorf("ListBuckets query %v", q)
		}
	})
	t.Run("regions from GetBucketLocation", func(t *testing.T) {
		fs, c := newFault(t)
		fs.OmitBucketRegion(true)
		fs.CreateBucket("c-eu-legacy", "EU")
		fs.CreateBucket("d-west", "us-west-2")
		fs.CreateBucket("e-locked", "eu-central-1")
		// The bucket policy of e-locked denies GetBucketLocation: HeadBucket's header still tells.
		fs.Fail("s3:GetBucketLocation", awstest.Fault{Status: 403, Code: "AccessDenied", Times: 1})
		got, err := c.ListBuckets(ctx)
		if err != nil {
			t.Fatal(err)
		}
		want := map[string]string{"b": "us-east-1", "c-eu-legacy": "eu-west-1", "d-west": "us-west-2", "e-locked": "eu-central-1"}
		if len(got) != len(want) {
			t.Fatalf("ListBuckets = %v", got)
		}
		for _, b := range got {
			if want[b.Name] != b.Region {
				t.Errorf("%s: region %q, want %q", b.Name, b.Region, want[b.Name])
			}
		}
		if fs.Count("s3:GetBucketLocation") != 4 || fs.Count("s3:HeadBucket") != 1 {
			t.Errorf("GetBucketLocation x%d, HeadBucket x%d", fs.Count("s3:GetBucketLocation"), fs.Count("s3:HeadBucket"))
		}
	})
	t.Run("paginated", func(t *testing.T) {
		fs, c := newFault(t)
		for i := range 1100 {
			fs.CreateBucket(fmt.Sprintf("bulk-%04d", i), "us-west-2")
		}
		got, err := c.ListBuckets(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != 1101 || fs.Count("s3:ListBuckets") != 2 {
			t.Errorf("%d buckets in %d pages", len(got), fs.Count("s3:ListBuckets"))
		}
	})
	t.Run("region lookup fails", func(t *testing.T) {
		fs, c := newFault(t)
		fs.OmitBucketRegion(true)
		fs.Fail("s3:GetBucketLocation", awstest.Fault{Status: 500, Code: "InternalError"})
		_, err := c.ListBuckets(ctx)
		wantKind(t, err, awsapi.ServerError)
	})
}

func TestFaultBucketRegion(t *testing.T) {
	fs, c := newFault(t)
	fs.CreateBucket("legacy", "EU")
	fs.CreateBucket("syd", "ap-southeast-2")
	ctx := context.Background()
	for bucket, want := range map[string]string{"b": "us-east-1", "legacy": "eu-west-1", "syd": "ap-southeast-2"} {
		got, err := c.BucketRegion(ctx, bucket)
		if err != nil || got != want {
			t.Errorf("BucketRegion(%s) = %q, %v; want %q", bucket, got, err, want)
		}
	}
	_, err := c.BucketRegion(ctx, "nope")
	wantKind(t, err, awsapi.NotFound)

	// Both lookups denied: the GetBucketLocation error is returned.
	fs.Fail("s3:GetBucketLocation", awstest.Fault{Status: 403, Code: "AccessDenied"})
	fs.Fail("s3:HeadBucket", awstest.Fault{Status: 403, Code: "AccessDenied"})
	_, err = c.BucketRegion(ctx, "syd")
	e := wantKind(t, err, awsapi.AccessDenied)
	if e.Op != "s3:GetBucketLocation" {
		t.Errorf("op %s", e.Op)
	}
}

func TestErrorHelpers(t *testing.T) {
	var nilErr error
	if awsapi.IsNotFound(nilErr) || awsapi.KindOf(nilErr) != awsapi.Other {
		t.Error("nil error classified")
	}
	wrapped := fmt.Errorf("s3://b: %w", &awsapi.Error{Op: "s3:GetBucketPolicy", Resource: "b", Kind: awsapi.Throttled, Code: "SlowDown", Attempts: 3})
	if !awsapi.IsThrottled(wrapped) || awsapi.KindOf(wrapped) != awsapi.Throttled {
		t.Error("wrapped error not classified")
	}
	for k := awsapi.Other; k <= awsapi.Canceled; k++ {
		if s := k.String(); s == "" || strings.HasPrefix(s, "kind(") {
			t.Errorf("Kind %d has no name", int(k))
		}
	}
}

func TestFaultMaxAttemptsFromEnvironment(t *testing.T) {
	fs := awstest.NewFaultServer(t)
	fs.CreateBucket("b", "")
	fs.Fail("s3:GetBucketVersioning", awstest.Fault{Status: 503, Code: "ServiceUnavailable"})
	awstest.TestEnv(t)
	t.Setenv("AWS_MAX_ATTEMPTS", "2")
	c, err := awsapi.New(context.Background(), fs.Options()) // Options.MaxAttempts = 0
	if err != nil {
		t.Fatal(err)
	}
	_, err = c.GetBucketVersioning(context.Background(), "b")
	e := wantKind(t, err, awsapi.ServerError)
	if c.MaxAttempts() != 2 || e.Attempts != 2 || fs.Count("s3:GetBucketVersioning") != 2 {
		t.Errorf("MaxAttempts %d, error attempts %d, server saw %d; want 2", c.MaxAttempts(), e.Attempts, fs.Count("s3:GetBucketVersioning"))
	}
}

// TestNoCredentialsOneLine: with no credentials and an instance-metadata
// service that refuses IMDSv2 tokens (here a local server, standing in for
// 169.254.169.254), the SDK's "falling back to IMDSv1" warning no longer
// reaches standard error: the error is one line that names the sources
// tried (issue 13, item 14).
func TestNoCredentialsOneLine(t *testing.T) {
	awstest.IsolatedEnv(t)
	imds := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodPut {
			w.WriteHeader(http.StatusForbidden) // no IMDSv2: the SDK falls back to v1 and warns
			return
		}
		w.WriteHeader(http.StatusNotFound)
	}))
	defer imds.Close()
	t.Setenv("AWS_EC2_METADATA_DISABLED", "false")
	t.Setenv("AWS_EC2_METADATA_SERVICE_ENDPOINT", imds.URL)
	fs := awstest.NewFaultServer(t)

	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	stderr := os.Stderr
	os.Stderr = w
	c, err := awsapi.New(context.Background(), fs.Options())
	if err == nil {
		_, err = c.CallerIdentity(context.Background())
	}
	os.Stderr = stderr
	w.Close()
	logged, _ := io.ReadAll(r)
	if len(logged) != 0 {
		t.Errorf("the SDK wrote to standard error: %q", logged)
	}
	wantKind(t, err, awsapi.NoCredentials)
	if msg := err.Error(); strings.Contains(msg, "\n") || !strings.Contains(msg, "instance metadata services") {
		t.Errorf("message %q", msg)
	}
}
