package main

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"strings"
	"sync"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/fixpolicy/fixpolicy/awsapi"
	"github.com/fixpolicy/fixpolicy/awsapi/apply"
	"github.com/fixpolicy/fixpolicy/rewrite"
	"github.com/fixpolicy/fixpolicy/rewrite/udiff"
)

// session holds the AWS clients and the look-ups made once per run.
type session struct {
	c       *cli.Context
	aws     clientFactory
	once    sync.Once
	clients *awsapi.Clients
	err     error

	orgOnce sync.Once
	orgID   string // the account's organization, when looked up
	orgWhy  string // why there is none to use (the analysis then assumes the policy's)
	noOrg   bool   // Organizations says the account is in no organization
	orgErr  error
}

func newSession(c *cli.Context, std stdio) *session {
	return &session{c: c, aws: std.aws}
}

func (s *session) get() (*awsapi.Clients, error) {
	s.once.Do(func() { s.clients, s.err = s.aws(s.c.Context, awsOptions(s.c)) })
	return s.clients, s.err
}

// online reports whether the run has built AWS clients, i.e. is not
// offline; call it after resolveFactsWith.
func (s *session) online() bool {
	return s.clients != nil
}

// org looks up the account's organization with
// organizations:DescribeOrganization, once per run. When the call is denied
// id is "" and why says so: the analysis then assumes the organization the
// policy names and the report says why. When the account is in no
// organization, none says so: its requests carry no aws:PrincipalOrgID.
// Other failures are errors.
func (s *session) org() (id, why string, none bool, err error) {
	s.orgOnce.Do(func() {
		cl, err := s.get()
		if err != nil {
			s.orgErr = err
			return
		}
		id, err := cl.OrganizationID(s.c.Context)
		switch {
		case err == nil && id != "":
			s.orgID = id
		case err == nil:
			s.noOrg = true
		case awsapi.IsAccessDenied(err):
			s.orgWhy = "organizations:DescribeOrganization was denied"
		default:
			s.orgErr = err
		}
	})
	return s.orgID, s.orgWhy, s.noOrg, s.orgErr
}

// namesOrg reports whether a policy text may test the principal's
// organization (keys are case-insensitive); a false positive only costs a
// look-up.
func namesOrg(src []byte) bool {
	l := bytes.ToLower(src)
	return bytes.Contains(l, []byte("aws:principalorgid")) || bytes.Contains(l, []byte("aws:principalorgpaths"))
}

func orgLookupError(err error) error {
	return fmt.Errorf("the policy tests aws:PrincipalOrgID, and looking up the account's organization failed: %v (pass --org-id to give it)", err)
}

// resolveFactsWith completes the facts from flags, looking up what is
// missing (the RoleId with iam:GetRole, the account from the role ARN or
// sts:GetCallerIdentity) once per run, with the session's clients.
func resolveFactsWith(s *session, o *fixOpts) (rewrite.Facts, error) {
	f := o.options.Facts
	ctx := s.c.Context
	// --role-id and --account-id together mean offline: no AWS call at all
	// (the role ARN for --exempt-by principal-arn then follows from --role-name).
	if f.RoleID == "" || (o.options.ExemptBy == rewrite.ExemptByPrincipalARN && f.RoleARN == "" && f.AccountID == "") {
		cl, err := s.get()
		if err != nil {
			return f, fail("%v", err)
		}
		role, err := cl.GetRole(ctx, o.roleName)
		if err != nil {
			if f.RoleID == "" || !awsapi.IsNotFound(err) && !awsapi.IsAccessDenied(err) {
				return f, fail("%v", err)
			}
			// --role-id was given: the ARN is derived from --role-name.
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

// errNoConfirm is the refusal when a change needs confirming and there is no
// terminal to ask on.
const errNoConfirm = "refusing to change bucket policies without a terminal to confirm on: pass --yes to apply, or --dry-run to only look"

// target is one bucket to process, with its region when known (from ListBuckets).
type target struct {
	name, region string
}

// outcome is the result of analysing (and maybe applying to) one bucket.
type outcome struct {
	r   *report
	res *rewrite.Result
	cl  *awsapi.Clients
}

func fixBuckets(c *cli.Context, std stdio, o *fixOpts, buckets []string) error {
	all := c.Bool("all-buckets")
	if all && len(buckets) > 0 {
		return fail("--all-buckets and --bucket are exclusive: pick one")
	}
	conc := c.Int("concurrency")
	if conc < 1 {
		return fail("--concurrency must be at least 1 (got %d)", conc)
	}
	s := newSession(c, std)
	cl, err := s.get()
	if err != nil {
		return fail("%v", err)
	}
	ctx := c.Context
	var targets []target
	if all {
		list, err := cl.ListBuckets(ctx)
		if err != nil {
			return fail("listing the account's buckets: %v", err)
		}
		for _, b := range list {
			targets = append(targets, target{b.Name, b.Region})
		}
		if len(targets) == 0 {
			fmt.Fprintln(std.err, "fixpolicy: the account has no buckets")
			return nil
		}
	} else {
		seen := map[string]bool{}
		for _, b := range buckets {
			if !seen[b] {
				seen[b] = true
				targets = append(targets, target{name: b})
			}
		}
	}
	facts, err := resolveFactsWith(s, o)
	if err != nil {
		return err
	}
	pr := &printer{w: std.out, errW: std.err, format: o.format, color: o.color, getenv: std.getenv}
	backupDir := c.String("backup-dir")

	apply := o.mode == ""
	prompt := apply && !o.yes && std.inTTY
	noConfirm := apply && !o.yes && !std.inTTY

	var prog *progress
	if len(targets) > 1 && !prompt && std.errTTY {
		prog = newProgress(std.err, len(targets))
	}
	// Each bucket is analysed (and, with --yes, patched) by its own worker;
	// the reports are printed in the buckets' order as soon as they are ready.
	// With a prompt, the confirmations and writes are made one at a time, in order.
	outs := make(chan struct {
		i int
		o outcome
	}, len(targets))
	sem := make(chan struct{}, conc)
	go func() {
		var wg sync.WaitGroup
		for i, t := range targets {
			sem <- struct{}{}
			wg.Add(1)
			go func() {
				defer func() { <-sem; wg.Done() }()
				out := analyseTarget(ctx, s, cl, t, facts, o.options, o.timeout)
				if out.r.Status == statusNeedsChange && apply && o.yes {
					applyBucket(ctx, std.journal, out.cl, out.r, out.res, facts, backupDir)
				}
				outs <- struct {
					i int
					o outcome
				}{i, out}
			}()
		}
		wg.Wait()
		close(outs)
	}()

	var in *bufio.Reader
	if prompt {
		in = bufio.NewReader(std.in)
	}
	code := exitOK
	pending := map[int]outcome{}
	next := 0
	for got := range outs {
		if ctx.Err() != nil {
			break // interrupted: run reports it
		}
		pending[got.i] = got.o
		prog.add(1)
		for {
			out, ok := pending[next]
			if !ok {
				break
			}
			delete(pending, next)
			next++
			r := out.r
			if r.Status == statusNeedsChange {
				switch {
				case o.mode == "check":
					r.ExitCode = exitChanges
				case noConfirm:
					r.ExitCode, r.Error = exitError, "not applied: there is no terminal to confirm on; pass --yes to apply"
					r.Steps = append(r.Steps, "not applied: no terminal to confirm on (pass --yes to apply)")
				case prompt:
					confirmAndApply(ctx, std, in, pr, out, facts, backupDir)
					code = worst(code, r.ExitCode)
					continue
				}
			}
			prog.clear()
			pr.print(r)
			prog.draw()
			code = worst(code, r.ExitCode)
		}
	}
	prog.done()
	if pr.format == "text" && (all || len(targets) > 1) {
		pr.summary()
	}
	if err := pr.finish(); err != nil {
		return fail("%v", err)
	}
	if noConfirm && code == exitError {
		for _, r := range pr.all {
			if r.Status == statusNeedsChange {
				return &exitErr{code: exitError, msg: errNoConfirm}
			}
		}
	}
	return exitWith(code)
}

// confirmAndApply shows the report, asks [y/N] on the terminal and applies.
func confirmAndApply(ctx context.Context, std stdio, in *bufio.Reader, pr *printer, out outcome, facts rewrite.Facts, backupDir string) {
	r := out.r
	if pr.format == "text" {
		pr.print(r)
	} else {
		fmt.Fprintf(std.err, "%s", r.Diff)
	}
	fmt.Fprintf(std.err, "Apply this change to s3://%s? [y/N] ", r.Bucket)
	answer, _ := in.ReadString('\n')
	if a := strings.ToLower(strings.TrimSpace(answer)); a != "y" && a != "yes" {
		r.ExitCode, r.Error = exitError, "not applied: the change was not confirmed"
		r.Steps = append(r.Steps, "not applied: the change was not confirmed")
	} else {
		applyBucket(ctx, std.journal, out.cl, r, out.res, facts, backupDir)
	}
	if pr.format == "text" {
		pr.steps(r)
	} else {
		pr.print(r)
	}
}

// analyseTarget reads a bucket's policy and fixes it, within timeout (the
// AWS reads and the proof; never a write).
func analyseTarget(ctx context.Context, s *session, cl *awsapi.Clients, t target, facts rewrite.Facts, opt rewrite.Options, timeout time.Duration) outcome {
	bucket := t.name
	name := "s3://" + bucket
	ctx, cancel := withTimeout(ctx, timeout)
	defer cancel()
	bad := func(err error) outcome {
		gaveUp := timedOut(ctx)
		if gaveUp {
			err = timeoutError(timeout, name)
		}
		r := errorReport(name, err)
		r.Bucket, r.SelfNamed = bucket, gaveUp
		return outcome{r: r, cl: cl}
	}
	if t.region != "" {
		cl = cl.ForRegion(t.region)
	} else if region, err := cl.BucketRegion(ctx, bucket); err == nil && region != "" {
		cl = cl.ForRegion(region)
	} else if err != nil && (awsapi.IsNotFound(err) || awsapi.IsCredentials(err) || awsapi.IsCanceled(err)) {
		return bad(err)
	}
	src, exists, err := cl.GetBucketPolicy(ctx, bucket)
	if err != nil {
		return bad(err)
	}
	if !exists {
		r := &report{Target: name, Bucket: bucket, Status: statusCompliant, Changes: []rewrite.Change{}, AccessChanges: []string{},
			Explanations: []string{"The bucket has no policy (NoSuchBucketPolicy), so no statement can block AWS Backup."}}
		return outcome{r: r, cl: cl}
	}
	opt.Facts = facts
	opt.Facts.Bucket = bucket
	var orgWhy string
	if opt.Facts.OrgID == "" && namesOrg(src) {
		type answer struct {
			id, why string
			none    bool
		}
		a, err := bounded(ctx, func() (answer, error) {
			id, why, none, err := s.org()
			return answer{id, why, none}, err
		})
		if err != nil {
			if ctx.Err() == nil {
				err = orgLookupError(err)
			}
			return bad(err)
		}
		opt.Facts.OrgID, opt.Facts.NoOrg, orgWhy = a.id, a.none, a.why
	}
	res, err := fixBounded(ctx, src, opt)
	if err != nil {
		if ctx.Err() == nil {
			err = fmt.Errorf("the bucket's policy: %w", err)
		}
		return bad(err)
	}
	r := fromResult(name, res, bucket+".policy.json")
	r.Bucket = bucket
	r.NoteOrg(res.OrgAssumed, orgWhy)
	return outcome{r: r, res: res, cl: cl}
}

// applyBucket writes the patch with apply.Patch (backup, re-read, write,
// verify) and records its steps and outcome in the report.
func applyBucket(ctx context.Context, j *apply.Journal, cl apply.PolicyAPI, r *report, res *rewrite.Result, facts rewrite.Facts, backupDir string) {
	record(r, apply.Patch(ctx, j, cl, apply.Change{
		Bucket: r.Bucket, Current: res.Before, New: res.After, Owner: facts.AccountID, BackupDir: backupDir,
	}))
}

// record copies a write's outcome into the report: its steps, its backup,
// and patched or the error.
func record(r *report, o apply.Outcome) {
	r.Steps = append(r.Steps, o.Steps...)
	if o.Backup != "" {
		r.Backup = o.Backup
	}
	if !o.OK() {
		r.Status, r.ExitCode, r.Error = statusError, exitError, o.Err
		return
	}
	r.Status = statusPatched
}

// unifiedDiff renders a diff between two policy texts.
func unifiedDiff(a, b string, before, after []byte) string {
	return udiff.Unified(a, b, before, after, 3)
}

// progress is a one-line progress bar on standard error, used only when
// standard error is a terminal. A nil *progress does nothing.
type progress struct {
	mu    sync.Mutex
	w     io.Writer
	n, of int
	start time.Time
}

func newProgress(w io.Writer, of int) *progress {
	p := &progress{w: w, of: of, start: time.Now()}
	p.draw()
	return p
}

func (p *progress) add(n int) {
	if p == nil {
		return
	}
	p.mu.Lock()
	p.n += n
	p.mu.Unlock()
	p.draw()
}

func (p *progress) line() string {
	const width = 30
	fill := 0
	if p.of > 0 {
		fill = p.n * width / p.of
	}
	rate := ""
	if el := time.Since(p.start).Seconds(); el > 0.5 && p.n > 0 {
		rate = fmt.Sprintf(" %.0f/s", float64(p.n)/el)
	}
	return fmt.Sprintf("\r[%s%s] %d/%d buckets%s", strings.Repeat("=", fill), strings.Repeat(" ", width-fill), p.n, p.of, rate)
}

func (p *progress) draw() {
	if p == nil {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	fmt.Fprint(p.w, p.line())
}

func (p *progress) clear() {
	if p == nil {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	fmt.Fprint(p.w, "\r\033[K")
}

func (p *progress) done() {
	if p == nil {
		return
	}
	p.clear()
}
