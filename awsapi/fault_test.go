package awsapi_test

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
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
