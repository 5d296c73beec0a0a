package main

import (
	"context"
	"fmt"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/fixpolicy/fixpolicy/awsapi/doctor"
	"github.com/fixpolicy/fixpolicy/awsapi/fleet"
	"github.com/fixpolicy/fixpolicy/rewrite"
)

func doctorCommand(std stdio) *cli.Command {
	return &cli.Command{
		Name:  "doctor",
		Usage: "check a bucket for the other ways AWS Backup fails (read-only)",
		UsageText: `fixpolicy doctor --bucket NAME [--bucket NAME ...] [--role-name NAME] [--role-id ID] [--account-id ID] [-o text|json]

Checks, read-only (doctor never changes anything), each with the fix to apply:
   versioning         S3 Versioning is enabled (AWS Backup for S3 requires it)
   backup-role        the backup role exists and has AWSBackupServiceRolePolicyForS3Backup
                      and AWSBackupServiceRolePolicyForS3Restore attached
   bucket-policy      no bucket-policy statement blocks AWS Backup or the console's
                      s3:GetBucketLocation / s3:GetBucketVersioning reads (fix: fixpolicy --bucket NAME)
   stale-role-id      aws:userid exemptions name the backup role's current RoleId, not an
                      old one left by a deleted and re-created role
   object-ownership   Object Ownership is BucketOwnerEnforced, so objects written by other
                      accounts or services belong to the bucket owner
   kms-key            for an SSE-KMS bucket, the key policy lets the backup role use the key
   caller-access      the patched policy does not lock the caller out of s3:PutBucketPolicy

Each check says pass, fail, warn or could-not-check (with the reason, e.g. the permission
the caller lacks). -o json prints one JSON object per bucket:
{"bucket": NAME, "checks": [{"id", "title", "status", "detail", "fix"}]}.

Exit codes: 0 every check passed, warned or could not be checked (could-not-check and
warn alone do not fail); 2 some check failed; 1 an error stopped the command (no
credentials, bucket missing).

Examples:
   fixpolicy doctor --bucket my-bucket
   fixpolicy doctor --bucket logs --bucket data --role-name MyBackupRole -o json`,
		Flags: append([]cli.Flag{
			&cli.StringSliceFlag{Name: "bucket", Usage: "bucket to check; repeat for several (--bucket logs --bucket data)", Required: true},
			&cli.StringFlag{Name: "role-name", Value: rewrite.DefaultRoleName, Usage: "the IAM role AWS Backup uses, e.g. --role-name MyBackupRole"},
			&cli.StringFlag{Name: "role-id", Usage: "the backup role's RoleId (AROA...), used when iam:GetRole is not allowed"},
			&cli.StringFlag{Name: "account-id", Usage: "the bucket owner's 12-digit account ID (default: the caller's account, from sts:GetCallerIdentity)"},
			outputFlag("text or json"),
			timeoutFlag(),
		}, awsFlags()...),
		Action: func(c *cli.Context) error {
			o, err := parseDoctorOpts(c)
			if err != nil {
				return err
			}
			cl, err := std.aws(c.Context, awsOptions(c))
			if err != nil {
				return fail("%v", err)
			}
			return runDoctor(c.Context, std, o, doctor.FromClients(cl))
		},
	}
}

// doctorOpts is the doctor command's flags.
type doctorOpts struct {
	buckets []string // without repeats, in order
	format  string   // text or json
	timeout time.Duration
	doctor.Options
}

// parseDoctorOpts checks the flags: a usage error (exit 1) before any AWS call.
func parseDoctorOpts(c *cli.Context) (doctorOpts, error) {
	o := doctorOpts{format: c.String("output"), Options: doctor.Options{
		RoleName: c.String("role-name"), RoleID: c.String("role-id"), AccountID: c.String("account-id"), Fix: fleet.Fix,
	}}
	if c.Args().Present() {
		return o, fail("doctor: unexpected argument %q", c.Args().First())
	}
	if o.format != "text" && o.format != "json" {
		return o, fail("doctor: -o %q is not an output format (use text or json)", o.format)
	}
	seen := map[string]bool{}
	for _, b := range c.StringSlice("bucket") {
		if err := checkBuckets(b); err != nil {
			return o, err
		}
		if !seen[b] {
			seen[b] = true
			o.buckets = append(o.buckets, b)
		}
	}
	if len(o.buckets) == 0 {
		return o, fail("doctor: --bucket is required")
	}
	if o.RoleID != "" && !doctor.ValidRoleID(o.RoleID) {
		return o, fail("--role-id %q is not an IAM role unique ID (AROA followed by letters and digits, as aws iam get-role prints)", o.RoleID)
	}
	if err := checkFlag(c, "account-id", rewrite.CheckAccountID); err != nil {
		return o, err
	}
	var err error
	o.timeout, err = timeoutOf(c)
	return o, err
}

// runDoctor checks each bucket with api and prints its report as soon as it
// is done. Exit code: 2 when a check failed, 1 when a bucket could not be
// checked at all.
func runDoctor(ctx context.Context, std stdio, o doctorOpts, api doctor.API) error {
	d, err := doctor.New(ctx, api, o.Options)
	if err != nil {
		return fail("%v", err)
	}
	code, err := fleet.Doctor(ctx, d, o.buckets, o.timeout, func(r *doctor.Report) error {
		if err := r.Print(std.out, o.format); err != nil {
			return err
		}
		if r.Error != "" {
			fmt.Fprintf(std.err, "fixpolicy: doctor: %s\n", r.Error)
		}
		return nil
	})
	if err != nil {
		return fail("%v", err)
	}
	return exitWith(code)
}
