package awsapi_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/fixpolicy/fixpolicy/awsapi"
	"github.com/fixpolicy/fixpolicy/awsapi/internal/awstest"
)

const testPolicy = `{"Version":"2012-10-17","Statement":[{"Sid":"DenyOutsideVpce","Effect":"Deny","Principal":"*","Action":"s3:*","Resource":["arn:aws:s3:::b","arn:aws:s3:::b/*"],"Condition":{"StringNotEquals":{"aws:SourceVpce":"vpce-1a2b3c4d"}}}]}`

// newFault returns a FaultServer with bucket "b" (us-east-1, with testPolicy) and
// clients pointed at it.
func newFault(t *testing.T, edits ...func(*awsapi.Options)) (*awstest.FaultServer, *awsapi.Clients) {
	t.Helper()
	fs := awstest.NewFaultServer(t)
	fs.CreateBucket("b", "us-east-1")
	fs.SetPolicy("b", testPolicy)
	return fs, fs.Clients(edits...)
}

func asError(t *testing.T, err error) *awsapi.Error {
	t.Helper()
	if err == nil {
		t.Fatal("expected an error, got nil")
	}
	var e *awsapi.Error
	if !errors.As(err, &e) {
		t.Fatalf("error is %T, not *awsapi.Error: %v", err, err)
	}
	return e
}

func wantKind(t *testing.T, err error, kind awsapi.Kind) *awsapi.Error {
	t.Helper()
	e := asError(t, err)
	if e.Kind != kind {
		t.Fatalf("kind = %v, want %v; error: %v (cause: %v)", e.Kind, kind, e, e.Err)
	}
	return e
}

func wantMessage(t *testing.T, err error, want string) {
	t.Helper()
	if got := err.Error(); got != want {
		t.Errorf("message:\n got: %s\nwant: %s", got, want)
	}
}

func TestFaultPolicyRoundTrip(t *testing.T) {
	fs, c := newFault(t)
	ctx := context.Background()

	got, exists, err := c.GetBucketPolicy(ctx, "b")
	if err != nil || !exists || string(got) != testPolicy {
		t.Fatalf("GetBucketPolicy = %q, %v, %v", got, exists, err)
	}
	newPolicy := strings.Replace(testPolicy, "vpce-1a2b3c4d", "vpce-9999", 1)
	if err := c.PutBucketPolicy(ctx, "b", []byte(newPolicy), "123456789012"); err != nil {
		t.Fatalf("PutBucketPolicy: %v", err)
	}
	if p, _ := fs.Policy("b"); p != newPolicy {
		t.Errorf("stored policy = %q", p)
	}
	puts := fs.Requests("s3:PutBucketPolicy")
	if len(puts) != 1 {
		t.Fatalf("%d PutBucketPolicy requests", len(puts))
	}
	h := puts[0].Header
	if h.Get("X-Amz-Expected-Bucket-Owner") != "123456789012" {
		t.Errorf("x-amz-expected-bucket-owner = %q", h.Get("X-Amz-Expected-Bucket-Owner"))
	}
	if v, ok := h["X-Amz-Confirm-Remove-Self-Bucket-Access"]; ok {
		t.Errorf("x-amz-confirm-remove-self-bucket-access sent: %q", v)
	}
	if string(puts[0].Body) != newPolicy || puts[0].Method != http.MethodPut || puts[0].Path != "/b" {
		t.Errorf("request = %s %s %q", puts[0].Method, puts[0].Path, puts[0].Body)
	}

	// Without an expected owner, no header.
	if err := c.PutBucketPolicy(ctx, "b", []byte(testPolicy), ""); err != nil {
		t.Fatal(err)
	}
	if v := fs.Requests("s3:PutBucketPolicy")[1].Header.Get("X-Amz-Expected-Bucket-Owner"); v != "" {
		t.Errorf("x-amz-expected-bucket-owner = %q, want none", v)
	}

	// Wrong expected owner: S3 answers 403.
	err = c.PutBucketPolicy(ctx, "b", []byte(testPolicy), "999999999999")
	wantKind(t, err, awsapi.AccessDenied)

	fs.DeletePolicy("b")
	got, exists, err = c.GetBucketPolicy(ctx, "b")
	if err != nil || exists || got != nil {
		t.Fatalf("no policy: GetBucketPolicy = %q, %v, %v", got, exists, err)
	}
}

func TestFaultNotFound(t *testing.T) {
	fs, c := newFault(t)
	ctx := context.Background()
	fs.AddBackupRole()

	_, _, err := c.GetBucketPolicy(ctx, "nope")
	wantKind(t, err, awsapi.NotFound)
	wantMessage(t, err, `bucket "nope" does not exist (s3:GetBucketPolicy: NoSuchBucket)`)
	if !awsapi.IsNotFound(err) {
		t.Error("IsNotFound = false")
	}

	_, err = c.GetRole(ctx, "Missing")
	e := wantKind(t, err, awsapi.NotFound)
	wantMessage(t, err, `IAM role "Missing" not found (iam:GetRole: NoSuchEntity); pass the backup role with --role-name NAME or its RoleId with --role-id`)
	if e.HTTPStatus != 404 || e.Code != "NoSuchEntity" || e.Resource != "Missing" || e.Op != "iam:GetRole" {
		t.Errorf("fields: %+v", e)
	}

	_, err = c.ListAttachedRolePolicies(ctx, "Missing")
	wantKind(t, err, awsapi.NotFound)

	_, err = c.GetKeyPolicy(ctx, "1234abcd-12ab-34cd-56ef-1234567890ab")
	wantKind(t, err, awsapi.NotFound)
	wantMessage(t, err, `KMS key "1234abcd-12ab-34cd-56ef-1234567890ab" not found (kms:GetKeyPolicy: NotFoundException)`)
}

func TestFaultThrottledThenSuccess(t *testing.T) {
	fs, c := newFault(t)
	fs.Fail("s3:GetBucketPolicy", awstest.Fault{Status: 503, Code: "SlowDown", Times: 2})
	start := time.Now()
	got, exists, err := c.GetBucketPolicy(context.Background(), "b")
	if err != nil || !exists || string(got) != testPolicy {
		t.Fatalf("GetBucketPolicy = %q, %v, %v", got, exists, err)
	}
	if n := fs.Count("s3:GetBucketPolicy"); n != 3 {
		t.Errorf("attempts = %d, want 3 (2 throttled + 1 success)", n)
	}
	t.Logf("3 attempts in %s", time.Since(start))
}

func TestFaultThrottledPersistently(t *testing.T) {
	fs, c := newFault(t)
	fs.Fail("s3:PutBucketPolicy", awstest.Fault{Status: 503, Code: "SlowDown"})
	err := c.PutBucketPolicy(context.Background(), "b", []byte(testPolicy), "")
	e := wantKind(t, err, awsapi.Throttled)
	wantMessage(t, err, `s3:PutBucketPolicy on bucket "b" was throttled (SlowDown) after 3 attempts; retry later`)
	if e.Attempts != 3 || fs.Count("s3:PutBucketPolicy") != 3 {
		t.Errorf("attempts: error says %d, server saw %d", e.Attempts, fs.Count("s3:PutBucketPolicy"))
	}
	if p, _ := fs.Policy("b"); p != testPolicy {
		t.Error("policy changed")
	}

	// IAM's throttle code in the query protocol.
	fs.AddBackupRole()
	fs.Fail("iam:GetRole", awstest.Fault{Status: 400, Code: "Throttling"})
	_, err = c.GetRole(context.Background(), "AWSBackupDefaultServiceRole")
	wantKind(t, err, awsapi.Throttled)
	if !awsapi.IsThrottled(err) {
		t.Error("IsThrottled = false")
	}
}

func TestFaultServerErrorAfterRetries(t *testing.T) {
	for _, attempts := range []int{3, 5} {
		t.Run(fmt.Sprint(attempts), func(t *testing.T) {
			fs, c := newFault(t, func(o *awsapi.Options) { o.MaxAttempts = attempts })
			fs.Fail("s3:GetBucketPolicy", awstest.Fault{Status: 500, Code: "InternalError"})
			_, _, err := c.GetBucketPolicy(context.Background(), "b")
			e := wantKind(t, err, awsapi.ServerError)
			wantMessage(t, err, fmt.Sprintf(`s3:GetBucketPolicy on bucket "b" failed with a server error (500 InternalError) after %d attempts; retry later`, attempts))
			if n := fs.Count("s3:GetBucketPolicy"); n != attempts || e.Attempts != attempts {
				t.Errorf("server saw %d requests, error says %d attempts; want %d", n, e.Attempts, attempts)
			}
			if e.RequestID == "" {
				t.Error("no request ID")
			}
		})
	}
}

func TestFaultServerErrorThenSuccess(t *testing.T) {
	fs, c := newFault(t)
	fs.AddBackupRole()
	fs.Fail("iam:GetRole", awstest.Fault{Status: 500, Code: "ServiceFailure", Times: 1})
	if _, err := c.GetRole(context.Background(), "AWSBackupDefaultServiceRole"); err != nil {
		t.Fatal(err)
	}
	if n := fs.Count("iam:GetRole"); n != 2 {
		t.Errorf("attempts = %d, want 2", n)
	}
}

func TestFaultConnectionReset(t *testing.T) {
	t.Run("always", func(t *testing.T) {
		fs, c := newFault(t)
		fs.Fail("s3:GetBucketVersioning", awstest.Fault{Reset: true})
		_, err := c.GetBucketVersioning(context.Background(), "b")
		e := wantKind(t, err, awsapi.Network)
		if !strings.Contains(err.Error(), `s3:GetBucketVersioning on bucket "b" could not reach the endpoint (connection`) ||
			!strings.HasSuffix(err.Error(), "; check the network, proxy settings and --endpoint-url") {
			t.Errorf("message: %s", err)
		}
		// The SDK retried; net/http may also replay an idempotent request once.
		if n := fs.Count("s3:GetBucketVersioning"); n < 3 {
			t.Errorf("server saw %d requests, want >= 3", n)
		}
		t.Logf("%s (attempts %d, server saw %d)", e, e.Attempts, fs.Count("s3:GetBucketVersioning"))
	})
	t.Run("once", func(t *testing.T) {
		fs, c := newFault(t)
		fs.SetVersioning("b", "Enabled")
		fs.Fail("s3:GetBucketVersioning", awstest.Fault{Reset: true, Times: 1})
		got, err := c.GetBucketVersioning(context.Background(), "b")
		if err != nil || got != "Enabled" {
			t.Fatalf("GetBucketVersioning = %q, %v", got, err)
		}
	})
}

func TestFaultConnectionRefused(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	fs := awstest.NewFaultServer(t)
	c := fs.Clients(func(o *awsapi.Options) { o.EndpointURL = "http://" + addr })
	_, _, err = c.GetBucketPolicy(context.Background(), "b")
	wantKind(t, err, awsapi.Network)
	want := fmt.Sprintf(`s3:GetBucketPolicy on bucket "b" could not reach the endpoint (connection refused to %s) after 3 attempts; check the network, proxy settings and --endpoint-url`, addr)
	wantMessage(t, err, want)
}

func TestFaultTimeout(t *testing.T) {
	fs, c := newFault(t, func(o *awsapi.Options) { o.CallTimeout = 200 * time.Millisecond })
	fs.Fail("s3:GetBucketPolicy", awstest.Fault{Delay: 5 * time.Second})
	start := time.Now()
	_, _, err := c.GetBucketPolicy(context.Background(), "b")
	elapsed := time.Since(start)
	wantKind(t, err, awsapi.Timeout)
	wantMessage(t, err, `s3:GetBucketPolicy on bucket "b" timed out after 200ms`)
	if elapsed > 2*time.Second {
		t.Errorf("took %s; the timeout did not cut the call short", elapsed)
	}

	// A slow first answer within the limit is fine.
	fs.ClearFaults()
	fs.Fail("sts:GetCallerIdentity", awstest.Fault{Delay: 50 * time.Millisecond, Times: 1})
	if _, err := c.CallerIdentity(context.Background()); err != nil {
		t.Fatal(err)
	}
}

func TestFaultCanceled(t *testing.T) {
	fs, c := newFault(t)
	fs.Fail("s3:GetBucketPolicy", awstest.Fault{Delay: 5 * time.Second})
	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(50*time.Millisecond, cancel)
	_, _, err := c.GetBucketPolicy(ctx, "b")
	wantKind(t, err, awsapi.Canceled)
	wantMessage(t, err, `s3:GetBucketPolicy on bucket "b" was canceled`)
}

func TestFaultAccessDeniedEachCall(t *testing.T) {
	keyArn := "arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"
	cases := []struct {
		op   string
		code string
		call func(*awsapi.Clients) error
		want string
	}{
		{"s3:GetBucketPolicy", "AccessDenied", func(c *awsapi.Clients) error {
			_, _, err := c.GetBucketPolicy(context.Background(), "b")
			return err
		}, `access denied calling s3:GetBucketPolicy on bucket "b": the caller needs permission s3:GetBucketPolicy on arn:aws:s3:::b`},
		{"s3:PutBucketPolicy", "AccessDenied", func(c *awsapi.Clients) error {
			return c.PutBucketPolicy(context.Background(), "b", []byte(testPolicy), "")
		}, `access denied calling s3:PutBucketPolicy on bucket "b": the caller needs permission s3:PutBucketPolicy on arn:aws:s3:::b`},
		{"s3:GetBucketVersioning", "AccessDenied", func(c *awsapi.Clients) error {
			_, err := c.GetBucketVersioning(context.Background(), "b")
			return err
		}, `access denied calling s3:GetBucketVersioning on bucket "b": the caller needs permission s3:GetBucketVersioning on arn:aws:s3:::b`},
		{"s3:ListBuckets", "AccessDenied", func(c *awsapi.Clients) error {
			_, err := c.ListBuckets(context.Background())
			return err
		}, `access denied calling s3:ListBuckets: the caller needs permission s3:ListAllMyBuckets`},
		{"s3:GetBucketOwnershipControls", "AccessDenied", func(c *awsapi.Clients) error {
			_, err := c.GetBucketOwnershipControls(context.Background(), "b")
			return err
		}, `access denied calling s3:GetBucketOwnershipControls on bucket "b": the caller needs permission s3:GetBucketOwnershipControls on arn:aws:s3:::b`},
		{"s3:GetBucketEncryption", "AccessDenied", func(c *awsapi.Clients) error {
			_, _, err := c.GetBucketEncryption(context.Background(), "b")
			return err
		}, `access denied calling s3:GetBucketEncryption on bucket "b": the caller needs permission s3:GetEncryptionConfiguration on arn:aws:s3:::b`},
		{"iam:GetRole", "AccessDenied", func(c *awsapi.Clients) error {
			_, err := c.GetRole(context.Background(), "AWSBackupDefaultServiceRole")
			return err
		}, `access denied calling iam:GetRole on IAM role "AWSBackupDefaultServiceRole": the caller needs permission iam:GetRole on that role (or pass the role's RoleId with --role-id)`},
		{"iam:ListAttachedRolePolicies", "AccessDenied", func(c *awsapi.Clients) error {
			_, err := c.ListAttachedRolePolicies(context.Background(), "AWSBackupDefaultServiceRole")
			return err
		}, `access denied calling iam:ListAttachedRolePolicies on IAM role "AWSBackupDefaultServiceRole": the caller needs permission iam:ListAttachedRolePolicies on that role`},
		{"sts:GetCallerIdentity", "AccessDenied", func(c *awsapi.Clients) error {
			_, err := c.CallerIdentity(context.Background())
			return err
		}, `access denied calling sts:GetCallerIdentity: the caller needs permission sts:GetCallerIdentity (or pass --account-id)`},
		{"organizations:DescribeOrganization", "AccessDeniedException", func(c *awsapi.Clients) error {
			_, err := c.OrganizationID(context.Background())
			return err
		}, `access denied calling organizations:DescribeOrganization: the caller needs permission organizations:DescribeOrganization (or pass --org-id)`},
		{"kms:GetKeyPolicy", "AccessDeniedException", func(c *awsapi.Clients) error {
			_, err := c.GetKeyPolicy(context.Background(), keyArn)
			return err
		}, `access denied calling kms:GetKeyPolicy on KMS key "` + keyArn + `": the caller needs permission kms:GetKeyPolicy on ` + keyArn},
	}
	fs, c := newFault(t)
	fs.AddBackupRole()
	for _, tc := range cases {
		t.Run(tc.op, func(t *testing.T) {
			fs.ClearFaults()
			fs.Fail(tc.op, awstest.Fault{Status: 403, Code: tc.code, Message: "Access Denied"})
			before := fs.Count(tc.op)
			err := tc.call(c)
			e := wantKind(t, err, awsapi.AccessDenied)
			wantMessage(t, err, tc.want)
			if e.Op != tc.op || e.HTTPStatus != 403 || e.Code != tc.code {
				t.Errorf("Op=%q HTTPStatus=%d Code=%q", e.Op, e.HTTPStatus, e.Code)
			}
			if n := fs.Count(tc.op) - before; n != 1 {
				t.Errorf("%d requests; AccessDenied must not be retried", n)
			}
		})
	}
}

func TestFaultAccessDeniedKeepsAWSExplanation(t *testing.T) {
	fs, c := newFault(t)
	msg := `User: arn:aws:iam::123456789012:user/tester is not authorized to perform: s3:GetBucketPolicy on resource: "arn:aws:s3:::b" with an explicit deny in a resource-based policy`
	fs.Fail("s3:GetBucketPolicy", awstest.Fault{Status: 403, Code: "AccessDenied", Message: msg})
	_, _, err := c.GetBucketPolicy(context.Background(), "b")
	wantMessage(t, err, `access denied calling s3:GetBucketPolicy on bucket "b": the caller needs permission s3:GetBucketPolicy on arn:aws:s3:::b (AWS: `+msg+`)`)
}

func TestFaultNotBucketOwner(t *testing.T) {
	fs, c := newFault(t)
	fs.Fail("s3:PutBucketPolicy", awstest.Fault{Status: 405, Code: "MethodNotAllowed"})
	err := c.PutBucketPolicy(context.Background(), "b", []byte(testPolicy), "")
	e := wantKind(t, err, awsapi.AccessDenied)
	wantMessage(t, err, `access denied calling s3:PutBucketPolicy on bucket "b": the caller's account does not own the bucket (405 MethodNotAllowed); use credentials of the bucket owner's account`)
	if e.HTTPStatus != 405 || fs.Count("s3:PutBucketPolicy") != 1 {
		t.Errorf("status %d, %d requests", e.HTTPStatus, fs.Count("s3:PutBucketPolicy"))
	}
}

func TestFaultCredentialErrors(t *testing.T) {
	cases := []struct {
		op, code string
		status   int
		call     func(*awsapi.Clients) error
		want     string
	}{
		{"s3:GetBucketPolicy", "ExpiredToken", 400, func(c *awsapi.Clients) error {
			_, _, err := c.GetBucketPolicy(context.Background(), "b")
			return err
		}, `AWS credentials have expired: refresh them (e.g. aws sso login) and retry`},
		{"sts:GetCallerIdentity", "ExpiredTokenException", 400, func(c *awsapi.Clients) error {
			_, err := c.CallerIdentity(context.Background())
			return err
		}, `AWS credentials have expired: refresh them (e.g. aws sso login) and retry`},
		{"iam:GetRole", "RequestExpired", 400, func(c *awsapi.Clients) error {
			_, err := c.GetRole(context.Background(), "r")
			return err
		}, `AWS credentials have expired: refresh them (e.g. aws sso login) and retry`},
		{"sts:GetCallerIdentity", "InvalidClientTokenId", 403, func(c *awsapi.Clients) error {
			_, err := c.CallerIdentity(context.Background())
			return err
		}, `AWS credentials are invalid (sts:GetCallerIdentity: InvalidClientTokenId): check the access key, secret and profile in use, or refresh them (e.g. aws sso login), and retry`},
		{"s3:GetBucketVersioning", "SignatureDoesNotMatch", 403, func(c *awsapi.Clients) error {
			_, err := c.GetBucketVersioning(context.Background(), "b")
			return err
		}, `AWS credentials are invalid (s3:GetBucketVersioning: SignatureDoesNotMatch): check the access key, secret and profile in use, or refresh them (e.g. aws sso login), and retry`},
		{"s3:GetBucketPolicy", "InvalidAccessKeyId", 403, func(c *awsapi.Clients) error {
			_, _, err := c.GetBucketPolicy(context.Background(), "b")
			return err
		}, `AWS credentials are invalid (s3:GetBucketPolicy: InvalidAccessKeyId): check the access key, secret and profile in use, or refresh them (e.g. aws sso login), and retry`},
	}
	fs, c := newFault(t)
	for _, tc := range cases {
		t.Run(tc.op+"/"+tc.code, func(t *testing.T) {
			fs.ClearFaults()
			fs.Fail(tc.op, awstest.Fault{Status: tc.status, Code: tc.code})
			err := tc.call(c)
			wantKind(t, err, awsapi.ExpiredToken)
			wantMessage(t, err, tc.want)
			if !awsapi.IsCredentials(err) {
				t.Error("IsCredentials = false")
			}
		})
	}
}

func TestFaultMalformedPolicy(t *testing.T) {
	fs, c := newFault(t)
	err := c.PutBucketPolicy(context.Background(), "b", []byte("this is not json"), "")
	e := wantKind(t, err, awsapi.MalformedPolicy)
	wantMessage(t, err, `AWS rejected the policy for bucket "b" as malformed: Policies must be valid JSON and the first byte must be '{' (s3:PutBucketPolicy: MalformedPolicy)`)
	if e.HTTPStatus != 400 || fs.Count("s3:PutBucketPolicy") != 1 {
		t.Errorf("status %d, %d requests", e.HTTPStatus, fs.Count("s3:PutBucketPolicy"))
	}

	// S3's own wording for a semantic problem is kept verbatim.
	fs.Fail("s3:PutBucketPolicy", awstest.Fault{Status: 400, Code: "MalformedPolicy", Message: "Invalid principal in policy"})
	err = c.PutBucketPolicy(context.Background(), "b", []byte(testPolicy), "")
	wantMessage(t, err, `AWS rejected the policy for bucket "b" as malformed: Invalid principal in policy (s3:PutBucketPolicy: MalformedPolicy)`)
}

func TestFaultNoCredentials(t *testing.T) {
	awstest.IsolatedEnv(t) // no keys, empty config files, IMDS disabled
	fs := awstest.NewFaultServer(t)
	fs.CreateBucket("b", "")
	c, err := awsapi.New(context.Background(), fs.Options()) // loopback-only HTTP client
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	_, _, err = c.GetBucketPolicy(context.Background(), "b")
	e := wantKind(t, err, awsapi.NoCredentials)
	wantMessage(t, err, `no AWS credentials found (tried the environment variables, the shared config and credentials files, SSO, and the container and instance metadata services): configure a profile (--profile), environment variables or SSO (aws sso login)`)
	t.Logf("underlying: %v", e.Err)

	_, err = c.CallerIdentity(context.Background())
	wantKind(t, err, awsapi.NoCredentials)
	_, err = c.GetRole(context.Background(), "r")
	wantKind(t, err, awsapi.NoCredentials)

	if n := len(fs.Requests("")); n != 0 {
		t.Errorf("%d requests reached the server without credentials", n)
	}
}

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
