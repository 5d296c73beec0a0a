// Package awstest is test support for code that uses package awsapi: an
// in-process fake of the S3, IAM, STS, KMS and Organizations wire protocols with
// programmable faults ([FaultServer]), a moto_server launcher ([StartMoto],
// [SharedMoto]) with seeding helpers ([Moto]), and environment helpers that keep
// the SDK away from real credentials and real AWS ([IsolatedEnv], [TestEnv],
// [MotoEnv], [LoopbackHTTPClient]).
//
// The environment helpers use t.Setenv, so tests that use them cannot be parallel.
package awstest

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// IsolatedEnv removes every AWS_* variable for the duration of the test, points the
// shared config and credentials files at empty files and disables EC2 IMDS, so that
// the SDK's default credential chain finds nothing and contacts nothing.
func IsolatedEnv(t testing.TB) {
	t.Helper()
	for _, kv := range os.Environ() {
		k, _, _ := strings.Cut(kv, "=")
		if strings.HasPrefix(k, "AWS_") {
			t.Setenv(k, "") // records the old value for restoration
			os.Unsetenv(k)
		}
	}
	dir := t.TempDir()
	cfgFile := filepath.Join(dir, "config")
	credFile := filepath.Join(dir, "credentials")
	for _, f := range []string{cfgFile, credFile} {
		if err := os.WriteFile(f, nil, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	t.Setenv("AWS_CONFIG_FILE", cfgFile)
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", credFile)
	t.Setenv("AWS_EC2_METADATA_DISABLED", "true")
}

// TestEnv is IsolatedEnv plus static test credentials (test/test) and region us-east-1.
func TestEnv(t testing.TB) {
	t.Helper()
	IsolatedEnv(t)
	t.Setenv("AWS_ACCESS_KEY_ID", "test")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "test")
	t.Setenv("AWS_REGION", "us-east-1")
}

// MotoEnv is TestEnv plus AWS_ENDPOINT_URL=endpoint, for code that builds its
// clients from the environment alone (moto accepts any credentials).
func MotoEnv(t testing.TB, endpoint string) {
	t.Helper()
	TestEnv(t)
	t.Setenv("AWS_ENDPOINT_URL", endpoint)
}

// LoopbackHTTPClient returns an HTTP client that can only connect to loopback IP
// addresses (127.0.0.1, ::1) and ignores proxy settings. Any other connection
// attempt — real AWS, 169.254.169.254, a bucket sub-domain — fails the test.
func LoopbackHTTPClient(t testing.TB) *http.Client {
	t.Helper()
	d := &net.Dialer{Timeout: 5 * time.Second}
	tr := &http.Transport{
		Proxy: nil,
		DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
			host, _, err := net.SplitHostPort(addr)
			if err != nil {
				return nil, err
			}
			if ip := net.ParseIP(host); ip == nil || !ip.IsLoopback() {
				t.Errorf("awstest: the code under test tried to connect to %s; tests may only reach 127.0.0.1", addr)
				return nil, fmt.Errorf("awstest: refusing to connect to non-loopback address %s", addr)
			}
			return d.DialContext(ctx, network, addr)
		},
		MaxIdleConnsPerHost: 16,
		IdleConnTimeout:     30 * time.Second,
	}
	t.Cleanup(tr.CloseIdleConnections)
	return &http.Client{Transport: tr}
}
