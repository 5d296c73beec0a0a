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
//
// Checked by hand: as regular expressions the counted repetitions
// ({1,61}, {2,254}) compile to hundreds of states, which cost every run
// of the program milliseconds at start-up.
func bucketName(name string) bool {
	return len(name) >= 3 && len(name) <= 63 && alnum(name[0], false) && alnum(name[len(name)-1], false) &&
		only(name, func(c byte) bool { return alnum(c, false) || c == '.' || c == '-' })
}

func legacyBucketName(name string) bool {
	return len(name) >= 3 && len(name) <= 255 && alnum(name[0], true) &&
		only(name, func(c byte) bool { return alnum(c, true) || c == '.' || c == '_' || c == '-' })
}

// alnum reports whether c is a digit or a lowercase letter, or (upper) any
// ASCII letter.
func alnum(c byte, upper bool) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'z' || upper && 'A' <= c && c <= 'Z'
}

func only(s string, ok func(byte) bool) bool {
	for i := 0; i < len(s); i++ {
		if !ok(s[i]) {
			return false
		}
	}
	return true
}

// CheckBucketName reports whether name is an S3 bucket name under the
// current or the legacy naming rules; the error says why not, for a user
// who typed it.
func CheckBucketName(name string) error {
	switch {
	case strings.ContainsAny(name, "/:"):
		return errors.New("give the name only, e.g. my-bucket, not s3://my-bucket or an ARN")
	case bucketName(name), legacyBucketName(name):
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
