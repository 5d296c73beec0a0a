package awstest_test

import (
	"context"
	"io"
	"net"
	"net/http"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/fixpolicy/fixpolicy/awsapi/internal/awstest"
)

func TestMain(m *testing.M) {
	code := m.Run()
	awstest.StopSharedMoto()
	os.Exit(code)
}

// recTB records Errorf calls instead of failing the test.
type recTB struct {
	testing.TB
	mu   sync.Mutex
	errs []string
}

func (r *recTB) Errorf(format string, args ...any) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.errs = append(r.errs, format)
}

func (r *recTB) errors() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]string(nil), r.errs...)
}

func TestLoopbackHTTPClientRefusesOtherHosts(t *testing.T) {
	rec := &recTB{TB: t}
	c := awstest.LoopbackHTTPClient(rec)
	for _, u := range []string{
		"http://169.254.169.254/latest/api/token", // EC2 IMDS
		"http://10.255.255.1/",
		"http://localhost:1/", // names are refused too: only literal loopback IPs
	} {
		_, err := c.Get(u)
		if err == nil || !strings.Contains(err.Error(), "refusing to connect") {
			t.Errorf("GET %s: %v", u, err)
		}
	}
	if n := len(rec.errors()); n != 3 {
		t.Errorf("%d test errors recorded, want 3", n)
	}
}

func TestFaultServerRejectsUnknownRequests(t *testing.T) {
	rec := &recTB{TB: t}
	fs := awstest.NewFaultServer(rec)
	resp, err := http.Get(fs.URL + "/b/some/object")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusNotImplemented || len(rec.errors()) != 1 {
		t.Errorf("status %d, %d test errors", resp.StatusCode, len(rec.errors()))
	}
	if r := fs.Requests("unknown"); len(r) != 1 || r[0].Path != "/b/some/object" {
		t.Errorf("recorded %+v", r)
	}
}

func TestFaultServerWireShapes(t *testing.T) {
	fs := awstest.NewFaultServer(t)
	fs.CreateBucket("b", "")
	get := func(path string) (int, string) {
		t.Helper()
		resp, err := http.Get(fs.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	if code, body := get("/b?policy"); code != 404 || !strings.Contains(body, "<Error><Code>NoSuchBucketPolicy</Code>") {
		t.Errorf("GET /b?policy: %d %s", code, body)
	}
	if code, body := get("/b?location"); code != 200 || !strings.Contains(body, `<LocationConstraint xmlns="http://s3.amazonaws.com/doc/2006-03-01/"/>`) {
		t.Errorf("GET /b?location: %d %s", code, body)
	}
	resp, err := http.Post(fs.URL+"/", "application/x-www-form-urlencoded", strings.NewReader("Action=GetRole&RoleName=nope&Version=2010-05-08"))
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 404 || !strings.Contains(string(b), "<ErrorResponse xmlns=\"https://iam.amazonaws.com/doc/2010-05-08/\"><Error><Type>Sender</Type><Code>NoSuchEntity</Code>") {
		t.Errorf("GetRole: %d %s", resp.StatusCode, b)
	}
}

func TestStartMotoStopsProcess(t *testing.T) {
	var endpoint string
	t.Run("running", func(t *testing.T) {
		endpoint = awstest.StartMoto(t)
		if !strings.HasPrefix(endpoint, "http://127.0.0.1:") {
			t.Fatalf("endpoint %s", endpoint)
		}
		resp, err := awstest.LoopbackHTTPClient(t).Get(endpoint + "/moto-api/")
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		awstest.ResetMoto(t, endpoint)
	})
	if endpoint == "" {
		return // skipped: no moto_server
	}
	// The subtest's cleanup stopped moto: nothing listens on the port any more.
	conn, err := net.DialTimeout("tcp", strings.TrimPrefix(endpoint, "http://"), time.Second)
	if err == nil {
		conn.Close()
		t.Errorf("moto still listening on %s after cleanup", endpoint)
	}
}

func TestMotoSeedHelpers(t *testing.T) {
	m := awstest.Moto{Endpoint: awstest.SharedMoto(t)}
	m.CreateBucket(t, "seed-helpers-eu", "eu-west-1")
	m.PutBucketPolicy(t, "seed-helpers-eu", `{"Version":"2012-10-17","Statement":[]}`)
	m.EnableVersioning(t, "seed-helpers-eu")
	id1, arn1 := m.CreateBackupRole(t)
	id2, arn2 := m.CreateBackupRole(t) // idempotent
	if id1 == "" || id1 != id2 || arn1 != arn2 || arn1 != "arn:aws:iam::123456789012:role/service-role/AWSBackupDefaultServiceRole" {
		t.Errorf("CreateBackupRole: %s %s / %s %s", id1, arn1, id2, arn2)
	}
	out, err := m.S3(t, "eu-west-1").GetBucketVersioning(context.Background(), &s3.GetBucketVersioningInput{Bucket: aws.String("seed-helpers-eu")})
	if err != nil || out.Status != "Enabled" {
		t.Errorf("GetBucketVersioning = %+v, %v", out, err)
	}
	m.Reset(t)
	id3, _ := m.CreateBackupRole(t)
	if id3 == id1 {
		t.Error("Reset did not wipe the role")
	}
}
