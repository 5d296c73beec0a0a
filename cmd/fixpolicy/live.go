package main

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/fixpolicy/fixpolicy/awsapi"
	"github.com/fixpolicy/fixpolicy/rewrite"
)

// newClients is replaced in tests.
var newClients = func(ctx context.Context, c *cli.Context) (*awsapi.Clients, error) {
	return awsapi.New(ctx, awsapi.Options{
		Profile:     c.String("profile"),
		Region:      c.String("region"),
		EndpointURL: c.String("endpoint-url"),
	})
}

// session holds the AWS clients and the look-ups made once per run.
type session struct {
	c       *cli.Context
	once    sync.Once
	clients *awsapi.Clients
	err     error
}

func (s *session) get() (*awsapi.Clients, error) {
	s.once.Do(func() { s.clients, s.err = newClients(s.c.Context, s.c) })
	return s.clients, s.err
}

// resolveFacts completes the facts from flags, looking up what is missing
// (the RoleId with iam:GetRole, the account from the role ARN or
// sts:GetCallerIdentity) once per run.
func resolveFacts(c *cli.Context, o *fixOpts) (rewrite.Facts, error) {
	return resolveFactsWith(&session{c: c}, o)
}

func resolveFactsWith(s *session, o *fixOpts) (rewrite.Facts, error) {
	f := o.options.Facts
	ctx := s.c.Context
	if f.RoleID == "" || (o.options.ExemptBy == rewrite.ExemptByPrincipalARN && f.RoleARN == "") {
		cl, err := s.get()
		if err != nil {
			return f, fail("%v", err)
		}
		role, err := cl.GetRole(ctx, o.roleName)
		if err != nil {
			if f.RoleID == "" {
				return f, fail("%v", err)
			}
		} else {
			if f.RoleID == "" {
				f.RoleID = role.RoleID
			}
			f.RoleARN = role.Arn
			if f.AccountID == "" {
				f.AccountID = role.AccountID
			}
		}
	}
	if f.AccountID == "" {
		cl, err := s.get()
		if err != nil {
			return f, fail("%v", err)
		}
		id, err := cl.CallerIdentity(ctx)
		if err != nil {
			return f, fail("%v", err)
		}
		f.AccountID = id.Account
	}
	return f, nil
}

func fixBuckets(c *cli.Context, std stdio, o *fixOpts, buckets []string) error {
	s := &session{c: c}
	cl, err := s.get()
	if err != nil {
		return fail("%v", err)
	}
	if c.Bool("all-buckets") {
		if len(buckets) > 0 {
			return fail("--all-buckets and --bucket are exclusive")
		}
		list, err := cl.ListBuckets(c.Context)
		if err != nil {
			return fail("%v", err)
		}
		for _, b := range list {
			buckets = append(buckets, b.Name)
		}
		if len(buckets) == 0 {
			fmt.Fprintln(std.err, "fixpolicy: the account has no buckets")
			return nil
		}
	}
	for _, b := range buckets {
		if b == "" || strings.ContainsAny(b, "/: ") {
			return fail("--bucket %q is not a bucket name (give the name only, e.g. my-bucket, not s3://my-bucket or an ARN)", b)
		}
	}
	facts, err := resolveFactsWith(s, o)
	if err != nil {
		return err
	}
	if o.mode == "" && !o.yes && !std.inTTY {
		return fail("refusing to change bucket policies without a terminal to confirm on: pass --yes to apply, or --dry-run to only look")
	}
	pr := &printer{w: std.out, errW: std.err, format: o.format, color: o.color, getenv: std.getenv}
	conc := c.Int("concurrency")
	if conc < 1 {
		return fail("--concurrency must be at least 1")
	}
	reports := make([]*report, len(buckets))
	// Analyse concurrently; confirm and apply one at a time, in order.
	var wg sync.WaitGroup
	sem := make(chan struct{}, conc)
	type analysed struct {
		res *rewrite.Result
		cl  *awsapi.Clients
	}
	results := make([]analysed, len(buckets))
	for i, b := range buckets {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			r, res, bcl := analyseBucket(c.Context, cl, b, facts, o.options)
			reports[i], results[i] = r, analysed{res, bcl}
		}()
	}
	wg.Wait()
	code := exitOK
	for i, r := range reports {
		if r.Status == statusNeedsChange {
			switch o.mode {
			case "check":
				r.code = exitChanges
			case "dry-run":
			default:
				applyBucket(c.Context, std, o, pr, results[i].cl, r, results[i].res, facts, c.String("backup-dir"))
			}
		}
		pr.print(r)
		code = worst(code, r.code)
	}
	if err := pr.finish(); err != nil {
		return fail("%v", err)
	}
	return exitWith(code)
}

// analyseBucket reads a bucket's policy and computes its patch.
func analyseBucket(ctx context.Context, cl *awsapi.Clients, bucket string, facts rewrite.Facts, opt rewrite.Options) (*report, *rewrite.Result, *awsapi.Clients) {
	target := "s3://" + bucket
	if region, err := cl.BucketRegion(ctx, bucket); err == nil && region != "" {
		cl = cl.ForRegion(region)
	} else if err != nil && awsapi.IsNotFound(err) {
		return errorReport(target, err), nil, cl
	}
	src, exists, err := cl.GetBucketPolicy(ctx, bucket)
	if err != nil {
		return errorReport(target, err), nil, cl
	}
	if !exists {
		r := &report{Target: target, Bucket: bucket, Status: statusCompliant, Changes: []rewrite.Change{}, AccessChanges: []string{},
			Explanations: []string{"The bucket has no policy (NoSuchBucketPolicy), so no statement can block AWS Backup."}}
		return r, nil, cl
	}
	opt.Facts = facts
	opt.Facts.Bucket = bucket
	res, err := rewrite.Fix(src, opt)
	if err != nil {
		return errorReport(target, fmt.Errorf("the bucket's policy: %v", err)), nil, cl
	}
	r := fromResult(target, res, bucket+".policy.json")
	return r, res, cl
}

// applyBucket confirms, saves the original, re-reads, writes and verifies.
func applyBucket(ctx context.Context, std stdio, o *fixOpts, pr *printer, cl *awsapi.Clients, r *report, res *rewrite.Result, facts rewrite.Facts, backupDir string) {
	bucket := r.Bucket
	step := func(format string, args ...any) { r.Steps = append(r.Steps, fmt.Sprintf(format, args...)) }
	failStep := func(format string, args ...any) {
		r.Status, r.code, r.Error = statusError, exitError, fmt.Sprintf(format, args...)
		step("error: %s", r.Error)
	}
	if !o.yes {
		pr.print(r) // show the diff before asking
		r.Steps = nil
		fmt.Fprintf(std.err, "Apply this change to s3://%s? [y/N] ", bucket)
		answer, _ := bufio.NewReader(std.in).ReadString('\n')
		if a := strings.ToLower(strings.TrimSpace(answer)); a != "y" && a != "yes" {
			step("not applied: the change was not confirmed")
			return
		}
	}
	path, err := saveBackup(backupDir, bucket, res.Before)
	if err != nil {
		failStep("cannot save the original policy before writing, so nothing was written: %v", err)
		return
	}
	r.Backup = path
	step("saved the original policy to %s", path)
	cur, exists, err := cl.GetBucketPolicy(ctx, bucket)
	if err != nil {
		failStep("re-reading the policy before writing failed, so nothing was written: %v", err)
		return
	}
	if !exists || !bytes.Equal(cur, res.Before) {
		failStep("the policy of s3://%s changed since it was analysed (someone else edited it); nothing was written: run fixpolicy again", bucket)
		return
	}
	step("re-read the live policy: unchanged since the analysis")
	if err := cl.PutBucketPolicy(ctx, bucket, res.After, facts.AccountID); err != nil {
		failStep("writing the patched policy failed; the bucket keeps its original policy (saved in %s): %v", path, err)
		return
	}
	step("wrote the patched policy with s3:PutBucketPolicy")
	back, exists, err := cl.GetBucketPolicy(ctx, bucket)
	if err != nil || !exists {
		failStep("the patched policy was written but could not be read back to verify it (%v); check the bucket, the original is in %s", err, path)
		return
	}
	if err := sameMeaning(back, res.After); err != nil {
		failStep("the policy read back from S3 differs from what was written (%v); the original is in %s", err, path)
		return
	}
	step("read it back: it means what was written")
	r.Status = statusPatched
}

// sameMeaning checks that the policy S3 returns is the one written. S3 may
// re-format it, so compare the documents, not the bytes.
func sameMeaning(got, want []byte) error {
	g, err := rewrite.Parse(got)
	if err != nil {
		return fmt.Errorf("it does not parse: %v", err)
	}
	w, err := rewrite.Parse(want)
	if err != nil {
		return err
	}
	if !rewrite.Equivalent(g, w) {
		return fmt.Errorf("its statements differ")
	}
	return nil
}

// saveBackup writes the original policy to dir, mode 0600, in a file named
// after the bucket and the time.
func saveBackup(dir, bucket string, policy []byte) (string, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return "", err
	}
	name := fmt.Sprintf("%s-%s.json", bucket, time.Now().UTC().Format("20060102T150405.000000000Z"))
	path := filepath.Join(dir, name)
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return "", err
	}
	if _, err := f.Write(policy); err != nil {
		f.Close()
		return "", err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return "", err
	}
	return path, f.Close()
}
