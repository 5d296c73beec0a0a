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
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	code := run(ctx, os.Args, stdio{in: os.Stdin, out: os.Stdout, err: os.Stderr})
	stop()
	os.Exit(code)
}
