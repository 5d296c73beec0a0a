package main

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/fixpolicy/fixpolicy/awsapi/fleet"
	"github.com/fixpolicy/fixpolicy/rewrite"
)

// fixOpts are the root command's settings, validated.
type fixOpts struct {
	mode     string // "dry-run", "check", "write" or "" (apply to live buckets): fleet's modes
	yes      bool
	format   string
	color    bool
	options  rewrite.Options
	roleName string
	timeout  time.Duration // bounds each target's analysis; 0: no limit
}

var formats = []string{"text", "json", "markdown", "sarif", "github"}

func parseFixOpts(c *cli.Context, std stdio) (*fixOpts, error) {
	o := &fixOpts{yes: c.Bool("yes"), format: c.String("output"), roleName: c.String("role-name")}
	var err error
	if o.timeout, err = timeoutOf(c); err != nil {
		return nil, err
	}
	n := 0
	for _, m := range []string{"dry-run", "check", "write"} {
		if c.Bool(m) {
			o.mode = m
			n++
		}
	}
	if n > 1 {
		return nil, fail("--dry-run, --check and --write are exclusive: pick one")
	}
	ok := false
	for _, f := range formats {
		ok = ok || f == o.format
	}
	if !ok {
		return nil, fail("-o %q is not an output format (use %s)", o.format, strings.Join(formats, ", "))
	}
	if err := rewrite.CheckRoleName(o.roleName); err != nil {
		return nil, fail("--role-name %v", err)
	}
	o.options = rewrite.Options{
		NoSplit:  c.Bool("no-split"),
		ExemptBy: rewrite.ExemptBy(c.String("exempt-by")),
		Facts: rewrite.Facts{
			AccountID: c.String("account-id"),
			RoleID:    c.String("role-id"),
			RoleName:  o.roleName,
			OrgID:     c.String("org-id"),
		},
	}
	for _, fl := range []struct {
		name  string
		check func(string) error
	}{{"account-id", rewrite.CheckAccountID}, {"role-id", rewrite.CheckRoleID}, {"org-id", rewrite.CheckOrgID},
		{"exempt-by", rewrite.CheckExemptBy}} {
		if err := checkFlag(c, fl.name, fl.check); err != nil {
			return nil, err
		}
	}
	o.color = colorOn(o.format, std, c.Bool("no-color"))
	return o, nil
}

// timeoutOf is --timeout, which may not be negative.
func timeoutOf(c *cli.Context) (time.Duration, error) {
	d := c.Duration("timeout")
	if d < 0 {
		return 0, fail("--timeout %s is negative (give a duration such as 60s or 2m, or 0 for no limit)", d)
	}
	return d, nil
}

// checkFlag validates a flag's value, when given, with rewrite's one
// validator for that kind of input: a usage error (exit 1) before any file
// is read or any AWS call is made.
func checkFlag(c *cli.Context, name string, check func(string) error) error {
	if v := c.String(name); v != "" {
		if err := check(v); err != nil {
			return fail("--%s %v", name, err)
		}
	}
	return nil
}

func fixAction(c *cli.Context, std stdio) error {
	if c.Args().Present() {
		return fail("unexpected argument %q (the root command takes flags only; see fixpolicy --help)", c.Args().First())
	}
	o, err := parseFixOpts(c, std)
	if err != nil {
		return err
	}
	files := c.StringSlice("policy-file")
	buckets := c.StringSlice("bucket")
	if err := checkBuckets(buckets...); err != nil {
		return err
	}
	if err := checkRegion(c); err != nil {
		return err
	}
	switch {
	case len(files) > 0:
		return fixFiles(c, std, o, files, buckets)
	case len(buckets) > 0 || c.Bool("all-buckets"):
		if o.mode == "write" {
			return fail("--write rewrites --policy-file files; to patch a bucket, leave it out (you will be asked) or add --yes")
		}
		return fixBuckets(c, std, o, buckets)
	}
	return fail("nothing to check: pass --policy-file PATH or --bucket NAME (see fixpolicy --help)")
}

// session is the run's fleet.Session, with AWS calls built from the AWS
// flags by the run's client factory.
func session(c *cli.Context, std stdio) *fleet.Session {
	s := fleet.NewSession(c.Context, func(ctx context.Context) (fleet.API, error) {
		cl, err := std.aws(ctx, awsOptions(c))
		if err != nil {
			return nil, err
		}
		return fleet.FromClients(cl), nil
	})
	s.Timeout, _ = timeoutOf(c) // checked with the flags
	return s
}

// newRun is the fleet.Run of the root command's options, printing with pr.
func newRun(c *cli.Context, std stdio, o *fixOpts, s *fleet.Session, facts rewrite.Facts, pr *printer) *fleet.Run {
	run := &fleet.Run{
		Session: s, Journal: std.journal, Mode: o.mode, Yes: o.yes, Fix: o.options, Timeout: o.timeout,
		BackupDir: c.String("backup-dir"), Concurrency: c.Int("concurrency"), Stdin: std.in,
		UI: fleet.UI{Print: pr.Print}, LiteralRoleID: o.options.Facts.RoleID != "",
	}
	run.Fix.Facts = facts
	return run
}

func fixFiles(c *cli.Context, std stdio, o *fixOpts, patterns, buckets []string) error {
	files, err := fleet.ExpandFiles(patterns)
	if err != nil {
		return fail("%v", err)
	}
	if len(buckets) > 1 && len(buckets) != len(files) {
		return fail("with --policy-file, give one --bucket (for every file) or one per file; got %d buckets for %d files", len(buckets), len(files))
	}
	if err := fleet.CheckFileRun(o.mode, o.yes, files); err != nil {
		return fail("%v", err)
	}
	s := session(c, std)
	facts, err := s.ResolveFacts(o.options)
	if err != nil {
		return fail("%v", err)
	}
	pr := newPrinter(std, o.format, o.color)
	code := newRun(c, std, o, s, facts, pr).Files(c.Context, files, buckets)
	if err := finish(pr, std.getenv); err != nil {
		return fail("%v", err)
	}
	return exitWith(code)
}

func fixBuckets(c *cli.Context, std stdio, o *fixOpts, buckets []string) error {
	all := c.Bool("all-buckets")
	if err := fleet.CheckBucketRun(all, buckets, c.Int("concurrency")); err != nil {
		return fail("%v", err)
	}
	s := session(c, std)
	if _, err := s.API(); err != nil {
		return fail("%v", err)
	}
	targets, err := s.Targets(all, buckets)
	if err != nil {
		return fail("%v", err)
	}
	if len(targets) == 0 {
		fmt.Fprintln(std.err, "fixpolicy: the account has no buckets")
		return nil
	}
	facts, err := s.ResolveFacts(o.options)
	if err != nil {
		return fail("%v", err)
	}
	pr := newPrinter(std, o.format, o.color)
	run := newRun(c, std, o, s, facts, pr)
	if o.mode == "" && !o.yes && std.inTTY {
		run.Confirm, run.Confirmed = fleet.Prompter(std.in, std.err, pr, "Apply this change to s3://%s? [y/N] ")
	}
	if std.errTTY {
		run.Progress = std.err
	}
	code, err := run.Buckets(c.Context, targets)
	if err != nil && !errors.Is(err, fleet.ErrNoConfirm) {
		return fail("%v", err)
	}
	if pr.Format == "text" && (all || len(targets) > 1) {
		pr.Summary()
	}
	if err := finish(pr, std.getenv); err != nil {
		return fail("%v", err)
	}
	if err != nil {
		return fail("%v", err) // ErrNoConfirm, after the reports
	}
	return exitWith(code)
}

// readPolicy reads and parses a policy for the commands that need it whole;
// the error names the file.
func readPolicy(std stdio, path string) (*rewrite.Policy, error) {
	src, err := fleet.ReadSource(std.in, path)
	if err != nil {
		return nil, fail("%s: %v", path, err)
	}
	pol, err := rewrite.Parse(src)
	if err != nil {
		return nil, fail("%s: %v", path, err)
	}
	return pol, nil
}
