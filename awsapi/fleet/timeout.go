package fleet

// --timeout bounds each target's analysis and proof, and the AWS reads
// before them, never a write: a target that gives up is reported as an
// error and nothing is written to it.

import (
	"context"
	"errors"
	"fmt"
	"runtime/debug"
	"strings"
	"time"

	"github.com/fixpolicy/fixpolicy/rewrite"
)

// WithTimeout is ctx bounded by --timeout (0: no limit).
func WithTimeout(ctx context.Context, d time.Duration) (context.Context, context.CancelFunc) {
	if d <= 0 {
		return context.WithCancel(ctx)
	}
	return context.WithTimeout(ctx, d)
}

// TimedOut reports whether ctx's deadline (--timeout) has passed. An
// interrupt, or a time limit of one AWS call inside, is not that.
func TimedOut(ctx context.Context) bool {
	if errors.Is(ctx.Err(), context.DeadlineExceeded) {
		return true
	}
	d, ok := ctx.Deadline()
	return ok && !time.Now().Before(d)
}

// TimeoutError is the error of a target whose analysis gave up after d.
func TimeoutError(d time.Duration, target string) error {
	return fmt.Errorf("gave up after %s (--timeout): the analysis of %s did not finish; nothing was written", fmtDuration(d), target)
}

// fmtDuration prints a duration the way it is typed: 60s, 1.5s, 1ns, 2h.
func fmtDuration(d time.Duration) string {
	if d >= time.Second && d < time.Hour && d%time.Second == 0 {
		return fmt.Sprintf("%ds", d/time.Second)
	}
	s := d.String()
	if strings.HasSuffix(s, "m0s") {
		s = s[:len(s)-2]
	}
	if strings.HasSuffix(s, "h0m") {
		s = s[:len(s)-2]
	}
	return s
}

// Bounded runs f, and returns early with ctx's error if ctx ends first (f
// then runs on in the background until it notices ctx). A result that
// arrives after ctx's deadline counts as not finished in time. A panic in f
// is raised again in the caller.
func Bounded[T any](ctx context.Context, f func() (T, error)) (T, error) {
	type result struct {
		v     T
		err   error
		panic any
	}
	ch := make(chan result, 1)
	go func() {
		var r result
		defer func() {
			if p := recover(); p != nil {
				r.panic = fmt.Sprintf("%v\n\n[recovered in a bounded call]\n%s", p, debug.Stack())
			}
			ch <- r
		}()
		r.v, r.err = f()
	}()
	var zero T
	select {
	case r := <-ch:
		if r.panic != nil {
			panic(r.panic)
		}
		if r.err == nil && TimedOut(ctx) {
			return zero, context.DeadlineExceeded
		}
		return r.v, r.err
	case <-ctx.Done():
		return zero, ctx.Err()
	}
}

// Fix is rewrite.Fix bounded by ctx (which carries --timeout): it returns
// context.DeadlineExceeded when the analysis and proof did not finish in
// time.
func Fix(ctx context.Context, src []byte, opt rewrite.Options) (*rewrite.Result, error) {
	opt.Context = ctx
	return Bounded(ctx, func() (*rewrite.Result, error) { return rewrite.Fix(src, opt) })
}
