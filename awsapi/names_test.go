package awsapi_test

import (
	"strings"
	"testing"

	"github.com/fixpolicy/fixpolicy/awsapi"
)

func TestCheckBucketName(t *testing.T) {
	t.Parallel()
	for name, ok := range map[string]bool{
		"my-bucket": true, "abc": true, "a.b-c.1": true, "0ab": true, strings.Repeat("a", 63): true,
		// Legacy us-east-1 names: uppercase, underscores, up to 255 characters.
		"My_Bucket": true, "Logs.2017_archive": true, strings.Repeat("A", 255): true, "ab_": true, "a_": false,
		"": false, "ab": false, "s3://my-bucket": false, "arn:aws:s3:::my-bucket": false, "my bucket": false,
		"-bucket": false, ".bucket": false, "_bucket": false, strings.Repeat("A", 256): false,
		"bücket": false, "my/bucket": false, "bucket*": false,
	} {
		err := awsapi.CheckBucketName(name)
		if (err == nil) != ok {
			t.Errorf("CheckBucketName(%q) = %v, want ok %v", name, err, ok)
		}
		if err != nil && strings.Contains(err.Error(), "\n") {
			t.Errorf("CheckBucketName(%q): message spans lines: %q", name, err)
		}
	}
	if err := awsapi.CheckBucketName("s3://b"); err == nil || !strings.Contains(err.Error(), "the name only") {
		t.Errorf("a URL: %v", err)
	}
}

func TestCheckRegion(t *testing.T) {
	t.Parallel()
	for name, ok := range map[string]bool{
		"us-east-1": true, "eu-west-1": true, "ap-southeast-3": true, "us-gov-west-1": true, "cn-north-1": true,
		"us-iso-east-1": true, "il-central-1": true,
		"": false, "us-east": false, "US-EAST-1": false, "useast1": false, "eu-west-1a": false, "EU": false, "https://x": false,
	} {
		if err := awsapi.CheckRegion(name); (err == nil) != ok {
			t.Errorf("CheckRegion(%q) = %v, want ok %v", name, err, ok)
		}
	}
}
