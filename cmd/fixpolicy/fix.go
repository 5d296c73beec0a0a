package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/fixpolicy/fixpolicy/rewrite"
)

// fixOpts are the root command's settings, validated.
type fixOpts struct {
	mode     string // "dry-run", "check", "write" or "" (apply to live buckets)
	yes      bool
	format   string
	color    bool
	options  rewrite.Options
	roleName string
	timeout  time.Duration // bounds each target's analysis; 0: no limit
}

var formats = []string{"text", "json", "markdown", "sarif", "github"}

func parseFixOpts(c *cli.Context, std stdio) (*fixOpts, error) {
	o := &fixOpts{yes: c.Bool("yes"), format: c.String("output"), roleName: c.String("role-name"), timeout: c.Duration("timeout")}
	if o.timeout < 0 {
		return nil, fail("--timeout %s is negative (give a duration such as 60s or 2m, or 0 for no limit)", o.timeout)
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
	by := rewrite.ExemptBy(c.String("exempt-by"))
	if by != rewrite.ExemptByUserID && by != rewrite.ExemptByPrincipalARN {
		return nil, fail("--exempt-by %q is not an exemption style (use userid or principal-arn)", by)
	}
	if o.roleName == "" || strings.ContainsAny(o.roleName, "/: ") {
		return nil, fail("--role-name %q is not a role name (give the name only, e.g. AWSBackupDefaultServiceRole, not its ARN)", o.roleName)
	}
	o.options = rewrite.Options{
		NoSplit:  c.Bool("no-split"),
		ExemptBy: by,
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
	}{{"account-id", rewrite.CheckAccountID}, {"role-id", rewrite.CheckRoleID}, {"org-id", rewrite.CheckOrgID}} {
		if err := checkFlag(c, fl.name, fl.check); err != nil {
			return nil, err
		}
	}
	o.color = colorOn(o.format, std, c.Bool("no-color"))
	return o, nil
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

// expandFiles resolves globs; a pattern that matches nothing is an error.
func expandFiles(patterns []string) ([]string, error) {
	var out []string
	for _, p := range patterns {
		if p == "-" || !strings.ContainsAny(p, "*?[") {
			out = append(out, p)
			continue
		}
		m, err := filepath.Glob(p)
		if err != nil {
			return nil, fail("--policy-file %q is not a valid pattern: %v", p, err)
		}
		if len(m) == 0 {
			return nil, fail("--policy-file %q matches no file", p)
		}
		out = append(out, m...)
	}
	return out, nil
}

func fixFiles(c *cli.Context, std stdio, o *fixOpts, patterns, buckets []string) error {
	files, err := expandFiles(patterns)
	if err != nil {
		return err
	}
	if len(buckets) > 1 && len(buckets) != len(files) {
		return fail("with --policy-file, give one --bucket (for every file) or one per file; got %d buckets for %d files", len(buckets), len(files))
	}
	if o.mode == "" && o.yes {
		return fail("--yes applies to live buckets; for policy files use --write")
	}
	for _, f := range files {
		if f == "-" && o.mode == "write" {
			return fail("--write cannot rewrite standard input; give a file path")
		}
	}
	s := newSession(c, std)
	facts, err := resolveFactsWith(s, o)
	if err != nil {
		return err
	}
	pr := &printer{w: std.out, errW: std.err, format: o.format, color: o.color, getenv: std.getenv}
	code := exitOK
	for i, f := range files {
		if c.Context.Err() != nil {
			break // interrupted: run reports it
		}
		opt := o.options
		opt.Facts = facts
		switch {
		case len(buckets) == 1:
			opt.Facts.Bucket = buckets[0]
		case len(buckets) > 1:
			opt.Facts.Bucket = buckets[i]
		}
		r := fixFile(c.Context, std, s, f, opt, o)
		pr.print(r)
		code = worst(code, r.ExitCode)
	}
	if err := pr.finish(); err != nil {
		return fail("%v", err)
	}
	return exitWith(code)
}

func fixFile(ctx context.Context, std stdio, s *session, path string, opt rewrite.Options, o *fixOpts) *report {
	name := path
	if path == "-" {
		name = "<stdin>"
	}
	src, err := readPolicySource(std, path)
	if err != nil {
		r := errorReport(name, err)
		r.File = path
		return r
	}
	// With AWS at hand (the run looked up the role or the account), ask
	// Organizations rather than assume the policy's organization.
	var orgWhy string
	if opt.Facts.OrgID == "" && s.online() && namesOrg(src) {
		id, why, none, err := s.org()
		if err != nil {
			r := errorReport(name, orgLookupError(err))
			r.File = path
			return r
		}
		opt.Facts.OrgID, opt.Facts.NoOrg, orgWhy = id, none, why
	}
	tctx, cancel := withTimeout(ctx, o.timeout)
	res, err := fixBounded(tctx, src, opt)
	cancel()
	if err != nil {
		gaveUp := errors.Is(err, context.DeadlineExceeded)
		if gaveUp {
			err = timeoutError(o.timeout, name)
		}
		r := errorReport(name, err)
		r.File, r.SelfNamed = path, gaveUp
		return r
	}
	r := fromResult(name, res, name)
	r.File = path
	r.NoteOrg(res.OrgAssumed, orgWhy)
	if r.Status != statusNeedsChange {
		return r
	}
	switch o.mode {
	case "check":
		r.ExitCode = exitChanges
	case "write":
		err := std.journal.Local(func() error {
			if err := writeFileAtomic(path, res.After); err != nil {
				return err
			}
			std.journal.WroteFile(path)
			return nil
		})
		if err != nil {
			r.Status, r.Error, r.ExitCode = statusError, fmt.Sprintf("cannot write %s: %v", path, unwrapPathError(err)), exitError
			return r
		}
		r.Status = statusPatched
	}
	return r
}

// fixBounded is rewrite.Fix bounded by ctx (which carries --timeout): it
// returns context.DeadlineExceeded when the analysis and proof did not
// finish in time.
func fixBounded(ctx context.Context, src []byte, opt rewrite.Options) (*rewrite.Result, error) {
	opt.Context = ctx
	return bounded(ctx, func() (*rewrite.Result, error) { return rewrite.Fix(src, opt) })
}

// readPolicySource reads a policy file, or standard input for "-", with the
// error worded for the user.
func readPolicySource(std stdio, path string) ([]byte, error) {
	var src []byte
	var err error
	if path == "-" {
		src, err = readAll(std.in)
	} else {
		src, err = os.ReadFile(path)
	}
	if err != nil {
		return nil, fmt.Errorf("cannot read the policy: %v", unwrapPathError(err))
	}
	return src, nil
}

// readPolicy reads and parses a policy for the commands that need it whole;
// the error names the file.
func readPolicy(std stdio, path string) (*rewrite.Policy, error) {
	src, err := readPolicySource(std, path)
	if err != nil {
		return nil, fail("%s: %v", path, err)
	}
	pol, err := rewrite.Parse(src)
	if err != nil {
		return nil, fail("%s: %v", path, err)
	}
	return pol, nil
}

func readAll(r io.Reader) ([]byte, error) {
	if r == nil {
		return nil, fmt.Errorf("no standard input")
	}
	return io.ReadAll(io.LimitReader(r, 16<<20))
}

func unwrapPathError(err error) error {
	if pe, ok := err.(*os.PathError); ok {
		return pe.Err
	}
	return err
}

// writeFileAtomic replaces path with data, keeping its mode: it writes a
// temporary file beside it and renames it over the original.
func writeFileAtomic(path string, data []byte) error {
	st, err := os.Stat(path)
	if err != nil {
		return err
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".fixpolicy-*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Chmod(st.Mode().Perm()); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), path)
}
