package awsapi

import (
	"errors"
	"regexp"
	"strings"
)

// Bucket names (Amazon S3 User Guide, "General purpose bucket naming
// rules"): 3 to 63 characters, lowercase letters, digits, dots and hyphens,
// beginning and ending with a letter or digit. Buckets created in US East
// (N. Virginia) before March 1, 2018 may follow the legacy rules instead: up
// to 255 characters, with uppercase letters and underscores too, beginning
// with a letter or digit.
var (
	bucketName       = regexp.MustCompile(`^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$`)
	legacyBucketName = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]{2,254}$`)
)

// CheckBucketName reports whether name is an S3 bucket name under the
// current or the legacy naming rules; the error says why not, for a user
// who typed it.
func CheckBucketName(name string) error {
	switch {
	case strings.ContainsAny(name, "/:"):
		return errors.New("give the name only, e.g. my-bucket, not s3://my-bucket or an ARN")
	case bucketName.MatchString(name), legacyBucketName.MatchString(name):
	default:
		return errors.New("S3 bucket names are 3 to 63 lowercase letters, digits, dots and hyphens, beginning and ending with a letter or digit")
	}
	return nil
}

// region matches the names of AWS Regions: us-east-1, eu-west-1,
// ap-southeast-3, us-gov-west-1, cn-north-1, us-iso-east-1 (AWS General
// Reference, "AWS Regions").
var region = regexp.MustCompile(`^[a-z]{2}(-[a-z]+)+-[0-9]{1,2}$`)

// CheckRegion reports whether name has the form of an AWS Region name.
func CheckRegion(name string) error {
	if !region.MatchString(name) {
		return errors.New("not an AWS Region name (e.g. us-east-1, eu-west-1)")
	}
	return nil
}
