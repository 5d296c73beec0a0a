package fleet

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"sync"

	"github.com/fixpolicy/fixpolicy/awsapi"
	"github.com/fixpolicy/fixpolicy/awsapi/apply"
	"github.com/fixpolicy/fixpolicy/rewrite"
	"github.com/fixpolicy/fixpolicy/rewrite/report"
)

// Target is one bucket to process, with its region when known (from
// ListBuckets).
type Target struct {
	Name, Region string
}

// Targets lists the buckets of a run: every bucket of the account with all
// (s3:ListBuckets, each with its region), else the names given, without
// repeats. The account may have no bucket.
func (s *Session) Targets(all bool, names []string) ([]Target, error) {
	var targets []Target
	if !all {
		seen := map[string]bool{}
		for _, b := range names {
			if !seen[b] {
				seen[b] = true
				targets = append(targets, Target{Name: b})
			}
		}
		return targets, nil
	}
	api, err := s.API()
	if err != nil {
		return nil, err
	}
	list, err := api.ListBuckets(s.ctx)
	if err != nil {
		return nil, fmt.Errorf("listing the account's buckets: %v", err)
	}
	for _, b := range list {
		// Names from the endpoint are checked like names typed by the
		// user: they become file names in the backup directory.
		if err := awsapi.CheckBucketName(b.Name); err != nil {
			return nil, fmt.Errorf("s3:ListBuckets returned %q, which is not a bucket name (%v); nothing was read or written", b.Name, err)
		}
		targets = append(targets, Target{b.Name, b.Region})
	}
	return targets, nil
}

// Buckets checks each target, and patches those that need it when the run
// applies (Yes, or Confirm says yes). Each bucket is analysed (and, with
// Yes, patched) by its own worker, Concurrency at a time; the reports are
// printed in the targets' order as soon as they are ready. With Confirm,
// the confirmations and writes are made one at a time, in order. It returns
// the worst exit code, and the error building the session's API, or
// ErrNoConfirm once every report is printed; when ctx ends (an interrupt) it
// stops printing and returns.
func (run *Run) Buckets(ctx context.Context, targets []Target) (int, error) {
	api, err := run.Session.API()
	if err != nil {
		return ExitError, err
	}
	applying := run.Mode == Apply
	prompt := applying && !run.Yes && run.Confirm != nil
	noConfirm := applying && !run.Yes && run.Confirm == nil

	var prog *progress
	if len(targets) > 1 && !prompt && run.Progress != nil {
		prog = newProgress(run.Progress, len(targets))
	}
	writing := applying && run.Yes
	outs := run.analyseAll(ctx, api, targets, writing)
	code, refused := ExitOK, false
	pending := map[int]analysed{}
	next := 0
	for got := range outs {
		if ctx.Err() != nil {
			break // interrupted: the caller reports it
		}
		pending[got.i] = got.a
		prog.add(1)
		if writing {
			// Writes happen as buckets complete: so does their report, so
			// that what is printed never lags what was written (a run
			// killed midway shows every bucket it patched).
			next = got.i
		}
		for {
			a, ok := pending[next]
			if !ok {
				break
			}
			delete(pending, next)
			next++
			r := a.r
			if r.Status == report.StatusNeedsChange {
				switch {
				case run.Mode == Check:
					r.ExitCode = ExitChanges
				case noConfirm:
					refused = true
					r.ExitCode, r.Error = ExitError, "not applied: there is no terminal to confirm on; pass --yes to apply"
					r.Steps = append(r.Steps, "not applied: no terminal to confirm on (pass --yes to apply)")
				case prompt:
					run.confirmAndApply(ctx, a)
					code = Worst(code, r.ExitCode)
					continue
				}
			}
			prog.clear()
			run.Print(r)
			prog.draw()
			code = Worst(code, r.ExitCode)
		}
	}
	prog.done()
	if refused {
		return code, ErrNoConfirm
	}
	return code, nil
}

// ErrNoConfirm is the refusal of a run that would apply changes without Yes
// and without Confirm (no terminal to ask on); the changes' reports say so
// too.
var ErrNoConfirm = errors.New("refusing to change bucket policies without a terminal to confirm on: pass --yes to apply, or --dry-run to only look")

// analyseAll analyses the targets, Concurrency at a time, and with patch
// applies the changes needed; the results come out of the channel as they
// are ready, with their index in targets.
func (run *Run) analyseAll(ctx context.Context, api API, targets []Target, patch bool) <-chan indexed {
	outs := make(chan indexed, len(targets))
	sem := make(chan struct{}, max(run.Concurrency, 1))
	go func() {
		var wg sync.WaitGroup
		for i, t := range targets {
			sem <- struct{}{}
			wg.Add(1)
			go func() {
				defer func() { <-sem; wg.Done() }()
				defer func() {
					// A panic is a bug: this bucket's report says so and
					// the run goes on with the others.
					if p := recover(); p != nil {
						r := ErrorReport("s3://"+t.Name, errors.New(InternalError(p)))
						r.Bucket, r.ExitCode = t.Name, ExitInternal
						outs <- indexed{i, analysed{r: r}}
					}
				}()
				a := run.analyse(ctx, api, t)
				if a.r.Status == report.StatusNeedsChange && patch {
					run.apply(ctx, a)
				}
				outs <- indexed{i, a}
			}()
		}
		wg.Wait()
		close(outs)
	}()
	return outs
}

type indexed struct {
	i int
	a analysed
}

// confirmAndApply asks Confirm and applies the change if it says yes, then
// shows the outcome with Confirmed.
func (run *Run) confirmAndApply(ctx context.Context, a analysed) {
	r := a.r
	if !run.Confirm(r) {
		r.ExitCode, r.Error = ExitError, "not applied: the change was not confirmed"
		r.Steps = append(r.Steps, "not applied: the change was not confirmed")
	} else {
		run.apply(ctx, a)
	}
	if run.Confirmed != nil {
		run.Confirmed(r)
	}
}

// analyse reads a bucket's policy and fixes it, within the run's Timeout
// (the AWS reads and the proof; never a write).
func (run *Run) analyse(ctx context.Context, api API, t Target) analysed {
	bucket := t.Name
	name := "s3://" + bucket
	ctx, cancel := WithTimeout(ctx, run.Timeout)
	defer cancel()
	regional := api.Regional("")
	bad := func(err error) analysed {
		gaveUp := TimedOut(ctx)
		if gaveUp {
			err = TimeoutError(run.Timeout, name)
		}
		r := ErrorReport(name, err)
		r.Bucket, r.SelfNamed = bucket, gaveUp
		return analysed{r: r, api: regional}
	}
	if t.Region != "" {
		regional = api.Regional(t.Region)
	} else if region, err := api.BucketRegion(ctx, bucket); err == nil && region != "" {
		regional = api.Regional(region)
	} else if err != nil && (awsapi.IsNotFound(err) || awsapi.IsCredentials(err) || awsapi.IsCanceled(err)) {
		return bad(err)
	}
	src, exists, err := regional.GetBucketPolicy(ctx, bucket)
	if err != nil {
		return bad(err)
	}
	if !exists {
		r := &report.Report{Target: name, Bucket: bucket, Status: report.StatusCompliant, Changes: []rewrite.Change{}, AccessChanges: []string{},
			Explanations: []string{"The bucket has no policy (NoSuchBucketPolicy), so no statement can block AWS Backup."}}
		return analysed{r: r, api: regional}
	}
	opt := run.Fix
	opt.Facts.Bucket = bucket
	var orgWhy string
	if opt.Facts.OrgID == "" && namesOrg(src) {
		type answer struct {
			id, why string
			none    bool
		}
		a, err := Bounded(ctx, func() (answer, error) {
			id, why, none, err := run.Session.org()
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
	res, err := Fix(ctx, src, opt)
	if err != nil {
		if ctx.Err() == nil {
			err = fmt.Errorf("the bucket's policy: %w", err)
		}
		return bad(err)
	}
	r := FromResult(name, res, bucket+".policy.json", true)
	r.Bucket = bucket
	r.NoteOrg(res.OrgAssumed, orgWhy)
	return analysed{r: r, res: res, api: regional}
}

// apply writes the patch with apply.Patch (backup, re-read, write, verify)
// and records its steps and outcome in the report.
func (run *Run) apply(ctx context.Context, a analysed) {
	Record(a.r, apply.Patch(ctx, run.Journal, a.api, apply.Change{
		Bucket: a.r.Bucket, Current: a.res.Before, New: a.res.After, Owner: run.Fix.Facts.AccountID, BackupDir: run.BackupDir,
	}))
}

// Record copies a write's outcome into the report: its steps, its backup,
// and patched or the error.
func Record(r *report.Report, o apply.Outcome) {
	r.Steps = append(r.Steps, o.Steps...)
	if o.Backup != "" {
		r.Backup = o.Backup
	}
	if !o.OK() {
		r.Status, r.ExitCode, r.Error = report.StatusError, ExitError, o.Err
		return
	}
	r.Status = report.StatusPatched
}

// CheckBucketRun checks a run over buckets before anything is read: all
// buckets or named ones, and at least one at a time.
func CheckBucketRun(all bool, buckets []string, concurrency int) error {
	if all && len(buckets) > 0 {
		return errors.New("--all-buckets and --bucket are exclusive: pick one")
	}
	if concurrency < 1 {
		return fmt.Errorf("--concurrency must be at least 1 (got %d)", concurrency)
	}
	return nil
}

// Prompter returns the [y/N] prompt read from in, question being a format
// for the bucket's name: confirm shows the change (the report in text
// output, else its diff on ask) and asks on ask; confirmed shows the
// outcome (the steps in text, else the report).
func Prompter(in io.Reader, ask io.Writer, pr *report.Printer, question string) (confirm func(*report.Report) bool, confirmed func(*report.Report)) {
	rd := bufio.NewReader(in)
	text := pr.Format == "text"
	confirm = func(r *report.Report) bool {
		if text {
			pr.Print(r)
		} else {
			fmt.Fprintf(ask, "%s", r.Diff)
		}
		fmt.Fprintf(ask, question, r.Bucket)
		answer, _ := rd.ReadString('\n')
		a := strings.ToLower(strings.TrimSpace(answer))
		return a == "y" || a == "yes"
	}
	confirmed = func(r *report.Report) {
		if text {
			pr.Steps(r)
		} else {
			pr.Print(r)
		}
	}
	return confirm, confirmed
}
