package fleet

import (
	"context"
	"errors"
	"time"

	"github.com/fixpolicy/fixpolicy/awsapi"
	"github.com/fixpolicy/fixpolicy/awsapi/doctor"
	"github.com/fixpolicy/fixpolicy/rewrite/report"
)

// DoctorFix is one run of `fixpolicy doctor --fix` over buckets: for each,
// the plan is printed, confirmed (Yes, or Confirm on a terminal) and
// applied, then printed again with each step's outcome.
type DoctorFix struct {
	// Doctor are the checks' options; the run looks the caller and the
	// backup role up once, with API.
	Doctor  doctor.Options
	API     doctor.Fixer
	Buckets []string
	Mode    string // Apply, DryRun or Check
	Yes     bool
	Options doctor.FixOptions
	// Timeout bounds each bucket's checks and plan; 0 is no limit.
	Timeout time.Duration
	// Print shows a bucket's plan once settled: with each step's outcome
	// when it was applied.
	Print func(*doctor.Plan) error
	// Format is the output format: in "text", and whenever Confirm asks,
	// the plan is also printed before it is confirmed or applied (JSON
	// otherwise prints each bucket once, with its outcome).
	Format string
	// Confirm asks whether to apply a plan; nil means there is no terminal.
	Confirm func(*doctor.Plan) bool
}

// ErrDoctorNoTerminal is the refusal to apply a plan without --yes when
// there is no terminal to confirm on.
var ErrDoctorNoTerminal = errors.New("refusing to change anything without a terminal to confirm on: pass --yes to apply the plan, or --dry-run to only look")

// Run plans, confirms and applies each bucket's fixes in turn, and returns
// the worst exit code: ExitError when a bucket could not be checked or a
// step failed or was not confirmed, ExitChanges when something is left to
// fix (--check, or steps left to do by hand), else ExitOK.
func (r *DoctorFix) Run(ctx context.Context) (int, error) {
	d, err := doctor.New(ctx, r.API, r.Doctor)
	if err != nil {
		return ExitError, err
	}
	code := ExitOK
	for _, b := range r.Buckets {
		if ctx.Err() != nil {
			break
		}
		c, err := r.bucket(ctx, d, b)
		code = Worst(code, c)
		if err != nil {
			return code, err
		}
	}
	return code, nil
}

func (r *DoctorFix) bucket(ctx context.Context, d *doctor.Doctor, b string) (int, error) {
	bctx, cancel := WithTimeout(ctx, r.Timeout)
	p, err := d.Plan(bctx, r.API, b, r.Options)
	if TimedOut(bctx) {
		err = TimeoutError(r.Timeout, "s3://"+b)
	}
	cancel()
	if err != nil {
		p.Error = report.OneLine(err.Error())
		return ExitError, r.Print(p)
	}
	left := func() int {
		if p.NeedsFixing() {
			return ExitChanges
		}
		return ExitOK
	}
	switch {
	case r.Mode == DryRun:
		return ExitOK, r.Print(p)
	case r.Mode == Check || !p.Pending():
		return left(), r.Print(p)
	case !r.Yes && r.Confirm == nil:
		p.Decline("there is no terminal to confirm on; pass --yes")
		if err := r.Print(p); err != nil {
			return ExitError, err
		}
		return ExitError, ErrDoctorNoTerminal
	}
	if r.Format == "text" || r.Confirm != nil {
		if err := r.Print(p); err != nil {
			return ExitError, err
		}
	}
	if !r.Yes && !r.Confirm(p) {
		p.Decline("the plan was not confirmed")
		return ExitError, r.Print(p)
	}
	p.Apply(ctx)
	code := left()
	for _, s := range p.Steps {
		if s.Status == doctor.Failed || s.Status == doctor.Skipped {
			code = ExitError
		}
	}
	return code, r.Print(p)
}

// DoctorBuckets are the buckets a doctor run checks: names, or with all
// every bucket of the account (s3:ListBuckets).
func DoctorBuckets(ctx context.Context, cl *awsapi.Clients, all bool, names []string) ([]string, error) {
	if err := CheckBucketRun(all, names, 1); err != nil {
		return nil, err
	}
	if !all {
		return names, nil
	}
	bs, err := cl.ListBuckets(ctx)
	if err != nil {
		return nil, err
	}
	out := make([]string, len(bs))
	for i, b := range bs {
		out[i] = b.Name
	}
	return out, nil
}
