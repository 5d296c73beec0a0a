package main

// Interrupts and --timeout.
//
// Ctrl-C or SIGTERM ends a run at once (run does not wait for the command),
// so every write the run makes goes through the journal: the interrupt
// closes it, no write starts after that, and the one-line message says what
// had been written. Local writes (a --write rename, a backup file) are made
// under the journal's lock, so they are whole or absent; a PutBucketPolicy
// cannot be, and one in flight is reported as such with how to check and
// undo it.
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
	"sync"
	"sync/atomic"
	"time"
)

const defaultTimeout = 60 * time.Second

// errInterrupted is the error of a write refused because the run was
// interrupted.
var errInterrupted = errors.New("interrupted")

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

// writeState is how far one write got.
type writeState int

const (
	wsSaved     writeState = iota // the original is saved; the target is unchanged
	wsSent                        // PutBucketPolicy sent: the outcome is unknown
	wsWritten                     // written
	wsUnchanged                   // the write failed and the target is known to be unchanged
)

// A write is one target the run writes to.
type write struct {
	target string // "s3://bucket" or a file path
	bucket string // for buckets
	backup string // where the original is saved ("" for none)
	what   string // "patched", "restored"
	state  writeState
}

// journal records the run's writes. After close (the interrupt), no write
// may start.
type journal struct {
	mu     sync.Mutex
	closed bool
	writes []*write
}

// local runs fn, a local file write, unless the run was interrupted; the
// interrupt waits for it, so the file is whole or absent.
func (j *journal) local(fn func() error) error {
	j.mu.Lock()
	defer j.mu.Unlock()
	if j.closed {
		return errInterrupted
	}
	return fn()
}

// wroteFile records a file rewritten in place (--write), under the lock:
// call it from local's fn.
func (j *journal) wroteFile(path string) {
	j.writes = append(j.writes, &write{target: path, what: "rewritten", state: wsWritten})
}

// saved records (from local's fn) that a bucket's policy was saved to backup
// before a write to it.
func (j *journal) saved(bucket, backup, what string) *write {
	w := &write{target: "s3://" + bucket, bucket: bucket, backup: backup, what: what, state: wsSaved}
	j.writes = append(j.writes, w)
	return w
}

// send marks w as sent just before PutBucketPolicy, unless the run was
// interrupted (then the write must not be made).
func (j *journal) send(w *write) error {
	j.mu.Lock()
	defer j.mu.Unlock()
	if j.closed {
		return errInterrupted
	}
	w.state = wsSent
	return nil
}

// settle records the known outcome of a sent write.
func (j *journal) settle(w *write, s writeState) {
	j.mu.Lock()
	w.state = s
	j.mu.Unlock()
}

// interrupted closes the journal and says, in one line, what the run wrote.
func (j *journal) interrupted() string {
	j.mu.Lock()
	defer j.mu.Unlock()
	j.closed = true
	var parts []string
	for _, w := range j.writes {
		switch w.state {
		case wsSaved:
			if w.backup == "" {
				continue
			}
			parts = append(parts, fmt.Sprintf("%s was not changed (its policy was saved to %s first)", w.target, w.backup))
		case wsSent:
			if w.backup == "" {
				parts = append(parts, fmt.Sprintf("the write to %s was in flight, so it has either no policy or the %s one: check with aws s3api get-bucket-policy --bucket %s",
					w.target, w.what, w.bucket))
				continue
			}
			parts = append(parts, fmt.Sprintf("the write to %s was in flight, so it has either its old policy or the %s one: "+
				"check with fixpolicy --bucket %s --dry-run; the old policy is saved in %s (put it back with: fixpolicy rollback --bucket %s --from %s)",
				w.target, w.what, w.bucket, w.backup, w.bucket, w.backup))
		case wsWritten:
			if w.backup == "" {
				parts = append(parts, w.target+" was "+w.what)
			} else {
				parts = append(parts, fmt.Sprintf("%s was %s (its old policy is saved in %s)", w.target, w.what, w.backup))
			}
		}
	}
	if len(parts) == 0 {
		return "interrupted; nothing was written"
	}
	return "interrupted; " + strings.Join(parts, "; ") + "; nothing else was written"
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
