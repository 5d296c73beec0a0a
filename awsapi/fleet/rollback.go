package fleet

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"

	"github.com/fixpolicy/fixpolicy/awsapi"
	"github.com/fixpolicy/fixpolicy/awsapi/apply"
	"github.com/fixpolicy/fixpolicy/rewrite"
	"github.com/fixpolicy/fixpolicy/rewrite/report"
	"github.com/fixpolicy/fixpolicy/rewrite/udiff"
)

// Rollback puts a policy that fixpolicy saved before a write back on its
// bucket (`fixpolicy rollback`), with apply.Restore: the policy in place is
// saved first, so the rollback can itself be undone.
type Rollback struct {
	Session *Session
	Journal *apply.Journal
	Bucket  string
	// From names the saved policy (its backup file), Saved is its text.
	From  string
	Saved []byte
	// Account is the bucket owner, sent as the expected bucket owner; ""
	// is the caller's (sts:GetCallerIdentity).
	Account   string
	BackupDir string
	// DryRun shows the diff and writes nothing; Yes restores without
	// asking.
	DryRun, Yes bool
	UI
}

// ErrNoTerminal is the refusal to restore without Yes when there is no
// Confirm to ask with.
var ErrNoTerminal = errors.New("refusing to change the bucket policy without a terminal to confirm on: pass --yes to restore, or --dry-run to only look")

// CheckSaved checks, before any AWS call, that saved (read from the file
// from) is a bucket policy, and not another bucket's.
func CheckSaved(bucket, from string, saved []byte) error {
	if _, _, _, ok := apply.KeyFromBackup(from); ok {
		return checkSavedKey(from, saved)
	}
	p, err := rewrite.Parse(saved)
	if err != nil {
		return fmt.Errorf("--from %s is not a bucket policy: %v", from, report.OneLine(err.Error()))
	}
	named, wild := policyBuckets(p)
	if len(wild) > 0 {
		return fmt.Errorf("--from %s names resources on any bucket (%s): a saved bucket policy names its own bucket; refusing to restore it", from, strings.Join(wild, ", "))
	}
	if len(named) > 1 {
		var list []string
		for n := range named {
			list = append(list, n)
		}
		sort.Strings(list)
		return fmt.Errorf("--from %s names several buckets (%s): a saved bucket policy names only its own; refusing to restore it", from, strings.Join(list, ", "))
	}
	if len(named) > 0 && !named[bucket] {
		var list []string
		for n := range named {
			list = append(list, n)
		}
		return fmt.Errorf("--from %s is the policy of another bucket (its resources name %s, not %s)", from, strings.Join(list, ", "), bucket)
	}
	return nil
}

// policyBuckets returns the bucket names the policy's resource ARNs name.
func policyBuckets(p *rewrite.Policy) (names map[string]bool, wild []string) {
	names = map[string]bool{}
	for _, s := range p.Statements {
		for _, res := range s.Resources {
			if res == "*" {
				wild = append(wild, res)
				continue
			}
			i := strings.Index(res, ":s3:::")
			if i < 0 || !strings.HasPrefix(res, "arn:") {
				continue
			}
			name := res[i+len(":s3:::"):]
			if j := strings.IndexByte(name, '/'); j >= 0 {
				name = name[:j]
			}
			if strings.ContainsAny(name, "*?$") {
				wild = append(wild, res)
				continue
			}
			if name != "" {
				names[name] = true
			}
		}
	}
	return names, wild
}

// Run reads the bucket's policy and, unless it already means the saved one,
// shows the diff back to it and restores it (with Yes, or once Confirm says
// yes). It prints the report and returns its exit code; the error is one
// that stopped it before any report (reading the bucket), or ErrNoTerminal.
func (rb *Rollback) Run(ctx context.Context) (int, error) {
	api, err := rb.Session.API()
	if err != nil {
		return ExitError, err
	}
	if region, account, id, ok := apply.KeyFromBackup(rb.From); ok {
		return rb.runKey(ctx, api, region, account, id)
	}
	regional := api.Regional("")
	if region, err := api.BucketRegion(ctx, rb.Bucket); err == nil && region != "" {
		regional = api.Regional(region)
	} else if err != nil && (awsapi.IsNotFound(err) || awsapi.IsCredentials(err)) {
		return ExitError, err
	}
	cur, exists, err := regional.GetBucketPolicy(ctx, rb.Bucket)
	if err != nil {
		return ExitError, err
	}
	r := &report.Report{Target: "s3://" + rb.Bucket, Bucket: rb.Bucket, Changes: []rewrite.Change{}, AccessChanges: []string{},
		PolicyBefore: report.CompactJSON(cur), PolicyAfter: report.CompactJSON(rb.Saved)}
	if exists && apply.SameMeaning(cur, rb.Saved) == nil {
		r.Status = report.StatusCompliant
		r.Explanations = []string{fmt.Sprintf("The bucket's policy already is the one saved in %s; nothing to restore.", rb.From)}
		rb.Print(r)
		return ExitOK, nil
	}
	name := rb.Bucket + ".policy.json"
	if !exists {
		r.Explanations = []string{"The bucket has no policy now (NoSuchBucketPolicy); the saved one will be put back."}
	}
	r.Diff = udiff.Unified(name, name+" (restored from "+rb.From+")", cur, rb.Saved, 3)
	r.Status = report.StatusNeedsChange
	show, code, proceed, err := rb.confirm(r)
	if !proceed {
		return code, err
	}
	defer show(r)
	account := rb.Account
	if account == "" {
		id, err := api.CallerIdentity(ctx)
		if err != nil {
			r.Status, r.ExitCode, r.Error = report.StatusError, ExitError, report.OneLine(err.Error())
			r.Steps = append(r.Steps, "error: "+r.Error)
			return ExitError, nil
		}
		account = id.Account
	}
	Record(r, apply.Restore(ctx, rb.Journal, regional, apply.Change{
		Bucket: rb.Bucket, Current: cur, NoPolicy: !exists, New: rb.Saved, Owner: account, BackupDir: rb.BackupDir,
	}))
	return r.ExitCode, nil
}

// confirm shows r and asks whether to restore: it returns how to show the
// outcome, and whether to proceed; when not, the exit code and error.
func (rb *Rollback) confirm(r *report.Report) (show func(*report.Report), code int, proceed bool, err error) {
	switch {
	case rb.DryRun:
		rb.Print(r)
		return nil, ExitOK, false, nil
	case rb.Yes:
		return rb.Print, 0, true, nil
	case rb.Confirm == nil:
		r.Error, r.ExitCode = "not restored: there is no terminal to confirm on; pass --yes", ExitError
		rb.Print(r)
		return nil, ExitError, false, ErrNoTerminal
	case !rb.Confirm(r):
		r.Error = "not restored: the change was not confirmed"
		r.Steps = append(r.Steps, r.Error)
		rb.Confirmed(r)
		return nil, ExitError, false, nil
	}
	return rb.Confirmed, 0, true, nil
}
