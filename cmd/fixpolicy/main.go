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
)

// version is set at build time with -ldflags "-X main.version=...".
var version = "dev"

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	code := run(ctx, os.Args, stdio{in: os.Stdin, out: os.Stdout, err: os.Stderr})
	stop()
	os.Exit(code)
}
