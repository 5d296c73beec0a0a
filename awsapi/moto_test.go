package awsapi_test

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"reflect"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/kms"
	"github.com/aws/aws-sdk-go-v2/service/organizations"
	"github.com/fixpolicy/fixpolicy/awsapi"
	"github.com/fixpolicy/fixpolicy/awsapi/internal/awstest"
)

func TestMain(m *testing.M) {
	code := m.Run()
	awstest.StopSharedMoto()
	os.Exit(code)
}

// withMoto returns seeding helpers for the shared moto_server and awsapi clients
// pointed at it, with MotoEnv's environment. The tests do not reset moto (that
// is slow on a loaded machine): each uses bucket names of its own.
func withMoto(t *testing.T) (awstest.Moto, *awsapi.Clients) {
	t.Helper()
	ep := awstest.SharedMoto(t)
	awstest.MotoEnv(t, ep)
	c, err := awsapi.New(context.Background(), awsapi.Options{
		EndpointURL: ep,
		HTTPClient:  awstest.LoopbackHTTPClient(t),
		MaxBackoff:  10 * time.Millisecond,
	})
	if err != nil {
		t.Fatal(err)
	}
	return awstest.Moto{Endpoint: ep}, c
}

var bucketSeq atomic.Int64

// uniq returns a bucket name no other test (or -count iteration) uses.
func uniq(base string) string {
	return fmt.Sprintf("%s-%d-%d", base, os.Getpid(), bucketSeq.Add(1))
}

func jsonEqual(t *testing.T, a, b []byte) bool {
	t.Helper()
	var x, y any
	if err := json.Unmarshal(a, &x); err != nil {
		t.Fatalf("%q: %v", a, err)
	}
	if err := json.Unmarshal(b, &y); err != nil {
		t.Fatalf("%q: %v", b, err)
	}
	return reflect.DeepEqual(x, y)
}

func TestMotoPolicyRoundTrip(t *testing.T) {
	m, c := withMoto(t)
	ctx := context.Background()
	bucket := uniq("pol")
	m.CreateBucket(t, bucket, "us-east-1")

	got, exists, err := c.GetBucketPolicy(ctx, bucket)
	if err != nil || exists || got != nil {
		t.Fatalf("no policy yet: %q, %v, %v", got, exists, err)
	}
	if err := c.PutBucketPolicy(ctx, bucket, []byte(testPolicy), "123456789012"); err != nil {
		t.Fatalf("PutBucketPolicy: %v", err)
	}
	got, exists, err = c.GetBucketPolicy(ctx, bucket)
	if err != nil || !exists {
		t.Fatalf("GetBucketPolicy: %v, %v", exists, err)
	}
	if !jsonEqual(t, got, []byte(testPolicy)) {
		t.Errorf("round trip changed the policy:\n%s", got)
	}

	// Seeded through the SDK directly.
	m.PutBucketPolicy(t, bucket, `{"Version":"2012-10-17","Statement":[]}`)
	got, _, err = c.GetBucketPolicy(ctx, bucket)
	if err != nil || !jsonEqual(t, got, []byte(`{"Version":"2012-10-17","Statement":[]}`)) {
		t.Errorf("GetBucketPolicy = %s, %v", got, err)
	}
}

func TestMotoNoSuchBucket(t *testing.T) {
	_, c := withMoto(t)
	_, _, err := c.GetBucketPolicy(context.Background(), "does-not-exist")
	e := wantKind(t, err, awsapi.NotFound)
	wantMessage(t, err, `bucket "does-not-exist" does not exist (s3:GetBucketPolicy: NoSuchBucket)`)
	if e.HTTPStatus != 404 {
		t.Errorf("status %d", e.HTTPStatus)
	}
	err = c.PutBucketPolicy(context.Background(), "does-not-exist", []byte(testPolicy), "")
	wantKind(t, err, awsapi.NotFound)
}

func TestMotoGetRole(t *testing.T) {
	m, c := withMoto(t)
	ctx := context.Background()
	roleID, arn := m.CreateBackupRole(t)

	r, err := c.GetRole(ctx, "AWSBackupDefaultServiceRole")
	if err != nil {
		t.Fatal(err)
	}
	if r.RoleID != roleID || r.Arn != arn || r.Path != "/service-role/" || r.Name != "AWSBackupDefaultServiceRole" {
		t.Errorf("GetRole = %+v; want RoleId %s, Arn %s", r, roleID, arn)
	}
	if r.Arn != "arn:aws:iam::123456789012:role/service-role/AWSBackupDefaultServiceRole" || r.AccountID != "123456789012" {
		t.Errorf("Arn %s, AccountID %s", r.Arn, r.AccountID)
	}
	if !strings.HasPrefix(r.RoleID, "AROA") {
		t.Errorf("RoleId %s", r.RoleID)
	}
	if !jsonEqual(t, r.TrustPolicy, []byte(awstest.BackupTrustPolicy)) {
		t.Errorf("trust policy %s", r.TrustPolicy)
	}

	_, err = c.GetRole(ctx, "NoSuchRole")
	wantKind(t, err, awsapi.NotFound)
	wantMessage(t, err, `IAM role "NoSuchRole" not found (iam:GetRole: NoSuchEntity); pass the backup role with --role-name NAME or its RoleId with --role-id`)
}

func TestMotoAttachedRolePolicies(t *testing.T) {
	m, c := withMoto(t)
	m.CreateBackupRole(t)
	// moto loads AWS managed policies only with MOTO_IAM_LOAD_MANAGED_POLICIES=true,
	// so attach customer managed ones.
	doc := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetBucketVersioning","Resource":"*"}]}`
	want := []string{
		m.CreatePolicy(t, uniq("FixpolicyTestBackup"), doc),
		m.CreatePolicy(t, uniq("FixpolicyTestRestore"), doc),
	}
	for _, a := range want {
		m.AttachRolePolicy(t, awstest.BackupRoleName, a)
	}
	got, err := c.ListAttachedRolePolicies(context.Background(), awstest.BackupRoleName)
	if err != nil {
		t.Fatal(err)
	}
	for _, a := range want { // the role may survive from an earlier -count iteration
		if !slices.Contains(got, a) {
			t.Errorf("ListAttachedRolePolicies = %v, missing %s", got, a)
		}
	}
}

func TestMotoVersioning(t *testing.T) {
	m, c := withMoto(t)
	ctx := context.Background()
	bucket := uniq("ver")
	m.CreateBucket(t, bucket, "")
	for _, step := range []struct{ set, want string }{{"", ""}, {"Enabled", "Enabled"}, {"Suspended", "Suspended"}} {
		if step.set != "" {
			m.SetVersioning(t, bucket, step.set)
		}
		got, err := c.GetBucketVersioning(ctx, bucket)
		if err != nil || got != step.want {
			t.Errorf("after %q: GetBucketVersioning = %q, %v", step.set, got, err)
		}
	}
}

func TestMotoListBuckets(t *testing.T) {
	m, c := withMoto(t)
	east, ireland, tokyo := uniq("east"), uniq("ireland"), uniq("tokyo")
	m.CreateBucket(t, east, "us-east-1")
	m.CreateBucket(t, ireland, "eu-west-1")
	m.CreateBucket(t, tokyo, "ap-northeast-1")
	got, err := c.ListBuckets(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{east: "us-east-1", ireland: "eu-west-1", tokyo: "ap-northeast-1"}
	seen := 0
	for _, b := range got {
		if r, ok := want[b.Name]; ok {
			seen++
			if r != b.Region {
				t.Errorf("%s: region %q, want %q", b.Name, b.Region, r)
			}
		}
	}
	if seen != len(want) {
		t.Errorf("ListBuckets = %v, want all of %v", got, want)
	}
	region, err := c.BucketRegion(context.Background(), ireland)
	if err != nil || region != "eu-west-1" {
		t.Errorf("BucketRegion = %q, %v", region, err)
	}

	// The bucket in eu-west-1 is served by clients of that region.
	ie := c.ForRegion("eu-west-1")
	if err := ie.PutBucketPolicy(context.Background(), ireland, []byte(testPolicy), ""); err != nil {
		t.Fatal(err)
	}
	if _, exists, err := ie.GetBucketPolicy(context.Background(), ireland); err != nil || !exists {
		t.Errorf("eu-west-1 GetBucketPolicy: %v, %v", exists, err)
	}
}

func TestMotoCallerIdentity(t *testing.T) {
	_, c := withMoto(t)
	id, err := c.CallerIdentity(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if id.Account != "123456789012" || !strings.HasPrefix(id.Arn, "arn:aws:sts::123456789012:") && !strings.HasPrefix(id.Arn, "arn:aws:iam::123456789012:") {
		t.Errorf("CallerIdentity = %+v", id)
	}
}

func TestMotoEndpointFromEnvironment(t *testing.T) {
	m, _ := withMoto(t) // MotoEnv sets AWS_ENDPOINT_URL
	bucket := uniq("env")
	m.CreateBucket(t, bucket, "")
	c, err := awsapi.New(context.Background(), awsapi.Options{HTTPClient: awstest.LoopbackHTTPClient(t)})
	if err != nil {
		t.Fatal(err)
	}
	if _, exists, err := c.GetBucketPolicy(context.Background(), bucket); err != nil || exists {
		t.Fatalf("GetBucketPolicy via AWS_ENDPOINT_URL: %v, %v", exists, err)
	}
	if id, err := c.CallerIdentity(context.Background()); err != nil || id.Account != "123456789012" {
		t.Fatalf("CallerIdentity via AWS_ENDPOINT_URL: %+v, %v", id, err)
	}
}

func TestMotoDoctorReads(t *testing.T) {
	m, c := withMoto(t)
	m.Reset(t) // the organization test needs an account in no organization
	ctx := context.Background()
	bucket := uniq("doc")
	m.CreateBucket(t, bucket, "")

	own, err := c.GetBucketOwnershipControls(ctx, bucket)
	if err != nil {
		t.Fatalf("GetBucketOwnershipControls: %v", err)
	}
	algo, key, err := c.GetBucketEncryption(ctx, bucket)
	if err != nil {
		t.Fatalf("GetBucketEncryption: %v", err)
	}
	t.Logf("new bucket: ownership %q, encryption %q %q", own, algo, key)

	kc := kms.NewFromConfig(m.Config(t, "us-east-1"), func(o *kms.Options) { o.BaseEndpoint = aws.String(m.Endpoint) })
	k, err := kc.CreateKey(ctx, &kms.CreateKeyInput{})
	if err != nil {
		t.Fatal(err)
	}
	p, err := c.GetKeyPolicy(ctx, aws.ToString(k.KeyMetadata.KeyId))
	if err != nil || !json.Valid(p) {
		t.Fatalf("GetKeyPolicy = %s, %v", p, err)
	}
	_, err = c.GetKeyPolicy(ctx, "00000000-0000-0000-0000-000000000000")
	wantKind(t, err, awsapi.NotFound)

	org, err := c.OrganizationID(ctx)
	if err != nil || org != "" {
		t.Fatalf("no organization: %q, %v", org, err)
	}
	oc := organizations.NewFromConfig(m.Config(t, "us-east-1"), func(o *organizations.Options) { o.BaseEndpoint = aws.String(m.Endpoint) })
	created, err := oc.CreateOrganization(ctx, &organizations.CreateOrganizationInput{})
	if err != nil {
		t.Fatal(err)
	}
	org, err = c.OrganizationID(ctx)
	if err != nil || org != aws.ToString(created.Organization.Id) {
		t.Fatalf("OrganizationID = %q, %v; want %s", org, err, aws.ToString(created.Organization.Id))
	}
}
