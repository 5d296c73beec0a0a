package main

// Interrupts and --timeout.
//
// Ctrl-C or SIGTERM ends a run at once (run does not wait for the command),
// so every write the run makes goes through the run's apply.Journal: the
// interrupt closes it, no write starts after that, and the one-line message
// says what had been written.
//
// --timeout bounds each target's analysis and proof, never a write: a
// target that gives up is reported as an error and nothing is written to it
// (awsapi/fleet's timeout.go).

import (
	"io"
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
