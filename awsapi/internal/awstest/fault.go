package awstest

import (
	"bytes"
	"context"
	"encoding/json"
	"encoding/xml"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/fixpolicy/fixpolicy/awsapi"
)

// DefaultAccount is the account of FaultServer's caller and buckets, the same as moto's.
const DefaultAccount = "123456789012"

// BackupTrustPolicy is the trust policy of AWSBackupDefaultServiceRole.
const BackupTrustPolicy = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"backup.amazonaws.com"},"Action":"sts:AssumeRole"}]}`

// maxPolicySize is S3's limit on bucket policies.
const maxPolicySize = 20 * 1024

// FaultServer is an in-process fake of the few AWS APIs fixpolicy calls, speaking
// their real wire formats to the real SDK clients: S3 REST-XML (path-style), the
// IAM and STS query protocol (form POST, XML replies) and the KMS and Organizations
// JSON 1.1 protocol. It keeps buckets, roles, keys and an organization in memory,
// injects faults per operation, runs hooks before chosen requests and records every
// request. Operations are named like awsapi.Error.Op: "s3:GetBucketPolicy",
// "iam:GetRole", "sts:GetCallerIdentity", "kms:GetKeyPolicy",
// "organizations:DescribeOrganization".
//
// Like real S3, a bucket-scoped request signed for a region other than the bucket's
// gets 301 PermanentRedirect with an x-amz-bucket-region header (except
// GetBucketLocation), and PutBucketPolicy checks x-amz-expected-bucket-owner, JSON
// validity and the 20 KB limit. A request it does not understand fails the test.
type FaultServer struct {
	URL     string
	Account string // owner of new buckets and the caller's account

	t   testing.TB
	srv *httptest.Server

	mu               sync.Mutex
	buckets          map[string]*Bucket
	roles            map[string]*Role
	keys             map[string]string
	orgID            string
	caller           Caller
	omitBucketRegion bool
	faults           map[string][]*Fault
	hooks            map[string]map[int][]func()
	counts           map[string]int
	reqs             []Request
	nextID           int
}

// Bucket is the fake's state of one bucket.
type Bucket struct {
	Name            string
	Region          string // "us-east-1", "eu-west-1", ...
	Location        string // GetBucketLocation's answer when it differs from the default ("EU")
	Owner           string // account ID
	Policy          string
	HasPolicy       bool
	Versioning      string // "", "Enabled", "Suspended"
	ObjectOwnership string // "" = no ownership controls
	SSEAlgorithm    string // "" = no encryption configuration
	KMSKeyID        string
}

// Role is the fake's state of one IAM role.
type Role struct {
	Name, Path, RoleID, Arn string
	TrustPolicy             string // plain JSON; sent URL-encoded like IAM does
	AttachedPolicies        []string
}

// Caller is what sts:GetCallerIdentity answers.
type Caller struct{ Account, Arn, UserID string }

// Fault is an injected failure, applied in this order:
//   - Delay: first wait that long (or until the client gives up);
//   - Reset: then close the connection with a TCP RST, or
//   - Status (with Code and Message): then answer with that AWS error in the
//     operation's protocol (S3 XML, query XML or JSON), plus Header;
//   - with neither Reset nor Status, answer normally after the delay.
//
// Times is how many requests the fault applies to; 0 means all of them. Faults of
// one operation are used in the order they were added.
type Fault struct {
	Status  int
	Code    string
	Message string
	Header  http.Header // extra response headers, e.g. x-amz-bucket-region
	Reset   bool
	Delay   time.Duration
	Times   int
}

// Request is one request the server received.
type Request struct {
	Op       string // "s3:GetBucketPolicy"; "unknown" if not understood
	N        int    // 1-based number of this request among those of Op
	Method   string
	Path     string
	Query    url.Values
	Bucket   string // S3 requests
	Target   string // role name, key ID: the resource of non-S3 requests
	Region   string // the region the request was signed for
	Header   http.Header
	Body     []byte
	Form     url.Values // query-protocol parameters
	Faulted  bool       // a Fault answered it
	Response int        // HTTP status sent (0 for a reset)
}

// NewFaultServer starts a FaultServer on 127.0.0.1 and stops it when the test ends.
// It knows one caller (arn:aws:iam::123456789012:user/tester) and nothing else.
func NewFaultServer(t testing.TB) *FaultServer {
	t.Helper()
	s := &FaultServer{
		Account: DefaultAccount,
		t:       t,
		buckets: map[string]*Bucket{},
		roles:   map[string]*Role{},
		keys:    map[string]string{},
		faults:  map[string][]*Fault{},
		hooks:   map[string]map[int][]func(){},
		counts:  map[string]int{},
	}
	s.caller = Caller{Account: DefaultAccount, Arn: "arn:aws:iam::" + DefaultAccount + ":user/tester", UserID: "AIDAFAKEUSERID0000001"}
	s.srv = httptest.NewServer(s)
	s.URL = s.srv.URL
	t.Cleanup(func() {
		s.srv.CloseClientConnections()
		s.srv.Close()
	})
	return s
}

// Options returns awsapi.Options aimed at the server: its URL as endpoint, region
// us-east-1, a loopback-only HTTP client and a 5 ms backoff cap so retries are quick.
func (s *FaultServer) Options() awsapi.Options {
	return awsapi.Options{
		Region:      "us-east-1",
		EndpointURL: s.URL,
		HTTPClient:  LoopbackHTTPClient(s.t),
		MaxBackoff:  5 * time.Millisecond,
	}
}

// Clients calls TestEnv and returns awsapi clients for the server, after applying
// edits to s.Options().
func (s *FaultServer) Clients(edits ...func(*awsapi.Options)) *awsapi.Clients {
	s.t.Helper()
	TestEnv(s.t)
	o := s.Options()
	for _, e := range edits {
		e(&o)
	}
	c, err := awsapi.New(context.Background(), o)
	if err != nil {
		s.t.Fatalf("awsapi.New: %v", err)
	}
	return c
}

// ---- state ----

// CreateBucket adds a bucket owned by s.Account. region "" is us-east-1; "EU" is
// eu-west-1 reported by GetBucketLocation as the legacy "EU".
func (s *FaultServer) CreateBucket(name, region string) *Bucket {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.createBucketLocked(name, region)
}

func (s *FaultServer) createBucketLocked(name, region string) *Bucket {
	b := &Bucket{Name: name, Region: region, Owner: s.Account}
	switch region {
	case "":
		b.Region = "us-east-1"
	case "EU":
		b.Region, b.Location = "eu-west-1", "EU"
	}
	s.buckets[name] = b
	return b
}

// UpdateBucket runs fn on the bucket's state under the server's lock.
func (s *FaultServer) UpdateBucket(name string, fn func(*Bucket)) {
	s.mu.Lock()
	defer s.mu.Unlock()
	b, ok := s.buckets[name]
	if !ok {
		s.t.Fatalf("FaultServer: no bucket %q", name)
	}
	fn(b)
}

// SetPolicy stores a bucket policy, as if someone called PutBucketPolicy.
func (s *FaultServer) SetPolicy(bucket, policy string) {
	s.UpdateBucket(bucket, func(b *Bucket) { b.Policy, b.HasPolicy = policy, true })
}

// DeletePolicy removes the bucket's policy.
func (s *FaultServer) DeletePolicy(bucket string) {
	s.UpdateBucket(bucket, func(b *Bucket) { b.Policy, b.HasPolicy = "", false })
}

// Policy returns the stored policy of the bucket.
func (s *FaultServer) Policy(bucket string) (policy string, ok bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if b, found := s.buckets[bucket]; found && b.HasPolicy {
		return b.Policy, true
	}
	return "", false
}

// SetVersioning sets the versioning status ("Enabled", "Suspended", "").
func (s *FaultServer) SetVersioning(bucket, status string) {
	s.UpdateBucket(bucket, func(b *Bucket) { b.Versioning = status })
}

// AddRole adds an IAM role of account s.Account with a generated RoleId. path ""
// is "/"; trustPolicy "" is BackupTrustPolicy.
func (s *FaultServer) AddRole(name, path, trustPolicy string) Role {
	s.mu.Lock()
	defer s.mu.Unlock()
	if path == "" {
		path = "/"
	}
	if trustPolicy == "" {
		trustPolicy = BackupTrustPolicy
	}
	s.nextID++
	r := &Role{
		Name:        name,
		Path:        path,
		RoleID:      fmt.Sprintf("AROAFAKEROLEID%07d", s.nextID),
		Arn:         "arn:aws:iam::" + s.Account + ":role" + path + name,
		TrustPolicy: trustPolicy,
	}
	s.roles[name] = r
	return *r
}

// AddBackupRole adds AWSBackupDefaultServiceRole at /service-role/.
func (s *FaultServer) AddBackupRole() Role {
	return s.AddRole("AWSBackupDefaultServiceRole", "/service-role/", BackupTrustPolicy)
}

// AttachRolePolicy attaches a managed policy ARN to a role.
func (s *FaultServer) AttachRolePolicy(role, policyArn string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	r, ok := s.roles[role]
	if !ok {
		s.t.Fatalf("FaultServer: no role %q", role)
	}
	r.AttachedPolicies = append(r.AttachedPolicies, policyArn)
}

// SetKeyPolicy stores the default policy of a KMS key (by key ID or ARN).
func (s *FaultServer) SetKeyPolicy(keyID, policy string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.keys[keyID] = policy
}

// SetOrganization sets the organization ID; "" means the account is in none.
func (s *FaultServer) SetOrganization(id string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.orgID = id
}

// SetCaller changes what sts:GetCallerIdentity answers.
func (s *FaultServer) SetCaller(c Caller) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.caller = c
}

// OmitBucketRegion makes ListBuckets leave out BucketRegion, as older S3-compatible
// servers (and moto) do, so that callers must use GetBucketLocation.
func (s *FaultServer) OmitBucketRegion(omit bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.omitBucketRegion = omit
}

// ---- faults, hooks, records ----

// Fail adds a fault to the plan of operation op.
func (s *FaultServer) Fail(op string, f Fault) {
	s.mu.Lock()
	defer s.mu.Unlock()
	fc := f
	s.faults[op] = append(s.faults[op], &fc)
}

// ClearFaults removes all pending faults.
func (s *FaultServer) ClearFaults() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults = map[string][]*Fault{}
}

// OnRequest runs fn just before the server handles the n-th (1-based) request of
// op, before any fault; fn may change the server's state (for example SetPolicy to
// simulate someone editing the policy between a read and a write).
func (s *FaultServer) OnRequest(op string, n int, fn func()) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.hooks[op] == nil {
		s.hooks[op] = map[int][]func(){}
	}
	s.hooks[op][n] = append(s.hooks[op][n], fn)
}

// Requests returns the recorded requests of op, or all of them when op is "".
func (s *FaultServer) Requests(op string) []Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []Request
	for _, r := range s.reqs {
		if op == "" || r.Op == op {
			out = append(out, r)
		}
	}
	return out
}

// Count returns how many requests of op the server received.
func (s *FaultServer) Count(op string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.counts[op]
}

// ---- HTTP ----

var stsActions = map[string]bool{"GetCallerIdentity": true, "AssumeRole": true, "GetSessionToken": true}

// ServeHTTP implements http.Handler.
func (s *FaultServer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	req := Request{Method: r.Method, Path: r.URL.Path, Query: r.URL.Query(), Header: r.Header.Clone(), Body: body}
	req.Region, _ = signingScope(r.Header.Get("Authorization"))
	s.classify(r, &req)

	s.mu.Lock()
	s.counts[req.Op]++
	req.N = s.counts[req.Op]
	idx := len(s.reqs)
	s.reqs = append(s.reqs, req)
	hooks := s.hooks[req.Op][req.N]
	var f *Fault
	if plan := s.faults[req.Op]; len(plan) > 0 {
		f = plan[0]
		if f.Times > 0 {
			f.Times--
			if f.Times == 0 {
				s.faults[req.Op] = plan[1:]
			}
		}
	}
	s.mu.Unlock()

	for _, h := range hooks {
		h()
	}
	rec := &statusRecorder{ResponseWriter: w}
	defer func() {
		s.mu.Lock()
		s.reqs[idx].Response = rec.status
		s.reqs[idx].Faulted = f != nil
		s.mu.Unlock()
	}()

	if req.Op == "unknown" {
		s.t.Errorf("FaultServer: unexpected request %s %s (Action=%q, X-Amz-Target=%q)", r.Method, r.URL, req.Form.Get("Action"), r.Header.Get("X-Amz-Target"))
		s.writeError(rec, &req, http.StatusNotImplemented, "NotImplemented", "FaultServer does not implement this request", nil)
		return
	}
	if f != nil {
		if f.Delay > 0 {
			select {
			case <-time.After(f.Delay):
			case <-r.Context().Done():
				return
			}
		}
		if f.Reset {
			resetConnection(w)
			return
		}
		if f.Status != 0 {
			s.writeError(rec, &req, f.Status, f.Code, f.Message, f.Header)
			return
		}
	}
	s.handle(rec, &req)
}

type statusRecorder struct {
	http.ResponseWriter
	status int
}

func (r *statusRecorder) WriteHeader(code int) {
	if r.status == 0 {
		r.status = code
	}
	r.ResponseWriter.WriteHeader(code)
}

func (r *statusRecorder) Write(b []byte) (int, error) {
	if r.status == 0 {
		r.status = http.StatusOK
	}
	return r.ResponseWriter.Write(b)
}

// resetConnection makes the client see "connection reset by peer".
func resetConnection(w http.ResponseWriter) {
	hj, ok := w.(http.Hijacker)
	if !ok {
		panic("FaultServer: ResponseWriter cannot be hijacked")
	}
	conn, _, err := hj.Hijack()
	if err != nil {
		return
	}
	if tc, ok := conn.(*net.TCPConn); ok {
		_ = tc.SetLinger(0)
	}
	conn.Close()
}

// signingScope extracts region and service from a SigV4 Authorization header.
func signingScope(auth string) (region, service string) {
	_, cred, ok := strings.Cut(auth, "Credential=")
	if !ok {
		return "", ""
	}
	cred, _, _ = strings.Cut(cred, ",")
	parts := strings.Split(cred, "/") // AKID/DATE/REGION/SERVICE/aws4_request
	if len(parts) < 5 {
		return "", ""
	}
	return parts[2], parts[3]
}

func (s *FaultServer) classify(r *http.Request, req *Request) {
	req.Op = "unknown"
	if target := r.Header.Get("X-Amz-Target"); target != "" {
		svc, action, _ := strings.Cut(target, ".")
		switch svc {
		case "TrentService":
			req.Op = "kms:" + action
		case "AWSOrganizationsV20161128":
			req.Op = "organizations:" + action
		}
		var in struct{ KeyId string }
		if json.Unmarshal(req.Body, &in) == nil {
			req.Target = in.KeyId
		}
		return
	}
	if r.Method == http.MethodPost && r.URL.Path == "/" && strings.HasPrefix(r.Header.Get("Content-Type"), "application/x-www-form-urlencoded") {
		form, err := url.ParseQuery(string(req.Body))
		if err != nil {
			return
		}
		req.Form = form
		action := form.Get("Action")
		_, service := signingScope(r.Header.Get("Authorization"))
		switch {
		case service == "sts" || (service == "" && stsActions[action]):
			req.Op = "sts:" + action
		case action != "":
			req.Op = "iam:" + action
		}
		req.Target = form.Get("RoleName")
		return
	}
	// S3, path-style.
	path := strings.TrimPrefix(r.URL.Path, "/")
	bucket, key, _ := strings.Cut(path, "/")
	req.Bucket = bucket
	q := r.URL.Query()
	if bucket == "" {
		if r.Method == http.MethodGet {
			req.Op = "s3:ListBuckets"
		}
		return
	}
	if key != "" {
		return // object operations are not implemented
	}
	sub := map[string]string{
		"policy": "BucketPolicy", "versioning": "BucketVersioning", "location": "BucketLocation",
		"ownershipControls": "BucketOwnershipControls", "encryption": "BucketEncryption",
	}
	for param, name := range sub {
		if q.Has(param) {
			switch r.Method {
			case http.MethodGet:
				req.Op = "s3:Get" + name
			case http.MethodPut:
				req.Op = "s3:Put" + name
			case http.MethodDelete:
				req.Op = "s3:Delete" + name
			}
			return
		}
	}
	if len(q) > 0 {
		return
	}
	switch r.Method {
	case http.MethodHead:
		req.Op = "s3:HeadBucket"
	case http.MethodPut:
		req.Op = "s3:CreateBucket"
	case http.MethodDelete:
		req.Op = "s3:DeleteBucket"
	}
}

func protocolOf(op string) string {
	switch {
	case strings.HasPrefix(op, "iam:"), strings.HasPrefix(op, "sts:"):
		return "query"
	case strings.HasPrefix(op, "kms:"), strings.HasPrefix(op, "organizations:"):
		return "json"
	}
	return "s3"
}

var defaultMessages = map[string]string{
	"AccessDenied":          "Access Denied",
	"AccessDeniedException": "User is not authorized to perform this operation",
	"SlowDown":              "Please reduce your request rate.",
	"Throttling":            "Rate exceeded",
	"InternalError":         "We encountered an internal error. Please try again.",
	"ServiceUnavailable":    "Please reduce your request rate.",
	"ExpiredToken":          "The provided token has expired.",
	"InvalidAccessKeyId":    "The AWS Access Key Id you provided does not exist in our records.",
	"MethodNotAllowed":      "The specified method is not allowed against this resource.",
	"PermanentRedirect":     "The bucket you are attempting to access must be addressed using the specified endpoint. Please send all future requests to this endpoint.",
	"MalformedPolicy":       "Policies must be valid JSON and the first byte must be '{'",
}

func (s *FaultServer) requestID() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.nextID++
	return fmt.Sprintf("FAKEREQ%09d", s.nextID)
}

// writeError answers with an AWS error in the protocol of the request's operation.
func (s *FaultServer) writeError(w http.ResponseWriter, req *Request, status int, code, msg string, hdr http.Header) {
	if msg == "" {
		msg = defaultMessages[code]
	}
	if code == "" {
		code = strings.ReplaceAll(http.StatusText(status), " ", "")
	}
	for k, vs := range hdr {
		for _, v := range vs {
			w.Header().Add(k, v)
		}
	}
	rid := s.requestID()
	switch protocolOf(req.Op) {
	case "query":
		typ := "Sender"
		if status >= 500 {
			typ = "Receiver"
		}
		ns := "https://iam.amazonaws.com/doc/2010-05-08/"
		if strings.HasPrefix(req.Op, "sts:") {
			ns = "https://sts.amazonaws.com/doc/2011-06-15/"
		}
		w.Header().Set("Content-Type", "text/xml")
		w.Header().Set("x-amzn-RequestId", rid)
		w.WriteHeader(status)
		fmt.Fprintf(w, `<ErrorResponse xmlns="%s"><Error><Type>%s</Type><Code>%s</Code><Message>%s</Message></Error><RequestId>%s</RequestId></ErrorResponse>`,
			ns, typ, esc(code), esc(msg), rid)
	case "json":
		w.Header().Set("Content-Type", "application/x-amz-json-1.1")
		w.Header().Set("X-Amzn-ErrorType", code)
		w.Header().Set("x-amzn-RequestId", rid)
		w.WriteHeader(status)
		b, _ := json.Marshal(map[string]string{"__type": code, "message": msg})
		w.Write(b)
	default:
		w.Header().Set("x-amz-request-id", rid)
		w.Header().Set("x-amz-id-2", "FAKEHOSTID")
		if req.Method == http.MethodHead {
			w.WriteHeader(status) // HEAD responses carry no body
			return
		}
		w.Header().Set("Content-Type", "application/xml")
		w.WriteHeader(status)
		fmt.Fprintf(w, `<?xml version="1.0" encoding="UTF-8"?>`+"\n"+`<Error><Code>%s</Code><Message>%s</Message>`, esc(code), esc(msg))
		if req.Bucket != "" {
			fmt.Fprintf(w, `<BucketName>%s</BucketName>`, esc(req.Bucket))
		}
		fmt.Fprintf(w, `<RequestId>%s</RequestId><HostId>FAKEHOSTID</HostId></Error>`, rid)
	}
}

func esc(s string) string {
	var b bytes.Buffer
	_ = xml.EscapeText(&b, []byte(s))
	return b.String()
}

func (s *FaultServer) handle(w http.ResponseWriter, req *Request) {
	switch protocolOf(req.Op) {
	case "query":
		s.handleQuery(w, req)
	case "json":
		s.handleJSON(w, req)
	default:
		s.handleS3(w, req)
	}
}

const s3ns = "http://s3.amazonaws.com/doc/2006-03-01/"

func writeXML(w http.ResponseWriter, status int, body string) {
	w.Header().Set("Content-Type", "application/xml")
	w.WriteHeader(status)
	io.WriteString(w, `<?xml version="1.0" encoding="UTF-8"?>`+"\n"+body)
}

func (s *FaultServer) handleS3(w http.ResponseWriter, req *Request) {
	w.Header().Set("x-amz-request-id", s.requestID())
	if req.Op == "s3:ListBuckets" {
		s.listBuckets(w, req)
		return
	}
	if req.Op == "s3:CreateBucket" {
		s.createBucketFromRequest(w, req)
		return
	}

	s.mu.Lock()
	b, ok := s.buckets[req.Bucket]
	var snap Bucket
	if ok {
		snap = *b
	}
	s.mu.Unlock()
	if !ok {
		s.writeError(w, req, http.StatusNotFound, "NoSuchBucket", "The specified bucket does not exist", nil)
		return
	}
	if req.Op != "s3:GetBucketLocation" && req.Region != "" && req.Region != snap.Region {
		s.writeError(w, req, http.StatusMovedPermanently, "PermanentRedirect", "",
			http.Header{"X-Amz-Bucket-Region": {snap.Region}})
		return
	}
	if owner := req.Header.Get("X-Amz-Expected-Bucket-Owner"); owner != "" && owner != snap.Owner {
		s.writeError(w, req, http.StatusForbidden, "AccessDenied", "", nil)
		return
	}

	switch req.Op {
	case "s3:HeadBucket":
		w.Header().Set("x-amz-bucket-region", snap.Region)
		w.WriteHeader(http.StatusOK)
	case "s3:GetBucketLocation":
		loc := snap.Location
		if loc == "" && snap.Region != "us-east-1" {
			loc = snap.Region
		}
		if loc == "" {
			writeXML(w, 200, `<LocationConstraint xmlns="`+s3ns+`"/>`)
		} else {
			writeXML(w, 200, `<LocationConstraint xmlns="`+s3ns+`">`+esc(loc)+`</LocationConstraint>`)
		}
	case "s3:GetBucketPolicy":
		if !snap.HasPolicy {
			s.writeError(w, req, http.StatusNotFound, "NoSuchBucketPolicy", "The bucket policy does not exist", nil)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusOK)
		io.WriteString(w, snap.Policy)
	case "s3:PutBucketPolicy":
		switch {
		case len(bytes.TrimSpace(req.Body)) > maxPolicySize:
			s.writeError(w, req, http.StatusBadRequest, "PolicyTooLarge", "Policy exceeds the maximum allowed document size.", nil)
		case !json.Valid(req.Body) || !bytes.HasPrefix(bytes.TrimSpace(req.Body), []byte("{")):
			s.writeError(w, req, http.StatusBadRequest, "MalformedPolicy", "Policies must be valid JSON and the first byte must be '{'", nil)
		default:
			s.mu.Lock()
			if b, ok := s.buckets[req.Bucket]; ok {
				b.Policy, b.HasPolicy = string(req.Body), true
			}
			s.mu.Unlock()
			w.WriteHeader(http.StatusNoContent)
		}
	case "s3:DeleteBucketPolicy":
		s.mu.Lock()
		if b, ok := s.buckets[req.Bucket]; ok {
			b.Policy, b.HasPolicy = "", false
		}
		s.mu.Unlock()
		w.WriteHeader(http.StatusNoContent)
	case "s3:GetBucketVersioning":
		if snap.Versioning == "" {
			writeXML(w, 200, `<VersioningConfiguration xmlns="`+s3ns+`"/>`)
		} else {
			writeXML(w, 200, `<VersioningConfiguration xmlns="`+s3ns+`"><Status>`+esc(snap.Versioning)+`</Status></VersioningConfiguration>`)
		}
	case "s3:PutBucketVersioning":
		var v struct{ Status string }
		if err := xml.Unmarshal(req.Body, &v); err != nil {
			s.writeError(w, req, http.StatusBadRequest, "MalformedXML", "", nil)
			return
		}
		s.mu.Lock()
		if b, ok := s.buckets[req.Bucket]; ok {
			b.Versioning = v.Status
		}
		s.mu.Unlock()
		w.WriteHeader(http.StatusOK)
	case "s3:GetBucketOwnershipControls":
		if snap.ObjectOwnership == "" {
			s.writeError(w, req, http.StatusNotFound, "OwnershipControlsNotFoundError", "The bucket ownership controls were not found", nil)
			return
		}
		writeXML(w, 200, `<OwnershipControls xmlns="`+s3ns+`"><Rule><ObjectOwnership>`+esc(snap.ObjectOwnership)+`</ObjectOwnership></Rule></OwnershipControls>`)
	case "s3:GetBucketEncryption":
		if snap.SSEAlgorithm == "" {
			s.writeError(w, req, http.StatusNotFound, "ServerSideEncryptionConfigurationNotFoundError", "The server side encryption configuration was not found", nil)
			return
		}
		key := ""
		if snap.KMSKeyID != "" {
			key = `<KMSMasterKeyID>` + esc(snap.KMSKeyID) + `</KMSMasterKeyID>`
		}
		writeXML(w, 200, `<ServerSideEncryptionConfiguration xmlns="`+s3ns+`"><Rule><ApplyServerSideEncryptionByDefault><SSEAlgorithm>`+
			esc(snap.SSEAlgorithm)+`</SSEAlgorithm>`+key+`</ApplyServerSideEncryptionByDefault><BucketKeyEnabled>false</BucketKeyEnabled></Rule></ServerSideEncryptionConfiguration>`)
	case "s3:DeleteBucket":
		s.mu.Lock()
		delete(s.buckets, req.Bucket)
		s.mu.Unlock()
		w.WriteHeader(http.StatusNoContent)
	default:
		s.t.Errorf("FaultServer: %s is not implemented", req.Op)
		s.writeError(w, req, http.StatusNotImplemented, "NotImplemented", "", nil)
	}
}

func (s *FaultServer) createBucketFromRequest(w http.ResponseWriter, req *Request) {
	var cfg struct{ LocationConstraint string }
	if len(bytes.TrimSpace(req.Body)) > 0 {
		if err := xml.Unmarshal(req.Body, &cfg); err != nil {
			s.writeError(w, req, http.StatusBadRequest, "MalformedXML", "", nil)
			return
		}
	}
	region := cfg.LocationConstraint
	if region == "" {
		region = "us-east-1"
	}
	if req.Region != "" && region != "EU" && region != req.Region {
		s.writeError(w, req, http.StatusBadRequest, "IllegalLocationConstraintException",
			fmt.Sprintf("The %s location constraint is incompatible for the region specific endpoint this request was sent to.", region), nil)
		return
	}
	s.mu.Lock()
	_, exists := s.buckets[req.Bucket]
	if !exists {
		s.createBucketLocked(req.Bucket, region)
	}
	s.mu.Unlock()
	if exists {
		s.writeError(w, req, http.StatusConflict, "BucketAlreadyOwnedByYou", "Your previous request to create the named bucket succeeded and you already own it.", nil)
		return
	}
	w.Header().Set("Location", "/"+req.Bucket)
	w.WriteHeader(http.StatusOK)
}

func (s *FaultServer) listBuckets(w http.ResponseWriter, req *Request) {
	s.mu.Lock()
	var names []string
	for n := range s.buckets {
		names = append(names, n)
	}
	slices.Sort(names)
	token := req.Query.Get("continuation-token")
	max := len(names)
	if v, err := strconv.Atoi(req.Query.Get("max-buckets")); err == nil && v > 0 {
		max = v
	}
	var sb strings.Builder
	sb.WriteString(`<ListAllMyBucketsResult xmlns="` + s3ns + `"><Owner><ID>fakecanonicalid</ID><DisplayName>tester</DisplayName></Owner><Buckets>`)
	n, last, more := 0, "", false
	for _, name := range names {
		if token != "" && name <= token {
			continue
		}
		if n == max {
			more = true
			break
		}
		b := s.buckets[name]
		sb.WriteString(`<Bucket><Name>` + esc(name) + `</Name><CreationDate>2024-01-02T03:04:05.000Z</CreationDate>`)
		if !s.omitBucketRegion {
			sb.WriteString(`<BucketRegion>` + esc(b.Region) + `</BucketRegion>`)
		}
		sb.WriteString(`</Bucket>`)
		n, last = n+1, name
	}
	s.mu.Unlock()
	sb.WriteString(`</Buckets>`)
	if more {
		sb.WriteString(`<ContinuationToken>` + esc(last) + `</ContinuationToken>`)
	}
	sb.WriteString(`</ListAllMyBucketsResult>`)
	writeXML(w, 200, sb.String())
}

// encodeIAMDocument URL-encodes a policy document the way IAM does (RFC 3986).
func encodeIAMDocument(doc string) string {
	return strings.ReplaceAll(url.QueryEscape(doc), "+", "%20")
}

func (s *FaultServer) handleQuery(w http.ResponseWriter, req *Request) {
	rid := s.requestID()
	action := strings.TrimPrefix(strings.TrimPrefix(req.Op, "iam:"), "sts:")
	writeQuery := func(ns, inner string) {
		w.Header().Set("Content-Type", "text/xml")
		w.Header().Set("x-amzn-RequestId", rid)
		w.WriteHeader(http.StatusOK)
		fmt.Fprintf(w, `<%sResponse xmlns="%s"><%sResult>%s</%sResult><ResponseMetadata><RequestId>%s</RequestId></ResponseMetadata></%sResponse>`,
			action, ns, action, inner, action, rid, action)
	}
	const iamNS = "https://iam.amazonaws.com/doc/2010-05-08/"
	switch req.Op {
	case "sts:GetCallerIdentity":
		s.mu.Lock()
		c := s.caller
		s.mu.Unlock()
		writeQuery("https://sts.amazonaws.com/doc/2011-06-15/",
			`<Arn>`+esc(c.Arn)+`</Arn><UserId>`+esc(c.UserID)+`</UserId><Account>`+esc(c.Account)+`</Account>`)
	case "iam:GetRole", "iam:ListAttachedRolePolicies":
		name := req.Form.Get("RoleName")
		s.mu.Lock()
		r, ok := s.roles[name]
		var role Role
		if ok {
			role = *r
			role.AttachedPolicies = slices.Clone(r.AttachedPolicies)
		}
		s.mu.Unlock()
		if !ok {
			s.writeError(w, req, http.StatusNotFound, "NoSuchEntity", "The role with name "+name+" cannot be found.", nil)
			return
		}
		if req.Op == "iam:GetRole" {
			writeQuery(iamNS, `<Role><Path>`+esc(role.Path)+`</Path><AssumeRolePolicyDocument>`+esc(encodeIAMDocument(role.TrustPolicy))+
				`</AssumeRolePolicyDocument><MaxSessionDuration>3600</MaxSessionDuration><RoleId>`+esc(role.RoleID)+`</RoleId><RoleName>`+
				esc(role.Name)+`</RoleName><Arn>`+esc(role.Arn)+`</Arn><CreateDate>2024-01-02T03:04:05Z</CreateDate></Role>`)
			return
		}
		start := 0
		if m := req.Form.Get("Marker"); m != "" {
			start, _ = strconv.Atoi(m)
		}
		max := 100
		if v, err := strconv.Atoi(req.Form.Get("MaxItems")); err == nil && v > 0 {
			max = v
		}
		var sb strings.Builder
		sb.WriteString(`<AttachedPolicies>`)
		end := min(start+max, len(role.AttachedPolicies))
		for _, a := range role.AttachedPolicies[min(start, end):end] {
			name := a[strings.LastIndex(a, "/")+1:]
			sb.WriteString(`<member><PolicyName>` + esc(name) + `</PolicyName><PolicyArn>` + esc(a) + `</PolicyArn></member>`)
		}
		sb.WriteString(`</AttachedPolicies>`)
		if end < len(role.AttachedPolicies) {
			sb.WriteString(`<IsTruncated>true</IsTruncated><Marker>` + strconv.Itoa(end) + `</Marker>`)
		} else {
			sb.WriteString(`<IsTruncated>false</IsTruncated>`)
		}
		writeQuery(iamNS, sb.String())
	default:
		s.t.Errorf("FaultServer: %s is not implemented", req.Op)
		s.writeError(w, req, http.StatusBadRequest, "InvalidAction", "FaultServer does not implement "+action, nil)
	}
}

func (s *FaultServer) handleJSON(w http.ResponseWriter, req *Request) {
	var in map[string]any
	_ = json.Unmarshal(req.Body, &in)
	reply := func(v any) {
		b, _ := json.Marshal(v)
		w.Header().Set("Content-Type", "application/x-amz-json-1.1")
		w.Header().Set("x-amzn-RequestId", s.requestID())
		w.WriteHeader(http.StatusOK)
		w.Write(b)
	}
	switch req.Op {
	case "kms:GetKeyPolicy":
		key, _ := in["KeyId"].(string)
		s.mu.Lock()
		p, ok := s.keys[key]
		s.mu.Unlock()
		if !ok {
			s.writeError(w, req, http.StatusBadRequest, "NotFoundException", "Key '"+key+"' does not exist", nil)
			return
		}
		reply(map[string]string{"Policy": p, "PolicyName": "default"})
	case "organizations:DescribeOrganization":
		s.mu.Lock()
		id, acct := s.orgID, s.Account
		s.mu.Unlock()
		if id == "" {
			s.writeError(w, req, http.StatusBadRequest, "AWSOrganizationsNotInUseException", "Your account is not a member of an organization.", nil)
			return
		}
		reply(map[string]any{"Organization": map[string]any{
			"Id": id, "Arn": "arn:aws:organizations::" + acct + ":organization/" + id,
			"MasterAccountId": acct, "FeatureSet": "ALL",
		}})
	default:
		s.t.Errorf("FaultServer: %s is not implemented", req.Op)
		s.writeError(w, req, http.StatusBadRequest, "UnknownOperationException", "", nil)
	}
}
