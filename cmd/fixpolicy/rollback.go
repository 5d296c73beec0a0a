package main

import (
	"bufio"
	"fmt"
	"os"
	"strings"

	"github.com/urfave/cli/v2"

	"github.com/fixpolicy/fixpolicy/awsapi"
	"github.com/fixpolicy/fixpolicy/awsapi/apply"
	"github.com/fixpolicy/fixpolicy/awsapi/fleet"
	"github.com/fixpolicy/fixpolicy/rewrite"
	"github.com/fixpolicy/fixpolicy/rewrite/udiff"
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
	saved, err := os.ReadFile(from)
	if err != nil {
		return fail("cannot read --from %s: %v", from, unwrapPathError(err))
	}
	p, err := rewrite.Parse(saved)
	if err != nil {
		return fail("--from %s is not a bucket policy: %v", from, oneLine(err.Error()))
	}
	if named := policyBuckets(p); len(named) > 0 && !named[bucket] {
		var list []string
		for n := range named {
			list = append(list, n)
		}
		return fail("--from %s is the policy of another bucket (its resources name %s, not %s)", from, strings.Join(list, ", "), bucket)
	}

	cl, err := std.aws(c.Context, awsOptions(c))
	if err != nil {
		return fail("%v", err)
	}
	ctx := c.Context
	if region, err := cl.BucketRegion(ctx, bucket); err == nil && region != "" {
		cl = cl.ForRegion(region)
	} else if err != nil && (awsapi.IsNotFound(err) || awsapi.IsCredentials(err)) {
		return fail("%v", err)
	}
	cur, exists, err := cl.GetBucketPolicy(ctx, bucket)
	if err != nil {
		return fail("%v", err)
	}
	r := &report{Target: "s3://" + bucket, Bucket: bucket, Changes: []rewrite.Change{}, AccessChanges: []string{},
		PolicyBefore: compactJSON(cur), PolicyAfter: compactJSON(saved)}
	color := colorOn(format, std, c.Bool("no-color"))
	pr := &printer{w: std.out, errW: std.err, format: format, color: color, getenv: std.getenv}
	if exists && apply.SameMeaning(cur, saved) == nil {
		r.Status = statusCompliant
		r.Explanations = []string{fmt.Sprintf("The bucket's policy already is the one saved in %s; nothing to restore.", from)}
		pr.print(r)
		return nil
	}
	name := bucket + ".policy.json"
	if !exists {
		r.Explanations = []string{"The bucket has no policy now (NoSuchBucketPolicy); the saved one will be put back."}
	}
	r.Diff = udiff.Unified(name, name+" (restored from "+from+")", cur, saved, 3)
	r.Status = statusNeedsChange
	if c.Bool("dry-run") {
		pr.print(r)
		return nil
	}
	if !c.Bool("yes") {
		if !std.inTTY {
			r.Error = "not restored: there is no terminal to confirm on; pass --yes"
			r.ExitCode = exitError
			pr.print(r)
			return fail("refusing to change the bucket policy without a terminal to confirm on: pass --yes to restore, or --dry-run to only look")
		}
		if format == "text" {
			pr.print(r)
		} else {
			fmt.Fprintf(std.err, "%s", r.Diff)
		}
		fmt.Fprintf(std.err, "Restore the saved policy to s3://%s? [y/N] ", bucket)
		answer, _ := bufio.NewReader(std.in).ReadString('\n')
		if a := strings.ToLower(strings.TrimSpace(answer)); a != "y" && a != "yes" {
			r.Error = "not restored: the change was not confirmed"
			r.Steps = append(r.Steps, r.Error)
			if format == "text" {
				pr.steps(r)
			} else {
				pr.print(r)
			}
			return exitWith(exitError)
		}
		defer func() {
			if format == "text" {
				pr.steps(r)
			} else {
				pr.print(r)
			}
		}()
	} else {
		defer pr.print(r)
	}
	if account == "" {
		id, err := cl.CallerIdentity(ctx)
		if err != nil {
			r.Status, r.ExitCode, r.Error = statusError, exitError, oneLine(err.Error())
			r.Steps = append(r.Steps, "error: "+r.Error)
			return exitWith(exitError)
		}
		account = id.Account
	}
	fleet.Record(r, apply.Restore(ctx, std.journal, cl, apply.Change{
		Bucket: bucket, Current: cur, NoPolicy: !exists, New: saved, Owner: account, BackupDir: c.String("backup-dir"),
	}))
	return exitWith(r.ExitCode)
}

// policyBuckets returns the bucket names the policy's resource ARNs name.
func policyBuckets(p *rewrite.Policy) map[string]bool {
	names := map[string]bool{}
	for _, s := range p.Statements {
		for _, res := range s.Resources {
			i := strings.Index(res, ":s3:::")
			if i < 0 || !strings.HasPrefix(res, "arn:") {
				continue
			}
			name := res[i+len(":s3:::"):]
			if j := strings.IndexByte(name, '/'); j >= 0 {
				name = name[:j]
			}
			if name == "" || strings.ContainsAny(name, "*?$") {
				continue
			}
			names[name] = true
		}
	}
	return names
}
