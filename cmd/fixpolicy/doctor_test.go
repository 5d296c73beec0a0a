package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/fixpolicy/fixpolicy/awsapi"
	"github.com/fixpolicy/fixpolicy/awsapi/doctor"
	"github.com/fixpolicy/fixpolicy/rewrite"
)

// The checks themselves are tested in package doctor; these tests cover the
// command's wiring: flags, output and exit codes.

// parseDoctorArgs parses "fixpolicy doctor ARGS" with the command's flags,
// without running it.
func parseDoctorArgs(t *testing.T, args ...string) (doctorOpts, error) {
	t.Helper()
	cmd := doctorCommand(stdio{})
	var o doctorOpts
	var perr error
	cmd.Action = func(c *cli.Context) error {
		o, perr = parseDoctorOpts(c)
		return nil
	}
	app := &cli.App{Name: "fixpolicy", Commands: []*cli.Command{cmd}, Writer: io.Discard, ErrWriter: io.Discard,
		DisableSliceFlagSeparator: true, ExitErrHandler: func(*cli.Context, error) {}}
	if err := app.Run(append([]string{"fixpolicy", "doctor"}, args...)); err != nil {
		return o, err
	}
	return o, perr
}

// TestDoctorFlags is not parallel: every urfave/cli run writes to the
// package-level cli.HelpFlag, which the race detector reports.
func TestDoctorFlags(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		args    []string
		want    doctorOpts // Options.Fix aside
		wantErr string
	}{
		{[]string{"--bucket", "bkt-b"}, doctorOpts{buckets: []string{"bkt-b"}, format: "text", timeout: defaultTimeout,
			Options: doctor.Options{RoleName: rewrite.DefaultRoleName}}, ""},
		{[]string{"--bucket", "bkt-b", "--bucket", "bkt-a", "--bucket", "bkt-b", "--role-name", "R", "--role-id", "AROAEXAMPLEROLEID0001",
			"--account-id", "012345678901", "-o", "json", "--timeout", "0"},
			doctorOpts{buckets: []string{"bkt-b", "bkt-a"}, format: "json", Options: doctor.Options{RoleName: "R", RoleID: "AROAEXAMPLEROLEID0001", AccountID: "012345678901"}}, ""},
		{[]string{"--bucket", "s3://x"}, doctorOpts{}, `--bucket "s3://x" is not a bucket name`},
		{[]string{"--bucket", "bkt-x", "-o", "sarif"}, doctorOpts{}, `doctor: -o "sarif" is not an output format (use text or json)`},
		{[]string{"--bucket", "bkt-x", "--account-id", "12"}, doctorOpts{}, "--account-id "},
		{[]string{"--bucket", "bkt-x", "--role-id", "AIDAXXXXXXXXXXXXXXXX"}, doctorOpts{}, `--role-id "AIDAXXXXXXXXXXXXXXXX" is not an IAM role unique ID`},
		{[]string{"--bucket", "bkt-x", "--timeout", "-1s"}, doctorOpts{}, "--timeout -1s is negative"},
		{[]string{"--bucket", "bkt-x", "extra"}, doctorOpts{}, `doctor: unexpected argument "extra"`},
		{[]string{"--bucket", ""}, doctorOpts{}, `--bucket "" is not a bucket name`},
		{[]string{"--bucket", "a,c"}, doctorOpts{}, `--bucket "a,c" is not a bucket name`},
		{[]string{"--bucket", "bkt-x", "--fix"}, doctorOpts{buckets: []string{"bkt-x"}, format: "text", timeout: defaultTimeout, fix: true,
			Options: doctor.Options{RoleName: rewrite.DefaultRoleName}}, ""},
		{[]string{"--all-buckets", "--fix", "--check", "--fix-ownership"}, doctorOpts{format: "text", timeout: defaultTimeout, fix: true, mode: "check",
			Options: doctor.Options{RoleName: rewrite.DefaultRoleName}}, ""},
		{[]string{"--bucket", "bkt-x", "--fix", "--dry-run", "--yes"}, doctorOpts{buckets: []string{"bkt-x"}, format: "text", timeout: defaultTimeout, fix: true, mode: "dry-run",
			Options: doctor.Options{RoleName: rewrite.DefaultRoleName}}, ""},
		{[]string{"--bucket", "bkt-x", "--dry-run"}, doctorOpts{}, "go with --fix"},
		{[]string{"--bucket", "bkt-x", "--yes"}, doctorOpts{}, "go with --fix"},
		{[]string{"--bucket", "bkt-x", "--fix-ownership"}, doctorOpts{}, "go with --fix"},
		{[]string{"--bucket", "bkt-x", "--fix", "--dry-run", "--check"}, doctorOpts{}, "--dry-run and --check are exclusive"},
		{[]string{}, doctorOpts{}, "--bucket or --all-buckets is required"},
		{[]string{"--all-buckets", "--bucket", "bkt-x"}, doctorOpts{}, "--all-buckets and --bucket are exclusive"},
	} {
		t.Run(strings.Join(tc.args, " "), func(t *testing.T) {
			o, err := parseDoctorArgs(t, tc.args...)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("err %v, want %q", err, tc.wantErr)
				}
				var ee *exitErr
				if !errors.As(err, &ee) || ee.code != exitError {
					t.Errorf("err %v is not a usage error (exit 1)", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if o.Fix == nil {
				t.Errorf("the analysis is not bounded by --timeout (Options.Fix is nil)")
			}
			o.Fix = nil
			if !reflect.DeepEqual(o, tc.want) {
				t.Errorf("options\n%+v\nwant\n%+v", o, tc.want)
			}
		})
	}
}

// TestDoctorUsage runs the whole CLI: usage errors exit 1 before any AWS
// client is built.
func TestDoctorUsage(t *testing.T) {
	t.Parallel()
	h := harness{aws: func(context.Context, awsapi.Options) (*awsapi.Clients, error) {
		t.Errorf("a usage error built AWS clients")
		return nil, fmt.Errorf("no")
	}}
	for _, args := range [][]string{
		{"doctor"},
		{"doctor", "--bucket", "s3://x"},
		{"doctor", "--bucket", "bkt-x", "-o", "sarif"},
		{"doctor", "--bucket", "bkt-x", "--account-id", "12"},
		{"doctor", "--bucket", "bkt-x", "--role-id", "AIDAXXXXXXXXXXXXXXXX"},
		{"doctor", "--bucket", "bkt-x", "--check"},
		{"doctor", "--bucket", "bkt-x", "--fix", "--dry-run", "--check"},
		{"doctor", "--bucket", "bkt-x", "--fix", "-o", "sarif"},
	} {
		if _, errOut, code := h.run(t, "", args...); code != exitError || errOut == "" {
			t.Errorf("%v: exit %d, stderr %q", args, code, errOut)
		}
	}
	out, _, code := h.run(t, "", "doctor", "--help")
	if code != exitOK || !strings.Contains(out, "could-not-check") || !strings.Contains(out, "Exit codes") || !strings.Contains(out, "--fix-ownership") {
		t.Errorf("help (exit %d):\n%s", code, out)
	}
}

// fakeDoctorAPI is an account whose backup role is healthy and whose
// buckets (name → versioning status) are healthy but for their versioning.
type fakeDoctorAPI struct {
	versioning map[string]string
	callerErr  error
}

func (f fakeDoctorAPI) CallerIdentity(context.Context) (awsapi.Identity, error) {
	return awsapi.Identity{Account: "123456789012", Arn: "arn:aws:iam::123456789012:user/tester"}, f.callerErr
}

func (f fakeDoctorAPI) GetRole(_ context.Context, name string) (awsapi.Role, error) {
	return awsapi.Role{Name: name, RoleID: "AROAEXAMPLEROLEID0001", AccountID: "123456789012", Arn: "arn:aws:iam::123456789012:role/service-role/" + name}, nil
}

func (f fakeDoctorAPI) ListAttachedRolePolicies(context.Context, string) ([]string, error) {
	return []string{"arn:aws:iam::aws:policy/AWSBackupServiceRolePolicyForS3Backup", "arn:aws:iam::aws:policy/AWSBackupServiceRolePolicyForS3Restore"}, nil
}

func (f fakeDoctorAPI) BucketRegion(_ context.Context, bucket string) (string, error) {
	if _, ok := f.versioning[bucket]; !ok {
		return "", &awsapi.Error{Op: "s3:GetBucketLocation", Resource: bucket, Kind: awsapi.NotFound, Code: "NoSuchBucket"}
	}
	return "us-east-1", nil
}

func (f fakeDoctorAPI) Regional(string) doctor.Regional { return f }
func (f fakeDoctorAPI) Region() string                  { return "us-east-1" }

func (f fakeDoctorAPI) GetBucketVersioning(_ context.Context, bucket string) (string, error) {
	return f.versioning[bucket], nil
}

func (f fakeDoctorAPI) GetBucketPolicy(context.Context, string) ([]byte, bool, error) {
	return nil, false, nil
}

func (f fakeDoctorAPI) GetBucketOwnershipControls(context.Context, string) (string, error) {
	return "BucketOwnerEnforced", nil
}

func (f fakeDoctorAPI) GetBucketEncryption(context.Context, string) (string, string, error) {
	return "AES256", "", nil
}

func (f fakeDoctorAPI) GetKeyPolicy(context.Context, string) ([]byte, error) {
	return nil, errors.New("no keys")
}

// exitCode is the exit code run gives err.
func exitCode(err error) int {
	var ee *exitErr
	switch {
	case err == nil:
		return exitOK
	case errors.As(err, &ee):
		return ee.code
	}
	return exitError
}

func TestRunDoctor(t *testing.T) {
	t.Parallel()
	api := fakeDoctorAPI{versioning: map[string]string{"good": "Enabled", "off": "", "suspended": "Suspended"}}
	for _, tc := range []struct {
		name    string
		api     fakeDoctorAPI
		o       doctorOpts
		code    int
		out     []string // in order in stdout
		stderr  string
		ctxDone bool
	}{
		{"healthy", api, doctorOpts{buckets: []string{"good"}, format: "text"}, exitOK,
			[]string{"s3://good\n  PASS  versioning       S3 Versioning is enabled\n", "7 passed, 0 failed, 0 warned, 0 could not be checked\n\n"}, "", false},
		{"a check fails", api, doctorOpts{buckets: []string{"good", "suspended"}, format: "text"}, exitChanges,
			[]string{"s3://good\n", "s3://suspended\n  FAIL  versioning", "fix: aws s3api put-bucket-versioning --bucket suspended", "6 passed, 1 failed"}, "", false},
		{"json lines", api, doctorOpts{buckets: []string{"off", "good"}, format: "json"}, exitChanges,
			[]string{`{"bucket":"off","checks":[{"id":"versioning","title":"S3 Versioning is enabled","status":"fail",`, "}]}\n{\"bucket\":\"good\""}, "", false},
		{"missing bucket", api, doctorOpts{buckets: []string{"nope", "off"}, format: "text"}, exitError,
			[]string{"s3://nope\n  error: ", "nope", "\n\ns3://off\n  FAIL  versioning"}, "fixpolicy: doctor: ", false},
		{"time out", api, doctorOpts{buckets: []string{"good"}, format: "json", timeout: time.Nanosecond}, exitError,
			[]string{`{"bucket":"good","checks":[],"error":"gave up after 1ns (--timeout): the analysis of s3://good did not finish; nothing was written"}` + "\n"},
			"fixpolicy: doctor: gave up after 1ns", false},
		{"no credentials", fakeDoctorAPI{callerErr: &awsapi.Error{Op: "sts:GetCallerIdentity", Kind: awsapi.ExpiredToken, Code: "ExpiredToken"}},
			doctorOpts{buckets: []string{"good"}, format: "text"}, exitError, nil, "", false},
		{"interrupted", api, doctorOpts{buckets: []string{"good"}, format: "text"}, exitOK, nil, "", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			if tc.ctxDone {
				cancel()
			}
			var out, errOut bytes.Buffer
			err := runDoctor(ctx, stdio{out: &out, err: &errOut}, tc.o, tc.api)
			if code := exitCode(err); code != tc.code {
				t.Errorf("exit %d, want %d (%v)", code, tc.code, err)
			}
			if tc.api.callerErr != nil && (err == nil || !strings.Contains(err.Error(), "expired")) {
				t.Errorf("err %v does not say the credentials expired", err)
			}
			rest := out.String()
			for _, w := range tc.out {
				i := strings.Index(rest, w)
				if i < 0 {
					t.Fatalf("stdout lacks %q after what came before:\n%s", w, out.String())
				}
				rest = rest[i+len(w):]
			}
			if tc.out == nil && out.Len() != 0 {
				t.Errorf("stdout: %s", out.String())
			}
			if !strings.HasPrefix(errOut.String(), tc.stderr) || tc.stderr == "" && errOut.Len() != 0 {
				t.Errorf("stderr %q, want %q...", errOut.String(), tc.stderr)
			}
			if tc.o.format == "json" {
				dec := json.NewDecoder(&out)
				for dec.More() {
					var r doctor.Report
					if err := dec.Decode(&r); err != nil {
						t.Errorf("-o json printed something that is not JSON lines: %v", err)
						break
					}
				}
			}
		})
	}
}
