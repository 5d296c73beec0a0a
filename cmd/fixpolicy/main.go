// Command fixpolicy repairs S3 bucket policies that break AWS Backup.
//
// It finds the Deny statements that block the backup role, writes the
// smallest patch that unblocks AWS Backup and changes nothing else, proves
// that, shows a diff, and applies it only when asked.
package main

import (
	"context"
	"os"
	"os/signal"
	"runtime/debug"
	"syscall"
)

// version is set at build time with -ldflags "-X main.version=..."; a
// binary built by "go install ...@vX" reports its module version instead.
var version = "dev"

func init() {
	if version != "dev" {
		return
	}
	if bi, ok := debug.ReadBuildInfo(); ok && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
		version = bi.Main.Version
	}
}

func main() {
	// Ctrl-C (SIGINT) and SIGTERM cancel the run's context; run then stops
	// at once and says what was written (see interrupted). One context per
	// signal tells them apart for the exit code.
	intCtx, stopInt := signal.NotifyContext(context.Background(), os.Interrupt)
	ctx, stopTerm := signal.NotifyContext(intCtx, syscall.SIGTERM)
	go func() {
		// After the first signal, give the signals their default action
		// back, so that a second Ctrl-C kills the process immediately.
		<-ctx.Done()
		stopTerm()
		stopInt()
	}()
	code := run(ctx, os.Args, stdio{
		in: os.Stdin, out: os.Stdout, err: os.Stderr,
		signalCode: func() int {
			// SIGINT cancels intCtx with a signal cause; stopInt, called
			// above after a SIGTERM, with context.Canceled itself.
			if c := context.Cause(intCtx); c != nil && c != context.Canceled {
				return exitSIGINT
			}
			return exitSIGTERM
		},
	})
	stopTerm()
	stopInt()
	os.Exit(code)
}
