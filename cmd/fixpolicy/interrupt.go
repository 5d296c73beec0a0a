package main

// Interrupts and --timeout.
//
// Ctrl-C or SIGTERM ends a run at once (run does not wait for the command),
// so every write the run makes goes through the run's apply.Journal: the
// interrupt closes it, no write starts after that, and the one-line message
// says what had been written.
//
// --timeout bounds each target's analysis and proof, never a write: a
// target that gives up is reported as an error and nothing is written to it.

import (
	"context"
	"errors"
	"fmt"
	"io"
	"runtime/debug"
	"strings"
	"sync/atomic"
	"time"
)

const defaultTimeout = 60 * time.Second

// gate drops every write after close, so that output the command is still
// producing does not follow the interrupt message. close does not wait for a
// write under way (stdout may be a pipe nobody reads).
type gate struct {
	closed atomic.Bool
}

type gatedWriter struct {
	g *gate
	w io.Writer
}

func (g *gate) writer(w io.Writer) io.Writer {
	if w == nil {
		return nil
	}
	return &gatedWriter{g, w}
}

func (g *gate) close() { g.closed.Store(true) }

func (w *gatedWriter) Write(p []byte) (int, error) {
	if w.g.closed.Load() {
		return len(p), nil
	}
	return w.w.Write(p)
}

// withTimeout is ctx bounded by --timeout (0: no limit).
func withTimeout(ctx context.Context, d time.Duration) (context.Context, context.CancelFunc) {
	if d <= 0 {
		return context.WithCancel(ctx)
	}
	return context.WithTimeout(ctx, d)
}

// timedOut reports whether ctx's deadline (--timeout) has passed. An
// interrupt, or a time limit of one AWS call inside, is not that.
func timedOut(ctx context.Context) bool {
	if errors.Is(ctx.Err(), context.DeadlineExceeded) {
		return true
	}
	d, ok := ctx.Deadline()
	return ok && !time.Now().Before(d)
}

// timeoutError is the error of a target whose analysis gave up.
func timeoutError(d time.Duration, target string) error {
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

// bounded runs f, and returns early with ctx's error if ctx ends first (f
// then runs on in the background until it notices ctx). A result that
// arrives after ctx's deadline counts as not finished in time. A panic in f
// is raised again in the caller.
func bounded[T any](ctx context.Context, f func() (T, error)) (T, error) {
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
		if r.err == nil && timedOut(ctx) {
			return zero, context.DeadlineExceeded
		}
		return r.v, r.err
	case <-ctx.Done():
		return zero, ctx.Err()
	}
}
