package awsapi

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/url"
	"regexp"
	"strings"
	"syscall"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials/ssocreds"
	"github.com/aws/smithy-go"
	smithyhttp "github.com/aws/smithy-go/transport/http"
)

// Kind classifies an [Error] by what the user has to do about it.
type Kind int

// The kinds of [Error]. The zero value is Other.
const (
	// Other is anything not classified below; Error() keeps AWS's code and message.
	Other Kind = iota
	// NotFound: the bucket, role or key does not exist (NoSuchBucket, NoSuchEntity, NotFoundException).
	NotFound
	// AccessDenied: the caller lacks a permission (AccessDenied, 403, AccessDeniedException,
	// UnauthorizedOperation) or, for S3's 405 MethodNotAllowed, is not in the bucket owner's account.
	AccessDenied
	// NoCredentials: the SDK's credential chain found nothing usable.
	NoCredentials
	// ExpiredToken: credentials were found but AWS rejects them as expired or invalid
	// (ExpiredToken, RequestExpired, InvalidClientTokenId, SignatureDoesNotMatch, InvalidAccessKeyId, ...).
	ExpiredToken
	// Throttled: AWS kept throttling (SlowDown, Throttling, 429, ...) until the retries ran out.
	Throttled
	// Timeout: the per-call timeout or the caller's deadline passed, or the network timed out.
	Timeout
	// WrongRegion: the request went to the wrong region (PermanentRedirect/301,
	// AuthorizationHeaderMalformed naming a region, IllegalLocationConstraintException).
	WrongRegion
	// MalformedPolicy: S3 or IAM rejected a policy document (400 MalformedPolicy).
	MalformedPolicy
	// ServerError: AWS kept answering 5xx until the retries ran out.
	ServerError
	// Network: the endpoint could not be reached (connection refused or reset, DNS failure).
	Network
	// Canceled: the caller's context was canceled (for example by Ctrl-C).
	Canceled
)

var kindNames = [...]string{
	Other:           "other",
	NotFound:        "not_found",
	AccessDenied:    "access_denied",
	NoCredentials:   "no_credentials",
	ExpiredToken:    "expired_token",
	Throttled:       "throttled",
	Timeout:         "timeout",
	WrongRegion:     "wrong_region",
	MalformedPolicy: "malformed_policy",
	ServerError:     "server_error",
	Network:         "network",
	Canceled:        "canceled",
}

// String returns a stable snake_case name, suitable for JSON reports.
func (k Kind) String() string {
	if k >= 0 && int(k) < len(kindNames) {
		return kindNames[k]
	}
	return fmt.Sprintf("kind(%d)", int(k))
}

// Error is the only error type the methods of [Clients] return.
// Use errors.As to get it, or the IsXxx helpers and [KindOf].
type Error struct {
	Op         string // "s3:GetBucketPolicy", "iam:GetRole", ...
	Resource   string // bucket name, role name or key ID; "" for account-wide calls
	Code       string // AWS error code ("NoSuchBucket"), or Kind.String() when AWS sent none
	Kind       Kind
	HTTPStatus int    // 0 when no HTTP response was received
	Msg        string // AWS's message, or a short description of a non-AWS failure
	Err        error  // the underlying SDK error

	Attempts  int    // requests made when the retries ran out (0 if unknown)
	Region    string // WrongRegion: the region AWS named for the resource, if it did
	RequestID string // AWS request ID, if any (useful for AWS support)

	clientRegion string        // region the failed request was signed for
	limit        time.Duration // per-call timeout in force (Timeout)
	bound        *Deadline     // the caller's bound that ran out (Timeout)
}

// Unwrap returns the underlying SDK error.
func (e *Error) Unwrap() error { return e.Err }

// Error returns one sentence saying what failed and what to do about it. It
// is one switch over the kinds of failure, each with its own advice.
func (e *Error) Error() string {
	subj := e.subject()
	on := ""
	if subj != "" {
		on = " on " + subj
	}
	switch e.Kind {
	case NotFound:
		switch e.service() {
		case "s3":
			return fmt.Sprintf("bucket %q does not exist (%s: %s)", e.Resource, e.Op, e.Code)
		case "iam":
			return fmt.Sprintf("IAM role %q not found (%s: %s); pass the backup role with --role-name NAME or its RoleId with --role-id", e.Resource, e.Op, e.Code)
		}
		if subj == "" {
			return fmt.Sprintf("%s: not found (%s)%s", e.Op, e.Code, e.detail())
		}
		return fmt.Sprintf("%s not found (%s: %s)", subj, e.Op, e.Code)

	case AccessDenied:
		if e.Code == "MethodNotAllowed" || e.HTTPStatus == 405 {
			return fmt.Sprintf("access denied calling %s%s: the caller's account does not own the bucket (405 MethodNotAllowed); use credentials of the bucket owner's account", e.Op, on)
		}
		perm, arn := permission(e.Op, e.Resource, e.clientRegion)
		need := "the caller needs permission " + perm
		if arn != "" {
			need += " on " + arn
		}
		switch e.Op {
		case "iam:GetRole":
			need += " (or pass the role's RoleId with --role-id)"
		case "sts:GetCallerIdentity":
			need += " (or pass --account-id)"
		case "organizations:DescribeOrganization":
			need += " (or pass --org-id)"
		}
		return fmt.Sprintf("access denied calling %s%s: %s%s", e.Op, on, need, e.detail())

	case NoCredentials:
		if e.Code == "ProfileNotFound" {
			return fmt.Sprintf("AWS profile %q not found in the shared config files (~/.aws/config, ~/.aws/credentials): check --profile and AWS_PROFILE (aws configure list-profiles)", e.Resource)
		}
		return "no AWS credentials found (tried the environment variables, the shared config and credentials files, SSO, and the container and instance metadata services): configure a profile (--profile), environment variables or SSO (aws sso login)"

	case ExpiredToken:
		if expiredCodes[e.Code] {
			return "AWS credentials have expired: refresh them (e.g. aws sso login) and retry"
		}
		return fmt.Sprintf("AWS credentials are invalid (%s: %s): check the access key, secret and profile in use, or refresh them (e.g. aws sso login), and retry", e.Op, e.Code)

	case Throttled:
		return fmt.Sprintf("%s%s was throttled (%s)%s; retry later", e.Op, on, e.Code, e.after())

	case Timeout:
		if e.bound != nil {
			return fmt.Sprintf("%s%s had not answered when %s", e.Op, on, e.bound)
		}
		if e.limit > 0 {
			return fmt.Sprintf("%s%s timed out after %s", e.Op, on, e.limit)
		}
		return fmt.Sprintf("%s%s timed out", e.Op, on)

	case WrongRegion:
		if e.Region != "" && e.Region != e.clientRegion {
			return fmt.Sprintf("%s is in region %s, not %s (%s: %s); pass --region %s", subjOr(subj, "the resource"), e.Region, e.clientRegion, e.Op, e.Code, e.Region)
		}
		return fmt.Sprintf("%s%s was sent to the wrong region %s (%s); pass the right region with --region", e.Op, on, e.clientRegion, e.Code)

	case MalformedPolicy:
		what := "the policy"
		if subj != "" {
			what += " for " + subj
		}
		return fmt.Sprintf("AWS rejected %s as malformed: %s (%s: %s)", what, e.Msg, e.Op, e.Code)

	case ServerError:
		return fmt.Sprintf("%s%s failed with a server error (%d %s)%s; retry later", e.Op, on, e.HTTPStatus, e.Code, e.after())

	case Network:
		return fmt.Sprintf("%s%s could not reach the endpoint (%s)%s; check the network, proxy settings and --endpoint-url", e.Op, on, e.Msg, e.after())

	case Canceled:
		return fmt.Sprintf("%s%s was canceled", e.Op, on)
	}
	if e.Code == "InvalidEndpoint" {
		return fmt.Sprintf("invalid endpoint URL %q: use an http(s) URL such as http://127.0.0.1:5000 (--endpoint-url, AWS_ENDPOINT_URL)", e.Resource)
	}
	if e.Code != "" && e.Code != Other.String() {
		return fmt.Sprintf("%s%s failed: %s: %s", e.Op, on, e.Code, e.Msg)
	}
	return fmt.Sprintf("%s%s failed: %s", e.Op, on, e.Msg)
}

func subjOr(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

func (e *Error) service() string {
	s, _, _ := strings.Cut(e.Op, ":")
	return s
}

// subject names the resource the way a user would: `bucket "b"`, `IAM role "r"`.
func (e *Error) subject() string {
	if e.Resource == "" {
		return ""
	}
	switch e.service() {
	case "s3":
		return fmt.Sprintf("bucket %q", e.Resource)
	case "iam":
		return fmt.Sprintf("IAM role %q", e.Resource)
	case "kms":
		return fmt.Sprintf("KMS key %q", e.Resource)
	}
	return fmt.Sprintf("%q", e.Resource)
}

func (e *Error) after() string {
	if e.Attempts > 1 {
		return fmt.Sprintf(" after %d attempts", e.Attempts)
	}
	return ""
}

// detail appends AWS's own message when it says more than the code does.
func (e *Error) detail() string {
	m := strings.TrimSpace(e.Msg)
	switch strings.ToLower(strings.TrimSuffix(m, ".")) {
	case "", "access denied", strings.ToLower(e.Code), "forbidden", "moved permanently":
		return ""
	}
	return " (AWS: " + m + ")"
}

// Permission returns the IAM action the failed call needed and, where it
// can be named, the resource ARN it needed it on ("" when not, "that role"
// or "that key" when only the resource's name is known).
func (e *Error) Permission() (action, arn string) {
	return permission(e.Op, e.Resource, e.clientRegion)
}

// permission returns the IAM action a call needs and, where it can be named, the resource ARN.
func permission(op, resource, region string) (action, arn string) {
	part := Partition(region)
	switch op {
	case "s3:ListBuckets":
		return "s3:ListAllMyBuckets", ""
	case "s3:GetBucketEncryption":
		action = "s3:GetEncryptionConfiguration"
	case "s3:HeadBucket":
		action = "s3:ListBucket"
	case "iam:GetRole", "iam:ListAttachedRolePolicies", "iam:AttachRolePolicy", "iam:DetachRolePolicy":
		return op, "that role"
	case "iam:GetPolicy", "iam:GetPolicyVersion", "iam:SimulatePrincipalPolicy":
		return op, resource
	case "s3:PutBucketOwnershipControls":
		action = op
	case "kms:GetKeyPolicy", "kms:PutKeyPolicy":
		if strings.HasPrefix(resource, "arn:") {
			return op, resource
		}
		return op, "that key"
	default:
		action = op
	}
	if strings.HasPrefix(op, "s3:") && resource != "" {
		return action, "arn:" + part + ":s3:::" + resource
	}
	return action, ""
}

// Partition is the partition of a region: aws-cn for China, aws-us-gov for
// GovCloud, aws otherwise.
func Partition(region string) string {
	switch {
	case strings.HasPrefix(region, "cn-"):
		return "aws-cn"
	case strings.HasPrefix(region, "us-gov-"):
		return "aws-us-gov"
	}
	return "aws"
}

// KindOf returns the Kind of err if it is (or wraps) an *Error, else Other.
func KindOf(err error) Kind {
	var e *Error
	if errors.As(err, &e) {
		return e.Kind
	}
	return Other
}

// IsNotFound reports whether err is an *Error of kind NotFound.
func IsNotFound(err error) bool { return err != nil && KindOf(err) == NotFound }

// IsAccessDenied reports whether err is an *Error of kind AccessDenied.
func IsAccessDenied(err error) bool { return err != nil && KindOf(err) == AccessDenied }

// IsNoCredentials reports whether err is an *Error of kind NoCredentials.
func IsNoCredentials(err error) bool { return err != nil && KindOf(err) == NoCredentials }

// IsExpiredToken reports whether err is an *Error of kind ExpiredToken.
func IsExpiredToken(err error) bool { return err != nil && KindOf(err) == ExpiredToken }

// IsCredentials reports whether err is a NoCredentials or ExpiredToken *Error.
func IsCredentials(err error) bool { return IsNoCredentials(err) || IsExpiredToken(err) }

// IsThrottled reports whether err is an *Error of kind Throttled.
func IsThrottled(err error) bool { return err != nil && KindOf(err) == Throttled }

// IsTimeout reports whether err is an *Error of kind Timeout.
func IsTimeout(err error) bool { return err != nil && KindOf(err) == Timeout }

// IsWrongRegion reports whether err is an *Error of kind WrongRegion.
func IsWrongRegion(err error) bool { return err != nil && KindOf(err) == WrongRegion }

// IsMalformedPolicy reports whether err is an *Error of kind MalformedPolicy.
func IsMalformedPolicy(err error) bool { return err != nil && KindOf(err) == MalformedPolicy }

// IsServerError reports whether err is an *Error of kind ServerError.
func IsServerError(err error) bool { return err != nil && KindOf(err) == ServerError }

// IsNetwork reports whether err is an *Error of kind Network.
func IsNetwork(err error) bool { return err != nil && KindOf(err) == Network }

// IsCanceled reports whether err is an *Error of kind Canceled.
func IsCanceled(err error) bool { return err != nil && KindOf(err) == Canceled }

var (
	notFoundCodes = map[string]bool{
		"NoSuchBucket": true, "NoSuchEntity": true, "NotFoundException": true, "NoSuchKey": true,
		"NoSuchBucketPolicy": true, "ResourceNotFoundException": true, "NotFound": true,
	}
	expiredCodes = map[string]bool{
		"ExpiredToken": true, "ExpiredTokenException": true, "RequestExpired": true,
		"TokenRefreshRequired": true, "ExpiredSSOToken": true,
	}
	invalidCredCodes = map[string]bool{
		"InvalidClientTokenId": true, "SignatureDoesNotMatch": true, "InvalidAccessKeyId": true,
		"InvalidToken": true, "UnrecognizedClientException": true, "InvalidSignatureException": true,
		"IncompleteSignature": true, "MissingAuthenticationToken": true, "AuthFailure": true,
	}
	accessDeniedCodes = map[string]bool{
		"AccessDenied": true, "AccessDeniedException": true, "UnauthorizedOperation": true,
		"AllAccessDisabled": true, "MethodNotAllowed": true, "AuthorizationError": true,
	}
	wrongRegionCodes = map[string]bool{
		"PermanentRedirect": true, "IllegalLocationConstraintException": true, "MovedPermanently": true,
		"TemporaryRedirect": true,
	}
	malformedCodes = map[string]bool{
		"MalformedPolicy": true, "MalformedPolicyDocument": true, "MalformedPolicyDocumentException": true,
	}
	serverCodes = map[string]bool{
		"InternalError": true, "InternalFailure": true, "ServiceUnavailable": true, "ServiceFailure": true,
		"KMSInternalException": true, "DependencyTimeoutException": true, "ServiceException": true,
	}
	throttleCodes = map[string]bool{
		"SlowDown": true, "Throttling": true, "ThrottlingException": true, "ThrottledException": true,
		"RequestThrottledException": true, "TooManyRequestsException": true, "RequestThrottled": true,
		"RequestLimitExceeded": true, "BandwidthLimitExceeded": true, "LimitExceededException": true,
		"ProvisionedThroughputExceededException": true,
	}
	regionHint = regexp.MustCompile(`expecting '([a-z0-9-]+)'`)
)

// credentialsError marks a failure of the credential chain (see markedCredentials).
type credentialsError struct{ err error }

func (e *credentialsError) Error() string { return e.err.Error() }
func (e *credentialsError) Unwrap() error { return e.err }

// Deadline is a bound on several calls, as the cause of a context's
// deadline (context.WithTimeoutCause): a call it stops is reported as
// "OP had not answered when WHAT ran out after D".
type Deadline struct {
	D    time.Duration
	What string // "the look-up of the backup role and the account (--timeout)"
}

func (d Deadline) Error() string { return fmt.Sprintf("%s ran out after %s", d.What, d.D) }

// callTimeoutError is the cause recorded when the per-call timeout fires.
type callTimeoutError struct{ d time.Duration }

func (e callTimeoutError) Error() string { return fmt.Sprintf("call timed out after %s", e.d) }

// translate turns any error from an SDK call into an *Error.
// parent is the caller's context, callCtx the one with the per-call timeout.
func translate(parent, callCtx context.Context, op, resource, region string, limit time.Duration, err error) *Error {
	var done *Error
	if errors.As(err, &done) {
		return done
	}
	e := &Error{Op: op, Resource: resource, Err: err, clientRegion: region, limit: limit}

	var mae *retry.MaxAttemptsError
	if errors.As(err, &mae) {
		e.Attempts = mae.Attempt
	}
	var re *smithyhttp.ResponseError
	if errors.As(err, &re) {
		e.HTTPStatus = re.HTTPStatusCode()
		if re.Response != nil {
			e.Region = re.Response.Header.Get("x-amz-bucket-region")
		}
	}
	var are *awshttp.ResponseError
	if errors.As(err, &are) {
		e.RequestID = are.ServiceRequestID()
	}

	var ce *credentialsError
	switch {
	case parent.Err() != nil:
		if errors.Is(parent.Err(), context.DeadlineExceeded) {
			e.Kind, e.limit = Timeout, 0
			if d, ok := context.Cause(parent).(Deadline); ok {
				e.bound = &d
			}
		} else {
			e.Kind = Canceled
		}
		e.Msg = parent.Err().Error()
	case callCtx.Err() != nil || errors.Is(err, context.DeadlineExceeded):
		e.Kind = Timeout
		e.Msg = "deadline exceeded"
		if _, ok := context.Cause(callCtx).(callTimeoutError); !ok {
			e.limit = 0
		}
	case errors.As(err, &ce):
		classifyCredentials(e, ce.err)
	default:
		var ae smithy.APIError
		if errors.As(err, &ae) {
			e.Code, e.Msg = ae.ErrorCode(), ae.ErrorMessage()
			classifyAPI(e, err)
		} else if e.HTTPStatus != 0 {
			e.Code, e.Msg = strings.ReplaceAll(statusText(e.HTTPStatus), " ", ""), rootMessage(err)
			classifyAPI(e, err)
		} else {
			classifyTransport(e, err)
		}
	}
	if e.Code == "" {
		e.Code = e.Kind.String()
	}
	return e
}

func statusText(code int) string {
	switch code {
	case 301:
		return "Moved Permanently"
	case 403:
		return "Forbidden"
	case 404:
		return "Not Found"
	case 405:
		return "Method Not Allowed"
	}
	if code >= 500 {
		return "Server Error"
	}
	return fmt.Sprintf("HTTP%d", code)
}

func classifyCredentials(e *Error, inner error) {
	var ite *ssocreds.InvalidTokenError
	var ae smithy.APIError
	switch {
	case errors.As(inner, &ite):
		e.Kind, e.Code = ExpiredToken, "ExpiredSSOToken"
	case errors.As(inner, &ae) && (expiredCodes[ae.ErrorCode()] || invalidCredCodes[ae.ErrorCode()]):
		// e.g. the source credentials of an assume-role profile have expired.
		e.Kind, e.Code = ExpiredToken, ae.ErrorCode()
	default:
		e.Kind = NoCredentials
	}
	e.Msg = rootMessage(inner)
}

func classifyAPI(e *Error, err error) {
	code, status := e.Code, e.HTTPStatus
	throttle := retry.IsErrorThrottles(retry.DefaultThrottles).IsErrorThrottle(err) == aws.TrueTernary
	switch {
	case expiredCodes[code] || invalidCredCodes[code]:
		e.Kind = ExpiredToken
	case notFoundCodes[code]:
		e.Kind = NotFound
	case throttle || throttleCodes[code] || status == 429:
		e.Kind = Throttled
	case wrongRegionCodes[code] || status == 301 || status == 307 ||
		(code == "AuthorizationHeaderMalformed" && strings.Contains(e.Msg, "region")):
		e.Kind = WrongRegion
		if e.Region == "" {
			if m := regionHint.FindStringSubmatch(e.Msg); m != nil {
				e.Region = m[1]
			}
		}
	case malformedCodes[code]:
		e.Kind = MalformedPolicy
	case accessDeniedCodes[code] || status == 403 || status == 405:
		e.Kind = AccessDenied
	case serverCodes[code] || status >= 500:
		e.Kind = ServerError
		if e.HTTPStatus == 0 {
			e.HTTPStatus = 500
		}
	default:
		e.Kind = Other
	}
}

func classifyTransport(e *Error, err error) {
	var nerr net.Error
	var dns *net.DNSError
	var uerr *url.Error
	host := ""
	if errors.As(err, &uerr) {
		if u, perr := url.Parse(uerr.URL); perr == nil {
			host = u.Host
		}
	}
	withHost := func(s string) string {
		if host != "" {
			return s + " to " + host
		}
		return s
	}
	switch {
	case errors.As(err, &nerr) && nerr.Timeout():
		e.Kind, e.Msg, e.limit = Timeout, "network timeout", 0
	case errors.As(err, &dns):
		e.Kind, e.Msg = Network, "cannot resolve "+dns.Name
	case errors.Is(err, syscall.ECONNREFUSED):
		e.Kind, e.Msg = Network, withHost("connection refused")
	case errors.Is(err, syscall.ECONNRESET) || strings.Contains(err.Error(), "connection reset"):
		e.Kind, e.Msg = Network, withHost("connection reset")
	case errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) || strings.Contains(err.Error(), "use of closed network connection"):
		e.Kind, e.Msg = Network, withHost("connection closed by the server")
	case errors.As(err, new(*smithyhttp.RequestSendError)):
		e.Kind, e.Msg = Network, rootMessage(err)
	default:
		e.Kind, e.Msg = Other, err.Error()
	}
}

// rootMessage returns the innermost error message, which is usually the informative part.
func rootMessage(err error) string {
	for {
		next := errors.Unwrap(err)
		if next == nil {
			return err.Error()
		}
		err = next
	}
}

// configError translates a failure of config.LoadDefaultConfig.
func configError(profile string, err error) *Error {
	var pne config.SharedConfigProfileNotExistError
	if errors.As(err, &pne) {
		name := pne.Profile
		if name == "" {
			name = profile
		}
		return &Error{Op: "config:LoadDefaultConfig", Resource: name, Code: "ProfileNotFound", Kind: NoCredentials, Msg: err.Error(), Err: err}
	}
	return &Error{Op: "config:LoadDefaultConfig", Code: Other.String(), Kind: Other, Msg: err.Error(), Err: err}
}
