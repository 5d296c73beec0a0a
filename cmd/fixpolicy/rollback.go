package main

import (
	"strings"

	"github.com/fixpolicy/fixpolicy/awsapi/fleet"
	"github.com/fixpolicy/fixpolicy/rewrite"
	"github.com/urfave/cli/v2"
)

func rollbackCommand(std stdio) *cli.Command {
	flags := []cli.Flag{
		&cli.StringFlag{Name: "bucket", Usage: "the bucket whose policy to restore, e.g. --bucket my-bucket"},
		&cli.StringFlag{Name: "from", Usage: "the saved policy to restore: a file fixpolicy wrote to --backup-dir, e.g. --from fixpolicy-backups/my-bucket-20250101T000000.000000000Z.json"},
		&cli.BoolFlag{Name: "yes", Usage: "restore without asking (required when there is no terminal)"},
		&cli.BoolFlag{Name: "dry-run", Usage: "show the diff back to the saved policy, write nothing"},
		&cli.StringFlag{Name: "account-id", Usage: "the bucket owner's 12-digit account ID (sent as the expected bucket owner), skipping sts:GetCallerIdentity"},
		&cli.StringFlag{Name: "backup-dir", Value: "./fixpolicy-backups", Usage: "where to save the bucket's current policy before restoring, so the rollback can itself be undone"},
		outputFlag("text or json"),
		&cli.BoolFlag{Name: "no-color", Usage: "never colour the diff"},
	}
	flags = append(flags, awsFlags()...)
	return &cli.Command{
		Name:      "rollback",
		Usage:     "restore a bucket policy saved by fixpolicy before it wrote",
		UsageText: "fixpolicy rollback --bucket NAME --from BACKUP_FILE [--yes]",
		Description: `Shows the diff from the bucket's current policy back to the saved one and, once
confirmed ([y/N] on a terminal, --yes otherwise), saves the current policy to --backup-dir
(so the rollback can itself be undone) and puts the saved policy back, then reads it back to
check it.`,
		Flags:  flags,
		Action: func(c *cli.Context) error { return rollbackAction(c, std) },
	}
}

func rollbackAction(c *cli.Context, std stdio) error {
	if c.Args().Present() {
		return fail("unexpected argument %q (use --bucket NAME --from FILE)", c.Args().First())
	}
	bucket, from := c.String("bucket"), c.String("from")
	switch {
	case bucket == "":
		return fail("rollback needs --bucket NAME (the bucket whose policy to restore)")
	case from == "":
		return fail("rollback needs --from FILE (a policy saved in --backup-dir)")
	}
	if err := checkBuckets(bucket); err != nil {
		return err
	}
	if err := checkRegion(c); err != nil {
		return err
	}
	format := c.String("output")
	if format != "text" && format != "json" {
		return fail("-o %q is not an output format for rollback (use text or json)", format)
	}
	account := c.String("account-id")
	if err := checkFlag(c, "account-id", rewrite.CheckAccountID); err != nil {
		return err
	}
	saved, err := fleet.ReadSource(nil, from)
	if err != nil {
		return fail("cannot read --from %s: %v", from, strings.TrimPrefix(err.Error(), "cannot read the policy: "))
	}
	if err := fleet.CheckSaved(bucket, from, saved); err != nil {
		return fail("%v", err)
	}
	color := colorOn(format, std, c.Bool("no-color"))
	pr := newPrinter(std, format, color)
	rb := &fleet.Rollback{
		Session: session(c, std), Journal: std.journal, Bucket: bucket, From: from, Saved: saved, Account: account,
		BackupDir: c.String("backup-dir"), DryRun: c.Bool("dry-run"), Yes: c.Bool("yes"), UI: fleet.UI{Print: pr.Print},
	}
	if std.inTTY {
		rb.Confirm, rb.Confirmed = fleet.Prompter(std.in, std.err, pr, "Restore the saved policy to s3://%s? [y/N] ")
	}
	code, err := rb.Run(c.Context)
	if err != nil {
		return fail("%v", err)
	}
	return exitWith(code)
}
