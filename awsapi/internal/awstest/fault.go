package awstest

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
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
	managed          map[string]string // managed policy ARN -> document
	simulations      map[string]Simulation
	selections       []BackupSelection
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
	Boundary                string // permissions boundary ARN, "" for none
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
		managed: map[string]string{},

		simulations: map[string]Simulation{},
		faults:      map[string][]*Fault{},
		hooks:       map[string]map[int][]func(){},
		counts:      map[string]int{},
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

// Simulation is what iam:SimulatePrincipalPolicy answers for one action;
// actions without one are "allowed".
type Simulation struct {
	Decision    string // "allowed", "explicitDeny", "implicitDeny"
	DeniedBySCP bool
	// DeniedByBoundary: the principal's permissions boundary does not allow it.
	DeniedByBoundary bool
}

// SetSimulation sets the policy simulator's answer for action.
func (s *FaultServer) SetSimulation(action string, sim Simulation) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.simulations[action] = sim
}

// BackupSelection is a resource assignment of a backup plan, for the AWS
// Backup API (backup:ListBackupPlans, ListBackupSelections,
// GetBackupSelection).
type BackupSelection struct {
	Plan, Name, RoleARN string
	Resources           []string
}

// AddBackupSelection adds a resource assignment (and its plan, named by
// Plan, if new).
func (s *FaultServer) AddBackupSelection(sel BackupSelection) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.selections = append(s.selections, sel)
}

// SetBoundary sets a role's permissions boundary (a managed policy ARN).
func (s *FaultServer) SetBoundary(role, policyArn string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	r, ok := s.roles[role]
	if !ok {
		s.t.Fatalf("FaultServer: no role %q", role)
	}
	r.Boundary = policyArn
}

// SetManagedPolicy stores a managed policy's default version, for
// iam:GetPolicy and iam:GetPolicyVersion.
func (s *FaultServer) SetManagedPolicy(policyArn, document string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.managed[policyArn] = document
}

// Role returns a copy of the role's state.
func (s *FaultServer) Role(name string) (Role, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	r, ok := s.roles[name]
	if !ok {
		return Role{}, false
	}
	c := *r
	c.AttachedPolicies = append([]string(nil), r.AttachedPolicies...)
	return c, true
}

// BucketState returns a copy of the bucket's state.
func (s *FaultServer) BucketState(name string) (Bucket, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	b, ok := s.buckets[name]
	if !ok {
		return Bucket{}, false
	}
	return *b, true
}

// KeyPolicy returns a key's default policy.
func (s *FaultServer) KeyPolicy(keyID string) (string, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	p, ok := s.keys[keyID]
	return p, ok
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
