package fleet

import (
	"context"
	"time"

	"github.com/fixpolicy/fixpolicy/awsapi/doctor"
	"github.com/fixpolicy/fixpolicy/rewrite/report"
)

// Doctor checks each bucket with d (`fixpolicy doctor`), each within
// timeout (0: no limit), and hands each report to print as soon as it is
// done; a bucket that could not be checked at all has its Error set. It
// returns the worst exit code: ExitChanges when a check failed, ExitError
// when a bucket could not be checked. It stops when ctx ends (an interrupt)
// or print fails, returning print's error.
func Doctor(ctx context.Context, d *doctor.Doctor, buckets []string, timeout time.Duration, print func(*doctor.Report) error) (int, error) {
	code := ExitOK
	for _, b := range buckets {
		if ctx.Err() != nil {
			break // interrupted: the caller reports it
		}
		bctx, cancel := WithTimeout(ctx, timeout)
		r, fatal := d.Check(bctx, b)
		if TimedOut(bctx) {
			r.Checks, fatal = []doctor.Check{}, TimeoutError(timeout, "s3://"+b)
		}
		cancel()
		switch {
		case fatal != nil:
			r.Error = report.OneLine(fatal.Error())
			code = Worst(code, ExitError)
		case r.Failed():
			code = Worst(code, ExitChanges)
		}
		if err := print(r); err != nil {
			return code, err
		}
	}
	return code, nil
}
