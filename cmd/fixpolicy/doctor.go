package main

import (
	"context"
	"fmt"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/fixpolicy/fixpolicy/awsapi"
	"github.com/fixpolicy/fixpolicy/awsapi/doctor"
	"github.com/fixpolicy/fixpolicy/awsapi/fleet"
	"github.com/fixpolicy/fixpolicy/rewrite"
)

func doctorCommand(std stdio) *cli.Command {
	return &cli.Command{
		Name:  "doctor",
		Usage: "check a bucket for the other ways AWS Backup fails; --fix repairs them",
		UsageText: `fixpolicy doctor (--bucket NAME ... | --all-buckets) [--fix [--dry-run|--check] [--yes] [--fix-ownership]] [--role-name NAME] [-o text|json]

Checks versioning, backup-role, bucket-policy, stale-role-id, object-ownership, kms-key, caller-access
(each pass, fail, warn or could-not-check, with its fix). --fix shows a plan (a step per failed check, with
its API call or diff), asks [y/N] (--yes without a terminal), then backs up, re-reads, writes and verifies
each step. Exit codes: 0 nothing failed (or all fixed); 2 a check failed (--check: a fix is needed);
1 an error, a failed step or a plan not confirmed.`,
		Flags: append([]cli.Flag{
			&cli.StringSliceFlag{Name: "bucket", Usage: "bucket to check; repeat for several (--bucket logs --bucket data)"},
			&cli.BoolFlag{Name: "all-buckets", Usage: "check every bucket of the account"},
			&cli.StringFlag{Name: "role-name", Value: rewrite.DefaultRoleName, Usage: "the IAM role AWS Backup uses, e.g. --role-name MyBackupRole"},
			&cli.StringFlag{Name: "role-id", Usage: "the backup role's RoleId (AROA...), used when iam:GetRole is not allowed"},
			&cli.StringFlag{Name: "account-id", Usage: "the bucket owner's 12-digit account ID (default: the caller's account)"},
			&cli.BoolFlag{Name: "fix", Usage: "repair what the checks find: plan, confirm, then apply"},
			&cli.BoolFlag{Name: "dry-run", Usage: "with --fix: print the plan, change nothing"},
			&cli.BoolFlag{Name: "check", Usage: "with --fix: print the plan; exit 2 when something needs fixing"},
			&cli.BoolFlag{Name: "yes", Usage: "with --fix: apply without asking (required without a terminal)"},
			&cli.BoolFlag{Name: "fix-ownership", Usage: "with --fix: also set Object Ownership to BucketOwnerEnforced (disables ACLs)"},
			&cli.StringFlag{Name: "backup-dir", Value: "./fixpolicy-backups", Usage: "where --fix saves everything before changing it"},
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
			if o.buckets, err = fleet.DoctorBuckets(c.Context, cl, c.Bool("all-buckets"), o.buckets); err != nil {
				return fail("%v", err)
			}
			if o.fix {
				return runDoctorFix(c, std, o, cl)
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
	fix  bool
	mode string // fleet.Apply, fleet.DryRun or fleet.Check
}

// parseDoctorOpts checks the flags: a usage error (exit 1) before any AWS call.
func parseDoctorOpts(c *cli.Context) (doctorOpts, error) {
	o := doctorOpts{format: c.String("output"), Options: doctor.Options{
		RoleName: c.String("role-name"), RoleID: c.String("role-id"), AccountID: c.String("account-id"), Fix: fleet.Fix,
	}}
	if c.Args().Present() {
		return o, fail("doctor: unexpected argument %q", c.Args().First())
	}
	var err error
	if o.buckets, err = doctor.CheckInputs(o.format, c.StringSlice("bucket"), c.Bool("all-buckets"), o.RoleID); err != nil {
		return o, fail("%v", err)
	}
	if o.fix, o.mode, err = doctor.FixMode(c.Bool("fix"), c.Bool("dry-run"), c.Bool("check"), c.Bool("yes"), c.Bool("fix-ownership")); err != nil {
		return o, fail("%v", err)
	}
	if err := checkFlag(c, "account-id", rewrite.CheckAccountID); err != nil {
		return o, err
	}
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

// runDoctorFix plans, confirms and applies the fixes of each bucket.
func runDoctorFix(c *cli.Context, std stdio, o doctorOpts, cl *awsapi.Clients) error {
	run := &fleet.DoctorFix{API: doctor.FixerFromClients(cl), Buckets: o.buckets, Mode: o.mode, Yes: c.Bool("yes"), Timeout: o.timeout, Doctor: o.Options, Format: o.format,
		Options: doctor.FixOptions{FixOwnership: c.Bool("fix-ownership"), BackupDir: c.String("backup-dir"), Journal: std.journal},
		Print:   func(p *doctor.Plan) error { return p.Print(std.out, o.format) }}
	if std.inTTY {
		run.Confirm = doctor.Prompter(std.in, std.err)
	}
	code, err := run.Run(c.Context)
	if err != nil {
		return fail("%v", err)
	}
	return exitWith(code)
}
