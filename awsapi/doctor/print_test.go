package doctor

import (
	"bytes"
	"errors"
	"testing"
)

var printed = &Report{Bucket: "logs", Checks: []Check{
	{ID: "versioning", Title: "S3 Versioning is enabled", Status: Pass, Detail: "versioning is enabled"},
	{ID: "backup-role", Title: "the backup role R exists", Status: Fail, Detail: "R lacks <policies> & more", Fix: "aws iam create-role\naws iam attach-role-policy"},
	{ID: "caller-access", Title: "caller", Status: Warn, Detail: "denied", Fix: "run it from the VPC"},
	{ID: "kms-key", Title: "key", Status: Unsure, Detail: "could not check: no"},
}}

func TestPrintText(t *testing.T) {
	t.Parallel()
	var b bytes.Buffer
	if err := printed.Print(&b, "text"); err != nil {
		t.Fatal(err)
	}
	want := `s3://logs
  PASS  versioning       S3 Versioning is enabled
        versioning is enabled
  FAIL  backup-role      the backup role R exists
        R lacks <policies> & more
        fix: aws iam create-role
             aws iam attach-role-policy
  WARN  caller-access    caller
        denied
        fix: run it from the VPC
  ????  kms-key          key
        could not check: no
1 passed, 1 failed, 1 warned, 1 could not be checked

`
	if b.String() != want {
		t.Errorf("got\n%s\nwant\n%s", b.String(), want)
	}
}

func TestPrintJSON(t *testing.T) {
	t.Parallel()
	var b bytes.Buffer
	if err := printed.Print(&b, "json"); err != nil {
		t.Fatal(err)
	}
	want := `{"bucket":"logs","checks":[{"id":"versioning","title":"S3 Versioning is enabled","status":"pass","detail":"versioning is enabled","fix":""},` +
		`{"id":"backup-role","title":"the backup role R exists","status":"fail","detail":"R lacks <policies> & more","fix":"aws iam create-role\naws iam attach-role-policy"},` +
		`{"id":"caller-access","title":"caller","status":"warn","detail":"denied","fix":"run it from the VPC"},` +
		`{"id":"kms-key","title":"key","status":"could-not-check","detail":"could not check: no","fix":""}]}` + "\n"
	if b.String() != want {
		t.Errorf("got\n%s\nwant\n%s", b.String(), want)
	}
}

func TestPrintError(t *testing.T) {
	t.Parallel()
	r := &Report{Bucket: "nope", Checks: []Check{}, Error: `bucket "nope" does not exist`}
	for format, want := range map[string]string{
		"text": "s3://nope\n  error: bucket \"nope\" does not exist\n\n",
		"json": `{"bucket":"nope","checks":[],"error":"bucket \"nope\" does not exist"}` + "\n",
	} {
		var b bytes.Buffer
		if err := r.Print(&b, format); err != nil || b.String() != want {
			t.Errorf("%s: %q, %v; want %q", format, b.String(), err, want)
		}
	}
	if err := r.Print(failWriter{}, "text"); err == nil {
		t.Errorf("a write error was not returned")
	}
}

type failWriter struct{}

func (failWriter) Write([]byte) (int, error) { return 0, errors.New("disk full") }
