package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/fixpolicy/fixpolicy/awsapi"
	"github.com/fixpolicy/fixpolicy/awsapi/apply"
	"github.com/fixpolicy/fixpolicy/awsapi/fleet"
	rep "github.com/fixpolicy/fixpolicy/rewrite/report"
	"github.com/urfave/cli/v2"
	"golang.org/x/term"
)

// Exit codes (README, "Usage"); a target's are package fleet's.
const (
	exitOK       = fleet.ExitOK       // nothing to do, dry-run shown, or applied and verified
	exitError    = fleet.ExitError    // bad input, AWS error
	exitInternal = fleet.ExitInternal // fixpolicy failed: a bug

	// Interrupted by a signal: 128 + the signal's number, as shells report
	// a process a signal ended (the codes above are for runs that finish).
	exitSIGINT  = 130
	exitSIGTERM = 143
)

type stdio struct {
	in       io.Reader
	out, err io.Writer
	// isTerminal reports whether stdout/stdin/stderr are terminals; nil means no.
	outTTY, inTTY, errTTY bool
	getenv                func(string) string
	// signalCode is the exit code for the signal that cancelled the run's
	// context (main sets it); nil means exitSIGINT.
	signalCode func() int
	// journal records the writes of the run, for the interrupt message; run
	// sets it.
	journal *apply.Journal
	// aws builds the run's AWS clients from the AWS flags; nil means
	// awsapi.New. Commands call it (through a session) only when they need
	// AWS, so --help and offline runs need no credentials. Tests give one
	// pointed at a fake.
	aws clientFactory
}

// clientFactory builds AWS clients (cli/cli's Factory, for AWS).
type clientFactory func(ctx context.Context, o awsapi.Options) (*awsapi.Clients, error)

// awsOptions are the AWS flags, which every command accepts.
func awsOptions(c *cli.Context) awsapi.Options {
	return awsapi.Options{Profile: c.String("profile"), Region: c.String("region"), EndpointURL: c.String("endpoint-url")}
}

// checkRegion validates --region (or AWS_REGION) before anything is read.
func checkRegion(c *cli.Context) error {
	if r := c.String("region"); r != "" {
		if err := awsapi.CheckRegion(r); err != nil {
			return fail("--region %q is %v", r, err)
		}
	}
	return nil
}

// checkBuckets validates bucket names before anything is read.
func checkBuckets(names ...string) error {
	for _, b := range names {
		if err := awsapi.CheckBucketName(b); err != nil {
			return fail("--bucket %q is not a bucket name: %v", b, err)
		}
	}
	return nil
}

// exitErr carries an exit code; msg (if any) is printed to stderr.
type exitErr struct {
	code int
	msg  string
}

func (e *exitErr) Error() string { return e.msg }

func fail(format string, args ...any) error {
	return &exitErr{code: exitError, msg: fmt.Sprintf(format, args...)}
}

func exitWith(code int) error { return &exitErr{code: code} }

// run builds the app and runs it, returning the process exit code. When ctx
// is cancelled (Ctrl-C, SIGTERM) it returns at once, without waiting for the
// command: it stops further output and writes, prints one line saying what
// had been written, and returns the signal's exit code.
func run(ctx context.Context, args []string, std stdio) int {
	if std.getenv == nil {
		std.getenv = os.Getenv
		std.outTTY = isTerminal(std.out)
		std.inTTY = isTerminal(std.in)
		std.errTTY = isTerminal(std.err)
	}
	if std.journal == nil {
		std.journal = &apply.Journal{}
	}
	if std.aws == nil {
		std.aws = awsapi.New
	}
	errW := std.err
	g := &gate{}
	std.out, std.err = g.writer(std.out), g.writer(std.err)
	done := make(chan int, 1)
	go func() { done <- runApp(ctx, args, std) }()
	select {
	case code := <-done:
		if ctx.Err() == nil {
			return code
		}
	case <-ctx.Done():
	}
	g.close()
	fmt.Fprintf(errW, "fixpolicy: %s\n", std.journal.Interrupted())
	if std.signalCode != nil {
		return std.signalCode()
	}
	return exitSIGINT
}

func runApp(ctx context.Context, args []string, std stdio) (code int) {
	defer func() {
		if p := recover(); p != nil {
			fmt.Fprintf(std.err, "fixpolicy: %s\n", rep.OneLine(fleet.InternalError(p)))
			code = exitInternal
		}
	}()
	app := newApp(std)
	args = reorderArgs(app, args)
	err := app.RunContext(ctx, args)
	if err == nil {
		return exitOK
	}
	var ee *exitErr
	if errors.As(err, &ee) {
		if ee.msg != "" {
			fmt.Fprintf(std.err, "fixpolicy: %s\n", rep.OneLine(ee.msg))
		}
		return ee.code
	}
	fmt.Fprintf(std.err, "fixpolicy: %s\n", rep.OneLine(err.Error()))
	return exitError
}

// isTerminal reports whether x is a terminal (golang.org/x/term asks the
// kernel for the terminal's attributes, so /dev/null and other character
// devices are not terminals).
func isTerminal(x any) bool {
	f, ok := x.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}

// colorOn says whether a report is coloured: text on a terminal, unless
// NO_COLOR is set (no-color.org) or --no-color is given.
func colorOn(format string, std stdio, noColor bool) bool {
	return format == "text" && std.outTTY && std.getenv("NO_COLOR") == "" && !noColor
}

// AWS flags, accepted by every command.
func awsFlags() []cli.Flag {
	return []cli.Flag{
		&cli.StringFlag{Name: "profile", Usage: "use the named AWS profile from ~/.aws/config (e.g. --profile prod)", EnvVars: []string{"AWS_PROFILE"}},
		&cli.StringFlag{Name: "region", Usage: "AWS region for API calls (e.g. --region eu-west-1); buckets in other regions are reached in their own region", EnvVars: []string{"AWS_REGION", "AWS_DEFAULT_REGION"}},
		&cli.StringFlag{Name: "endpoint-url", Usage: "send every AWS call to this endpoint, e.g. an emulator (--endpoint-url http://127.0.0.1:5000); S3 then uses path-style addressing. The SDK's AWS_ENDPOINT_URL works too"},
	}
}

// timeoutFlag bounds each target's analysis and proof (a safety net: they
// take milliseconds on every policy S3 accepts).
func timeoutFlag() cli.Flag {
	return &cli.DurationFlag{Name: "timeout", Value: defaultTimeout, Usage: "give up on a target whose analysis and proof take longer than this, writing nothing to it (exit 1); 0 means no limit (e.g. --timeout 2m)"}
}

func outputFlag(formats string) cli.Flag {
	return &cli.StringFlag{Name: "output", Aliases: []string{"o"}, Value: "text", Usage: "output format: " + formats + " (e.g. -o json)"}
}

func newApp(std stdio) *cli.App {
	fixFlags := []cli.Flag{
		&cli.StringSliceFlag{Name: "bucket", Usage: "bucket to check or patch; repeat for several (--bucket logs --bucket data). With --policy-file, names the policy's bucket"},
		&cli.StringSliceFlag{Name: "policy-file", Usage: "read policies from files instead of S3: JSON, Terraform (.tf, plan JSON), CloudFormation; - reads standard input; repeat, use a glob (--policy-file 'policies/*.json') or a directory (walked)"},
		&cli.BoolFlag{Name: "dry-run", Usage: "show the report and diff, write nothing, exit 0"},
		&cli.BoolFlag{Name: "check", Usage: "like --dry-run, but exit 2 when a change is needed (for CI)"},
		&cli.BoolFlag{Name: "write", Usage: "rewrite each --policy-file in place with the patch (like gofmt -w)"},
		&cli.BoolFlag{Name: "yes", Usage: "apply to live buckets without asking (required when there is no terminal)"},
		&cli.StringFlag{Name: "role-name", Value: "AWSBackupDefaultServiceRole", Usage: "the IAM role AWS Backup uses (looked up with iam:GetRole), e.g. --role-name MyBackupRole"},
		&cli.StringFlag{Name: "role-id", Usage: "the backup role's RoleId (AROA...), skipping iam:GetRole, e.g. --role-id AROAEXAMPLEROLEID0001"},
		&cli.StringFlag{Name: "account-id", Usage: "the bucket owner's 12-digit account ID, skipping sts:GetCallerIdentity, e.g. --account-id 012345678901"},
		&cli.StringFlag{Name: "org-id", Usage: "the account's AWS Organizations ID (o-...), for policies that check aws:PrincipalOrgID"},
		&cli.BoolFlag{Name: "no-split", Usage: "only exempt the backup role; do not split out the console's s3:GetBucketLocation/s3:GetBucketVersioning reads"},
		&cli.StringFlag{Name: "exempt-by", Value: "userid", Usage: "how to exempt the backup role: userid (StringNotLike aws:userid \"ROLEID:*\") or principal-arn (ArnNotLike aws:PrincipalArn ROLE_ARN)"},
		outputFlag("text, json, markdown, sarif or github"),
		&cli.StringFlag{Name: "backup-dir", Value: "./fixpolicy-backups", Usage: "where to save each bucket's original policy before a write"},
		&cli.BoolFlag{Name: "no-color", Usage: "never colour the diff (colour is used only on a terminal, and never when NO_COLOR is set)"},
		&cli.BoolFlag{Name: "all-buckets", Usage: "check every bucket of the account"},
		&cli.IntFlag{Name: "concurrency", Value: 8, Usage: "buckets checked at once with --all-buckets"},
		timeoutFlag(),
	}
	fixFlags = append(fixFlags, awsFlags()...)

	app := &cli.App{
		Name:      "fixpolicy",
		Usage:     "repair S3 bucket policies that break AWS Backup",
		UsageText: "fixpolicy [--bucket NAME ... | --policy-file PATH ...] [--dry-run | --check | --write] [options]\n   fixpolicy simulate|diff|rollback|doctor [options]",
		Description: `fixpolicy reads a bucket policy, finds the Deny statements that block AWS Backup's
role (a VPC-endpoint-only or office-IP-only lock-down, for example), and writes the smallest
patch that unblocks it: an aws:userid exemption for the backup role, and a split statement
that lets the account's principals make the two reads the AWS Backup console needs.
It proves that nothing else changes, shows a diff, and writes only when asked.

Examples:
   fixpolicy --policy-file policy.json --role-id AROAEXAMPLEROLEID0001 --account-id 012345678901 --dry-run
   fixpolicy --bucket my-bucket --dry-run
   fixpolicy --bucket my-bucket --yes
   fixpolicy --policy-file 'policies/*.json' --check -o sarif > fixpolicy.sarif

Exit codes: 0 nothing to do, dry-run shown, or applied and verified; 1 error (including
an analysis that did not finish within --timeout); 2 --check found changes needed; 3 a
blocking statement cannot be patched safely; 4 internal error (a bug in fixpolicy); 130
interrupted (Ctrl-C), 143 terminated.`,
		Version:         version,
		Flags:           fixFlags,
		Reader:          std.in,
		Writer:          std.out,
		ErrWriter:       std.err,
		HideHelpCommand: true,
		// File and bucket names may contain commas: repeat the flag instead.
		DisableSliceFlagSeparator: true,
		ExitErrHandler:            func(*cli.Context, error) {},
		OnUsageError: func(c *cli.Context, err error, _ bool) error {
			return fail("%v (see fixpolicy --help)", err)
		},
		Action: func(c *cli.Context) error { return fixAction(c, std) },
		Commands: []*cli.Command{
			simulateCommand(std),
			diffCommand(std),
			doctorCommand(std),
			rollbackCommand(std),
		},
	}
	for _, cmd := range app.Commands {
		// urfave/cli v2 would give every command its one package-level help
		// subcommand and write to it on each run; each gets a copy instead,
		// which in turn gets no help subcommand of its own (HideHelp). The
		// help printed is the same, "CMD help" and "CMD help help" included.
		help := helpCommand
		help.HideHelp = true
		cmd.Subcommands = append(cmd.Subcommands, &help)
	}
	return app
}

// urfave/cli v2 adds the package-level cli.HelpFlag and cli.VersionFlag to
// every app and command it sets up, and a *cli.BoolFlag's Apply records its
// default value in the flag itself: apps run at once (the tests) would all
// write to the same two flags. They are replaced, before any app exists, by
// flags that apply a copy of themselves and so are never written. Likewise
// every command would share one help subcommand, written on each run: init
// keeps a pristine copy of it for newApp to hand out.
func init() {
	cli.HelpFlag = sharedBoolFlag{cli.HelpFlag.(*cli.BoolFlag)}
	cli.VersionFlag = sharedBoolFlag{&cli.BoolFlag{Name: "version", Usage: "print the version"}}
	probe := &cli.App{Name: "probe"}
	probe.Setup()
	if probe.Command("help") == nil {
		panic("urfave/cli set up no help command")
	}
	helpCommand = *probe.Command("help")
}

// helpCommand is urfave/cli's help subcommand as it is before any run; each
// command of each app gets its own copy (newApp).
var helpCommand cli.Command

// sharedBoolFlag is a bool flag several apps may use at once: Apply defines
// a copy of it in the flag set, leaving the shared value untouched. Help
// renders it as the *cli.BoolFlag it holds.
type sharedBoolFlag struct{ *cli.BoolFlag }

func (f sharedBoolFlag) Apply(set *flag.FlagSet) error {
	c := *f.BoolFlag
	return c.Apply(set)
}

// GetDefaultText honours DisableDefaultText, which urfave/cli checks only on
// a *cli.BoolFlag.
func (f sharedBoolFlag) GetDefaultText() string {
	if f.DisableDefaultText {
		return ""
	}
	return f.BoolFlag.GetDefaultText()
}

// reorderArgs moves flags that follow positional arguments in front of them,
// so that "fixpolicy diff a.json b.json -o json" works: urfave/cli v2 stops
// parsing flags at the first positional argument.
func reorderArgs(app *cli.App, args []string) []string {
	if len(args) < 2 {
		return args
	}
	flags := app.Flags
	start := 1
	for i := 1; i < len(args); i++ {
		a := args[i]
		if a == "--" {
			return args
		}
		if strings.HasPrefix(a, "-") {
			if takesValue(flags, a) && !strings.Contains(a, "=") {
				i++
			}
			continue
		}
		for _, cmd := range app.Commands {
			if cmd.Name == a {
				flags = cmd.Flags
				start = i + 1
			}
		}
		break
	}
	out := append([]string{}, args[:start]...)
	var fl, pos []string
	for i := start; i < len(args); i++ {
		a := args[i]
		if a == "--" {
			pos = append(pos, args[i:]...)
			break
		}
		if strings.HasPrefix(a, "-") && a != "-" {
			fl = append(fl, a)
			if takesValue(flags, a) && !strings.Contains(a, "=") && i+1 < len(args) {
				i++
				fl = append(fl, args[i])
			}
			continue
		}
		pos = append(pos, a)
	}
	out = append(out, fl...)
	if len(pos) > 0 && pos[0] != "--" {
		out = append(out, "--")
	}
	return append(out, pos...)
}

func takesValue(flags []cli.Flag, arg string) bool {
	name := strings.TrimLeft(arg, "-")
	if i := strings.IndexByte(name, '='); i >= 0 {
		name = name[:i]
	}
	for _, f := range flags {
		for _, n := range f.Names() {
			if n == name {
				_, isBool := f.(*cli.BoolFlag)
				return !isBool
			}
		}
	}
	return false
}
